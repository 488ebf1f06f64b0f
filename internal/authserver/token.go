package authserver

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gwmcp/gwmcp/internal/store"
)

// refreshTokenPrefix makes our refresh tokens recognisable (and never valid JWTs).
const refreshTokenPrefix = "gwr_"

// tokenResponse is the RFC 6749 section 5.1 answer.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope"`
}

// handleToken serves POST /oauth/token.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if oerr := parseForm(w, r); oerr != nil {
		oerr.write(w)
		return
	}
	client, oerr := s.authenticateClient(r)
	if oerr != nil {
		oerr.write(w)
		return
	}
	var (
		resp *tokenResponse
		err  *oauthError
	)
	switch gt := r.PostForm.Get("grant_type"); gt {
	case grantCode:
		resp, err = s.codeGrant(r, client)
	case grantRefr:
		resp, err = s.refreshGrant(r, client)
	case "":
		err = errInvalidRequest("grant_type is required.")
	default:
		err = &oauthError{status: http.StatusBadRequest, code: "unsupported_grant_type",
			desc: "Only authorization_code and refresh_token are supported."}
	}
	if err != nil {
		err.write(w)
		return
	}
	s.touchClient(r.Context(), client)
	writeJSON(w, http.StatusOK, resp)
}

// authenticateClient identifies the client of a token or revocation request with
// exactly the method it registered: none (client_id only), client_secret_basic or
// client_secret_post.
func (s *Server) authenticateClient(r *http.Request) (*clientRecord, *oauthError) {
	ctx := r.Context()
	invalid := func(basic bool) (*clientRecord, *oauthError) {
		return nil, &oauthError{status: http.StatusUnauthorized, code: "invalid_client",
			desc: "Client authentication failed.", basic: basic}
	}
	id, sec, basic := r.BasicAuth()
	method := authNone
	if basic {
		var e1, e2 error
		id, e1 = url.QueryUnescape(id)
		sec, e2 = url.QueryUnescape(sec)
		if e1 != nil || e2 != nil || id == "" {
			return invalid(true)
		}
		if f := r.PostForm.Get("client_id"); f != "" && f != id {
			return nil, errInvalidRequest("client_id does not match the Authorization header.")
		}
		if r.PostForm.Has("client_secret") {
			return nil, errInvalidRequest("Use one client authentication method only.")
		}
		method = authBasic
	} else if r.Header.Get("Authorization") != "" {
		return invalid(true)
	} else {
		id = r.PostForm.Get("client_id")
		if sec = r.PostForm.Get("client_secret"); sec != "" {
			method = authPost
		}
	}
	if id == "" {
		return invalid(false)
	}
	client, err := s.lookupClient(ctx, id)
	if err != nil {
		if !errors.Is(err, errUnknownClient) {
			s.log.ErrorContext(ctx, "authserver: look up client", "error", err)
			return nil, errServer()
		}
		return invalid(basic)
	}
	if client.AuthMethod != method {
		return invalid(basic)
	}
	if method != authNone && !secretMatches(sec, client.SecretHash) {
		return invalid(basic)
	}
	return client, nil
}

// codeGrant redeems an authorization code.
func (s *Server) codeGrant(r *http.Request, client *clientRecord) (*tokenResponse, *oauthError) {
	ctx := r.Context()
	code, verifier := r.PostForm.Get("code"), r.PostForm.Get("code_verifier")
	if code == "" {
		return nil, errInvalidRequest("code is required.")
	}
	if verifier == "" {
		return nil, errInvalidRequest("code_verifier is required (PKCE).")
	}
	if len(code) > 256 {
		return nil, errInvalidGrant("The authorization code is invalid, expired or already used.")
	}
	if res := r.PostForm.Get("resource"); r.PostForm.Has("resource") && !s.resourceMatches(res) {
		return nil, &oauthError{status: http.StatusBadRequest, code: "invalid_target",
			desc: "This server issues tokens only for the resource " + s.cfg.Resource + "."}
	}
	// Mark the code used atomically: exactly one redemption wins; the record stays as a
	// tombstone so that a second redemption can revoke what the first one got.
	var rec codeRecord
	var reused bool
	err := updateJSON(ctx, s.st, prefixCode+hashKey(code), func(cur *codeRecord, exists bool) (time.Duration, error) {
		reused = false
		if !exists {
			return 0, store.ErrNotFound
		}
		rec = *cur
		if cur.Used {
			reused = true
			return 0, store.ErrSkip
		}
		cur.Used = true
		return store.KeepTTL, nil
	})
	bad := errInvalidGrant("The authorization code is invalid, expired or already used.")
	switch {
	case isNotFound(err):
		return nil, bad
	case err != nil:
		s.log.ErrorContext(ctx, "authserver: redeem authorization code", "error", err)
		return nil, errServer()
	case reused:
		s.log.WarnContext(ctx, "authserver: authorization code reused; revoking its grant", "client_id", rec.Request.ClientID, "grant", rec.FamilyID)
		if err := s.revokeFamily(ctx, rec.Subject, rec.FamilyID, "authorization code reused"); err != nil {
			s.log.ErrorContext(ctx, "authserver: revoke after code reuse", "error", err)
		}
		return nil, bad
	}
	req := rec.Request
	switch {
	case req.ClientID != client.ID:
		s.log.WarnContext(ctx, "authserver: authorization code presented by another client", "client_id", client.ID)
		return nil, bad
	case !s.cfg.Now().Before(rec.IssuedAt.Add(s.cfg.CodeTTL)):
		return nil, bad
	case req.RedirectGiven && r.PostForm.Get("redirect_uri") != req.RedirectURI,
		!req.RedirectGiven && r.PostForm.Has("redirect_uri") && r.PostForm.Get("redirect_uri") != req.RedirectURI:
		return nil, errInvalidGrant("redirect_uri does not match the authorization request.")
	case !pkceMatches(verifier, req.Challenge):
		return nil, errInvalidGrant("code_verifier does not match the code_challenge.")
	}
	f := familyRecord{
		ID: rec.FamilyID, Subject: rec.Subject, Email: rec.Email, ClientID: client.ID,
		Scopes: req.Scopes, CreatedAt: s.cfg.Now().UTC(),
	}
	if err := s.createFamily(ctx, &f); err != nil {
		if errors.Is(err, errFamilyRevoked) {
			return nil, bad
		}
		s.log.ErrorContext(ctx, "authserver: store grant", "error", err)
		return nil, errServer()
	}
	resp, oerr := s.issueTokens(ctx, client, &f, f.Scopes, f.Scopes)
	if oerr != nil {
		return nil, oerr
	}
	s.log.InfoContext(ctx, "authserver: tokens issued", "client_id", client.ID, "grant", f.ID, "grant_type", grantCode)
	return resp, nil
}

// issueTokens mints an access token (with accessScopes) and, when the client may
// refresh, a refresh token (with refreshScopes) in family f.
func (s *Server) issueTokens(ctx context.Context, client *clientRecord, f *familyRecord, accessScopes, refreshScopes []string) (*tokenResponse, *oauthError) {
	at, _, err := s.mintAccessToken(f, accessScopes)
	if err != nil {
		s.log.ErrorContext(ctx, "authserver: mint access token", "error", err)
		return nil, errServer()
	}
	resp := &tokenResponse{
		AccessToken: at, TokenType: "Bearer", ExpiresIn: int64(s.cfg.AccessTokenTTL / time.Second),
		Scope: strings.Join(accessScopes, " "),
	}
	if client.allowsGrant(grantRefr) {
		rt, err := s.random(32)
		if err != nil {
			return nil, errServer()
		}
		rt = refreshTokenPrefix + rt
		rec := refreshRecord{FamilyID: f.ID, Subject: f.Subject, ClientID: client.ID, Scopes: refreshScopes, IssuedAt: s.cfg.Now().UTC()}
		if err := s.putJSON(ctx, prefixRefresh+hashKey(rt), &rec, s.cfg.RefreshTokenTTL); err != nil {
			s.log.ErrorContext(ctx, "authserver: store refresh token", "error", err)
			return nil, errServer()
		}
		resp.RefreshToken = rt
	}
	return resp, nil
}

// pkceMatches checks an RFC 7636 verifier against an S256 challenge.
func pkceMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	for _, c := range verifier {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}

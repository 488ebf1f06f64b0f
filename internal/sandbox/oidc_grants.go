package sandbox

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gwmcp/gwmcp/internal/secret"
)

const (
	// accessTokenTTL is Google's expires_in for access tokens.
	accessTokenTTL = 3599 * time.Second
	// codeTTL is how long an authorization code can be exchanged.
	codeTTL = 10 * time.Minute
	// pendingTTL is how long the account chooser stays usable.
	pendingTTL = time.Hour
	// maxRefreshTokens is Google's limit of live refresh tokens per account
	// and client; issuing one more silently invalidates the oldest.
	maxRefreshTokens = 100
)

// Token prefixes follow the look of Google's: access tokens start with
// "ya29.", refresh tokens with "1//" and codes with "4/0".
const (
	prefixAccess  = "ya29.sbx-"
	prefixRefresh = "1//sbx-"
	prefixCode    = "4/0sbx-"
)

// Grant describes a valid access token: who it acts for, which client holds
// it, what it may do and until when.
type Grant struct {
	Email    string
	Sub      string
	ClientID string
	Scopes   []string
	Expiry   time.Time
}

// HasScope reports whether the grant includes scope.
func (g Grant) HasScope(scope string) bool { return hasScope(g.Scopes, scope) }

// TokenSet is what IssueTokens hands out, as the token endpoint would.
type TokenSet struct {
	AccessToken  secret.String
	RefreshToken secret.String
	// IDToken is empty unless the scopes include openid.
	IDToken secret.String
	Expiry  time.Time
	Scopes  []string
}

// grantKey identifies the consent one person gave one client.
type grantKey struct{ sub, clientID string }

// grantRecord is that consent: every scope granted so far and the live
// refresh tokens, oldest first.
type grantRecord struct {
	scopes  []string
	refresh []string
}

type accessToken struct {
	sub, clientID string
	scopes        []string
	expires       time.Time
	refresh       string // the refresh token it belongs to, if any
}

type refreshToken struct {
	sub, clientID string
	scopes        []string
}

// tokenResponse is the token endpoint's success body.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope"`
	TokenType    string `json:"token_type"`
	IDToken      string `json:"id_token,omitempty"`
}

// newToken returns prefix followed by 256 random bits. Callers hold s.mu, so
// a deterministic test reader is read by one goroutine at a time.
func (s *Sandbox) newToken(prefix string) (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", fmt.Errorf("sandbox: read random: %w", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// prune forgets what has expired. Callers hold s.mu.
func (s *Sandbox) prune(now time.Time) {
	for k, p := range s.pending {
		if !now.Before(p.expires) {
			delete(s.pending, k)
		}
	}
	for k, c := range s.codes {
		if !now.Before(c.expires) {
			delete(s.codes, k)
		}
	}
	for k, t := range s.access {
		if !now.Before(t.expires) {
			delete(s.access, k)
		}
	}
}

// grant returns the consent record of key, creating it. Callers hold s.mu.
func (s *Sandbox) grant(key grantKey) *grantRecord {
	g := s.grants[key]
	if g == nil {
		g = &grantRecord{}
		s.grants[key] = g
	}
	return g
}

// mintTokens issues an access token, a refresh token when withRefresh, and
// an ID token when scopes include openid. An access token minted from an
// existing refresh token passes it as parent. Callers hold s.mu.
func (s *Sandbox) mintTokens(issuer string, a *Account, clientID string, scopes []string,
	withRefresh bool, parent, nonce string) (tokenResponse, error) {
	now := s.now()
	s.prune(now)
	var resp tokenResponse
	key := grantKey{a.Sub, clientID}
	if withRefresh {
		rt, err := s.newToken(prefixRefresh)
		if err != nil {
			return resp, err
		}
		s.refresh[rt] = &refreshToken{sub: a.Sub, clientID: clientID, scopes: scopes}
		g := s.grant(key)
		g.refresh = append(g.refresh, rt)
		for len(g.refresh) > maxRefreshTokens {
			s.dropRefresh(g.refresh[0])
			g.refresh = g.refresh[1:]
		}
		resp.RefreshToken, parent = rt, rt
	}
	at, err := s.newToken(prefixAccess)
	if err != nil {
		return resp, err
	}
	s.access[at] = &accessToken{sub: a.Sub, clientID: clientID, scopes: scopes,
		expires: now.Add(accessTokenTTL), refresh: parent}
	resp.AccessToken = at
	resp.ExpiresIn = int(accessTokenTTL / time.Second)
	resp.Scope = strings.Join(scopes, " ")
	resp.TokenType = "Bearer"
	if hasScope(scopes, scopeOpenID) {
		claims := s.idTokenClaims(issuer, a, clientID, clientID, scopes, now, idTokenTTL)
		claims["at_hash"] = atHash(at)
		if nonce != "" {
			claims["nonce"] = nonce
		}
		if resp.IDToken, err = s.key.sign(claims); err != nil {
			return resp, err
		}
	}
	return resp, nil
}

// dropRefresh deletes a refresh token and the access tokens minted from it.
// Callers hold s.mu and fix the grant's list themselves.
func (s *Sandbox) dropRefresh(rt string) {
	delete(s.refresh, rt)
	for k, t := range s.access {
		if t.refresh == rt {
			delete(s.access, k)
		}
	}
}

// revokeGrant removes one person's consent to one client: every refresh and
// access token and the record of granted scopes, as Google's revocation
// does. Callers hold s.mu.
func (s *Sandbox) revokeGrant(key grantKey) {
	delete(s.grants, key)
	for k, t := range s.refresh {
		if t.sub == key.sub && t.clientID == key.clientID {
			delete(s.refresh, k)
		}
	}
	for k, t := range s.access {
		if t.sub == key.sub && t.clientID == key.clientID {
			delete(s.access, k)
		}
	}
}

// IssueTokens creates a refresh token, an access token and, with openid, an
// ID token for the account with this email and a registered client, as if
// the person had just consented, without the browser dance. The scopes
// accept the short names email and profile, like the authorization endpoint.
func (s *Sandbox) IssueTokens(email, clientID string, scopes []string) (TokenSet, error) {
	norm, invalid := normalizeScopes(scopes)
	if len(invalid) > 0 {
		return TokenSet{}, fmt.Errorf("sandbox: issue tokens: invalid scopes %q", invalid)
	}
	if len(norm) == 0 {
		return TokenSet{}, errors.New("sandbox: issue tokens: no scope")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(email)
	if a == nil {
		return TokenSet{}, fmt.Errorf("sandbox: issue tokens: no account %q", email)
	}
	if _, ok := s.clients[clientID]; !ok {
		return TokenSet{}, fmt.Errorf("sandbox: issue tokens: no client %q", clientID)
	}
	if s.issuer == "" && hasScope(norm, scopeOpenID) {
		return TokenSet{}, errors.New("sandbox: issue tokens: the issuer is not set")
	}
	g := s.grant(grantKey{a.Sub, clientID})
	g.scopes = unionScopes(g.scopes, norm)
	resp, err := s.mintTokens(s.issuer, a, clientID, norm, true, "", "")
	if err != nil {
		return TokenSet{}, err
	}
	s.log.Info("sandbox: tokens issued directly", "email", a.Email, "client_id", clientID)
	return TokenSet{
		AccessToken:  secret.New(resp.AccessToken),
		RefreshToken: secret.New(resp.RefreshToken),
		IDToken:      secret.New(resp.IDToken),
		Expiry:       s.now().Add(accessTokenTTL),
		Scopes:       norm,
	}, nil
}

// AccessTokenInfo describes a valid access token. It reports false for a
// token that is unknown, expired or revoked.
func (s *Sandbox) AccessTokenInfo(token string) (Grant, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, a := s.liveAccess(token)
	if t == nil {
		return Grant{}, false
	}
	return Grant{Email: a.Email, Sub: a.Sub, ClientID: t.clientID,
		Scopes: slices.Clone(t.scopes), Expiry: t.expires}, true
}

// liveAccess finds a valid access token and its account. Callers hold s.mu.
func (s *Sandbox) liveAccess(token string) (*accessToken, *Account) {
	t := s.access[token]
	if t == nil || !s.now().Before(t.expires) {
		return nil, nil
	}
	a := s.accountBySub(t.sub)
	if a == nil {
		return nil, nil
	}
	return t, a
}

// Authenticate checks the bearer token of a request to a fake Google API. With
// anyOf, the token must also carry at least one of those scopes. The error is
// always an *AuthError whose Respond writes Google's answer: 401 for a
// missing, unknown, expired or revoked token, 403 for a missing scope.
func (s *Sandbox) Authenticate(r *http.Request, anyOf ...string) (Grant, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return Grant{}, &AuthError{Status: http.StatusUnauthorized, Reason: "required", Message: msgMissingCredentials}
	}
	scheme, token, _ := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return Grant{}, &AuthError{Status: http.StatusUnauthorized, Reason: "authError", Message: msgInvalidCredentials}
	}
	g, ok := s.AccessTokenInfo(token)
	if !ok {
		g, ok = s.federated(token)
	}
	if !ok {
		return Grant{}, &AuthError{Status: http.StatusUnauthorized, Reason: "authError", Message: msgInvalidCredentials}
	}
	if len(anyOf) > 0 && !slices.ContainsFunc(anyOf, g.HasScope) {
		return Grant{}, &AuthError{Status: http.StatusForbidden, Reason: "insufficientPermissions",
			Message: msgInsufficientScopes, Scopes: slices.Clone(anyOf)}
	}
	return g, nil
}

// ExpireAccessTokens makes every access token of the account with this email
// expire now, while its refresh tokens stay valid.
func (s *Sandbox) ExpireAccessTokens(email string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(email)
	if a == nil {
		return fmt.Errorf("sandbox: expire access tokens: no account %q", email)
	}
	now := s.now()
	for _, t := range s.access {
		if t.sub == a.Sub && t.expires.After(now) {
			t.expires = now
		}
	}
	return nil
}

// RevokeAll revokes every grant the account with this email gave, to every
// client, as when a person removes an app's access in their Google account.
func (s *Sandbox) RevokeAll(email string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(email)
	if a == nil {
		return fmt.Errorf("sandbox: revoke all: no account %q", email)
	}
	for key := range s.grants {
		if key.sub == a.Sub {
			s.revokeGrant(key)
		}
	}
	s.log.Info("sandbox: all grants revoked", "email", a.Email)
	return nil
}

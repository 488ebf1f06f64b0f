package sandbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
)

// Google's error descriptions at the token endpoint.
const (
	descBadRequest      = "Bad Request"
	descExpiredOrRevoke = "Token has been expired or revoked."
)

// serveToken handles POST /token.
func (s *Sandbox) serveToken(w http.ResponseWriter, r *http.Request) {
	if s.scripted(w, EndpointToken) {
		return
	}
	resp, oerr := s.token(r)
	if oerr != nil {
		s.mu.Lock()
		s.stats.TokenErrors++
		s.mu.Unlock()
		s.log.Info("sandbox: token request refused", "error", oerr.code, "description", oerr.description)
		oerr.write(w)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func invalidRequest(description string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_request", description: description}
}

func invalidGrant(description string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_grant", description: description}
}

// token runs one token request. Parameters are read from the form body only.
func (s *Sandbox) token(r *http.Request) (tokenResponse, *oauthError) {
	if err := r.ParseForm(); err != nil {
		return tokenResponse{}, invalidRequest("Malformed request body.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	gt := r.PostForm.Get("grant_type")
	if gt != "authorization_code" && gt != "refresh_token" {
		return tokenResponse{}, &oauthError{status: http.StatusBadRequest, code: "unsupported_grant_type",
			description: "Invalid grant_type: " + gt}
	}
	c, oerr := s.authenticateClient(r)
	if oerr != nil {
		return tokenResponse{}, oerr
	}
	if gt == "authorization_code" {
		return s.exchangeCode(r, c)
	}
	return s.refreshGrant(r, c)
}

// exchangeCode runs grant_type=authorization_code. A code is consumed by the
// first exchange its own client attempts, even a failed one. Callers hold s.mu.
func (s *Sandbox) exchangeCode(r *http.Request, c Client) (tokenResponse, *oauthError) {
	code := r.PostForm.Get("code")
	if code == "" {
		return tokenResponse{}, invalidRequest("Missing required parameter: code")
	}
	redirectURI := r.PostForm.Get("redirect_uri")
	if redirectURI == "" {
		return tokenResponse{}, invalidRequest("Missing required parameter: redirect_uri")
	}
	ac := s.codes[code]
	if ac == nil || !s.now().Before(ac.expires) {
		return tokenResponse{}, invalidGrant(descBadRequest)
	}
	if ac.clientID != c.ID {
		return tokenResponse{}, invalidGrant(descBadRequest)
	}
	delete(s.codes, code)
	if redirectURI != ac.redirectURI {
		return tokenResponse{}, &oauthError{status: http.StatusBadRequest, code: "redirect_uri_mismatch",
			description: descBadRequest}
	}
	verifier := r.PostForm.Get("code_verifier")
	switch {
	case ac.challenge == "" && verifier != "":
		// No challenge was sent: a verifier now means the client believes it
		// used PKCE when it did not (OAuth 2.1 section 4.1.3).
		return tokenResponse{}, invalidGrant("Invalid code verifier.")
	case ac.challenge != "" && verifier == "":
		return tokenResponse{}, invalidGrant("Missing code verifier.")
	case ac.challenge != "" && !pkceMatches(ac.method, ac.challenge, verifier):
		return tokenResponse{}, invalidGrant("Invalid code verifier.")
	}
	a := s.accountBySub(ac.sub)
	if a == nil {
		return tokenResponse{}, invalidGrant(descBadRequest)
	}
	resp, err := s.mintTokens(s.issuerFor(r), a, c.ID, ac.scopes, ac.refresh, "", ac.nonce)
	if err != nil {
		return tokenResponse{}, &oauthError{status: http.StatusInternalServerError, code: "internal_failure",
			description: "Backend Error"}
	}
	s.stats.CodeExchanges++
	s.log.Info("sandbox: code exchanged", "email", a.Email, "client_id", c.ID,
		"refresh_token", resp.RefreshToken != "")
	return resp, nil
}

// refreshGrant runs grant_type=refresh_token. Like Google, the answer never
// carries a new refresh token. An optional scope narrows the access token to
// a subset of the refresh token's scopes. Callers hold s.mu.
func (s *Sandbox) refreshGrant(r *http.Request, c Client) (tokenResponse, *oauthError) {
	rt := r.PostForm.Get("refresh_token")
	if rt == "" {
		return tokenResponse{}, invalidRequest("Missing required parameter: refresh_token")
	}
	t := s.refresh[rt]
	if t == nil {
		return tokenResponse{}, invalidGrant(descExpiredOrRevoke)
	}
	if t.clientID != c.ID {
		return tokenResponse{}, &oauthError{status: http.StatusUnauthorized, code: "unauthorized_client",
			description: "Unauthorized"}
	}
	a := s.accountBySub(t.sub)
	if a == nil {
		return tokenResponse{}, invalidGrant(descExpiredOrRevoke)
	}
	scopes := t.scopes
	if raw := strings.Fields(r.PostForm.Get("scope")); len(raw) > 0 {
		narrowed, invalid := normalizeScopes(raw)
		if len(invalid) > 0 || !coversScopes(t.scopes, narrowed) {
			return tokenResponse{}, &oauthError{status: http.StatusBadRequest, code: "invalid_scope",
				description: "Some requested scopes were not granted by the refresh token."}
		}
		scopes = narrowed
	}
	resp, err := s.mintTokens(s.issuerFor(r), a, c.ID, scopes, false, rt, "")
	if err != nil {
		return tokenResponse{}, &oauthError{status: http.StatusInternalServerError, code: "internal_failure",
			description: "Backend Error"}
	}
	s.stats.Refreshes++
	s.log.Info("sandbox: access token refreshed", "email", a.Email, "client_id", c.ID)
	return resp, nil
}

// pkceMatches checks a code_verifier against the stored challenge.
func pkceMatches(method, challenge, verifier string) bool {
	if !validPKCEValue(verifier) {
		return false
	}
	want := verifier
	if method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}

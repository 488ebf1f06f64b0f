package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// authRequest is a validated authorization request.
type authRequest struct {
	clientID, redirectURI string
	state, nonce          string
	scopes                []string
	challenge, method     string
	offline               bool
	includeGranted        bool
	promptConsent         bool
	promptSelect          bool
	promptNone            bool
	loginHint             string
	issuer                string
	expires               time.Time // of the account chooser page
}

// authCode is an issued authorization code and what it is bound to.
type authCode struct {
	clientID, redirectURI string
	sub                   string
	scopes                []string
	challenge, method     string
	nonce                 string
	refresh               bool // a refresh token comes with the exchange
	expires               time.Time
}

// pageError is an authorization error Google shows on its own page instead
// of redirecting, because the redirect URI cannot be trusted or the request
// is malformed.
type pageError struct {
	status      int
	code        string
	description string
}

// serveAuthorize handles GET /o/oauth2/v2/auth.
func (s *Sandbox) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	if s.scripted(w, EndpointAuthorize) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	req, perr := s.parseAuthRequest(r.URL.Query())
	if perr != nil {
		s.log.Info("sandbox: authorization refused", "error", perr.code)
		s.errorPage(w, perr.status, perr.code, perr.description)
		return
	}
	req.issuer = s.issuerFor(r)
	// A login_hint naming a known account signs it in at once, unless the
	// client asked for the account chooser; AutoApprove covers the rest.
	var acct *Account
	if !req.promptSelect || s.autoApprove != "" {
		acct = s.account(req.loginHint)
	}
	if acct == nil && s.autoApprove != "" {
		acct = s.account(s.autoApprove)
	}
	if req.promptNone {
		if acct == nil {
			s.redirectError(w, r, req, "login_required")
			return
		}
		g := s.grants[grantKey{acct.Sub, req.clientID}]
		if g == nil || !coversScopes(g.scopes, req.scopes) {
			s.redirectError(w, r, req, "consent_required")
			return
		}
	}
	if acct != nil {
		s.approve(w, r, req, acct)
		return
	}
	id, err := s.newToken("")
	if err != nil {
		s.errorPage(w, http.StatusInternalServerError, "internal_failure", "Backend Error")
		return
	}
	now := s.now()
	s.prune(now)
	req.expires = now.Add(pendingTTL)
	s.pending[id] = req
	s.renderChooser(w, id, req)
}

// parseAuthRequest validates the query of an authorization request: first
// the client and its redirect URI, so that a request with an untrusted
// redirect URI never gets an answer there, then everything else. Callers
// hold s.mu.
func (s *Sandbox) parseAuthRequest(q url.Values) (*authRequest, *pageError) {
	bad := func(format string, args ...any) *pageError {
		return &pageError{http.StatusBadRequest, "invalid_request", fmt.Sprintf(format, args...)}
	}
	req := &authRequest{
		clientID:    q.Get("client_id"),
		redirectURI: q.Get("redirect_uri"),
		state:       q.Get("state"),
		nonce:       q.Get("nonce"),
		loginHint:   q.Get("login_hint"),
	}
	if req.clientID == "" {
		return nil, bad("Missing required parameter: client_id")
	}
	c, ok := s.clients[req.clientID]
	if !ok {
		return nil, &pageError{http.StatusUnauthorized, "invalid_client", "The OAuth client was not found."}
	}
	if req.redirectURI == "" {
		return nil, bad("Missing required parameter: redirect_uri")
	}
	if !c.allowsRedirect(req.redirectURI) {
		return nil, &pageError{http.StatusBadRequest, "redirect_uri_mismatch",
			"You can't sign in to this app because it sent an invalid request: the redirect URI is not " +
				"registered for this OAuth client. Request details: redirect_uri=" + req.redirectURI}
	}
	switch rt := q.Get("response_type"); rt {
	case "code":
	case "":
		return nil, bad("Missing required parameter: response_type")
	default:
		return nil, &pageError{http.StatusBadRequest, "unsupported_response_type",
			"The sandbox supports only response_type=code, not " + rt + "."}
	}
	if rm := q.Get("response_mode"); rm != "" && rm != "query" {
		return nil, bad("Invalid response_mode: %s", rm)
	}
	rawScope := strings.Fields(q.Get("scope"))
	if len(rawScope) == 0 {
		return nil, bad("Missing required parameter: scope")
	}
	scopes, invalid := normalizeScopes(rawScope)
	if len(invalid) > 0 {
		return nil, &pageError{http.StatusBadRequest, "invalid_scope",
			"Some requested scopes were invalid. {invalid=[" + strings.Join(invalid, ", ") + "]}"}
	}
	req.scopes = scopes
	switch at := q.Get("access_type"); at {
	case "", "online":
	case "offline":
		req.offline = true
	default:
		return nil, bad("Invalid access_type: %s", at)
	}
	for _, p := range strings.Fields(q.Get("prompt")) {
		switch p {
		case "none":
			req.promptNone = true
		case "consent":
			req.promptConsent = true
		case "select_account":
			req.promptSelect = true
		default:
			return nil, bad("Invalid prompt: %s", p)
		}
	}
	if req.promptNone && (req.promptConsent || req.promptSelect) {
		return nil, bad("prompt=none cannot be combined with other prompt values")
	}
	switch igs := q.Get("include_granted_scopes"); igs {
	case "", "false":
	case "true":
		req.includeGranted = true
	default:
		return nil, bad("Invalid include_granted_scopes: %s", igs)
	}
	req.challenge, req.method = q.Get("code_challenge"), q.Get("code_challenge_method")
	if req.challenge == "" && req.method != "" {
		return nil, bad("Missing required parameter: code_challenge")
	}
	if req.challenge != "" {
		if req.method == "" {
			req.method = "plain"
		}
		if req.method != "plain" && req.method != "S256" {
			return nil, bad("Invalid code_challenge_method: %s", req.method)
		}
		if !validPKCEValue(req.challenge) {
			return nil, bad("Invalid code_challenge")
		}
	}
	return req, nil
}

// approve issues a code for acct and redirects back to the client. A refresh
// token comes with the code when access_type=offline and the consent screen
// would have been shown: on first consent, for scopes not granted before, or
// with prompt=consent. Callers hold s.mu.
func (s *Sandbox) approve(w http.ResponseWriter, r *http.Request, req *authRequest, acct *Account) {
	key := grantKey{acct.Sub, req.clientID}
	prior := s.grants[key]
	consent := prior == nil || req.promptConsent || !coversScopes(prior.scopes, req.scopes)
	g := s.grant(key)
	scopes := req.scopes
	if req.includeGranted {
		scopes = unionScopes(g.scopes, req.scopes)
	}
	g.scopes = unionScopes(g.scopes, req.scopes)
	code, err := s.newToken(prefixCode)
	if err != nil {
		s.errorPage(w, http.StatusInternalServerError, "internal_failure", "Backend Error")
		return
	}
	now := s.now()
	s.prune(now)
	s.codes[code] = &authCode{
		clientID: req.clientID, redirectURI: req.redirectURI, sub: acct.Sub, scopes: scopes,
		challenge: req.challenge, method: req.method, nonce: req.nonce,
		refresh: req.offline && consent, expires: now.Add(codeTTL),
	}
	s.stats.Authorizations++
	s.log.Info("sandbox: authorization code issued", "email", acct.Email, "client_id", req.clientID,
		"consent", consent)
	params := url.Values{"code": {code}, "scope": {strings.Join(scopes, " ")}, "authuser": {"0"}}
	if acct.HostedDomain != "" {
		params.Set("hd", acct.HostedDomain)
	}
	if consent {
		params.Set("prompt", "consent")
	} else {
		params.Set("prompt", "none")
	}
	s.redirect(w, r, req, params)
}

// redirectError sends an OAuth error back to the client.
func (s *Sandbox) redirectError(w http.ResponseWriter, r *http.Request, req *authRequest, code string) {
	s.redirect(w, r, req, url.Values{"error": {code}})
}

// redirect adds params, state and iss (RFC 9207) to the redirect URI.
func (s *Sandbox) redirect(w http.ResponseWriter, r *http.Request, req *authRequest, params url.Values) {
	u, err := url.Parse(req.redirectURI)
	if err != nil {
		s.errorPage(w, http.StatusBadRequest, "invalid_request", "Invalid redirect_uri")
		return
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if req.state != "" {
		q.Set("state", req.state)
	}
	q.Set("iss", req.issuer)
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// serveConsent handles the account chooser's form: one button per account,
// or Cancel, which denies access.
func (s *Sandbox) serveConsent(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, "invalid_request", "Malformed form.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PostForm.Get("request")
	req := s.pending[id]
	if req == nil || !s.now().Before(req.expires) {
		s.errorPage(w, http.StatusBadRequest, "invalid_request",
			"This sign-in request has expired or was already used. Start again from the app.")
		return
	}
	delete(s.pending, id)
	if r.PostForm.Get("action") == "deny" {
		s.log.Info("sandbox: access denied by the user", "client_id", req.clientID)
		s.redirectError(w, r, req, "access_denied")
		return
	}
	acct := s.account(r.PostForm.Get("account"))
	if acct == nil {
		s.errorPage(w, http.StatusBadRequest, "invalid_request", "Unknown account.")
		return
	}
	s.approve(w, r, req, acct)
}

// validPKCEValue checks RFC 7636's code_verifier and code_challenge syntax:
// 43 to 128 unreserved characters.
func validPKCEValue(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for _, c := range v {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '-', c == '.', c == '_', c == '~':
		default:
			return false
		}
	}
	return true
}

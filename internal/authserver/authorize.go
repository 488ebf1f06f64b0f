package authserver

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/gwmcp/gwmcp/internal/upstream"
)

// authRequest is a validated authorization request, kept in the store while the
// person decides (the pending request) and while they log in upstream (the state).
type authRequest struct {
	ClientID      string   `json:"client_id"`
	RedirectURI   string   `json:"redirect_uri"`
	RedirectGiven bool     `json:"redirect_given,omitempty"`
	State         string   `json:"state,omitempty"`
	Challenge     string   `json:"challenge"`
	Resource      string   `json:"resource,omitempty"`
	Scopes        []string `json:"scopes"`
	SelectAccount bool     `json:"select_account,omitempty"`
	LoginHint     string   `json:"login_hint,omitempty"`
}

// pendingRecord is an authorization request waiting on the consent page.
type pendingRecord struct {
	Request     authRequest `json:"request"`
	CSRFHash    []byte      `json:"csrf_hash"`
	BrowserHash []byte      `json:"browser_hash"`
	// Email is set when consent is asked after login (the consent page was skipped but
	// the person who logged in had not approved this client).
	Email string `json:"email,omitempty"`
}

// stateRecord is an upstream login in progress (keyed by the hash of the state).
type stateRecord struct {
	Request      authRequest `json:"request"`
	BindHash     []byte      `json:"bind_hash"`
	BrowserHash  []byte      `json:"browser_hash"`
	Verifier     string      `json:"verifier"`
	Nonce        string      `json:"nonce"`
	ForceConsent bool        `json:"force_consent,omitempty"`
	// Remembered: the consent page was skipped because this browser approved the
	// client before; the callback checks the person who logged in did.
	Remembered bool      `json:"remembered,omitempty"`
	Created    time.Time `json:"created"`
}

// authResponse sends the outcome of an authorization request to the client's redirect
// URI, with state and iss (RFC 9207) on every answer.
type authResponse struct {
	s           *Server
	redirectURI string
	state       string
}

func (a authResponse) send(w http.ResponseWriter, r *http.Request, params url.Values) {
	u, err := url.Parse(a.redirectURI)
	if err != nil { // registered URIs are valid; this is a safety net
		errorPage(w, http.StatusBadRequest, "The redirect URI is invalid.")
		return
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if a.state != "" {
		q.Set("state", a.state)
	}
	q.Set("iss", a.s.cfg.Issuer)
	u.RawQuery = q.Encode()
	noStore(w)
	w.Header().Set("Referrer-Policy", "no-referrer")
	status := http.StatusFound
	if r.Method == http.MethodPost {
		status = http.StatusSeeOther
	}
	http.Redirect(w, r, u.String(), status)
}

func (a authResponse) fail(w http.ResponseWriter, r *http.Request, code, desc string) {
	a.send(w, r, url.Values{"error": {code}, "error_description": {safeDescription(desc)}})
}

// handleAuthorize serves GET /oauth/authorize. The client and redirect URI are checked
// first and any problem with them is shown on an error page; every later problem goes
// back to the client.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	if len(q["client_id"]) > 1 || len(q["redirect_uri"]) > 1 {
		errorPage(w, http.StatusBadRequest, "The request repeats client_id or redirect_uri.")
		return
	}
	client, err := s.lookupClient(ctx, q.Get("client_id"))
	if err != nil {
		if !errors.Is(err, errUnknownClient) {
			s.log.ErrorContext(ctx, "authserver: look up client", "error", err)
			errorPage(w, http.StatusInternalServerError, "The server could not look up the application; try again.")
			return
		}
		s.log.InfoContext(ctx, "authserver: authorization for an unknown client", "reason", err)
		errorPage(w, http.StatusBadRequest, "The application is not registered with this server (unknown or expired client_id).")
		return
	}
	req := authRequest{ClientID: client.ID, RedirectURI: q.Get("redirect_uri")}
	req.RedirectGiven = req.RedirectURI != ""
	switch {
	case !req.RedirectGiven && len(client.RedirectURIs) == 1:
		req.RedirectURI = client.RedirectURIs[0]
	case !req.RedirectGiven:
		errorPage(w, http.StatusBadRequest, "The request has no redirect_uri.")
		return
	case !matchRedirectURI(client.RedirectURIs, req.RedirectURI, s.issuerOrigin):
		s.log.InfoContext(ctx, "authserver: authorization with an unregistered redirect URI", "client_id", client.ID)
		errorPage(w, http.StatusBadRequest, "The redirect URI is not registered for this application.")
		return
	}
	resp := authResponse{s: s, redirectURI: req.RedirectURI}
	if st := q.Get("state"); len(st) <= maxStateLen {
		resp.state, req.State = st, st
	} else {
		resp.fail(w, r, "invalid_request", "state is too long.")
		return
	}
	for k, v := range q {
		if len(v) > 1 {
			resp.fail(w, r, "invalid_request", "The parameter "+truncate(k, 40)+" is repeated.")
			return
		}
	}
	switch rt := q.Get("response_type"); {
	case rt == "":
		resp.fail(w, r, "invalid_request", "response_type is required.")
		return
	case rt != "code":
		resp.fail(w, r, "unsupported_response_type", "Only response_type=code is supported.")
		return
	}
	if !client.allowsGrant(grantCode) {
		resp.fail(w, r, "unauthorized_client", "The client is not registered for the authorization_code grant.")
		return
	}
	if rm := q.Get("response_mode"); rm != "" && rm != "query" {
		resp.fail(w, r, "invalid_request", "Only response_mode=query is supported.")
		return
	}
	req.Challenge = q.Get("code_challenge")
	switch m := q.Get("code_challenge_method"); {
	case req.Challenge == "":
		resp.fail(w, r, "invalid_request", "PKCE is required: send code_challenge with code_challenge_method=S256.")
		return
	case m != "S256":
		resp.fail(w, r, "invalid_request", "code_challenge_method must be S256.")
		return
	case !validChallenge(req.Challenge):
		resp.fail(w, r, "invalid_request", "code_challenge must be a base64url SHA-256 (43 characters).")
		return
	}
	if q.Has("resource") {
		if !s.resourceMatches(q.Get("resource")) {
			resp.fail(w, r, "invalid_target", "This server issues tokens only for the resource "+s.cfg.Resource+".")
			return
		}
		req.Resource = s.cfg.Resource
	}
	forcePage := false
	for _, p := range strings.Fields(q.Get("prompt")) {
		switch p {
		case "none":
			resp.fail(w, r, "interaction_required", "This server always needs the person to log in.")
			return
		case "consent":
			forcePage = true
		case "login", "select_account":
			req.SelectAccount = true
		}
	}
	if hint := q.Get("login_hint"); len(hint) <= 256 && strings.Contains(hint, "@") {
		req.LoginHint = hint
	}
	raw := q.Get("scope")
	if onlyOffline(raw) {
		raw = client.Scope
	}
	if onlyOffline(raw) {
		req.Scopes = slices.Clone(s.defaultScopes)
	} else if req.Scopes, err = s.resolveScope(raw); err != nil {
		resp.fail(w, r, "invalid_scope", err.Error())
		return
	}
	if s.cfg.NarrowScopes != nil {
		req.Scopes = s.cfg.NarrowScopes(req.Scopes)
	}

	browser, err := s.browserID(w, r)
	if err != nil {
		errorPage(w, http.StatusInternalServerError, "The server could not start the authorization; try again.")
		return
	}
	if !forcePage {
		if email, ok := s.remembered(ctx, browser, client.ID, req.Scopes); ok {
			if req.LoginHint == "" {
				req.LoginHint = email
			}
			s.log.InfoContext(ctx, "authserver: consent remembered, going to the identity provider", "client_id", client.ID)
			s.startUpstream(w, r, req, browser, true, false)
			return
		}
	}
	s.showConsent(w, r, client, req, browser, "", "")
}

// onlyOffline reports a scope parameter with nothing but offline_access (or nothing).
func onlyOffline(raw string) bool {
	for _, v := range strings.Fields(raw) {
		if v != offlineAccess {
			return false
		}
	}
	return true
}

// resourceMatches accepts the canonical resource, with or without one trailing slash.
func (s *Server) resourceMatches(v string) bool {
	return v == s.cfg.Resource || v == s.cfg.Resource+"/"
}

// remembered reports whether this browser approved the client before and the person
// who did still consents to every requested scope; it returns their email.
func (s *Server) remembered(ctx context.Context, browserID, clientID string, want []string) (string, bool) {
	b := s.loadBrowser(ctx, browserID)
	sub, ok := b.Clients[clientID]
	if !ok {
		return "", false
	}
	c, ok := s.loadConsent(ctx, sub, clientID)
	if !ok {
		return "", false
	}
	for _, sc := range want {
		if !s.scopes.Satisfies(c.Scopes, sc) {
			return "", false
		}
	}
	return c.Email, true
}

// showConsent stores a pending request and renders the consent page for it.
func (s *Server) showConsent(w http.ResponseWriter, r *http.Request, client *clientRecord, req authRequest, browser, email, msg string) {
	ctx := r.Context()
	id, err1 := s.random(32)
	csrf, err2 := s.random(32)
	if err := errors.Join(err1, err2); err != nil {
		errorPage(w, http.StatusInternalServerError, "The server could not start the authorization; try again.")
		return
	}
	rec := pendingRecord{Request: req, CSRFHash: secretHash(csrf), BrowserHash: secretHash(browser), Email: email}
	if err := s.putJSON(ctx, prefixPending+hashKey(id), &rec, s.cfg.StateTTL); err != nil {
		s.log.ErrorContext(ctx, "authserver: store pending request", "error", err)
		errorPage(w, http.StatusInternalServerError, "The server could not start the authorization; try again.")
		return
	}
	view := consentView{
		ClientName: client.displayName(), RedirectHost: redirectHost(req.RedirectURI), Email: email,
		Message: msg, Action: "/oauth/authorize", RequestID: id, CSRF: csrf, Services: s.serviceViews(req.Scopes),
	}
	if client.MetadataDoc {
		view.ClientIDURL = client.ID
	}
	pageHeaders(w)
	w.WriteHeader(http.StatusOK)
	if err := consentTemplate.Execute(w, view); err != nil {
		s.log.ErrorContext(ctx, "authserver: render consent page", "error", err)
	}
}

// redirectHost is what the consent page shows of where the browser will go.
func redirectHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	switch {
	case u.Scheme == "http" || u.Scheme == "https":
		return u.Scheme + "://" + u.Host
	case u.Host != "":
		return u.Scheme + "://" + u.Host
	default:
		return u.Scheme + ":"
	}
}

// serviceViews groups scopes by service for the consent page, in registry order.
func (s *Server) serviceViews(urls []string) []serviceView {
	var out []serviceView
	for _, svc := range s.scopes.Services() {
		v := serviceView{ID: svc.ID, Name: svc.Name, Description: svc.Description, Always: svc.Always}
		for _, u := range urls {
			if s.scopes.Service(u) == svc.ID {
				desc := s.scopes.Describe(u)
				if desc == "" {
					desc = u
				}
				v.Scopes = append(v.Scopes, desc)
			}
		}
		if len(v.Scopes) > 0 {
			out = append(out, v)
		}
	}
	return out
}

// chooseScopes keeps the requested scopes of the services the person left ticked (the
// sign-in scopes always). It returns false when services were offered and none kept.
func (s *Server) chooseScopes(requested, chosen []string) ([]string, bool) {
	always := map[string]bool{}
	for _, svc := range s.scopes.Services() {
		always[svc.ID] = svc.Always
	}
	var out []string
	offered, kept := false, false
	for _, u := range requested {
		svc := s.scopes.Service(u)
		switch {
		case always[svc]:
			out = append(out, u)
		case slices.Contains(chosen, svc):
			out, offered, kept = append(out, u), true, true
		default:
			offered = true
		}
	}
	return out, !offered || kept
}

// handleConsent serves the consent form's POST.
func (s *Server) handleConsent(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if oerr := parseForm(w, r, "service"); oerr != nil {
		errorPage(w, oerr.status, "The form could not be read.")
		return
	}
	if o := r.Header.Get("Origin"); (o != "" && o != s.issuerOrigin) || r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		errorPage(w, http.StatusForbidden, "The form was sent from another site.")
		return
	}
	id, csrf := r.PostForm.Get("request"), r.PostForm.Get("csrf")
	browser := s.cookie(r, cookieBrowser)
	if id == "" || csrf == "" || browser == "" {
		errorPage(w, http.StatusForbidden, "The form could not be verified. Start again from the application.")
		return
	}
	key := prefixPending + hashKey(id)
	var p pendingRecord
	if err := s.getJSON(ctx, key, &p); err != nil {
		if !isNotFound(err) {
			s.log.ErrorContext(ctx, "authserver: read pending request", "error", err)
		}
		errorPage(w, http.StatusBadRequest, "This authorization request has expired or was already answered. Start again from the application.")
		return
	}
	if !hashEqual(csrf, p.CSRFHash) || !hashEqual(browser, p.BrowserHash) {
		s.log.WarnContext(ctx, "authserver: consent form failed its CSRF check", "client_id", p.Request.ClientID)
		errorPage(w, http.StatusForbidden, "The form could not be verified. Start again from the application.")
		return
	}
	if _, err := s.st.Take(ctx, key); err != nil {
		errorPage(w, http.StatusBadRequest, "This authorization request was already answered.")
		return
	}
	client, err := s.lookupClient(ctx, p.Request.ClientID)
	if err != nil {
		errorPage(w, http.StatusBadRequest, "The application is no longer registered.")
		return
	}
	resp := authResponse{s: s, redirectURI: p.Request.RedirectURI, state: p.Request.State}
	switch r.PostForm.Get("action") {
	case "deny":
		s.log.InfoContext(ctx, "authserver: consent denied", "client_id", client.ID)
		resp.fail(w, r, "access_denied", "The person denied the request.")
	case "approve":
		chosen, ok := s.chooseScopes(p.Request.Scopes, r.PostForm["service"])
		if !ok {
			s.showConsent(w, r, client, p.Request, browser, p.Email, "Choose at least one service, or Deny.")
			return
		}
		req := p.Request
		req.Scopes = chosen
		if p.Email != "" && req.LoginHint == "" {
			req.LoginHint = p.Email
		}
		s.startUpstream(w, r, req, browser, false, false)
	default:
		errorPage(w, http.StatusBadRequest, "Unknown decision.")
	}
}

// startUpstream records the login state and sends the browser to the identity provider.
// The state is bound to this browser by a cookie whose hash the state record keeps.
// forceConsent asks the provider to show its consent screen (and so issue a refresh
// token) even when this browser has logged in before.
func (s *Server) startUpstream(w http.ResponseWriter, r *http.Request, req authRequest, browser string, remembered, forceConsent bool) {
	ctx := r.Context()
	resp := authResponse{s: s, redirectURI: req.RedirectURI, state: req.State}
	state, e1 := s.random(32)
	bind, e2 := s.random(32)
	verifier, e3 := s.random(32)
	nonce, e4 := s.random(16)
	if err := errors.Join(e1, e2, e3, e4); err != nil {
		resp.fail(w, r, "server_error", "The server could not start the login.")
		return
	}
	b := s.loadBrowser(ctx, browser)
	rec := stateRecord{
		Request: req, BindHash: secretHash(bind), BrowserHash: secretHash(browser), Verifier: verifier, Nonce: nonce,
		ForceConsent: forceConsent || len(b.Subjects) == 0, Remembered: remembered, Created: s.cfg.Now().UTC(),
	}
	authURL, err := s.cfg.Upstream.AuthCodeURL(ctx, upstream.AuthRequest{
		State: state, Nonce: nonce, CodeChallenge: oauth2.S256ChallengeFromVerifier(verifier), Scopes: req.Scopes,
		LoginHint: req.LoginHint, Offline: true, ForceConsent: rec.ForceConsent, SelectAccount: req.SelectAccount,
		IncludeGrantedScopes: true, RedirectURL: s.cfg.CallbackURL,
	})
	if err != nil {
		s.log.ErrorContext(ctx, "authserver: build the identity provider's authorization URL", "error", err)
		if errors.Is(err, upstream.ErrUnavailable) {
			resp.fail(w, r, "temporarily_unavailable", "The identity provider is unavailable; try again later.")
		} else {
			resp.fail(w, r, "server_error", "The login could not be started.")
		}
		return
	}
	if err := s.putJSON(ctx, prefixState+hashKey(state), &rec, s.cfg.StateTTL); err != nil {
		s.log.ErrorContext(ctx, "authserver: store login state", "error", err)
		resp.fail(w, r, "server_error", "The login could not be started.")
		return
	}
	s.setCookie(w, bindCookieName(state), bind, s.cfg.StateTTL)
	noStore(w)
	w.Header().Set("Referrer-Policy", "no-referrer")
	status := http.StatusFound
	if r.Method == http.MethodPost {
		status = http.StatusSeeOther
	}
	http.Redirect(w, r, authURL, status)
}

// validChallenge accepts an S256 code challenge: 43 base64url characters.
func validChallenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	for _, ch := range c {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_') {
			return false
		}
	}
	return true
}

package authserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/sandbox"
	"github.com/gwmcp/gwmcp/internal/scopes"
	"github.com/gwmcp/gwmcp/internal/secret"
	"github.com/gwmcp/gwmcp/internal/store"
	"github.com/gwmcp/gwmcp/internal/store/memory"
	"github.com/gwmcp/gwmcp/internal/store/storetest"
	"github.com/gwmcp/gwmcp/internal/upstream"
)

const (
	alice          = "alice@sandbox.example"
	aliceSub       = "109876543210000000001"
	bob            = "bob@sandbox.example"
	upstreamID     = "gwmcp-test.apps.googleusercontent.com"
	upstreamSecret = "GOCSPX-upstream-test-secret"
	clientRedirect = "http://127.0.0.1:54321/callback"
	scopeDrive     = "https://www.googleapis.com/auth/drive"
	scopeDriveRO   = "https://www.googleapis.com/auth/drive.readonly"
	scopeGmailRO   = "https://www.googleapis.com/auth/gmail.readonly"
	scopeGmailSend = "https://www.googleapis.com/auth/gmail.send"
)

// sandboxKey is shared by every sandbox of the test binary (RSA generation is slow).
var sandboxKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// clock is a settable time source, starting at the wall clock (the SDK's bearer
// middleware checks expiry against the real time).
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fakeAccounts records logins and answers refreshes as told.
type fakeAccounts struct {
	mu         sync.Mutex
	logins     []Login
	refreshErr error
	refreshes  int
}

func (a *fakeAccounts) SaveLogin(_ context.Context, l Login) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.logins = append(a.logins, l)
	return nil
}

func (a *fakeAccounts) RefreshUpstream(context.Context, string, string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.refreshes++
	return a.refreshErr
}

func (a *fakeAccounts) setRefreshErr(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.refreshErr = err
}

func (a *fakeAccounts) lastLogin() Login {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.logins[len(a.logins)-1]
}

// env is a running authorization server in front of a sandbox Google.
type env struct {
	t        testing.TB
	clk      *clock
	sb       *sandbox.Sandbox
	sbSrv    *httptest.Server
	srv      *Server
	ts       *httptest.Server
	base     string // where this instance listens
	issuer   string // its BASE_URL (a replica shares the first instance's)
	mux      *http.ServeMux
	accounts *fakeAccounts
	logs     *syncBuffer
	st       store.Store
	up       Upstream
	// setHandler replaces what the test server serves (a restarted instance).
	setHandler func(http.Handler)
}

type envOptions struct {
	store  store.Store
	config func(*Config)
	// mount adds handlers (such as /mcp) to the mux after Routes.
	mount func(e *env, mux *http.ServeMux)
	// shareWith serves a second instance on the first one's store and sandbox.
	shareWith *env
}

func newEnv(t testing.TB, opts envOptions) *env {
	t.Helper()
	e := &env{t: t, accounts: &fakeAccounts{}, logs: &syncBuffer{}}
	if src := opts.shareWith; src != nil {
		e.clk, e.sb, e.sbSrv = src.clk, src.sb, src.sbSrv
	} else {
		e.clk = newClock()
		sb, err := sandbox.New(sandbox.Options{AutoApprove: alice, Now: e.clk.Now, SigningKey: sandboxKey()})
		if err != nil {
			t.Fatal(err)
		}
		e.sb = sb
		e.sbSrv = httptest.NewServer(sb.Handler())
		t.Cleanup(e.sbSrv.Close)
		sb.SetIssuer(e.sbSrv.URL)
	}
	var h http.Handler = http.NotFoundHandler()
	var hmu sync.RWMutex
	e.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hmu.RLock()
		defer hmu.RUnlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(e.ts.Close)
	e.base = e.ts.URL
	e.setHandler = func(next http.Handler) {
		hmu.Lock()
		defer hmu.Unlock()
		h = next
	}
	if err := e.sb.AddClient(sandbox.Client{
		ID: upstreamID, Secret: secret.New(upstreamSecret), RedirectURIs: []string{e.base + "/oauth2callback"},
	}); err != nil && opts.shareWith == nil {
		t.Fatal(err)
	}
	if opts.shareWith != nil {
		// Both instances share one upstream client: allow both callbacks.
		_ = e.sb.AddClient(sandbox.Client{
			ID: upstreamID, Secret: secret.New(upstreamSecret),
			RedirectURIs: []string{opts.shareWith.base + "/oauth2callback", e.base + "/oauth2callback"},
		})
	}
	up, err := upstream.New(upstream.Config{
		Issuer: e.sbSrv.URL, ClientID: upstreamID, ClientSecret: secret.New(upstreamSecret),
		RedirectURL: e.base + "/oauth2callback", HTTPClient: e.sbSrv.Client(), Now: e.clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.up = up
	e.st = opts.store
	if e.st == nil {
		mem := memory.New(memory.Options{Now: e.clk.Now})
		e.st = store.Sealed(mem, storetest.NewSealer())
		t.Cleanup(func() { _ = e.st.Close() })
	}
	cfg := Config{
		Issuer: e.base, Store: e.st, Upstream: up, Accounts: e.accounts, Scopes: scopes.New(scopes.Options{}),
		DefaultServices: []string{"drive"}, Now: e.clk.Now,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if opts.shareWith != nil {
		cfg.Issuer = opts.shareWith.issuer
	}
	if opts.config != nil {
		opts.config(&cfg)
	}
	e.issuer = cfg.Issuer
	srv, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	e.mux = http.NewServeMux()
	srv.Routes(e.mux)
	if opts.mount != nil {
		opts.mount(e, e.mux)
	}
	e.setHandler(e.mux)
	return e
}

// --- HTTP helpers ---------------------------------------------------------------

func (e *env) do(req *http.Request) (*http.Response, []byte) {
	e.t.Helper()
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func (e *env) postJSON(path string, v any, header http.Header) (*http.Response, []byte) {
	e.t.Helper()
	b, _ := json.Marshal(v)
	req, _ := http.NewRequest(http.MethodPost, e.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	for k, vs := range header {
		req.Header[k] = vs
	}
	return e.do(req)
}

func (e *env) postForm(path string, form url.Values, header http.Header) (*http.Response, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, vs := range header {
		req.Header[k] = vs
	}
	return e.do(req)
}

func decode(t testing.TB, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, body)
	}
	return m
}

func wantOAuthError(t testing.TB, resp *http.Response, body []byte, status int, code string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, status, body)
	}
	if code == "" {
		return
	}
	if got := decode(t, body)["error"]; got != code {
		t.Fatalf("error = %v, want %s; body %s", got, code, body)
	}
}

// registered is a client registered over HTTP.
type registered struct {
	ID, Secret, RegToken, RegURI string
	Redirects                    []string
}

func (e *env) register(md map[string]any) registered {
	e.t.Helper()
	if md == nil {
		md = map[string]any{}
	}
	if _, ok := md["redirect_uris"]; !ok {
		md["redirect_uris"] = []string{clientRedirect}
	}
	if _, ok := md["client_name"]; !ok {
		md["client_name"] = "Test client"
	}
	resp, body := e.postJSON("/oauth/register", md, nil)
	if resp.StatusCode != http.StatusCreated {
		e.t.Fatalf("register: %d %s", resp.StatusCode, body)
	}
	m := decode(e.t, body)
	r := registered{ID: m["client_id"].(string), RegToken: m["registration_access_token"].(string),
		RegURI: m["registration_client_uri"].(string)}
	if s, ok := m["client_secret"].(string); ok {
		r.Secret = s
	}
	for _, u := range m["redirect_uris"].([]any) {
		r.Redirects = append(r.Redirects, u.(string))
	}
	return r
}

// pkce returns a fresh verifier and its S256 challenge.
func pkce() (verifier, challenge string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authURL builds an authorization request; extra overrides or (with "") removes params.
func (e *env) authURL(clientID, redirect, challenge string, extra map[string]string) string {
	q := url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirect},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "state": {"client-state-123"},
		"resource": {e.issuer + "/mcp"},
	}
	for k, v := range extra {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	return e.base + "/oauth/authorize?" + q.Encode()
}

// --- the browser ----------------------------------------------------------------

// browser plays a person's browser: a cookie jar, no automatic redirects; it follows
// redirects between gwmcp and the sandbox itself and stops at the client's redirect.
type browser struct {
	t testing.TB
	e *env
	c *http.Client
	// decide answers a consent page: the action and the services to keep (nil keeps
	// all that are ticked).
	decide func(page string) (action string, services []string)
	pages  []string
}

func (e *env) newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, e: e, c: &http.Client{
		Jar: jar, Transport: e.ts.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

var (
	reRequest = regexp.MustCompile(`name="request" value="([^"]+)"`)
	reCSRF    = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	reService = regexp.MustCompile(`name="service" value="([^"]+)" checked>`)
)

type consentForm struct {
	Request, CSRF string
	Services      []string
}

func parseConsent(page string) (consentForm, bool) {
	r, c := reRequest.FindStringSubmatch(page), reCSRF.FindStringSubmatch(page)
	if r == nil || c == nil {
		return consentForm{}, false
	}
	f := consentForm{Request: r[1], CSRF: c[1]}
	for _, m := range reService.FindAllStringSubmatch(page, -1) {
		f.Services = append(f.Services, m[1])
	}
	return f, true
}

func (b *browser) get(u string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) postForm(u string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.e.issuer)
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) submit(f consentForm, action string, services []string) (*http.Response, string) {
	form := url.Values{"request": {f.Request}, "csrf": {f.CSRF}, "action": {action}}
	if services == nil {
		services = f.Services
	}
	for _, s := range services {
		form.Add("service", s)
	}
	return b.postForm(b.e.base+"/oauth/authorize", form)
}

// ours reports whether u is served by gwmcp or the sandbox (the browser follows it).
func (b *browser) ours(u *url.URL) bool {
	origin := u.Scheme + "://" + u.Host
	return origin == b.e.base || origin == b.e.issuer || origin == b.e.sbSrv.URL || (u.Scheme == "" && u.Host == "")
}

// run starts at startURL and follows the flow, answering consent pages with decide
// (approve everything by default), until the browser is sent to a URL that is neither
// gwmcp nor the sandbox. It returns that URL, or fails on an error page.
func (b *browser) run(startURL string) *url.URL {
	b.t.Helper()
	resp, body := b.get(startURL)
	for range 12 {
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			loc, err := resp.Location()
			if err != nil {
				b.t.Fatalf("redirect without Location: %v", err)
			}
			if !b.ours(loc) {
				return loc
			}
			resp, body = b.get(loc.String())
		case resp.StatusCode == http.StatusOK && strings.Contains(body, `name="csrf"`):
			b.pages = append(b.pages, body)
			f, _ := parseConsent(body)
			action, services := "approve", []string(nil)
			if b.decide != nil {
				action, services = b.decide(body)
			}
			resp, body = b.submit(f, action, services)
		default:
			b.t.Fatalf("flow stopped at %d: %s", resp.StatusCode, body)
		}
	}
	b.t.Fatal("too many steps")
	return nil
}

// codeFrom checks an authorization response and returns the code.
func (e *env) codeFrom(t testing.TB, loc *url.URL) string {
	t.Helper()
	q := loc.Query()
	if q.Get("error") != "" {
		t.Fatalf("authorization failed: %s", loc)
	}
	if q.Get("iss") != e.issuer {
		t.Fatalf("iss = %q, want %q", q.Get("iss"), e.issuer)
	}
	if q.Get("state") != "client-state-123" {
		t.Fatalf("state = %q", q.Get("state"))
	}
	return q.Get("code")
}

type tokens struct {
	Access, Refresh, Scope string
	ExpiresIn              float64
	raw                    []byte
}

func (e *env) exchange(c registered, code, verifier string, extra map[string]string) (*http.Response, []byte) {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
		"redirect_uri": {clientRedirect}, "client_id": {c.ID}, "resource": {e.issuer + "/mcp"}}
	for k, v := range extra {
		if v == "" {
			form.Del(k)
		} else {
			form.Set(k, v)
		}
	}
	return e.postForm("/oauth/token", form, nil)
}

func parseTokens(t testing.TB, resp *http.Response, body []byte) tokens {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token endpoint: %d %s", resp.StatusCode, body)
	}
	if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Pragma") != "no-cache" {
		t.Fatalf("token response cache headers: %v", resp.Header)
	}
	m := decode(t, body)
	tk := tokens{raw: body}
	tk.Access, _ = m["access_token"].(string)
	tk.Refresh, _ = m["refresh_token"].(string)
	tk.Scope, _ = m["scope"].(string)
	tk.ExpiresIn, _ = m["expires_in"].(float64)
	if m["token_type"] != "Bearer" || tk.Access == "" {
		t.Fatalf("token response: %s", body)
	}
	return tk
}

// login runs the whole flow for a public client in a fresh browser.
func (e *env) login(c registered) tokens {
	e.t.Helper()
	return e.loginWith(e.newBrowser(), c)
}

func (e *env) loginWith(b *browser, c registered) tokens {
	e.t.Helper()
	v, ch := pkce()
	code := e.codeFrom(e.t, b.run(e.authURL(c.ID, clientRedirect, ch, nil)))
	resp, body := e.exchange(c, code, v, nil)
	return parseTokens(e.t, resp, body)
}

func (e *env) refresh(c registered, rt string, extra map[string]string) (*http.Response, []byte) {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {c.ID}}
	for k, v := range extra {
		form.Set(k, v)
	}
	return e.postForm("/oauth/token", form, nil)
}

// callMCP sends a request to /mcp (mounted by protectedMux) with header as Authorization.
func (e *env) callMCP(authz string, body string) (*http.Response, []byte) {
	req, _ := http.NewRequest(http.MethodPost, e.base+"/mcp", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	return e.do(req)
}

// echoPrincipal is a /mcp stand-in that reports the principal it sees.
func echoPrincipal(e *env, mux *http.ServeMux) {
	mux.Handle("/mcp", e.srv.RequireBearer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := PrincipalFrom(r.Context())
		if !ok {
			http.Error(w, "no principal", http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"sub": p.Subject, "email": p.Email, "client": p.ClientID, "scopes": p.Scopes})
	})))
}

func (a *fakeAccounts) refreshCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.refreshes
}

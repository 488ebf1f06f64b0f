package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gwmcp/gwmcp/internal/secret"
	"golang.org/x/oauth2"
)

const (
	webClientID     = "web-client.apps.googleusercontent.com"
	webSecret       = "GOCSPX-web-secret"
	webRedirect     = "https://gwmcp.test/oauth2callback"
	otherClientID   = "other-client.apps.googleusercontent.com"
	otherSecret     = "GOCSPX-other-secret"
	otherRedirect   = "https://other.test/cb"
	desktopClientID = "desktop-client.apps.googleusercontent.com"
	scopeDriveRO    = "https://www.googleapis.com/auth/drive.readonly"
	scopeGmailRO    = "https://www.googleapis.com/auth/gmail.readonly"
	alice           = "alice@sandbox.example"
	bob             = "bob@sandbox.example"
)

// fakeClock is a settable time source shared by the sandbox and verifiers.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// harness is a sandbox served over httptest with three registered clients
// and a browser that does not follow redirects.
type harness struct {
	t       *testing.T
	sb      *Sandbox
	srv     *httptest.Server
	clock   *fakeClock
	browser *http.Client
	logs    *syncBuffer
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

func newHarness(t *testing.T, configure ...func(*Options)) *harness {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	logs := &syncBuffer{}
	opts := Options{
		Now:    clock.Now,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Clients: []Client{
			{ID: webClientID, Secret: secret.New(webSecret), RedirectURIs: []string{webRedirect}},
			{ID: otherClientID, Secret: secret.New(otherSecret), RedirectURIs: []string{otherRedirect}},
			{ID: desktopClientID, Secret: secret.New("GOCSPX-desktop"), Desktop: true},
		},
	}
	for _, f := range configure {
		f(&opts)
	}
	sb, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	sb.SetIssuer(srv.URL)
	browser := srv.Client()
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &harness{t: t, sb: sb, srv: srv, clock: clock, browser: browser, logs: logs}
}

// ctx carries the test server's HTTP client for oauth2 and go-oidc.
func (h *harness) ctx() context.Context {
	ctx := context.WithValue(h.t.Context(), oauth2.HTTPClient, h.srv.Client())
	return oidc.ClientContext(ctx, h.srv.Client())
}

func (h *harness) provider() *oidc.Provider {
	h.t.Helper()
	p, err := oidc.NewProvider(h.ctx(), h.srv.URL)
	if err != nil {
		h.t.Fatalf("oidc.NewProvider: %v", err)
	}
	return p
}

func (h *harness) verifier(clientID string) *oidc.IDTokenVerifier {
	return h.provider().Verifier(&oidc.Config{ClientID: clientID, Now: h.clock.Now})
}

// authURL builds an authorization URL for the web client with params on top
// of client_id, redirect_uri, response_type=code and scope.
func (h *harness) authURL(params url.Values) string {
	q := url.Values{
		"client_id":     {webClientID},
		"redirect_uri":  {webRedirect},
		"response_type": {"code"},
		"scope":         {"openid email profile"},
	}
	for k, v := range params {
		if len(v) == 1 && v[0] == "" {
			q.Del(k)
			continue
		}
		q[k] = v
	}
	return h.srv.URL + string(EndpointAuthorize) + "?" + q.Encode()
}

func (h *harness) get(u string) *http.Response {
	h.t.Helper()
	resp, err := h.browser.Get(u)
	if err != nil {
		h.t.Fatalf("GET %s: %v", u, err)
	}
	h.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// redirectParams asserts a 302 to the redirect URI and returns its query.
func (h *harness) redirectParams(resp *http.Response, redirectURI string) url.Values {
	h.t.Helper()
	if resp.StatusCode != http.StatusFound {
		body, _ := io.ReadAll(resp.Body)
		h.t.Fatalf("status %d, want 302; body: %s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		h.t.Fatalf("bad Location: %v", err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != redirectURI {
		h.t.Fatalf("redirected to %s, want %s", got, redirectURI)
	}
	return loc.Query()
}

// code runs an authorization for the web client signed in as login_hint
// (alice unless params say otherwise) and returns the code.
func (h *harness) code(params url.Values) string {
	h.t.Helper()
	if params == nil {
		params = url.Values{}
	}
	if params.Get("login_hint") == "" {
		params.Set("login_hint", alice)
	}
	q := h.redirectParams(h.get(h.authURL(params)), webRedirect)
	if q.Get("code") == "" {
		h.t.Fatalf("no code in redirect: %v", q)
	}
	return q.Get("code")
}

// tokenCall posts form to the token endpoint, with HTTP Basic credentials
// when basic is non-nil, and decodes the JSON answer.
func (h *harness) tokenCall(form url.Values, basic *[2]string) (int, map[string]any, http.Header) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+string(EndpointToken), strings.NewReader(form.Encode()))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic != nil {
		req.SetBasicAuth(url.QueryEscape(basic[0]), url.QueryEscape(basic[1]))
	}
	return h.do(req)
}

func (h *harness) do(req *http.Request) (int, map[string]any, http.Header) {
	h.t.Helper()
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		h.t.Fatalf("%s %s: decode JSON: %v", req.Method, req.URL, err)
	}
	return resp.StatusCode, body, resp.Header
}

func (h *harness) postForm(path string, form url.Values) (int, map[string]any) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, body, _ := h.do(req)
	return status, body
}

func (h *harness) bearerGet(path, token string) (int, map[string]any, http.Header) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.srv.URL+path, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return h.do(req)
}

// exchange posts an authorization_code grant for the web client.
func (h *harness) exchange(code string, extra url.Values) (int, map[string]any) {
	h.t.Helper()
	form := url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {webRedirect},
		"client_id": {webClientID}, "client_secret": {webSecret},
	}
	for k, v := range extra {
		form[k] = v
	}
	status, body, _ := h.tokenCall(form, nil)
	return status, body
}

// refreshCall posts a refresh_token grant for the web client.
func (h *harness) refreshCall(refreshToken string) (int, map[string]any) {
	h.t.Helper()
	status, body, _ := h.tokenCall(url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {refreshToken},
		"client_id": {webClientID}, "client_secret": {webSecret},
	}, nil)
	return status, body
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// wantOAuthError checks Google's {"error","error_description"} answer.
func wantOAuthError(t *testing.T, status int, body map[string]any, wantStatus int, wantCode, wantDesc string) {
	t.Helper()
	if status != wantStatus || str(body, "error") != wantCode {
		t.Fatalf("got %d %v, want %d error=%s", status, body, wantStatus, wantCode)
	}
	if wantDesc != "" && str(body, "error_description") != wantDesc {
		t.Fatalf("error_description = %q, want %q", str(body, "error_description"), wantDesc)
	}
}

package upstream

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gwmcp/gwmcp/internal/sandbox"
	"github.com/gwmcp/gwmcp/internal/secret"
)

const (
	webClientID     = "web-client.apps.googleusercontent.com"
	webSecret       = "GOCSPX-web-secret-value"
	webRedirect     = "https://gwmcp.test/oauth2callback"
	desktopClientID = "desktop-client.apps.googleusercontent.com"
	desktopSecret   = "GOCSPX-desktop-secret-value"
	scopeDriveRO    = "https://www.googleapis.com/auth/drive.readonly"
	scopeEmailURL   = "https://www.googleapis.com/auth/userinfo.email"
	scopeProfileURL = "https://www.googleapis.com/auth/userinfo.profile"
	alice           = "alice@sandbox.example"
	aliceSub        = "109876543210000000001"
	serverAudience  = "https://gwmcp.test/mcp"
)

// testKey is shared by every sandbox of the test binary (RSA generation is slow).
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// fakeClock is a settable time source.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }

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

// leakCheck collects every secret value a test handled and every error it
// saw, and fails the test if any error's text holds any secret.
type leakCheck struct {
	mu      sync.Mutex
	secrets []string
	errs    []error
}

func (l *leakCheck) secret(vals ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, v := range vals {
		if v != "" {
			l.secrets = append(l.secrets, v)
		}
	}
}

func (l *leakCheck) err(err error) error {
	if err != nil {
		l.mu.Lock()
		l.errs = append(l.errs, err)
		l.mu.Unlock()
	}
	return err
}

func (l *leakCheck) verify(t testing.TB) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, err := range l.errs {
		texts := []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)}
		for _, s := range l.secrets {
			for _, text := range texts {
				if strings.Contains(text, s) {
					t.Errorf("error text leaks a secret (%.6s...): %s", s, text)
				}
			}
		}
	}
}

// harness is a sandbox served by httptest, with a Provider pointed at it.
// The sandbox and the provider have separate clocks so tests can move the
// provider's view of time alone.
type harness struct {
	t       testing.TB
	sb      *sandbox.Sandbox
	srv     *httptest.Server
	sbClock *fakeClock
	clock   *fakeClock
	browser *http.Client
	leaks   *leakCheck

	mu      sync.Mutex
	hits    map[string]int
	rewrite func(map[string]any) // applied to successful token endpoint answers
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	h := &harness{t: t, sbClock: newClock(), clock: newClock(), leaks: &leakCheck{}, hits: map[string]int{}}
	sb, err := sandbox.New(sandbox.Options{
		Now:        h.sbClock.Now,
		SigningKey: testKey(),
		Clients: []sandbox.Client{
			{ID: webClientID, Secret: secret.New(webSecret), RedirectURIs: []string{webRedirect}},
			{ID: desktopClientID, Secret: secret.New(desktopSecret), Desktop: true},
		},
		AutoApprove: alice,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.sb = sb
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	sb.SetIssuer(h.srv.URL)
	h.browser = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	h.leaks.secret(webSecret, desktopSecret)
	t.Cleanup(func() { h.leaks.verify(t) })
	return h
}

// serve counts requests per path and applies the token rewrite, if any.
func (h *harness) serve(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.hits[r.URL.Path]++
	rewrite := h.rewrite
	h.mu.Unlock()
	if rewrite == nil || r.URL.Path != string(sandbox.EndpointToken) {
		h.sb.Handler().ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	h.sb.Handler().ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	if rec.Code == http.StatusOK {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err == nil {
			rewrite(m)
			body, _ = json.Marshal(m)
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(body)
}

func (h *harness) hitCount(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hits[path]
}

func (h *harness) setRewrite(f func(map[string]any)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rewrite = f
}

// config is the web client's Config against the sandbox.
func (h *harness) config() Config {
	return Config{
		Issuer:       h.srv.URL,
		ClientID:     webClientID,
		ClientSecret: secret.New(webSecret),
		RedirectURL:  webRedirect,
		HTTPClient:   h.srv.Client(),
		Now:          h.clock.Now,
	}
}

func (h *harness) provider(edit ...func(*Config)) *Provider {
	h.t.Helper()
	cfg := h.config()
	for _, f := range edit {
		f(&cfg)
	}
	p, err := New(cfg)
	if err != nil {
		h.t.Fatalf("New: %v", err)
	}
	return p
}

// pkce returns a fresh verifier and its S256 challenge.
func (h *harness) pkce() (verifier, challenge string) {
	v := oauth2.GenerateVerifier()
	h.leaks.secret(v)
	return v, oauth2.S256ChallengeFromVerifier(v)
}

// authorize follows an authorization URL in the auto-approving sandbox and
// returns the redirect's query (code, state, iss, scope...).
func (h *harness) authorize(authURL, wantRedirect string) url.Values {
	h.t.Helper()
	resp, err := h.browser.Get(authURL)
	if err != nil {
		h.t.Fatalf("GET authorization URL: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		body, _ := io.ReadAll(resp.Body)
		h.t.Fatalf("authorization answered %d, want 302: %s", resp.StatusCode, bytes.TrimSpace(body))
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		h.t.Fatalf("bad Location: %v", err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != wantRedirect {
		h.t.Fatalf("redirected to %s, want %s", got, wantRedirect)
	}
	q := loc.Query()
	h.leaks.secret(q.Get("code"))
	return q
}

// login runs the whole browser part for p and returns code, verifier and nonce.
func (h *harness) login(p *Provider, r AuthRequest) (code, verifier string) {
	h.t.Helper()
	verifier, r.CodeChallenge = h.pkce()
	if r.State == "" {
		r.State = "state-123"
	}
	u, err := p.AuthCodeURL(h.t.Context(), r)
	if err != nil {
		h.t.Fatalf("AuthCodeURL: %v", err)
	}
	redirect := r.RedirectURL
	if redirect == "" {
		redirect = webRedirect
	}
	q := h.authorize(u, redirect)
	if q.Get("state") != r.State {
		h.t.Fatalf("state = %q, want %q", q.Get("state"), r.State)
	}
	if q.Get("code") == "" {
		h.t.Fatalf("no code in redirect: %v", q)
	}
	return q.Get("code"), verifier
}

// remember registers the secrets of tks with the leak check.
func (h *harness) remember(tks Tokens) {
	h.leaks.secret(tks.AccessToken.Reveal(), tks.RefreshToken.Reveal(), tks.IDToken.Reveal())
}

// issue gives alice tokens for the web client without the browser.
func (h *harness) issue(scopes ...string) sandbox.TokenSet {
	h.t.Helper()
	ts, err := h.sb.IssueTokens(alice, webClientID, append([]string{"openid", "email", "profile"}, scopes...))
	if err != nil {
		h.t.Fatal(err)
	}
	h.leaks.secret(ts.AccessToken.Reveal(), ts.RefreshToken.Reveal(), ts.IDToken.Reveal())
	return ts
}

// mint returns an ID token for alice and audience, signed by the sandbox.
func (h *harness) mint(audience string, ttl time.Duration) string {
	h.t.Helper()
	raw, err := h.sb.MintIDToken(alice, audience, ttl)
	if err != nil {
		h.t.Fatal(err)
	}
	h.leaks.secret(raw)
	return raw
}

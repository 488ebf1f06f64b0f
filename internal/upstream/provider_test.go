package upstream

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gwmcp/gwmcp/internal/sandbox"
	"github.com/gwmcp/gwmcp/internal/secret"
)

// noNetwork fails the test on any request.
type noNetwork struct{ t *testing.T }

func (n noNetwork) RoundTrip(r *http.Request) (*http.Response, error) {
	n.t.Errorf("unexpected request to %s", r.URL)
	return nil, errors.New("no network")
}

func TestNewValidatesConfig(t *testing.T) {
	good := Config{Issuer: GoogleIssuer, ClientID: "id", ClientSecret: secret.New("GOCSPX-x"),
		RedirectURL: "http://localhost:8002/oauth2callback"}
	tests := []struct {
		name string
		edit func(*Config)
		want string // "" = valid
	}{
		{"google", func(*Config) {}, ""},
		{"trailing slash", func(c *Config) { c.Issuer = GoogleIssuer + "/" }, ""},
		{"loopback http issuer", func(c *Config) { c.Issuer = "http://127.0.0.1:8003" }, ""},
		{"localhost http issuer", func(c *Config) { c.Issuer = "http://localhost:8003" }, ""},
		{"no redirect", func(c *Config) { c.RedirectURL = "" }, ""},
		{"public client", func(c *Config) { c.ClientSecret = secret.String{} }, ""},
		{"no issuer", func(c *Config) { c.Issuer = "" }, "Issuer is required"},
		{"http issuer", func(c *Config) { c.Issuer = "http://accounts.example.com" }, "https"},
		{"relative issuer", func(c *Config) { c.Issuer = "accounts.google.com" }, "Issuer"},
		{"ftp issuer", func(c *Config) { c.Issuer = "ftp://accounts.google.com" }, "https"},
		{"userinfo issuer", func(c *Config) { c.Issuer = "https://u:p@accounts.google.com" }, "Issuer"},
		{"no client id", func(c *Config) { c.ClientID = "" }, "ClientID is required"},
		{"client id with space", func(c *Config) { c.ClientID = "a b" }, "whitespace"},
		{"relative redirect", func(c *Config) { c.RedirectURL = "/oauth2callback" }, "RedirectURL"},
		{"redirect fragment", func(c *Config) { c.RedirectURL = "https://x.test/cb#f" }, "RedirectURL"},
		{"redirect scheme", func(c *Config) { c.RedirectURL = "javascript:alert(1)" }, "RedirectURL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			cfg.HTTPClient = &http.Client{Transport: noNetwork{t}}
			tt.edit(&cfg)
			p, err := New(cfg)
			if tt.want == "" {
				if err != nil || p == nil {
					t.Fatalf("New: %v", err)
				}
				if strings.HasSuffix(p.Issuer(), "/") {
					t.Errorf("Issuer() = %q keeps the trailing slash", p.Issuer())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "GOCSPX-x") {
				t.Errorf("error leaks the secret: %v", err)
			}
		})
	}
}

func TestDiscoverFetchesAndCaches(t *testing.T) {
	h := newHarness(t)
	p := h.provider()
	if err := h.leaks.err(p.Discover(t.Context())); err != nil {
		t.Fatalf("Discover: %v", err)
	}
	if h.hitCount(string(sandbox.EndpointDiscovery)) != 1 || h.hitCount(string(sandbox.EndpointJWKS)) != 1 {
		t.Fatalf("hits = %v, want one discovery and one JWKS fetch", h.hits)
	}
	m := p.meta
	if m.tokenURL != h.srv.URL+"/token" || m.authURL != h.srv.URL+"/o/oauth2/v2/auth" ||
		m.revokeURL != h.srv.URL+"/revoke" || m.jwksURL != h.srv.URL+"/oauth2/v3/certs" {
		t.Errorf("endpoints = %+v", m)
	}
	if m.authStyle != oauth2.AuthStyleInParams {
		t.Errorf("auth style = %v, want client_secret_post", m.authStyle)
	}
	// Lazy users reuse the cache, even concurrently.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_, c := h.pkce()
			if _, err := p.AuthCodeURL(t.Context(), AuthRequest{State: "s", CodeChallenge: c}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := h.hitCount(string(sandbox.EndpointDiscovery)); n != 1 {
		t.Errorf("discovery fetched %d times, want 1", n)
	}
}

func TestLazyDiscoveryConcurrentFetchesOnce(t *testing.T) {
	h := newHarness(t)
	p := h.provider()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_, c := h.pkce()
			if _, err := p.AuthCodeURL(t.Context(), AuthRequest{State: "s", CodeChallenge: c}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := h.hitCount(string(sandbox.EndpointDiscovery)); n != 1 {
		t.Errorf("discovery fetched %d times, want 1", n)
	}
}

func TestDiscoveryFailureIsRetried(t *testing.T) {
	tests := []struct {
		name          string
		ep            sandbox.Endpoint
		status        int
		wantTemporary bool
	}{
		{"discovery 503", sandbox.EndpointDiscovery, 503, true},
		{"discovery 429", sandbox.EndpointDiscovery, 429, true},
		{"discovery 404", sandbox.EndpointDiscovery, 404, false},
		{"jwks 500", sandbox.EndpointJWKS, 500, true},
		{"jwks 403", sandbox.EndpointJWKS, 403, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			p := h.provider()
			h.sb.FailNext(tt.ep, tt.status, 1)
			_, c := h.pkce()
			// The lazy path fails first...
			_, err := p.AuthCodeURL(t.Context(), AuthRequest{State: "s", CodeChallenge: c})
			h.leaks.err(err)
			if !errors.Is(err, ErrDiscovery) {
				t.Fatalf("err = %v, want ErrDiscovery", err)
			}
			if got := errors.Is(err, ErrUnavailable); got != tt.wantTemporary {
				t.Errorf("errors.Is(ErrUnavailable) = %v, want %v (%v)", got, tt.wantTemporary, err)
			}
			if !strings.Contains(err.Error(), "discover") {
				t.Errorf("error does not name the operation: %v", err)
			}
			// ...and the failure is not cached: the next call discovers again.
			if _, err := p.AuthCodeURL(t.Context(), AuthRequest{State: "s", CodeChallenge: c}); err != nil {
				t.Fatalf("second AuthCodeURL: %v", h.leaks.err(err))
			}
			if err := p.Discover(t.Context()); err != nil {
				t.Fatalf("explicit Discover: %v", h.leaks.err(err))
			}
		})
	}
}

func TestDiscoveryFailureKeepsPreviousState(t *testing.T) {
	h := newHarness(t)
	p := h.provider()
	if err := p.Discover(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.sb.FailNext(sandbox.EndpointDiscovery, 503, 1)
	if err := h.leaks.err(p.Discover(t.Context())); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Discover = %v, want ErrUnavailable", err)
	}
	_, c := h.pkce()
	if _, err := p.AuthCodeURL(t.Context(), AuthRequest{State: "s", CodeChallenge: c}); err != nil {
		t.Fatalf("cached discovery lost after a failed refresh: %v", err)
	}
}

func TestDiscoveryRefusesAnotherIssuer(t *testing.T) {
	h := newHarness(t)
	h.sb.SetIssuer("https://evil.example")
	p := h.provider()
	err := h.leaks.err(p.Discover(t.Context()))
	if !errors.Is(err, ErrDiscovery) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("Discover = %v, want a permanent ErrDiscovery", err)
	}
	if !strings.Contains(err.Error(), "evil.example") {
		t.Errorf("error should name the discovered issuer: %v", err)
	}
}

func TestDiscoveryUnreachable(t *testing.T) {
	h := newHarness(t)
	p := h.provider()
	h.srv.Close()
	err := h.leaks.err(p.Discover(t.Context()))
	if !errors.Is(err, ErrDiscovery) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Discover = %v, want ErrDiscovery and ErrUnavailable", err)
	}
}

func TestPickAuthStyle(t *testing.T) {
	tests := []struct {
		methods []string
		want    oauth2.AuthStyle
		wantErr bool
	}{
		{[]string{"client_secret_post", "client_secret_basic"}, oauth2.AuthStyleInParams, false},
		{[]string{"client_secret_basic", "client_secret_post"}, oauth2.AuthStyleInParams, false},
		{[]string{"client_secret_basic"}, oauth2.AuthStyleInHeader, false},
		{nil, oauth2.AuthStyleInHeader, false},
		{[]string{"private_key_jwt"}, 0, true},
	}
	for _, tt := range tests {
		got, err := pickAuthStyle(tt.methods)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("pickAuthStyle(%v) = %v, %v; want %v, err %v", tt.methods, got, err, tt.want, tt.wantErr)
		}
		if got == oauth2.AuthStyleAutoDetect && !tt.wantErr {
			t.Errorf("pickAuthStyle(%v) left auto-detection on", tt.methods)
		}
	}
}

func TestKindForAnswer(t *testing.T) {
	tests := []struct {
		status int
		code   string
		want   error
	}{
		{400, "invalid_grant", ErrInvalidGrant},
		{401, "invalid_client", ErrInvalidClient},
		{401, "", ErrInvalidClient},
		{401, "unauthorized_client", ErrInvalidClient},
		{400, "redirect_uri_mismatch", ErrInvalidClient},
		{429, "rate_limit_exceeded", ErrUnavailable},
		{503, "temporarily_unavailable", ErrUnavailable},
		{500, "", ErrUnavailable},
		{502, "invalid_grant", ErrUnavailable},
		{400, "temporarily_unavailable", ErrUnavailable},
		{400, "invalid_request", ErrRejected},
		{400, "invalid_scope", ErrRejected},
		{404, "", ErrRejected},
	}
	for _, tt := range tests {
		if got := kindForAnswer(tt.status, tt.code); got != tt.want {
			t.Errorf("kindForAnswer(%d, %q) = %v, want %v", tt.status, tt.code, got, tt.want)
		}
	}
}

func TestSanitizeCode(t *testing.T) {
	tests := map[string]string{
		"":                        "",
		"invalid_grant":           "invalid_grant",
		"ya29 leaked token":       "unrecognized_error",
		"<script>":                "unrecognized_error",
		strings.Repeat("a", 65):   "unrecognized_error",
		"invalid_grant\nSet-Foo:": "unrecognized_error",
	}
	for in, want := range tests {
		if got := sanitizeCode(in); got != want {
			t.Errorf("sanitizeCode(%q) = %q, want %q", in, got, want)
		}
	}
}

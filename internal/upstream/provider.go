package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gwmcp/gwmcp/internal/secret"
)

// GoogleIssuer is Google's OpenID issuer, the default.
const GoogleIssuer = "https://accounts.google.com"

// Limits on what the provider may send us.
const (
	maxDiscoveryBody = 1 << 20
	maxJWKSBody      = 1 << 20
	// defaultTimeout bounds every request of the default HTTP client.
	defaultTimeout = 30 * time.Second
)

// Config is what a Provider needs. It is plain data; New validates it.
type Config struct {
	// Issuer is the provider's issuer URL, e.g. https://accounts.google.com.
	// It must be https, except on a loopback host (the sandbox, tests).
	Issuer string
	// ClientID and ClientSecret are gwmcp's OAuth client at the provider. An
	// empty secret makes a public client.
	ClientID     string
	ClientSecret secret.String
	// RedirectURL is gwmcp's callback, BASE_URL/oauth2callback by default. It
	// may be empty when every AuthRequest and Exchange names its own.
	RedirectURL string
	// HTTPClient makes every request to the provider. nil means a client with
	// a 30 s timeout.
	HTTPClient *http.Client
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Provider is an upstream OpenID provider. It is safe for concurrent use.
type Provider struct {
	cfg    Config
	issuer string // cfg.Issuer without a trailing slash
	client *http.Client
	now    func() time.Time

	sem  chan struct{} // serializes discovery
	mu   sync.Mutex
	meta *metadata
}

// metadata is what discovery established.
type metadata struct {
	issuer     string // exactly as the discovery document says
	authURL    string
	tokenURL   string
	revokeURL  string // "" when the provider has none
	jwksURL    string
	authStyle  oauth2.AuthStyle
	keys       *keySet
	verifier   *oidc.IDTokenVerifier
	discovered time.Time
}

// New checks cfg and returns a Provider. It does no network I/O.
func New(cfg Config) (*Provider, error) {
	issuer := strings.TrimSuffix(strings.TrimSpace(cfg.Issuer), "/")
	if issuer == "" {
		return nil, errors.New("upstream: config: Issuer is required")
	}
	if err := checkEndpointURL(issuer); err != nil {
		return nil, fmt.Errorf("upstream: config: Issuer: %w", err)
	}
	if cfg.ClientID == "" {
		return nil, errors.New("upstream: config: ClientID is required")
	}
	if strings.ContainsAny(cfg.ClientID, " \t\r\n") {
		return nil, errors.New("upstream: config: ClientID must not contain whitespace")
	}
	if cfg.RedirectURL != "" {
		if err := checkRedirectURL(cfg.RedirectURL); err != nil {
			return nil, fmt.Errorf("upstream: config: RedirectURL: %w", err)
		}
	}
	p := &Provider{cfg: cfg, issuer: issuer, client: cfg.HTTPClient, now: cfg.Now, sem: make(chan struct{}, 1)}
	if p.client == nil {
		p.client = &http.Client{Timeout: defaultTimeout}
	}
	if p.now == nil {
		p.now = time.Now
	}
	return p, nil
}

// Issuer returns the configured issuer (without a trailing slash).
func (p *Provider) Issuer() string { return p.issuer }

// ClientID returns the configured client id.
func (p *Provider) ClientID() string { return p.cfg.ClientID }

// checkEndpointURL accepts an absolute https URL, or http on a loopback host.
func checkEndpointURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a valid URL")
	}
	if u.Host == "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%q is not an absolute URL without user info or fragment", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%q must use https (http is accepted only on a loopback host)", raw)
	default:
		return fmt.Errorf("%q must use https", raw)
	}
}

// checkRedirectURL accepts an absolute http(s) URL without a fragment.
func checkRedirectURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a valid URL")
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%q is not an absolute http(s) URL without user info or fragment", raw)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Discover fetches the discovery document and the JWKS, checks them and
// caches them, replacing what an earlier discovery found. On failure the
// previous state (if any) stays in use and the next call tries again. The
// error matches ErrDiscovery, and ErrUnavailable too when the cause is
// transient.
func (p *Provider) Discover(ctx context.Context) error {
	_, err := p.discover(ctx, true)
	return err
}

// metadata returns the cached discovery, discovering first when there is none.
func (p *Provider) metadata(ctx context.Context) (*metadata, error) {
	p.mu.Lock()
	m := p.meta
	p.mu.Unlock()
	if m != nil {
		return m, nil
	}
	return p.discover(ctx, false)
}

func (p *Provider) discover(ctx context.Context, force bool) (*metadata, error) {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, &Error{Op: "discover", Err: ctx.Err(), Detail: "waiting for discovery"}
	}
	defer func() { <-p.sem }()
	if !force {
		// Another caller may have finished discovery while we waited.
		p.mu.Lock()
		m := p.meta
		p.mu.Unlock()
		if m != nil {
			return m, nil
		}
	}
	m, err := p.fetchMetadata(ctx)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.meta = m
	p.mu.Unlock()
	return m, nil
}

// discoveryDoc is the part of the OpenID discovery document we use.
type discoveryDoc struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	RevocationEndpoint    string   `json:"revocation_endpoint"`
	JWKSURI               string   `json:"jwks_uri"`
	SigningAlgs           []string `json:"id_token_signing_alg_values_supported"`
	AuthMethods           []string `json:"token_endpoint_auth_methods_supported"`
	CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
}

// supportedAlgs are the ID token algorithms go-oidc verifies.
var supportedAlgs = []string{
	oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.PS256, oidc.PS384, oidc.PS512, oidc.EdDSA,
}

func (p *Provider) fetchMetadata(ctx context.Context) (*metadata, error) {
	fail := func(detail string, err error) error {
		return &Error{Op: "discover", Kind: ErrDiscovery, Detail: detail, Err: err}
	}
	var doc discoveryDoc
	if err := getJSON(ctx, p.client, p.issuer+"/.well-known/openid-configuration", maxDiscoveryBody, &doc); err != nil {
		err.Op, err.Kind = "discover", ErrDiscovery
		err.Detail = "fetch discovery document: " + err.Detail
		return nil, err
	}
	if strings.TrimSuffix(doc.Issuer, "/") != p.issuer {
		return nil, fail(fmt.Sprintf("the discovery document names issuer %q, not the configured %q",
			truncate(doc.Issuer, 200), p.issuer), nil)
	}
	for _, f := range []struct{ name, v string }{
		{"authorization_endpoint", doc.AuthorizationEndpoint},
		{"token_endpoint", doc.TokenEndpoint},
		{"jwks_uri", doc.JWKSURI},
	} {
		if f.v == "" {
			return nil, fail("the discovery document has no "+f.name, nil)
		}
		if err := checkEndpointURL(f.v); err != nil {
			return nil, fail("discovery document "+f.name, err)
		}
	}
	if doc.RevocationEndpoint != "" {
		if err := checkEndpointURL(doc.RevocationEndpoint); err != nil {
			return nil, fail("discovery document revocation_endpoint", err)
		}
	}
	if len(doc.CodeChallengeMethods) > 0 && !slices.Contains(doc.CodeChallengeMethods, "S256") {
		return nil, fail("the provider does not support PKCE S256", nil)
	}
	style, err := pickAuthStyle(doc.AuthMethods)
	if err != nil {
		return nil, fail(err.Error(), nil)
	}
	var algs []string
	for _, a := range doc.SigningAlgs {
		if slices.Contains(supportedAlgs, a) {
			algs = append(algs, a)
		}
	}
	if len(algs) == 0 {
		algs = []string{oidc.RS256} // the one algorithm OpenID makes mandatory
	}
	keys := newKeySet(doc.JWKSURI, p.client, p.now)
	if err := keys.refresh(ctx); err != nil {
		return nil, err
	}
	m := &metadata{
		issuer:     doc.Issuer,
		authURL:    doc.AuthorizationEndpoint,
		tokenURL:   doc.TokenEndpoint,
		revokeURL:  doc.RevocationEndpoint,
		jwksURL:    doc.JWKSURI,
		authStyle:  style,
		keys:       keys,
		discovered: p.now(),
	}
	// Issuer and audience are checked by this package (issuerMatches and
	// checkAudience) so that Google's scheme-less issuer and several accepted
	// audiences work the same everywhere; go-oidc checks signature, algorithm
	// and expiry.
	m.verifier = oidc.NewVerifier(doc.Issuer, keys, &oidc.Config{
		SkipClientIDCheck:    true,
		SkipIssuerCheck:      true,
		SupportedSigningAlgs: algs,
		Now:                  func() time.Time { return p.now().Add(-clockSkew) },
	})
	return m, nil
}

// pickAuthStyle pins how the client authenticates at the token endpoint, so
// that x/oauth2 never guesses and retries: client_secret_post when offered
// (Google offers both), else client_secret_basic, which is also the OpenID
// default when the document lists nothing.
func pickAuthStyle(methods []string) (oauth2.AuthStyle, error) {
	switch {
	case slices.Contains(methods, "client_secret_post"):
		return oauth2.AuthStyleInParams, nil
	case len(methods) == 0 || slices.Contains(methods, "client_secret_basic"):
		return oauth2.AuthStyleInHeader, nil
	default:
		return 0, errors.New("the token endpoint supports neither client_secret_post nor client_secret_basic")
	}
}

// getJSON GETs url and decodes a JSON answer of at most limit bytes into v.
// The returned error has Detail, Status, Temporary and Err set; the caller
// fills in Op and Kind.
func getJSON(ctx context.Context, client *http.Client, rawURL string, limit int64, v any) *Error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return &Error{Detail: "build request", Err: err}
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return transportError(ctx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return transportError(ctx, err)
	}
	if resp.StatusCode != http.StatusOK {
		return &Error{Status: resp.StatusCode, Temporary: resp.StatusCode == 429 || resp.StatusCode >= 500,
			Detail: "unexpected status"}
	}
	if int64(len(body)) > limit {
		return &Error{Detail: fmt.Sprintf("answer larger than %d bytes", limit)}
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err == nil && mt != "application/json" && !strings.HasSuffix(mt, "+json") {
			return &Error{Detail: "answer is " + truncate(mt, 60) + ", not JSON"}
		}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &Error{Detail: "answer is not valid JSON"}
	}
	return nil
}

// transportError turns a failed round trip into an Error: temporary unless
// the caller's own context was canceled.
func transportError(ctx context.Context, err error) *Error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return &Error{Detail: "request canceled", Err: context.Canceled}
	}
	return &Error{Temporary: true, Detail: "no answer", Err: err}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

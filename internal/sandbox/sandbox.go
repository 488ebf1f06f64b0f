package sandbox

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Options configures a Sandbox. The zero value is usable: the demo accounts,
// no clients, the wall clock, crypto/rand and a discarding logger.
type Options struct {
	// Issuer is the base URL the sandbox is mounted at, for example
	// "http://127.0.0.1:8003" (no trailing slash). It may be left empty and set
	// later with SetIssuer, typically once an httptest.Server has started. While
	// it is empty, HTTP handlers derive it from the request's host.
	Issuer string
	// Now returns the current time. Defaults to time.Now.
	Now func() time.Time
	// Rand is the source of every token, code and identifier. Defaults to
	// crypto/rand.Reader.
	Rand io.Reader
	// Logger receives one line per notable event (codes issued, refreshes,
	// revocations). Tokens and secrets are never logged. Defaults to discarding.
	Logger *slog.Logger
	// Accounts are the people who can sign in. Defaults to DemoAccounts().
	Accounts []Account
	// Clients are the OAuth clients registered at start; more can be added
	// with AddClient.
	Clients []Client
	// AutoApprove, when set to the email of an account, signs that account in
	// and approves every authorization request at once, without showing the
	// account chooser (for headless tests and demos). A login_hint naming
	// another known account still wins. Without AutoApprove, a known
	// login_hint alone skips the chooser unless prompt=select_account.
	AutoApprove string
	// SigningKey signs ID tokens. Defaults to a fresh 2048-bit RSA key. Tests
	// that build many sandboxes may share one key to save time.
	SigningKey *rsa.PrivateKey
}

// Sandbox is an in-process fake of Google's OpenID provider. It is safe for
// concurrent use. Create it with New and serve Handler.
type Sandbox struct {
	now   func() time.Time
	rand  io.Reader
	log   *slog.Logger
	key   *signingKey
	pages *pages
	mux   *http.ServeMux

	mu          sync.Mutex
	issuer      string
	autoApprove string
	accounts    []Account
	clients     map[string]Client
	pending     map[string]*authRequest
	codes       map[string]*authCode
	access      map[string]*accessToken
	refresh     map[string]*refreshToken
	grants      map[grantKey]*grantRecord
	failures    map[Endpoint][]Failure
	stats       Stats

	apiFail apiFailures
	// The fake Workspace APIs, set by their route functions during New.
	drv *driveState      // drive.go
	gm  *gmailService    // gmail.go
	cal *calendarService // calendar.go

	fed federation // federation.go: another provider's tokens, for end-to-end tests
}

// New builds a Sandbox from opts. It fails only when an account or client in
// opts is invalid or when the signing key cannot be created.
func New(opts Options) (*Sandbox, error) {
	s := &Sandbox{
		now:      opts.Now,
		rand:     opts.Rand,
		log:      opts.Logger,
		issuer:   strings.TrimSuffix(opts.Issuer, "/"),
		clients:  map[string]Client{},
		pending:  map[string]*authRequest{},
		codes:    map[string]*authCode{},
		access:   map[string]*accessToken{},
		refresh:  map[string]*refreshToken{},
		grants:   map[grantKey]*grantRecord{},
		failures: map[Endpoint][]Failure{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	key := opts.SigningKey
	if key == nil {
		var err error
		// Since Go 1.26 the reader is ignored and a secure source is used.
		key, err = rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("sandbox: generate signing key: %w", err)
		}
	}
	sk, err := newSigningKey(key)
	if err != nil {
		return nil, err
	}
	s.key = sk
	accounts := opts.Accounts
	if accounts == nil {
		accounts = DemoAccounts()
	}
	for _, a := range accounts {
		if err := s.AddAccount(a); err != nil {
			return nil, err
		}
	}
	for _, c := range opts.Clients {
		if err := s.AddClient(c); err != nil {
			return nil, err
		}
	}
	if err := s.SetAutoApprove(opts.AutoApprove); err != nil {
		return nil, err
	}
	s.pages = newPages()
	s.mux = http.NewServeMux()
	s.routeOIDC(s.mux)
	s.routeWorkspace(s.mux)
	return s, nil
}

// Handler serves every sandbox endpoint at the paths listed in the package
// documentation. To mount the sandbox under a path prefix, wrap it in
// http.StripPrefix and set the issuer to the prefixed URL.
func (s *Sandbox) Handler() http.Handler { return s.mux }

// SetIssuer sets the base URL the sandbox is reachable at (no trailing slash
// needed). It is used as the `iss` of ID tokens and to build the endpoint URLs
// of the discovery document.
func (s *Sandbox) SetIssuer(issuer string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issuer = strings.TrimSuffix(issuer, "/")
}

// Issuer returns the configured issuer, or "" when none is set yet.
func (s *Sandbox) Issuer() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issuer
}

// issuerFor returns the issuer, falling back to the request's own origin
// while none is configured. Callers hold s.mu.
func (s *Sandbox) issuerFor(r *http.Request) string {
	if s.issuer != "" {
		return s.issuer
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// Stats counts what the sandbox has done, so tests can assert on traffic.
type Stats struct {
	// Authorizations counts authorization codes issued.
	Authorizations int
	// CodeExchanges counts successful authorization_code grants.
	CodeExchanges int
	// Refreshes counts successful refresh_token grants.
	Refreshes int
	// Revocations counts successful calls to the revocation endpoint.
	Revocations int
	// TokenErrors counts error answers of the token endpoint, scripted ones included.
	TokenErrors int
	// ScriptedFailures counts failures served from FailNext and ScriptFailures.
	ScriptedFailures int
	// UserinfoRequests counts successful userinfo calls.
	UserinfoRequests int
}

// Stats returns a snapshot of the counters.
func (s *Sandbox) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

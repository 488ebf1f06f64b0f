package authserver

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gwmcp/gwmcp/internal/scopes"
	"github.com/gwmcp/gwmcp/internal/store"
	"github.com/gwmcp/gwmcp/internal/upstream"
)

// Upstream is the OpenID provider people log in with (Google). *upstream.Provider
// implements it. (Revoking upstream grants is the credential keeper's business, not
// this package's, so Revoke is not part of it.)
type Upstream interface {
	AuthCodeURL(ctx context.Context, r upstream.AuthRequest) (string, error)
	Exchange(ctx context.Context, code, verifier, nonce, redirectURL string) (upstream.Tokens, error)
}

// Login is what the callback hands to Accounts.SaveLogin: the verified identity and the
// upstream tokens obtained at login.
type Login struct {
	// ClientID is the MCP client whose authorization request led to this login.
	ClientID string
	// Identity comes from the verified upstream ID token; Subject is the key.
	Identity upstream.Identity
	// Tokens are the upstream tokens. RefreshToken is empty when the provider issued
	// none this time (Google issues one only on consent): keep the stored one then.
	Tokens upstream.Tokens
}

// Accounts stores the upstream credentials of the people who log in.
type Accounts interface {
	// SaveLogin stores the upstream tokens obtained at login as the person's
	// credential (their primary account). Called at the callback.
	SaveLogin(ctx context.Context, l Login) error
	// RefreshUpstream refreshes the upstream token of the principal. It is called on
	// every refresh_token grant so that a revoked upstream grant ends our tokens too.
	// It returns errors wrapping ErrUpstreamRevoked (the family is revoked and the
	// client gets invalid_grant) or ErrUpstreamUnavailable (nothing rotates, the
	// client gets temporarily_unavailable).
	RefreshUpstream(ctx context.Context, subject, email string) error
}

// Errors Accounts.RefreshUpstream wraps.
var (
	ErrUpstreamRevoked     = errors.New("authserver: upstream grant revoked or missing")
	ErrUpstreamUnavailable = errors.New("authserver: upstream temporarily unavailable")
)

// Config configures a Server. It is plain data; New fills in defaults and validates it.
type Config struct {
	// Issuer is BASE_URL without a trailing slash: the issuer of our tokens and the
	// base of every endpoint URL. Required.
	Issuer string
	// Resource is the MCP endpoint, the audience of our tokens. Default Issuer+"/mcp".
	Resource string
	// CallbackURL is where the upstream returns. Default Issuer+"/oauth2callback".
	CallbackURL string

	AccessTokenTTL  time.Duration // default 1 h
	RefreshTokenTTL time.Duration // idle lifetime of a refresh token, default 30 days
	RefreshGrace    time.Duration // concurrent refreshes allowed after rotation, default 10 s
	CodeTTL         time.Duration // authorization codes, default 10 min
	StateTTL        time.Duration // pending requests and upstream states, default 10 min
	// ClientIdleTTL is how long a registration nobody used survives (default 24 h);
	// UsedClientIdleTTL applies once the client has redeemed a code (default 90 days).
	ClientIdleTTL     time.Duration
	UsedClientIdleTTL time.Duration

	// RegistrationsPerMinute limits registrations per client address (default 20;
	// negative disables). MaxClients caps registered clients (default 10000).
	RegistrationsPerMinute int
	MaxClients             int

	// DefaultServices are requested (as gwmcp service IDs, e.g. "drive") when a client
	// sends no scope.
	DefaultServices []string
	// DefaultScopes, when set, are requested instead of DefaultServices' whole scope sets:
	// least privilege, the scopes the offered tools declare (sign-in scopes are added).
	DefaultScopes []string
	// NarrowScopes, when set, rewrites every scope set the server requests or grants (a
	// read-only server narrows write scopes to their read-only counterparts).
	NarrowScopes func([]string) []string
	// SecureCookies marks cookies Secure (set it when BASE_URL is https).
	SecureCookies bool
	// TrustedProxyHeaders makes the registration rate limit key on the last address
	// of X-Forwarded-For (the one our proxy appended) instead of the peer address.
	TrustedProxyHeaders bool

	// RevocationPollInterval bounds how long a revocation made on another replica
	// takes to reach this one (default 2 s). TokenCacheSize bounds the verified-token
	// cache (default 10000 entries; negative disables the cache).
	RevocationPollInterval time.Duration
	TokenCacheSize         int
	// MaxMCPBody bounds the /mcp request body RequireBearer reads to find tools/call
	// (default 4 MiB; larger bodies get 413 when RequiredScopes is set).
	MaxMCPBody int64

	Now    func() time.Time
	Rand   io.Reader
	Logger *slog.Logger

	// Store holds every piece of state. Use a store.Sealed wrapper in production.
	Store store.Store
	// Upstream is the login provider, Accounts the credential keeper, Scopes the
	// scope registry. All required.
	Upstream Upstream
	Accounts Accounts
	Scopes   *scopes.Registry

	// CIMDClient fetches client ID metadata documents. nil means the SSRF-safe default
	// (public addresses only, checked at dial time, no redirects, 5 s timeout).
	CIMDClient *http.Client

	// RequiredScopes, when set, names the scopes a JSON-RPC request needs (called with
	// "tools/call" and the tool name). RequireBearer answers 403 insufficient_scope
	// when the token lacks any of them.
	RequiredScopes func(method, tool string) []string
}

func (c *Config) setDefaults() {
	c.Issuer = strings.TrimSpace(c.Issuer)
	if c.Resource == "" {
		c.Resource = c.Issuer + "/mcp"
	}
	if c.CallbackURL == "" {
		c.CallbackURL = c.Issuer + "/oauth2callback"
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.AccessTokenTTL, time.Hour)
	def(&c.RefreshTokenTTL, 30*24*time.Hour)
	def(&c.RefreshGrace, 10*time.Second)
	def(&c.CodeTTL, 10*time.Minute)
	def(&c.StateTTL, 10*time.Minute)
	def(&c.ClientIdleTTL, 24*time.Hour)
	def(&c.UsedClientIdleTTL, 90*24*time.Hour)
	def(&c.RevocationPollInterval, 2*time.Second)
	if c.RegistrationsPerMinute == 0 {
		c.RegistrationsPerMinute = 20
	}
	if c.MaxClients == 0 {
		c.MaxClients = 10000
	}
	if c.TokenCacheSize == 0 {
		c.TokenCacheSize = 10000
	}
	if c.MaxMCPBody == 0 {
		c.MaxMCPBody = 4 << 20
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// validate checks a Config whose defaults are set.
func (c *Config) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	checkURL := func(name, v string) *url.URL {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
			u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(v, "/") {
			bad("%s %q must be an absolute http(s) URL without query, fragment or trailing slash", name, v)
			return nil
		}
		return u
	}
	if c.Issuer == "" {
		bad("Issuer (BASE_URL) is required")
	} else {
		checkURL("Issuer", c.Issuer)
	}
	checkURL("Resource", c.Resource)
	checkURL("CallbackURL", c.CallbackURL)
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"AccessTokenTTL", c.AccessTokenTTL}, {"RefreshTokenTTL", c.RefreshTokenTTL}, {"CodeTTL", c.CodeTTL},
		{"StateTTL", c.StateTTL}, {"ClientIdleTTL", c.ClientIdleTTL}, {"UsedClientIdleTTL", c.UsedClientIdleTTL},
		{"RevocationPollInterval", c.RevocationPollInterval},
	} {
		if d.v <= 0 {
			bad("%s must be positive", d.name)
		}
	}
	if c.RefreshGrace < 0 || c.RefreshGrace > time.Minute {
		bad("RefreshGrace must be between 0 and 1 minute")
	}
	if c.MaxClients < 0 {
		bad("MaxClients must not be negative")
	}
	if c.Store == nil {
		bad("Store is required")
	}
	if c.Upstream == nil {
		bad("Upstream is required")
	}
	if c.Accounts == nil {
		bad("Accounts is required")
	}
	if c.Scopes == nil {
		bad("Scopes is required")
	} else if len(c.DefaultServices) > 0 {
		if _, err := c.Scopes.ForServices(c.DefaultServices); err != nil {
			bad("DefaultServices: %w", err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("authserver: config: %w", err)
	}
	return nil
}

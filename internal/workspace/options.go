package workspace

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
)

// Defaults of Options.
const (
	DefaultCacheTTL      = 30 * time.Minute
	DefaultMaxClients    = 1024
	DefaultRefreshBefore = 5 * time.Minute
	DefaultRetryDeadline = 30 * time.Second
	DefaultMaxAttempts   = 5
	DefaultRetryBase     = 500 * time.Millisecond
	DefaultRetryCap      = 16 * time.Second
	DefaultUserAgent     = "gwmcp"
)

// Options configure a Factory. Credentials and Refresher are required; every other field
// has a default.
type Options struct {
	// Credentials is where each account's Google credential lives (a *credentials.Store).
	Credentials CredentialStore
	// Refresher exchanges a refresh token for a new access token at Google.
	Refresher Refresher
	// BaseURL is GOOGLE_API_BASE_URL: empty means Google; otherwise an absolute http(s)
	// URL whose host serves every API at Google's own paths (see the package doc).
	BaseURL string
	// DisableCaching turns the client cache off (SERVICE_CACHING=false): every lookup
	// builds a new client. The zero value caches.
	DisableCaching bool
	// CacheTTL is how long a cached client is used (default 30 min).
	CacheTTL time.Duration
	// MaxClients bounds the cache; the least recently used client is evicted (default 1024).
	MaxClients int
	// RefreshBefore is how long before expiry an access token is refreshed (default 5 min).
	RefreshBefore time.Duration
	// RetryDeadline bounds the time one call spends waiting between retries (default 30 s).
	// A retry whose wait would end after it, or after the context's deadline, is not made.
	RetryDeadline time.Duration
	// MaxAttempts is how many times one request is sent at most (default 5).
	MaxAttempts int
	// RetryBase and RetryCap shape the backoff: the n-th retry waits a random duration in
	// [0, min(RetryCap, RetryBase*2^n)) unless Google sent Retry-After (defaults 500 ms, 16 s).
	RetryBase time.Duration
	RetryCap  time.Duration
	// Transport is the base transport every client shares (its connection pool). The
	// default is a clone of http.DefaultTransport: HTTP/2 and transparent gzip on.
	Transport http.RoundTripper
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Sleep waits d or until ctx ends (default a timer).
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand is the source of backoff jitter (default crypto/rand.Reader).
	Rand io.Reader
	// Logger receives refreshes, retries and write-back failures; never a token.
	Logger *slog.Logger
	// UserAgent identifies gwmcp to Google, "gwmcp/<version>" (default "gwmcp").
	UserAgent string
}

// ErrInvalidOptions is returned by New for unusable Options.
var ErrInvalidOptions = errors.New("workspace: invalid options")

func (o Options) withDefaults() (Options, *url.URL, error) {
	if o.Credentials == nil {
		return o, nil, fmt.Errorf("%w: Credentials is required", ErrInvalidOptions)
	}
	if o.Refresher == nil {
		return o, nil, fmt.Errorf("%w: Refresher is required", ErrInvalidOptions)
	}
	base, err := parseBaseURL(o.BaseURL)
	if err != nil {
		return o, nil, err
	}
	if o.CacheTTL <= 0 {
		o.CacheTTL = DefaultCacheTTL
	}
	if o.MaxClients <= 0 {
		o.MaxClients = DefaultMaxClients
	}
	if o.RefreshBefore <= 0 {
		o.RefreshBefore = DefaultRefreshBefore
	}
	if o.RetryDeadline <= 0 {
		o.RetryDeadline = DefaultRetryDeadline
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.RetryBase <= 0 {
		o.RetryBase = DefaultRetryBase
	}
	if o.RetryCap <= 0 {
		o.RetryCap = DefaultRetryCap
	}
	if o.Transport == nil {
		o.Transport = defaultTransport()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if strings.TrimSpace(o.UserAgent) == "" {
		o.UserAgent = DefaultUserAgent
	}
	return o, base, nil
}

// parseBaseURL checks GOOGLE_API_BASE_URL. Empty means Google (nil URL).
func parseBaseURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, fmt.Errorf("%w: GOOGLE_API_BASE_URL must be an absolute http(s) URL without credentials, query or fragment, got %q",
			ErrInvalidOptions, raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// defaultTransport clones http.DefaultTransport, which negotiates HTTP/2 over TLS and
// asks for gzip itself (nothing here sets Accept-Encoding or DisableCompression). Many
// tool calls go to the same Google host, so more idle connections are kept per host.
func defaultTransport() http.RoundTripper {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return http.DefaultTransport
	}
	c := t.Clone()
	c.ForceAttemptHTTP2 = true
	c.MaxIdleConnsPerHost = 32
	return c
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

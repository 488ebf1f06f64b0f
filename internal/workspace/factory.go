package workspace

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"

	"github.com/gwmcp/gwmcp/internal/credentials"
)

// Factory hands out per-account Google API clients. It is safe for concurrent use.
type Factory struct {
	opts    Options
	base    *url.URL // GOOGLE_API_BASE_URL, nil for Google
	tokens  *tokens
	cache   *clientCache
	retries atomic.Uint64
}

// New builds a Factory. It fails when Credentials or Refresher is missing or BaseURL is
// not an absolute http(s) URL.
func New(opts Options) (*Factory, error) {
	o, base, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Factory{
		opts:   o,
		base:   base,
		tokens: newTokens(o),
		cache:  newClientCache(o.DisableCaching, o.CacheTTL, o.MaxClients, o.Now),
	}, nil
}

// Stats counts what the factory did.
type Stats struct {
	Hits        uint64 // lookups served from the cache
	Misses      uint64 // lookups that built a client
	Evictions   uint64 // clients dropped to keep the cache within MaxClients
	Expirations uint64 // clients dropped because their TTL ran out
	Size        int    // clients cached now
	// Refreshes counts upstream refresh attempts (one per account however many calls
	// waited); RefreshFailures those that failed; WriteBackFailures refreshed tokens
	// that could not be saved.
	Refreshes         uint64
	RefreshFailures   uint64
	WriteBackFailures uint64
	Retries           uint64 // requests sent again after a transient failure
}

// Stats returns a snapshot of the counters.
func (f *Factory) Stats() Stats {
	var s Stats
	s.Hits, s.Misses, s.Evictions, s.Expirations, s.Size = f.cache.stats()
	s.Refreshes = f.tokens.refreshes.Load()
	s.RefreshFailures = f.tokens.refreshFailures.Load()
	s.WriteBackFailures = f.tokens.writeBackFailures.Load()
	s.Retries = f.retries.Load()
	return s
}

// Clear drops every cached client of an account and any token kept in memory for it
// (when the account is revoked or authorized again). It returns how many clients were
// dropped.
func (f *Factory) Clear(email string) int {
	email = credentials.NormalizeEmail(email)
	f.tokens.forget(email)
	return f.cache.clear(email)
}

// HTTPClient returns an authenticated *http.Client for the account, for requests the
// generated clients do not cover (partial responses, raw media). It sends the token only
// to Google's API hosts (or GOOGLE_API_BASE_URL's host), refreshes and retries like the
// service clients. Pass the call's context on every request.
func (f *Factory) HTTPClient(ctx context.Context, email string) (*http.Client, error) {
	return lookup(f, ctx, email, serviceHTTP, func(_ context.Context, hc *http.Client) (*http.Client, error) {
		return hc, nil
	})
}

// lookup returns the cached client of (email, service) or builds one. Building checks
// that a credential is stored for the account (ErrNoCredential otherwise); a cached
// client finds out on its next request.
func lookup[T any](f *Factory, ctx context.Context, email string, s Service,
	build func(context.Context, *http.Client) (T, error)) (T, error) {
	var zero T
	email = credentials.NormalizeEmail(email)
	key := cacheKey{email: email, service: s}
	if v, ok := f.cache.get(key); ok {
		return v.(T), nil
	}
	if err := credentials.ValidateEmail(email); err != nil {
		return zero, fmt.Errorf("workspace: %w: %w", ErrNoCredential, err)
	}
	if _, err := f.tokens.get(ctx, email); err != nil {
		return zero, err
	}
	v, err := build(ctx, f.newHTTPClient(email, s))
	if err != nil {
		return zero, fmt.Errorf("workspace: build %s client: %w", s, err)
	}
	return f.cache.add(key, v).(T), nil
}

// newHTTPClient is the client every service of one account is built on: retries outside,
// authentication inside (so each attempt gets a current token), the shared base transport
// below.
func (f *Factory) newHTTPClient(email string, s Service) *http.Client {
	if s == serviceHTTP {
		s = ""
	}
	return &http.Client{Transport: &retryTransport{f: f,
		next: &accountTransport{f: f, email: email, service: s, next: f.opts.Transport}}}
}

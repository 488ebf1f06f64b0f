package workspace

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gwmcp/gwmcp/internal/credentials"
	"github.com/gwmcp/gwmcp/internal/secret"
)

// CredentialStore is what the factory needs of credential storage; *credentials.Store
// implements it. Update must apply fn and store the result atomically.
type CredentialStore interface {
	Get(ctx context.Context, email string) (credentials.Credential, error)
	Update(ctx context.Context, email string, fn func(*credentials.Credential) error) (credentials.Credential, error)
}

// Token is what a Refresher obtains from Google's token endpoint.
type Token struct {
	AccessToken secret.String
	TokenType   string // usually "Bearer"
	Expiry      time.Time
	// Scopes are the scopes granted to the new access token (Google's "scope"); empty
	// keeps the stored ones.
	Scopes []string
	// RefreshToken is set only when the provider rotated it (Google does not); empty or
	// equal to the old one means unchanged.
	RefreshToken secret.String
}

// Refresher exchanges a refresh token for a new access token. The app adapts
// internal/upstream's provider to it. Its errors must match ErrReauthRequired when the
// provider answered invalid_grant, and ErrUnavailable when it could not be reached or
// answered 5xx; other errors are passed on wrapped.
type Refresher interface {
	Refresh(ctx context.Context, refreshToken secret.String) (Token, error)
}

// errStorageChanged: the stored refresh token changed while we refreshed with the old one
// (the account was authorized again elsewhere); the stored credential wins.
var errStorageChanged = errors.New("the stored credential changed during the refresh")

// memToken is a refreshed token kept in memory, bound to the stored refresh token it was
// obtained with. unsaved marks a rotated refresh token that could not be written yet.
type memToken struct {
	basedOn string // the refresh token used (compared, never logged)
	tok     Token
	unsaved bool
}

// tokens hands out access tokens per account: from storage when still valid, otherwise
// refreshed under a per-account lock (one refresh for any number of waiting calls, across
// every client of the account), with write-back to storage.
type tokens struct {
	store     CredentialStore
	refresher Refresher
	now       func() time.Time
	before    time.Duration
	log       *slog.Logger

	mu    sync.Mutex
	locks map[string]chan struct{}
	mem   map[string]memToken
	nmem  atomic.Int64 // len(mem), read without the lock on the fast path

	refreshes         atomic.Uint64
	refreshFailures   atomic.Uint64
	writeBackFailures atomic.Uint64
}

func newTokens(o Options) *tokens {
	return &tokens{
		store: o.Credentials, refresher: o.Refresher, now: o.Now, before: o.RefreshBefore, log: o.Logger,
		locks: map[string]chan struct{}{}, mem: map[string]memToken{},
	}
}

// get reads the stored credential, mapping "not found" to ErrNoCredential.
func (t *tokens) get(ctx context.Context, email string) (credentials.Credential, error) {
	c, err := t.store.Get(ctx, email)
	switch {
	case errors.Is(err, credentials.ErrNotFound):
		return c, fmt.Errorf("workspace: %s: %w", email, ErrNoCredential)
	case err != nil:
		return c, fmt.Errorf("workspace: read credential of %s: %w", email, err)
	}
	return c, nil
}

// fresh reports whether an access token may still be used: present, and not within
// RefreshBefore of its expiry. A zero expiry (some imported credentials) counts as fresh;
// a 401 from Google forces a refresh anyway.
func (t *tokens) fresh(access secret.String, expiry time.Time) bool {
	if access.IsZero() {
		return false
	}
	return expiry.IsZero() || t.now().Add(t.before).Before(expiry)
}

// accessToken returns a usable access token for email. rejected, when not empty, is a
// token Google just refused (401): it is not handed out again.
func (t *tokens) accessToken(ctx context.Context, email, rejected string) (secret.String, error) {
	if _, inMem := t.memFor(email); rejected == "" && !inMem {
		c, err := t.get(ctx, email)
		if err != nil {
			return secret.String{}, err
		}
		if t.fresh(c.AccessToken, c.Expiry) {
			return c.AccessToken, nil
		}
	}
	return t.refresh(ctx, email, rejected)
}

// lock takes the account's refresh lock, or gives up when ctx ends.
func (t *tokens) lock(ctx context.Context, email string) (func(), error) {
	t.mu.Lock()
	l := t.locks[email]
	if l == nil {
		l = make(chan struct{}, 1)
		t.locks[email] = l
	}
	t.mu.Unlock()
	select {
	case l <- struct{}{}:
		return func() { <-l }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// refresh runs under the account lock: the first caller refreshes, the ones queued behind
// it find the new token in storage (or in memory) and return it without a second refresh.
// Storage is re-read first, since another process may have refreshed already.
func (t *tokens) refresh(ctx context.Context, email, rejected string) (secret.String, error) {
	unlock, err := t.lock(ctx, email)
	if err != nil {
		return secret.String{}, err
	}
	defer unlock()

	c, err := t.get(ctx, email)
	if err != nil {
		return secret.String{}, err
	}
	if m, ok := t.memFor(email); ok {
		switch {
		case m.basedOn != c.RefreshToken.Reveal():
			t.forget(email) // storage moved on (authorized again): it wins
		case m.unsaved:
			werr := t.writeBack(ctx, email, m.basedOn, m.tok)
			if werr != nil && !errors.Is(werr, errStorageChanged) {
				t.writeBackFailures.Add(1)
				return secret.String{}, fmt.Errorf("workspace: save refreshed token of %s: %w: %w", email, ErrWriteBack, werr)
			}
			t.forget(email)
			if werr == nil && t.fresh(m.tok.AccessToken, m.tok.Expiry) && m.tok.AccessToken.Reveal() != rejected {
				return m.tok.AccessToken, nil
			}
			if c, err = t.get(ctx, email); err != nil {
				return secret.String{}, err
			}
		case t.fresh(m.tok.AccessToken, m.tok.Expiry) && m.tok.AccessToken.Reveal() != rejected:
			return m.tok.AccessToken, nil
		default:
			t.forget(email)
		}
	}
	if t.fresh(c.AccessToken, c.Expiry) && c.AccessToken.Reveal() != rejected {
		return c.AccessToken, nil
	}
	if c.RefreshToken.IsZero() {
		return secret.String{}, &ReauthError{Email: c.Email, Scopes: slices.Clone(c.Scopes),
			Err: errors.New("the stored credential has no refresh token")}
	}

	t.refreshes.Add(1)
	tok, err := t.refresher.Refresh(ctx, c.RefreshToken)
	if err == nil && tok.AccessToken.IsZero() {
		err = fmt.Errorf("%w: the token endpoint returned no access token", ErrUnavailable)
	}
	if err != nil {
		t.refreshFailures.Add(1)
		t.log.InfoContext(ctx, "workspace: token refresh failed", "email", email,
			"reauth", errors.Is(err, ErrReauthRequired), "unavailable", errors.Is(err, ErrUnavailable))
		if errors.Is(err, ErrReauthRequired) {
			return secret.String{}, &ReauthError{Email: c.Email, Scopes: slices.Clone(c.Scopes), Err: err}
		}
		return secret.String{}, fmt.Errorf("workspace: refresh token of %s: %w", email, err)
	}
	used := c.RefreshToken.Reveal()
	rotated := !tok.RefreshToken.IsZero() && tok.RefreshToken.Reveal() != used
	if !rotated {
		tok.RefreshToken = secret.String{}
	}
	t.log.DebugContext(ctx, "workspace: access token refreshed", "email", email, "expiry", tok.Expiry, "rotated", rotated)

	werr := t.writeBack(ctx, email, used, tok)
	switch {
	case werr == nil, errors.Is(werr, errStorageChanged):
		return tok.AccessToken, nil
	case rotated:
		// The new refresh token exists only here: keep it, withhold the access token
		// until it is saved (the next call tries again).
		t.writeBackFailures.Add(1)
		t.remember(email, memToken{basedOn: used, tok: tok, unsaved: true})
		t.log.WarnContext(ctx, "workspace: could not save the rotated refresh token; will retry", "email", email)
		return secret.String{}, fmt.Errorf("workspace: save refreshed token of %s: %w: %w", email, ErrWriteBack, werr)
	default:
		// Storage still holds the refresh token, which stays valid: nothing usable is
		// lost. Keep the access token in memory so calls do not refresh again and again.
		t.writeBackFailures.Add(1)
		t.remember(email, memToken{basedOn: used, tok: tok})
		t.log.WarnContext(ctx, "workspace: could not save the refreshed access token", "email", email)
		return tok.AccessToken, nil
	}
}

// writeBack stores tok in the account's credential if the stored refresh token is still
// the one that was used.
func (t *tokens) writeBack(ctx context.Context, email, used string, tok Token) error {
	_, err := t.store.Update(ctx, email, func(c *credentials.Credential) error {
		if c.RefreshToken.Reveal() != used {
			return errStorageChanged
		}
		c.AccessToken = tok.AccessToken
		c.Expiry = tok.Expiry
		if tok.TokenType != "" {
			c.TokenType = tok.TokenType
		}
		if len(tok.Scopes) > 0 {
			c.Scopes = slices.Clone(tok.Scopes)
		}
		if !tok.RefreshToken.IsZero() {
			c.RefreshToken = tok.RefreshToken
		}
		return nil
	})
	return err
}

func (t *tokens) memFor(email string) (memToken, bool) {
	if t.nmem.Load() == 0 {
		return memToken{}, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	m, ok := t.mem[email]
	return m, ok
}

func (t *tokens) remember(email string, m memToken) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.mem[email] = m
	t.nmem.Store(int64(len(t.mem)))
}

func (t *tokens) forget(email string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.mem, email)
	t.nmem.Store(int64(len(t.mem)))
}

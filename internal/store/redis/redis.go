// Package redis owns the shared store.Store that several gwmcp replicas use together
// (STORE_URL=redis://[user:pass@]host:port/db). Every key is stored under a prefix
// (default "gwmcp:") and expiry is Redis's own. Take is GETDEL, Update is an optimistic
// WATCH/MULTI transaction retried on conflict, and List is a SCAN over the escaped
// prefix.
//
// The password of the URL never appears in an error.
package redis

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/gwmcp/gwmcp/internal/store"
)

// Defaults used where Options leaves a field at zero.
const (
	DefaultPrefix           = "gwmcp:"
	DefaultMaxUpdateRetries = 1000
)

// Options configures Open. The zero value is ready to use.
type Options struct {
	// Prefix is put before every key, so one Redis database can hold several
	// deployments (or test runs); "" means DefaultPrefix.
	Prefix string
	// MaxUpdateRetries bounds how often Update retries after losing a race with another
	// writer of the same key before it gives up with store.ErrConflict; 0 means
	// DefaultMaxUpdateRetries. The context's deadline bounds it too.
	MaxUpdateRetries int
}

// Store is a store.Store kept in Redis.
type Store struct {
	c          *goredis.Client
	prefix     string
	maxRetries int
	closed     atomic.Bool
	closeOnce  sync.Once
}

var _ store.Store = (*Store)(nil)

// Open connects to the Redis server named by rawURL (redis://, rediss:// or unix://, in
// go-redis's syntax) and checks that it answers.
func Open(ctx context.Context, rawURL string, opts Options) (*Store, error) {
	u, err := url.Parse(rawURL)
	// Every reason url.Parse gives can quote a piece of the URL, perhaps of the password,
	// so give none. An '@' outside the user information means a character of the
	// password (such as '/') was not escaped and the password ended up in the host or
	// the path, where Redacted would show it: refuse that too.
	if err != nil || (u.User == nil && strings.Contains(rawURL, "@")) {
		return nil, errors.New("redis store: open: STORE_URL is not a valid URL; the form is " +
			"redis://[user:password@]host:port/db, with characters such as / ? # @ % in the password percent-encoded")
	}
	password, _ := u.User.Password()
	shown := *u
	shown.RawQuery, shown.Fragment = "", ""
	where := shown.Redacted()
	ro, err := goredis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redis store: open %s: %w", where, redact(err, password))
	}
	ro.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	c := goredis.NewClient(ro)
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("redis store: connect to %s: %w", where, redact(err, password))
	}
	s := &Store{c: c, prefix: opts.Prefix, maxRetries: opts.MaxUpdateRetries}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if s.maxRetries <= 0 {
		s.maxRetries = DefaultMaxUpdateRetries
	}
	return s, nil
}

// redact hides password in err's message should a dependency ever repeat it.
func redact(err error, password string) error {
	if password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), password, "xxxxx"))
}

// Prefix returns the prefix put before every key.
func (s *Store) Prefix() string { return s.prefix }

// begin validates the arguments shared by every keyed operation.
func (s *Store) begin(ctx context.Context, op, key string) error {
	if err := store.Check(ctx, key); err != nil {
		return fmt.Errorf("redis store: %s: %w", op, err)
	}
	if s.closed.Load() {
		return fmt.Errorf("redis store: %s: %w", op, store.ErrClosed)
	}
	return nil
}

// fail wraps an error of operation op, mapping the client's own sentinels to ours.
func fail(op string, err error) error {
	switch {
	case errors.Is(err, goredis.Nil):
		err = store.ErrNotFound
	case errors.Is(err, goredis.ErrClosed):
		err = store.ErrClosed
	}
	return fmt.Errorf("redis store: %s: %w", op, err)
}

// expiration turns a store ttl into go-redis's: whole milliseconds (at least one) for a
// positive ttl, 0 for none and goredis.KeepTTL.
func expiration(ttl time.Duration) time.Duration {
	switch {
	case ttl == store.KeepTTL:
		return goredis.KeepTTL
	case ttl <= 0:
		return 0
	case ttl < time.Millisecond:
		return time.Millisecond
	default:
		return ttl.Round(time.Millisecond)
	}
}

// Get returns the value of key.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.begin(ctx, "get", key); err != nil {
		return nil, err
	}
	v, err := s.c.Get(ctx, s.prefix+key).Bytes()
	if err != nil {
		return nil, fail("get", err)
	}
	return v, nil
}

// Set stores value under key.
func (s *Store) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := store.CheckTTL(ttl); err != nil {
		return fmt.Errorf("redis store: set: %w", err)
	}
	if err := s.begin(ctx, "set", key); err != nil {
		return err
	}
	if err := s.c.Set(ctx, s.prefix+key, value, expiration(ttl)).Err(); err != nil {
		return fail("set", err)
	}
	return nil
}

// Delete removes key.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.begin(ctx, "delete", key); err != nil {
		return err
	}
	if err := s.c.Del(ctx, s.prefix+key).Err(); err != nil {
		return fail("delete", err)
	}
	return nil
}

// Take returns and deletes the value of key with GETDEL (Redis 6.2 or later), which is
// atomic across every client of the server.
func (s *Store) Take(ctx context.Context, key string) ([]byte, error) {
	if err := s.begin(ctx, "take", key); err != nil {
		return nil, err
	}
	v, err := s.c.GetDel(ctx, s.prefix+key).Bytes()
	if err != nil {
		return nil, fail("take", err)
	}
	return v, nil
}

// errSkipTx ends a WATCH transaction without writing when fn returned store.ErrSkip.
var errSkipTx = errors.New("skip")

// Update reads key under WATCH, calls fn and writes its result in MULTI/EXEC. If another
// client changed the key in between, EXEC fails and Update starts over, after a short
// random pause that grows with each attempt.
func (s *Store) Update(ctx context.Context, key string, fn store.UpdateFunc) error {
	if err := s.begin(ctx, "update", key); err != nil {
		return err
	}
	k := s.prefix + key
	var fnErr error
	txf := func(tx *goredis.Tx) error {
		fnErr = nil
		cur, err := tx.Get(ctx, k).Bytes()
		exists := true
		if errors.Is(err, goredis.Nil) {
			cur, exists = nil, false
		} else if err != nil {
			return err
		}
		next, ttl, err := fn(cur, exists)
		if err == store.ErrSkip {
			return errSkipTx
		}
		if err != nil {
			fnErr = err
			return err
		}
		if err := store.CheckTTL(ttl); err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p goredis.Pipeliner) error {
			p.Set(ctx, k, next, expiration(ttl))
			return nil
		})
		return err
	}
	for attempt := 0; ; attempt++ {
		err := s.c.Watch(ctx, txf, k)
		switch {
		case err == nil, err == errSkipTx:
			return nil
		case fnErr != nil && err == fnErr:
			return err
		case !errors.Is(err, goredis.TxFailedErr):
			return fail("update", err)
		case attempt >= s.maxRetries:
			return fmt.Errorf("redis store: update: gave up after %d attempts: %w", attempt+1, store.ErrConflict)
		}
		if err := pause(ctx, attempt); err != nil {
			return fail("update", err)
		}
	}
}

// pause sleeps a random time up to a bound that doubles with each attempt (from 100µs
// to 25ms), so that racing writers spread out.
func pause(ctx context.Context, attempt int) error {
	bound := 100 * time.Microsecond << min(attempt, 8)
	t := time.NewTimer(rand.N(bound) + time.Microsecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// scanCount is the COUNT hint of each SCAN call.
const scanCount = 1000

// List returns the keys with prefix using SCAN (which never blocks the server the way
// KEYS does). Glob characters in the prefix are escaped, so the match is literal.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("redis store: list: %w", err)
	}
	if s.closed.Load() {
		return nil, fmt.Errorf("redis store: list: %w", store.ErrClosed)
	}
	match := escapeGlob(s.prefix+prefix) + "*"
	seen := make(map[string]struct{})
	var cursor uint64
	for {
		keys, next, err := s.c.Scan(ctx, cursor, match, scanCount).Result()
		if err != nil {
			return nil, fail("list", err)
		}
		for _, k := range keys {
			seen[strings.TrimPrefix(k, s.prefix)] = struct{}{} // SCAN may repeat a key
		}
		if next == 0 {
			break
		}
		cursor = next
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	slices.Sort(out)
	return out, nil
}

// escapeGlob escapes the characters that Redis's glob-style MATCH gives a meaning.
func escapeGlob(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '*', '?', '[', ']', '\\', '^', '-':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Close closes the connection pool. Data stays in Redis.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		if cerr := s.c.Close(); cerr != nil {
			err = fmt.Errorf("redis store: close: %w", cerr)
		}
	})
	return err
}

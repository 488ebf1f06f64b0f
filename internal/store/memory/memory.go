// Package memory owns the in-process store.Store: a map guarded by a mutex, with expiry
// enforced on every read and expired entries swept in the background. Nothing survives
// Close or a restart; it serves tests and single-process set-ups that want no file.
package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gwmcp/gwmcp/internal/store"
)

// DefaultSweepInterval is how often expired entries are removed when Options leaves
// SweepInterval at zero.
const DefaultSweepInterval = time.Minute

// Options configures a Store. The zero value is ready to use.
type Options struct {
	// Now returns the current time; nil means time.Now. Tests inject a fake clock.
	Now func() time.Time
	// SweepInterval is how often a background goroutine removes expired entries; 0
	// means DefaultSweepInterval and a negative value disables the sweep (expired
	// entries are then removed only when touched or by Sweep).
	SweepInterval time.Duration
}

type entry struct {
	value   []byte
	expires time.Time // zero: never
}

func (e entry) live(now time.Time) bool {
	return e.expires.IsZero() || now.Before(e.expires)
}

// Store is an in-memory store.Store.
type Store struct {
	now func() time.Time

	mu     sync.Mutex
	m      map[string]entry
	closed bool

	stop chan struct{}
	wg   sync.WaitGroup
}

var _ store.Store = (*Store)(nil)

// New returns an empty Store. Close it to stop the background sweep.
func New(opts Options) *Store {
	s := &Store{now: opts.Now, m: make(map[string]entry), stop: make(chan struct{})}
	if s.now == nil {
		s.now = time.Now
	}
	interval := opts.SweepInterval
	if interval == 0 {
		interval = DefaultSweepInterval
	}
	if interval > 0 {
		s.wg.Add(1)
		go s.sweepLoop(interval)
	}
	return s
}

func (s *Store) sweepLoop(interval time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.Sweep()
		}
	}
}

// Sweep removes every expired entry now and returns how many it removed.
func (s *Store) Sweep() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	n := 0
	for k, e := range s.m {
		if !e.live(now) {
			delete(s.m, k)
			n++
		}
	}
	return n
}

// Len returns the number of entries held, expired ones not yet swept included.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// lock validates the arguments and takes the lock; on success the caller must unlock.
func (s *Store) lock(ctx context.Context, op, key string) error {
	if err := store.Check(ctx, key); err != nil {
		return fmt.Errorf("memory store: %s: %w", op, err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("memory store: %s: %w", op, store.ErrClosed)
	}
	return nil
}

// lookup returns the live entry of key, deleting it if it has expired. s.mu is held.
func (s *Store) lookup(key string, now time.Time) (entry, bool) {
	e, ok := s.m[key]
	if !ok {
		return entry{}, false
	}
	if !e.live(now) {
		delete(s.m, key)
		return entry{}, false
	}
	return e, true
}

// expiry returns the expiry time of a value written now with ttl, given the entry it
// replaces.
func expiry(now time.Time, ttl time.Duration, old entry, existed bool) time.Time {
	switch {
	case ttl > 0:
		return now.Add(ttl)
	case ttl == store.KeepTTL && existed:
		return old.expires
	default:
		return time.Time{}
	}
}

// Get returns a copy of the value of key.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.lock(ctx, "get", key); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	e, ok := s.lookup(key, s.now())
	if !ok {
		return nil, fmt.Errorf("memory store: get: %w", store.ErrNotFound)
	}
	return clone(e.value), nil
}

// Set stores a copy of value under key.
func (s *Store) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := store.CheckTTL(ttl); err != nil {
		return fmt.Errorf("memory store: set: %w", err)
	}
	if err := s.lock(ctx, "set", key); err != nil {
		return err
	}
	defer s.mu.Unlock()
	now := s.now()
	old, existed := s.lookup(key, now)
	s.m[key] = entry{value: clone(value), expires: expiry(now, ttl, old, existed)}
	return nil
}

// Delete removes key.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.lock(ctx, "delete", key); err != nil {
		return err
	}
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}

// Take returns and removes the value of key.
func (s *Store) Take(ctx context.Context, key string) ([]byte, error) {
	if err := s.lock(ctx, "take", key); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	e, ok := s.lookup(key, s.now())
	if !ok {
		return nil, fmt.Errorf("memory store: take: %w", store.ErrNotFound)
	}
	delete(s.m, key)
	return e.value, nil // the map no longer references it
}

// Update replaces the value of key with what fn returns, holding the store's lock while
// fn runs.
func (s *Store) Update(ctx context.Context, key string, fn store.UpdateFunc) error {
	if err := s.lock(ctx, "update", key); err != nil {
		return err
	}
	defer s.mu.Unlock()
	now := s.now()
	old, existed := s.lookup(key, now)
	var cur []byte
	if existed {
		cur = clone(old.value)
	}
	next, ttl, err := fn(cur, existed)
	if err == store.ErrSkip {
		return nil
	}
	if err != nil {
		return err
	}
	if err := store.CheckTTL(ttl); err != nil {
		return fmt.Errorf("memory store: update: %w", err)
	}
	s.m[key] = entry{value: clone(next), expires: expiry(now, ttl, old, existed)}
	return nil
}

// List returns the live keys with prefix, sorted.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory store: list: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("memory store: list: %w", store.ErrClosed)
	}
	now := s.now()
	keys := []string{}
	for k, e := range s.m {
		if strings.HasPrefix(k, prefix) && e.live(now) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys, nil
}

// Close drops every entry and stops the sweep goroutine, waiting for it to exit.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.m = nil
	s.mu.Unlock()
	close(s.stop)
	s.wg.Wait()
	return nil
}

// clone copies b; unlike bytes.Clone it returns a non-nil slice for empty input, so an
// empty value reads back as empty rather than absent.
func clone(b []byte) []byte {
	return append(make([]byte, 0, len(b)), b...)
}

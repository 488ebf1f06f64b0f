// Package storetest owns the conformance suite that every store.Store backend passes,
// the benchmarks they share and a small AES-GCM Sealer for tests. A backend's test calls
// Run with a function that opens a fresh, empty store; the suite runs every case on the
// store as it is, again wrapped in store.Sealed, and checks the sealing itself against
// the raw store underneath.
package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/store"
)

// OpenFunc returns a new, empty store for one test. The suite closes it (Close must
// accept being called twice); the function registers any other clean-up with t.
type OpenFunc func(t *testing.T) store.Store

// ReopenFunc returns a store over the same data as closed, a store returned by the
// OpenFunc (or an earlier ReopenFunc) that the suite has just closed.
type ReopenFunc func(t *testing.T, closed store.Store) store.Store

// Option changes what Run checks.
type Option func(*config)

type config struct {
	reopen ReopenFunc
}

// WithReopen declares the backend persistent: the suite also checks that data, expiry
// included, survives closing the store and opening it again with reopen.
func WithReopen(reopen ReopenFunc) Option {
	return func(c *config) { c.reopen = reopen }
}

// shortTTL is the expiry the suite uses for keys meant to expire during a test; wait is
// long enough for them to be gone. Real time, because Redis keeps real time.
const (
	shortTTL = 150 * time.Millisecond
	wait     = shortTTL + 150*time.Millisecond
)

// Run runs the conformance suite against the stores open returns. Every case runs in
// parallel with the others on its own store.
func Run(t *testing.T, open OpenFunc, opts ...Option) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	plain := &harness{openFn: open, reopenFn: cfg.reopen}
	t.Run("Plain", func(t *testing.T) { runCases(t, plain) })

	sealed := &harness{openFn: open, reopenFn: cfg.reopen, sealed: true}
	t.Run("Sealed", func(t *testing.T) { runCases(t, sealed) })

	t.Run("Sealing", func(t *testing.T) { runSealing(t, open) })
}

// harness opens stores for the cases, wrapped in store.Sealed when sealed is set, and
// remembers how to reopen them.
type harness struct {
	openFn   OpenFunc
	reopenFn ReopenFunc
	sealed   bool

	mu    sync.Mutex
	inner map[store.Store]wrapped // sealed store -> what it wraps
}

type wrapped struct {
	inner  store.Store
	sealer *Sealer
}

func (h *harness) persistent() bool { return h.reopenFn != nil }

// open returns a fresh store that is closed when the test ends.
func (h *harness) open(t *testing.T) store.Store {
	t.Helper()
	s := h.openFn(t)
	t.Cleanup(func() { _ = s.Close() })
	if !h.sealed {
		return s
	}
	return h.wrap(t, s, NewSealer())
}

func (h *harness) wrap(t *testing.T, inner store.Store, sealer *Sealer) store.Store {
	ss := store.Sealed(inner, sealer)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.inner == nil {
		h.inner = make(map[store.Store]wrapped)
	}
	h.inner[ss] = wrapped{inner: inner, sealer: sealer}
	t.Cleanup(func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.inner, ss)
	})
	return ss
}

// reopen closes s and returns a store over the same data.
func (h *harness) reopen(t *testing.T, s store.Store) store.Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close before reopening: %v", err)
	}
	if !h.sealed {
		r := h.reopenFn(t, s)
		t.Cleanup(func() { _ = r.Close() })
		return r
	}
	h.mu.Lock()
	w, ok := h.inner[s]
	h.mu.Unlock()
	if !ok {
		t.Fatal("storetest: reopen of a store the harness did not open")
	}
	r := h.reopenFn(t, w.inner)
	t.Cleanup(func() { _ = r.Close() })
	return h.wrap(t, r, w.sealer)
}

// testCase is one conformance case.
type testCase struct {
	name string
	run  func(t *testing.T, h *harness)
}

func runCases(t *testing.T, h *harness) {
	cases := []testCase{
		{"InvalidArguments", testInvalidArguments},
		{"GetSetDelete", testGetSetDelete},
		{"Overwrite", testOverwrite},
		{"Values", testValues},
		{"Keys", testKeys},
		{"NoAliasing", testNoAliasing},
		{"Expiry", testExpiry},
		{"Take", testTake},
		{"TakeOnce", testTakeOnce},
		{"Update", testUpdate},
		{"UpdateConcurrent", testUpdateConcurrent},
		{"Incr", testIncr},
		{"IncrConcurrent", testIncrConcurrent},
		{"Create", testCreate},
		{"CreateConcurrent", testCreateConcurrent},
		{"List", testList},
		{"ContextCancelled", testContextCancelled},
		{"Closed", testClosed},
		{"Reopen", testReopen},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, h)
		})
	}
}

// Assertion helpers shared by the cases.

func mustSet(t *testing.T, s store.Store, key string, value []byte, ttl time.Duration) {
	t.Helper()
	if err := s.Set(t.Context(), key, value, ttl); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

func wantValue(t *testing.T, s store.Store, key string, want []byte) {
	t.Helper()
	got, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v, want %q", key, err, abbrev(want))
	}
	if string(got) != string(want) {
		t.Fatalf("Get(%q) = %q, want %q", key, abbrev(got), abbrev(want))
	}
}

func wantAbsent(t *testing.T, s store.Store, key string) {
	t.Helper()
	got, err := s.Get(t.Context(), key)
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(%q) = %q, %v; want ErrNotFound", key, abbrev(got), err)
	}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error %v, want one matching %v", what, err, target)
	}
}

// abbrev shortens large values in failure messages.
func abbrev(b []byte) []byte {
	if len(b) > 64 {
		return append(b[:64:64], "..."...)
	}
	return b
}

// race starts n goroutines that call fn(i) at the same moment and waits for them all.
func race(n int, fn func(i int)) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			fn(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
}

// cancelled returns a context that is already cancelled.
func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

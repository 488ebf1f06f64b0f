package memory

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/store"
	"github.com/gwmcp/gwmcp/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) store.Store { return New(Options{}) })
}

func BenchmarkMemory(b *testing.B) {
	storetest.Benchmark(b, func(*testing.B) store.Store { return New(Options{}) })
}

// clock is a fake clock that tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestExpiryFollowsInjectedClock(t *testing.T) {
	c := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s := New(Options{Now: c.Now, SweepInterval: -1})
	defer s.Close()
	ctx := t.Context()
	if err := s.Set(ctx, "code", []byte("v"), 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "client", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	c.Add(10*time.Minute - time.Nanosecond)
	if _, err := s.Get(ctx, "code"); err != nil {
		t.Fatalf("Get just before expiry: %v", err)
	}
	c.Add(time.Nanosecond)
	if _, err := s.Get(ctx, "code"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get at expiry: %v, want ErrNotFound", err)
	}
	if _, err := s.Get(ctx, "client"); err != nil {
		t.Fatalf("Get of a key without expiry: %v", err)
	}
}

func TestSweepRemovesExpiredEntries(t *testing.T) {
	c := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s := New(Options{Now: c.Now, SweepInterval: -1})
	defer s.Close()
	ctx := t.Context()
	for _, k := range []string{"a", "b", "c"} {
		if err := s.Set(ctx, k, []byte("v"), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Set(ctx, "kept", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	c.Add(time.Minute)
	if got := s.Len(); got != 4 {
		t.Fatalf("Len before the sweep = %d, want 4 (expired entries still held)", got)
	}
	if n := s.Sweep(); n != 3 {
		t.Fatalf("Sweep removed %d, want 3", n)
	}
	if got := s.Len(); got != 1 {
		t.Fatalf("Len after the sweep = %d, want 1", got)
	}
}

func TestBackgroundSweepRunsAndStopsOnClose(t *testing.T) {
	s := New(Options{SweepInterval: 5 * time.Millisecond})
	if err := s.Set(t.Context(), "k", []byte("v"), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.Len() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the background sweep never removed the expired entry")
		}
		time.Sleep(time.Millisecond)
	}
	done := make(chan struct{})
	go func() {
		s.Close() // returns only once the sweep goroutine has exited
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not stop the sweep goroutine")
	}
	select {
	case <-s.stop:
	default:
		t.Fatal("stop channel still open after Close")
	}
}

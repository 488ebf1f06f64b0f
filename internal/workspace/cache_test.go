package workspace

import (
	"context"
	"sync"
	"testing"
	"time"
)

func newCacheFactory(t *testing.T, clk *clock, mod func(*Options)) *Factory {
	t.Helper()
	o := Options{Credentials: memStore(t, validCred(alice, "ya29.a"), validCred(bob, "ya29.b")),
		Refresher: noRefresh{t}, Now: clk.Now}
	if mod != nil {
		mod(&o)
	}
	f, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestCacheHitMissAndTTL(t *testing.T) {
	clk := newClock()
	f := newCacheFactory(t, clk, nil)
	ctx := context.Background()
	d1, err := f.Drive(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	d2, _ := f.Drive(ctx, " Alice@Sandbox.Example ") // same account, other spelling
	if d1 != d2 {
		t.Error("second lookup built a new client")
	}
	g, _ := f.Gmail(ctx, alice)
	if g == nil {
		t.Fatal("no gmail client")
	}
	if s := f.Stats(); s.Hits != 1 || s.Misses != 2 || s.Size != 2 {
		t.Errorf("stats = %+v, want 1 hit, 2 misses, size 2", s)
	}
	clk.Advance(29 * time.Minute)
	if d, _ := f.Drive(ctx, alice); d != d1 {
		t.Error("client dropped before its TTL")
	}
	clk.Advance(time.Minute)
	d3, _ := f.Drive(ctx, alice)
	if d3 == d1 {
		t.Error("client used after its TTL")
	}
	if s := f.Stats(); s.Expirations != 1 || s.Misses != 3 || s.Hits != 2 {
		t.Errorf("stats = %+v, want 1 expiration, 3 misses, 2 hits", s)
	}
}

func TestCacheLRUEviction(t *testing.T) {
	clk := newClock()
	f := newCacheFactory(t, clk, func(o *Options) { o.MaxClients = 2 })
	ctx := context.Background()
	d, _ := f.Drive(ctx, alice)
	f.Gmail(ctx, alice)
	f.Drive(ctx, alice)    // Drive is now the most recently used
	f.Calendar(ctx, alice) // evicts Gmail
	if s := f.Stats(); s.Evictions != 1 || s.Size != 2 {
		t.Errorf("stats = %+v, want 1 eviction, size 2", s)
	}
	if d2, _ := f.Drive(ctx, alice); d2 != d {
		t.Error("the recently used client was evicted")
	}
	before := f.Stats().Misses
	f.Gmail(ctx, alice)
	if f.Stats().Misses != before+1 {
		t.Error("the least recently used client was not evicted")
	}
}

func TestCacheClearDropsOnlyThatAccount(t *testing.T) {
	clk := newClock()
	f := newCacheFactory(t, clk, nil)
	ctx := context.Background()
	da, _ := f.Drive(ctx, alice)
	f.Gmail(ctx, alice)
	f.HTTPClient(ctx, alice)
	db, _ := f.Drive(ctx, bob)
	if n := f.Clear("ALICE@sandbox.example"); n != 3 {
		t.Errorf("Clear dropped %d clients, want 3", n)
	}
	if s := f.Stats(); s.Size != 1 {
		t.Errorf("size = %d, want 1", s.Size)
	}
	if d, _ := f.Drive(ctx, bob); d != db {
		t.Error("Clear(alice) dropped bob's client")
	}
	if d, _ := f.Drive(ctx, alice); d == da {
		t.Error("Clear(alice) kept alice's client")
	}
}

func TestCachingDisabled(t *testing.T) {
	clk := newClock()
	f := newCacheFactory(t, clk, func(o *Options) { o.DisableCaching = true })
	ctx := context.Background()
	d1, _ := f.Drive(ctx, alice)
	d2, _ := f.Drive(ctx, alice)
	if d1 == nil || d1 == d2 {
		t.Error("with caching off every lookup must build a new client")
	}
	if s := f.Stats(); s.Hits != 0 || s.Misses != 2 || s.Size != 0 {
		t.Errorf("stats = %+v", s)
	}
}

// Concurrent lookups of one client all get the same one.
func TestCacheConcurrentLookups(t *testing.T) {
	clk := newClock()
	f := newCacheFactory(t, clk, nil)
	ctx := context.Background()
	first, _ := f.Sheets(ctx, alice)
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			s, err := f.Sheets(ctx, alice)
			if err != nil || s != first {
				t.Error("concurrent lookup returned another client")
			}
			f.Docs(ctx, bob)
		})
	}
	wg.Wait()
	if s := f.Stats(); s.Size != 2 {
		t.Errorf("size = %d, want 2", s.Size)
	}
}

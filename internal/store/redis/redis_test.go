package redis

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gwmcp/gwmcp/internal/store"
	"github.com/gwmcp/gwmcp/internal/store/storetest"
)

// testURL is the Redis the tests use: 127.0.0.1:6379, or GWMCP_TEST_REDIS_URL if set.
// Every test works under a prefix of its own and deletes its keys when it ends.
var testURL = cmp.Or(os.Getenv("GWMCP_TEST_REDIS_URL"), "redis://127.0.0.1:6379/0")

var (
	reachOnce sync.Once
	reachErr  error
)

// requireRedis skips the test when Redis is unreachable, or fails it when the CI
// environment variable is set, since CI always provides one.
func requireRedis(tb testing.TB) {
	tb.Helper()
	reachOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s, err := Open(ctx, testURL, Options{})
		if err != nil {
			reachErr = err
			return
		}
		reachErr = s.Close()
	})
	if reachErr == nil {
		return
	}
	if os.Getenv("CI") != "" {
		tb.Fatalf("Redis at %s is required in CI and unreachable: %v", testURL, reachErr)
	}
	tb.Skipf("Redis at %s unreachable, skipping (set CI=1 to make this a failure): %v", testURL, reachErr)
}

// testPrefix returns a fresh prefix and deletes every key under it when tb ends.
func testPrefix(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	prefix := "gwmcptest:" + hex.EncodeToString(b) + ":"
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c := rawClient(tb)
		defer c.Close()
		iter := c.Scan(ctx, 0, escapeGlob(prefix)+"*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			tb.Errorf("cleaning up %s: %v", prefix, err)
			return
		}
		for len(keys) > 0 {
			n := min(len(keys), 500)
			if err := c.Del(ctx, keys[:n]...).Err(); err != nil {
				tb.Errorf("cleaning up %s: %v", prefix, err)
				return
			}
			keys = keys[n:]
		}
	})
	return prefix
}

func rawClient(tb testing.TB) *goredis.Client {
	tb.Helper()
	o, err := goredis.ParseURL(testURL)
	if err != nil {
		tb.Fatal(err)
	}
	return goredis.NewClient(o)
}

func openTest(tb testing.TB, prefix string, opts Options) *Store {
	tb.Helper()
	opts.Prefix = prefix
	s, err := Open(tb.Context(), testURL, opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	requireRedis(t)
	storetest.Run(t,
		func(t *testing.T) store.Store { return openTest(t, testPrefix(t), Options{}) },
		storetest.WithReopen(func(t *testing.T, closed store.Store) store.Store {
			return openTest(t, closed.(*Store).Prefix(), Options{})
		}),
	)
}

func BenchmarkRedis(b *testing.B) {
	requireRedis(b)
	storetest.Benchmark(b, func(b *testing.B) store.Store { return openTest(b, testPrefix(b), Options{}) })
}

func TestOpenNeverShowsThePassword(t *testing.T) {
	const pw = "s3cr3t-Pa55word"
	cases := []struct {
		name, url string
	}{
		{"unreachable", "redis://gwmcp:" + pw + "@127.0.0.1:1/0"},
		{"bad port", "redis://gwmcp:" + pw + "@127.0.0.1:notaport/0"},
		{"bad scheme", "http://gwmcp:" + pw + "@127.0.0.1:6379/0"},
		{"bad database", "redis://gwmcp:" + pw + "@127.0.0.1:6379/zero"},
		{"bad query", "redis://gwmcp:" + pw + "@127.0.0.1:6379/0?dial_timeout=soon"},
		{"bad escape", "redis://gwmcp:" + pw + "%zz@127.0.0.1:6379/0"},
		{"unescaped slash", "redis://gwmcp:" + pw + "/x@127.0.0.1:6379/0"},
		{"slash before password", "redis://gwmcp:/" + pw + "@127.0.0.1:6379/0"},
	}
	if reachable(t) {
		cases = append(cases, struct{ name, url string }{"unknown user", "redis://nosuchuser:" + pw + "@127.0.0.1:6379/0"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
			defer cancel()
			s, err := Open(ctx, c.url, Options{})
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded, want an error")
			}
			if strings.Contains(err.Error(), pw) || strings.Contains(err.Error(), "Pa55") {
				t.Fatalf("error shows the password: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "redis store: ") {
				t.Fatalf("error %q does not say where it comes from", err)
			}
			t.Log(err)
		})
	}
}

// reachable reports whether Redis answers, without skipping.
func reachable(t *testing.T) bool {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	c := rawClient(t)
	defer c.Close()
	return c.Ping(ctx).Err() == nil
}

func TestPrefixIsolatesAndIsApplied(t *testing.T) {
	requireRedis(t)
	p1, p2 := testPrefix(t), testPrefix(t)
	a, b := openTest(t, p1, Options{}), openTest(t, p2, Options{})
	defer a.Close()
	defer b.Close()
	ctx := t.Context()
	if err := a.Set(ctx, "client:1", []byte("a"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "client:1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("other prefix Get: %v, want ErrNotFound", err)
	}
	if keys, err := b.List(ctx, ""); err != nil || len(keys) != 0 {
		t.Fatalf("other prefix List = %q, %v; want none", keys, err)
	}
	c := rawClient(t)
	defer c.Close()
	if v, err := c.Get(ctx, p1+"client:1").Result(); err != nil || v != "a" {
		t.Fatalf("raw GET of prefixed key = %q, %v", v, err)
	}
}

func TestDefaultPrefix(t *testing.T) {
	requireRedis(t)
	s, err := Open(t.Context(), testURL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Prefix() != DefaultPrefix || DefaultPrefix != "gwmcp:" {
		t.Fatalf("Prefix() = %q, want %q", s.Prefix(), "gwmcp:")
	}
}

func TestTakeOnceAcrossClients(t *testing.T) {
	requireRedis(t)
	prefix := testPrefix(t)
	const replicas, rounds = 4, 5
	var stores []*Store
	for range replicas {
		s := openTest(t, prefix, Options{})
		defer s.Close()
		stores = append(stores, s)
	}
	for round := range rounds {
		if err := stores[0].Set(t.Context(), "code", []byte("grant"), time.Minute); err != nil {
			t.Fatal(err)
		}
		var winners atomic.Int32
		var wg sync.WaitGroup
		for i := range 100 {
			wg.Go(func() {
				_, err := stores[i%replicas].Take(t.Context(), "code")
				switch {
				case err == nil:
					winners.Add(1)
				case !errors.Is(err, store.ErrNotFound):
					t.Errorf("Take: %v", err)
				}
			})
		}
		wg.Wait()
		if n := winners.Load(); n != 1 {
			t.Fatalf("round %d: %d winners across %d clients, want 1", round, n, replicas)
		}
	}
}

func TestUpdateGivesUpWithErrConflict(t *testing.T) {
	requireRedis(t)
	prefix := testPrefix(t)
	s := openTest(t, prefix, Options{MaxUpdateRetries: 3})
	defer s.Close()
	c := rawClient(t)
	defer c.Close()
	calls := 0
	err := s.Update(t.Context(), "k", func([]byte, bool) ([]byte, time.Duration, error) {
		calls++
		// Another writer changes the key every time, so EXEC always fails.
		if err := c.Set(t.Context(), prefix+"k", calls, 0).Err(); err != nil {
			return nil, 0, err
		}
		return []byte("mine"), 0, nil
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("Update: %v, want ErrConflict", err)
	}
	if calls != 4 {
		t.Fatalf("fn called %d times, want 4 (one try and 3 retries)", calls)
	}
}

func TestEscapeGlob(t *testing.T) {
	cases := map[string]string{
		"":            "",
		"gwmcp:":      "gwmcp:",
		"a*b":         `a\*b`,
		"a?b":         `a\?b`,
		"[x]":         `\[x\]`,
		`back\slash`:  `back\\slash`,
		"^-":          `\^\-`,
		"ключ:ü":      "ключ:ü",
		"client:{id}": "client:{id}",
	}
	for in, want := range cases {
		if got := escapeGlob(in); got != want {
			t.Errorf("escapeGlob(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExpirationRounding(t *testing.T) {
	cases := []struct{ in, want time.Duration }{
		{0, 0},
		{store.KeepTTL, goredis.KeepTTL},
		{time.Nanosecond, time.Millisecond},
		{1500 * time.Microsecond, 2 * time.Millisecond},
		{150 * time.Millisecond, 150 * time.Millisecond},
		{time.Hour, time.Hour},
	}
	for _, c := range cases {
		if got := expiration(c.in); got != c.want {
			t.Errorf("expiration(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

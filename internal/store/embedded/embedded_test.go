package embedded

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/gwmcp/gwmcp/internal/store"
	"github.com/gwmcp/gwmcp/internal/store/storetest"
)

func openAt(tb testing.TB, path string, opts Options) *Store {
	tb.Helper()
	s, err := Open(path, opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t,
		func(t *testing.T) store.Store {
			return openAt(t, filepath.Join(t.TempDir(), "gwmcp.db"), Options{})
		},
		storetest.WithReopen(func(t *testing.T, closed store.Store) store.Store {
			return openAt(t, closed.(*Store).Path(), Options{})
		}),
	)
}

func BenchmarkEmbedded(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) store.Store {
		return openAt(b, filepath.Join(b.TempDir(), "gwmcp.db"), Options{})
	})
}

func TestFileModeAndDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials", "gwmcp.db")
	s := openAt(t, path, Options{})
	defer s.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Fatalf("file mode = %o, want 600", mode)
	}
	di, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if mode := di.Mode().Perm(); mode != 0o700 {
		t.Fatalf("directory mode = %o, want 700", mode)
	}
}

func TestOpenTightensFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gwmcp.db")
	openAt(t, path, Options{}).Close()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	s := openAt(t, path, Options{})
	defer s.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Fatalf("file mode after reopening = %o, want 600", mode)
	}
}

func TestSecondOpenFailsClearly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gwmcp.db")
	s := openAt(t, path, Options{})
	defer s.Close()
	start := time.Now()
	_, err := Open(path, Options{LockTimeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Fatalf("second Open took %s, want about the lock timeout", elapsed)
	}
	for _, want := range []string{path, "in use by another gwmcp process"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not mention %q", err, want)
		}
	}
	// Once the first store is closed the file opens again.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	openAt(t, path, Options{LockTimeout: time.Second}).Close()
}

func TestOpenRefusesNewerFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gwmcp.db")
	openAt(t, path, Options{}).Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyVersion, []byte("99")) })
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(path, Options{})
	if err == nil || !strings.Contains(err.Error(), `format version "99"`) {
		t.Fatalf("Open of a newer file: %v, want a format version error", err)
	}
}

func TestCorruptRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gwmcp.db")
	openAt(t, path, Options{}).Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketKV).Put([]byte("bad"), []byte{9, 9}) })
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s := openAt(t, path, Options{})
	defer s.Close()
	if _, err := s.Get(t.Context(), "bad"); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("Get of a corrupt record: %v, want ErrCorrupt", err)
	}
	if err := s.Set(t.Context(), "bad", []byte("fixed"), store.KeepTTL); err != nil {
		t.Fatalf("Set over a corrupt record: %v", err)
	}
	if v, err := s.Get(t.Context(), "bad"); err != nil || string(v) != "fixed" {
		t.Fatalf("Get after overwriting = %q, %v", v, err)
	}
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

func TestExpirySurvivesRestartAndIsSwept(t *testing.T) {
	c := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	path := filepath.Join(t.TempDir(), "gwmcp.db")
	opts := Options{Now: c.Now, SweepInterval: -1}
	s := openAt(t, path, opts)
	ctx := t.Context()
	for _, k := range []string{"code:1", "code:2"} {
		if err := s.Set(ctx, k, []byte("v"), 10*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Set(ctx, "client:1", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	s.Close()

	c.Add(9 * time.Minute)
	s = openAt(t, path, opts)
	if _, err := s.Get(ctx, "code:1"); err != nil {
		t.Fatalf("Get before expiry, after a restart: %v", err)
	}
	c.Add(time.Minute)
	if _, err := s.Get(ctx, "code:1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get at expiry: %v, want ErrNotFound", err)
	}
	if n := rawCount(t, s); n != 3 {
		t.Fatalf("records before the sweep = %d, want 3", n)
	}
	if n, err := s.Sweep(); err != nil || n != 2 {
		t.Fatalf("Sweep = %d, %v; want 2", n, err)
	}
	if n := rawCount(t, s); n != 1 {
		t.Fatalf("records after the sweep = %d, want 1", n)
	}
	s.Close()

	// Opening sweeps too.
	s = openAt(t, path, opts)
	if err := s.Set(ctx, "state:1", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	s.Close()
	c.Add(time.Hour)
	s = openAt(t, path, opts)
	defer s.Close()
	if n := rawCount(t, s); n != 1 {
		t.Fatalf("records after reopening past expiry = %d, want 1", n)
	}
}

func TestBackgroundSweep(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "gwmcp.db"), Options{SweepInterval: 5 * time.Millisecond})
	defer s.Close()
	if err := s.Set(t.Context(), "k", []byte("v"), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for rawCount(t, s) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the background sweep never removed the expired record")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func rawCount(t *testing.T, s *Store) int {
	t.Helper()
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketKV).Stats().KeyN
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

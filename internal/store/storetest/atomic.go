package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/store"
)

// racers is how many goroutines the concurrency cases start at once; rounds how often
// the take-once race is repeated.
const (
	racers = 100
	rounds = 5
)

func testExpiry(t *testing.T, h *harness) {
	s := h.open(t)
	ctx := t.Context()
	update := func(key string, value string, ttl time.Duration) {
		t.Helper()
		err := s.Update(ctx, key, func([]byte, bool) ([]byte, time.Duration, error) { return []byte(value), ttl, nil })
		if err != nil {
			t.Fatalf("Update(%q): %v", key, err)
		}
	}
	// Each step leaves one key either expiring at about shortTTL from now or not.
	steps := []struct {
		key     string
		do      func(key string)
		expires bool
	}{
		{"set-ttl", func(k string) { mustSet(t, s, k, []byte("v"), shortTTL) }, true},
		{"set-long-ttl", func(k string) { mustSet(t, s, k, []byte("v"), time.Hour) }, false},
		{"set-then-persist", func(k string) {
			mustSet(t, s, k, []byte("v"), shortTTL)
			mustSet(t, s, k, []byte("v"), 0)
		}, false},
		{"persist-then-ttl", func(k string) {
			mustSet(t, s, k, []byte("v"), 0)
			mustSet(t, s, k, []byte("v"), shortTTL)
		}, true},
		{"set-keepttl", func(k string) {
			mustSet(t, s, k, []byte("v1"), shortTTL)
			mustSet(t, s, k, []byte("v"), store.KeepTTL)
		}, true},
		{"set-keepttl-no-expiry", func(k string) {
			mustSet(t, s, k, []byte("v1"), 0)
			mustSet(t, s, k, []byte("v"), store.KeepTTL)
		}, false},
		{"set-keepttl-new-key", func(k string) { mustSet(t, s, k, []byte("v"), store.KeepTTL) }, false},
		{"update-keepttl", func(k string) {
			mustSet(t, s, k, []byte("v1"), shortTTL)
			update(k, "v", store.KeepTTL)
		}, true},
		{"update-keepttl-new-key", func(k string) { update(k, "v", store.KeepTTL) }, false},
		{"update-new-ttl", func(k string) { update(k, "v", shortTTL) }, true},
		{"update-persist", func(k string) {
			mustSet(t, s, k, []byte("v1"), shortTTL)
			update(k, "v", 0)
		}, false},
		{"create-ttl", func(k string) {
			if err := store.Create(ctx, s, k, []byte("v"), shortTTL); err != nil {
				t.Fatal(err)
			}
		}, true},
	}
	for _, st := range steps {
		st.do(st.key)
		wantValue(t, s, st.key, []byte("v"))
	}
	if n, err := store.Incr(ctx, s, "counter", shortTTL); err != nil || n != 1 {
		t.Fatalf("first Incr = %d, %v; want 1", n, err)
	}
	if n, err := store.Incr(ctx, s, "counter", time.Hour); err != nil || n != 2 {
		t.Fatalf("second Incr = %d, %v; want 2 (in the same window)", n, err)
	}
	mustSet(t, s, "take-me", []byte("v"), shortTTL)
	mustSet(t, s, "update-me", []byte("v"), shortTTL)
	mustSet(t, s, "create-me", []byte("old"), shortTTL)

	time.Sleep(wait)

	var live []string
	for _, st := range steps {
		if st.expires {
			wantAbsent(t, s, st.key)
		} else {
			wantValue(t, s, st.key, []byte("v"))
			live = append(live, st.key)
		}
	}
	slices.Sort(live)
	got, err := s.List(ctx, "")
	if err != nil || !slices.Equal(got, live) {
		t.Fatalf("List after expiry = %q, %v; want %q (expired keys excluded)", got, err, live)
	}
	_, err = s.Take(ctx, "take-me")
	wantErr(t, "Take of an expired key", err, store.ErrNotFound)
	err = s.Update(ctx, "update-me", func(cur []byte, exists bool) ([]byte, time.Duration, error) {
		if exists || cur != nil {
			return nil, 0, fmt.Errorf("fn saw an expired value as existing (%q)", cur)
		}
		return []byte("fresh"), 0, nil
	})
	if err != nil {
		t.Fatalf("Update of an expired key: %v", err)
	}
	wantValue(t, s, "update-me", []byte("fresh"))
	if err := store.Create(ctx, s, "create-me", []byte("new"), 0); err != nil {
		t.Fatalf("Create over an expired key: %v, want nil", err)
	}
	wantValue(t, s, "create-me", []byte("new"))
	if n, err := store.Incr(ctx, s, "counter", shortTTL); err != nil || n != 1 {
		t.Fatalf("Incr after the window = %d, %v; want 1 (a new window)", n, err)
	}
}

func testTakeOnce(t *testing.T, h *harness) {
	s := h.open(t)
	for round := range rounds {
		key := "code:" + strconv.Itoa(round)
		want := fmt.Sprintf("grant %d", round)
		mustSet(t, s, key, []byte(want), time.Minute)
		var winners atomic.Int32
		errs := make(chan error, racers)
		race(racers, func(int) {
			got, err := s.Take(t.Context(), key)
			switch {
			case err == nil && string(got) == want:
				winners.Add(1)
			case err == nil:
				errs <- fmt.Errorf("Take returned %q, want %q", got, want)
			case !errors.Is(err, store.ErrNotFound):
				errs <- fmt.Errorf("losing Take: %w, want ErrNotFound", err)
			}
		})
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if n := winners.Load(); n != 1 {
			t.Fatalf("round %d: %d of %d racing Takes got the value, want exactly 1", round, n, racers)
		}
		wantAbsent(t, s, key)
	}
}

func testUpdate(t *testing.T, h *harness) {
	s := h.open(t)
	ctx := t.Context()

	err := s.Update(ctx, "k", func(cur []byte, exists bool) ([]byte, time.Duration, error) {
		if exists || len(cur) != 0 {
			return nil, 0, fmt.Errorf("absent key seen as %q, exists=%v", cur, exists)
		}
		return []byte("v1"), 0, nil
	})
	if err != nil {
		t.Fatalf("Update creating the key: %v", err)
	}
	wantValue(t, s, "k", []byte("v1"))

	err = s.Update(ctx, "k", func(cur []byte, exists bool) ([]byte, time.Duration, error) {
		if !exists || string(cur) != "v1" {
			return nil, 0, fmt.Errorf("present key seen as %q, exists=%v", cur, exists)
		}
		return append(cur, "+v2"...), 0, nil
	})
	if err != nil {
		t.Fatalf("Update modifying the key: %v", err)
	}
	wantValue(t, s, "k", []byte("v1+v2"))

	err = s.Update(ctx, "k", func([]byte, bool) ([]byte, time.Duration, error) { return []byte("lost"), 0, errBoom })
	if err != errBoom {
		t.Fatalf("Update whose fn fails returned %v, want fn's error unchanged", err)
	}
	wantValue(t, s, "k", []byte("v1+v2"))

	wrapped := fmt.Errorf("refresh token reused: %w", errBoom)
	err = s.Update(ctx, "k", func([]byte, bool) ([]byte, time.Duration, error) { return nil, 0, wrapped })
	if err != wrapped || !errors.Is(err, errBoom) {
		t.Fatalf("Update returned %v, want fn's wrapped error unchanged", err)
	}

	err = s.Update(ctx, "k", func([]byte, bool) ([]byte, time.Duration, error) { return []byte("lost"), 0, store.ErrSkip })
	if err != nil {
		t.Fatalf("Update whose fn returns ErrSkip: %v, want nil", err)
	}
	wantValue(t, s, "k", []byte("v1+v2"))

	err = s.Update(ctx, "absent", func([]byte, bool) ([]byte, time.Duration, error) { return nil, 0, store.ErrSkip })
	if err != nil {
		t.Fatalf("Update of an absent key skipped: %v, want nil", err)
	}
	wantAbsent(t, s, "absent")
}

func testUpdateConcurrent(t *testing.T, h *harness) {
	s := h.open(t)
	errs := make(chan error, racers)
	race(racers, func(int) {
		err := s.Update(t.Context(), "n", func(cur []byte, exists bool) ([]byte, time.Duration, error) {
			n := 0
			if exists {
				var err error
				if n, err = strconv.Atoi(string(cur)); err != nil {
					return nil, 0, err
				}
			}
			return []byte(strconv.Itoa(n + 1)), time.Minute, nil
		})
		if err != nil {
			errs <- err
		}
	})
	close(errs)
	for err := range errs {
		t.Errorf("Update: %v", err)
	}
	wantValue(t, s, "n", []byte(strconv.Itoa(racers)))
}

func testIncr(t *testing.T, h *harness) {
	s := h.open(t)
	ctx := t.Context()
	for want := int64(1); want <= 3; want++ {
		if n, err := store.Incr(ctx, s, "rate:1.2.3.4", time.Minute); err != nil || n != want {
			t.Fatalf("Incr = %d, %v; want %d", n, err, want)
		}
	}
	wantValue(t, s, "rate:1.2.3.4", []byte("3"))
	if n, err := store.Incr(ctx, s, "forever", 0); err != nil || n != 1 {
		t.Fatalf("Incr without expiry = %d, %v; want 1", n, err)
	}
	mustSet(t, s, "text", []byte("not a number"), 0)
	_, err := store.Incr(ctx, s, "text", time.Minute)
	wantErr(t, "Incr of a non-counter", err, store.ErrCorrupt)
	wantValue(t, s, "text", []byte("not a number"))
}

func testIncrConcurrent(t *testing.T, h *harness) {
	s := h.open(t)
	got := make([]int64, racers)
	errs := make(chan error, racers)
	race(racers, func(i int) {
		n, err := store.Incr(t.Context(), s, "rate:register:10.0.0.1", time.Minute)
		if err != nil {
			errs <- err
		}
		got[i] = n
	})
	close(errs)
	for err := range errs {
		t.Errorf("Incr: %v", err)
	}
	slices.Sort(got)
	for i, n := range got {
		if n != int64(i+1) {
			t.Fatalf("concurrent Incr results, sorted = %v; want 1..%d each once", got, racers)
		}
	}
}

func testCreate(t *testing.T, h *harness) {
	s := h.open(t)
	ctx := t.Context()
	if err := store.Create(ctx, s, "client:a", []byte("first"), time.Minute); err != nil {
		t.Fatalf("Create: %v", err)
	}
	err := store.Create(ctx, s, "client:a", []byte("second"), 0)
	wantErr(t, "Create of an existing key", err, store.ErrExists)
	wantValue(t, s, "client:a", []byte("first"))
	if err := s.Delete(ctx, "client:a"); err != nil {
		t.Fatal(err)
	}
	if err := store.Create(ctx, s, "client:a", []byte("third"), 0); err != nil {
		t.Fatalf("Create after Delete: %v", err)
	}
	wantValue(t, s, "client:a", []byte("third"))
}

func testCreateConcurrent(t *testing.T, h *harness) {
	s := h.open(t)
	var winners atomic.Int32
	winner := make([]bool, racers)
	errs := make(chan error, racers)
	race(racers, func(i int) {
		err := store.Create(t.Context(), s, "state:xyz", []byte(strconv.Itoa(i)), time.Minute)
		switch {
		case err == nil:
			winners.Add(1)
			winner[i] = true
		case !errors.Is(err, store.ErrExists):
			errs <- err
		}
	})
	close(errs)
	for err := range errs {
		t.Errorf("losing Create: %v, want ErrExists", err)
	}
	if n := winners.Load(); n != 1 {
		t.Fatalf("%d of %d racing Creates succeeded, want exactly 1", n, racers)
	}
	w := slices.Index(winner, true)
	wantValue(t, s, "state:xyz", []byte(strconv.Itoa(w)))
}

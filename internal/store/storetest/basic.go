package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/store"
)

// op is one Store call, used by the cases that check every method the same way.
type op struct {
	name string
	call func(ctx context.Context, s store.Store, key string) error
}

func allOps() []op {
	return []op{
		{"Get", func(ctx context.Context, s store.Store, k string) error { _, err := s.Get(ctx, k); return err }},
		{"Set", func(ctx context.Context, s store.Store, k string) error { return s.Set(ctx, k, []byte("v"), 0) }},
		{"Delete", func(ctx context.Context, s store.Store, k string) error { return s.Delete(ctx, k) }},
		{"Take", func(ctx context.Context, s store.Store, k string) error { _, err := s.Take(ctx, k); return err }},
		{"Update", func(ctx context.Context, s store.Store, k string) error {
			return s.Update(ctx, k, func([]byte, bool) ([]byte, time.Duration, error) { return []byte("v"), 0, nil })
		}},
		{"Incr", func(ctx context.Context, s store.Store, k string) error {
			_, err := store.Incr(ctx, s, k, 0)
			return err
		}},
		{"Create", func(ctx context.Context, s store.Store, k string) error {
			return store.Create(ctx, s, k, []byte("v"), 0)
		}},
	}
}

func testInvalidArguments(t *testing.T, h *harness) {
	s := h.open(t)
	for _, key := range []string{"", strings.Repeat("k", store.MaxKeyLen+1)} {
		for _, o := range allOps() {
			wantErr(t, fmt.Sprintf("%s with a %d-byte key", o.name, len(key)), o.call(t.Context(), s, key), store.ErrInvalidKey)
		}
	}
	long := strings.Repeat("k", store.MaxKeyLen)
	mustSet(t, s, long, []byte("longest key"), 0)
	wantValue(t, s, long, []byte("longest key"))

	wantErr(t, "Set with ttl -2", s.Set(t.Context(), "k", []byte("v"), -2), store.ErrInvalidTTL)
	wantAbsent(t, s, "k")
	_, err := store.Incr(t.Context(), s, "k", store.KeepTTL)
	wantErr(t, "Incr with a negative ttl", err, store.ErrInvalidTTL)
	wantErr(t, "Create with ttl -5s", store.Create(t.Context(), s, "k", []byte("v"), -5*time.Second), store.ErrInvalidTTL)

	mustSet(t, s, "k", []byte("old"), 0)
	err = s.Update(t.Context(), "k", func([]byte, bool) ([]byte, time.Duration, error) {
		return []byte("new"), -time.Hour, nil
	})
	wantErr(t, "Update whose fn returns ttl -1h", err, store.ErrInvalidTTL)
	wantValue(t, s, "k", []byte("old"))
}

func testGetSetDelete(t *testing.T, h *harness) {
	s := h.open(t)
	ctx := t.Context()
	wantAbsent(t, s, "client:1")
	mustSet(t, s, "client:1", []byte("alpha"), 0)
	mustSet(t, s, "client:2", []byte("beta"), time.Hour)
	wantValue(t, s, "client:1", []byte("alpha"))
	wantValue(t, s, "client:2", []byte("beta"))

	if err := s.Delete(ctx, "client:1"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantAbsent(t, s, "client:1")
	wantValue(t, s, "client:2", []byte("beta"))
	if err := s.Delete(ctx, "client:1"); err != nil {
		t.Fatalf("Delete of an absent key: %v, want nil", err)
	}
	if err := s.Delete(ctx, "never-set"); err != nil {
		t.Fatalf("Delete of a key never set: %v, want nil", err)
	}
}

func testOverwrite(t *testing.T, h *harness) {
	s := h.open(t)
	steps := []struct {
		value []byte
		ttl   time.Duration
	}{
		{[]byte("first"), 0},
		{[]byte("second, longer than the first"), time.Hour},
		{[]byte("3"), store.KeepTTL},
		{[]byte{}, 0},
		{[]byte("last"), time.Minute},
	}
	for _, st := range steps {
		mustSet(t, s, "k", st.value, st.ttl)
		wantValue(t, s, "k", st.value)
	}
	keys, err := s.List(t.Context(), "")
	if err != nil || !slices.Equal(keys, []string{"k"}) {
		t.Fatalf("List after overwrites = %q, %v; want [k]", keys, err)
	}
}

func testValues(t *testing.T, h *harness) {
	s := h.open(t)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	big := make([]byte, 1<<20)
	_, _ = rand.Read(big)
	cases := []struct {
		name  string
		value []byte
	}{
		{"empty", []byte{}},
		{"nil", nil},
		{"nul", []byte{0}},
		{"every byte", all},
		{"invalid utf-8", []byte{0xff, 0xfe, 0xc3, 0x28}},
		{"text", []byte(`{"client_id":"abc","redirect_uris":["http://127.0.0.1/cb"]}`)},
		{"1 MiB random", big},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key := "value:" + c.name
			mustSet(t, s, key, c.value, 0)
			wantValue(t, s, key, c.value)
			var seen []byte
			err := s.Update(t.Context(), key, func(cur []byte, exists bool) ([]byte, time.Duration, error) {
				seen = cur
				return cur, store.KeepTTL, nil
			})
			if err != nil || !bytes.Equal(seen, c.value) {
				t.Fatalf("Update saw %q, %v; want %q", abbrev(seen), err, abbrev(c.value))
			}
			got, err := s.Take(t.Context(), key)
			if err != nil || !bytes.Equal(got, c.value) {
				t.Fatalf("Take = %q, %v; want %q", abbrev(got), err, abbrev(c.value))
			}
		})
	}
}

func testKeys(t *testing.T, h *harness) {
	s := h.open(t)
	keys := []string{"a", "with space", "ключ/ü", "client:abc:secret", "x\x00y", "tab\there", "new\nline", "*", "[", "\\", "%s"}
	for i, k := range keys {
		mustSet(t, s, k, []byte{byte(i)}, 0)
	}
	for i, k := range keys {
		wantValue(t, s, k, []byte{byte(i)})
	}
	got, err := s.List(t.Context(), "")
	want := slices.Clone(keys)
	slices.Sort(want)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("List(\"\") = %q, %v; want %q", got, err, want)
	}
}

func testNoAliasing(t *testing.T, h *harness) {
	s := h.open(t)
	in := []byte("original")
	mustSet(t, s, "k", in, 0)
	copy(in, "MUTATED!")
	wantValue(t, s, "k", []byte("original"))

	out, err := s.Get(t.Context(), "k")
	if err != nil {
		t.Fatal(err)
	}
	copy(out, "MUTATED!")
	wantValue(t, s, "k", []byte("original"))

	err = s.Update(t.Context(), "k", func(cur []byte, _ bool) ([]byte, time.Duration, error) {
		copy(cur, "MUTATED!")
		return nil, 0, store.ErrSkip
	})
	if err != nil {
		t.Fatalf("Update returning ErrSkip: %v", err)
	}
	wantValue(t, s, "k", []byte("original"))

	next := []byte("updated!")
	err = s.Update(t.Context(), "k", func([]byte, bool) ([]byte, time.Duration, error) { return next, 0, nil })
	if err != nil {
		t.Fatal(err)
	}
	copy(next, "MUTATED!")
	wantValue(t, s, "k", []byte("updated!"))
}

func testTake(t *testing.T, h *harness) {
	s := h.open(t)
	_, err := s.Take(t.Context(), "code:1")
	wantErr(t, "Take of an absent key", err, store.ErrNotFound)
	mustSet(t, s, "code:1", []byte("grant"), time.Minute)
	mustSet(t, s, "code:2", []byte("other"), 0)
	got, err := s.Take(t.Context(), "code:1")
	if err != nil || string(got) != "grant" {
		t.Fatalf("Take = %q, %v; want grant", got, err)
	}
	wantAbsent(t, s, "code:1")
	_, err = s.Take(t.Context(), "code:1")
	wantErr(t, "second Take", err, store.ErrNotFound)
	wantValue(t, s, "code:2", []byte("other"))
}

func testList(t *testing.T, h *harness) {
	s := h.open(t)
	keys := []string{
		"client:1", "client:2", "client:10", "cl", "code:a", "consent:x",
		"a*b", "a*c", "a?b", "a[b]", "a[c", "a]", "a\\b", "a-b", "a^b", "ab", "ac", "a", "b",
		"sess:ü:1", "gone:1",
	}
	for _, k := range keys {
		mustSet(t, s, k, []byte(k), 0)
	}
	if err := s.Delete(t.Context(), "gone:1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Take(t.Context(), "consent:x"); err != nil {
		t.Fatal(err)
	}
	live := slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return k == "gone:1" || k == "consent:x" })
	prefixes := []string{
		"", "client:", "cl", "c", "a", "a*", "a?", "a[", "a[b", "a]", "a\\", "a-", "a^",
		"*", "?", "[", "[a", "a*b", "sess:ü:", "gone:", "consent:", "zzz", "client:10",
	}
	for _, p := range prefixes {
		t.Run(strings.NewReplacer("*", "star", "?", "qmark", "[", "lbr", "]", "rbr", "\\", "bslash").Replace(p), func(t *testing.T) {
			var want []string
			for _, k := range live {
				if strings.HasPrefix(k, p) {
					want = append(want, k)
				}
			}
			slices.Sort(want)
			got, err := s.List(t.Context(), p)
			if err != nil {
				t.Fatalf("List(%q): %v", p, err)
			}
			if len(got) != len(want) || (len(want) > 0 && !slices.Equal(got, want)) {
				t.Fatalf("List(%q) = %q, want %q", p, got, want)
			}
		})
	}
}

func testContextCancelled(t *testing.T, h *harness) {
	s := h.open(t)
	mustSet(t, s, "k", []byte("v"), 0)
	ctx := cancelled()
	for _, o := range allOps() {
		wantErr(t, o.name+" with a cancelled context", o.call(ctx, s, "k"), context.Canceled)
	}
	_, err := s.List(ctx, "")
	wantErr(t, "List with a cancelled context", err, context.Canceled)

	expired, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel()
	_, err = s.Get(expired, "k")
	wantErr(t, "Get past the deadline", err, context.DeadlineExceeded)
	wantValue(t, s, "k", []byte("v"))
}

func testClosed(t *testing.T, h *harness) {
	s := h.open(t)
	mustSet(t, s, "k", []byte("v"), 0)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v, want nil", err)
	}
	for _, o := range allOps() {
		wantErr(t, o.name+" after Close", o.call(t.Context(), s, "k"), store.ErrClosed)
	}
	_, err := s.List(t.Context(), "")
	wantErr(t, "List after Close", err, store.ErrClosed)
}

func testReopen(t *testing.T, h *harness) {
	if !h.persistent() {
		t.Skip("backend is not persistent")
	}
	s := h.open(t)
	mustSet(t, s, "forever", []byte("kept"), 0)
	mustSet(t, s, "hour", []byte("kept for an hour"), time.Hour)
	mustSet(t, s, "short", []byte("expires"), shortTTL)
	mustSet(t, s, "deleted", []byte("x"), 0)
	mustSet(t, s, "taken", []byte("x"), 0)
	if _, err := store.Incr(t.Context(), s, "counter", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(t.Context(), "deleted"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Take(t.Context(), "taken"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()

	r := h.reopen(t, s)
	wantValue(t, r, "forever", []byte("kept"))
	wantValue(t, r, "hour", []byte("kept for an hour"))
	wantAbsent(t, r, "deleted")
	wantAbsent(t, r, "taken")
	if n, err := store.Incr(t.Context(), r, "counter", time.Hour); err != nil || n != 2 {
		t.Fatalf("Incr after reopening = %d, %v; want 2", n, err)
	}
	time.Sleep(wait - time.Since(start))
	wantAbsent(t, r, "short")
	got, err := r.List(t.Context(), "")
	if want := []string{"counter", "forever", "hour"}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("List after reopening = %q, %v; want %q", got, err, want)
	}

	// And once more, to show the reopened store writes durably too.
	mustSet(t, r, "second", []byte("life"), 0)
	r2 := h.reopen(t, r)
	wantValue(t, r2, "second", []byte("life"))
	wantValue(t, r2, "forever", []byte("kept"))
	if err := r2.Delete(t.Context(), "forever"); err != nil {
		t.Fatal(err)
	}
	wantAbsent(t, r2, "forever")
}

// errBoom is a caller's own error, which Update must hand back unchanged.
var errBoom = errors.New("boom")

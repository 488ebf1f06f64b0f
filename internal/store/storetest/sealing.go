package storetest

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/store"
)

// runSealing checks store.Sealed against the raw store it wraps.
func runSealing(t *testing.T, open OpenFunc) {
	cases := []struct {
		name string
		run  func(t *testing.T, raw store.Store, sealed *store.SealedStore, sealer *Sealer)
	}{
		{"NoPlaintextAtRest", testNoPlaintext},
		{"MovedValueFailsToOpen", testMovedValue},
		{"TamperedValueFailsToOpen", testTampered},
		{"UnsealedValueFailsToOpen", testUnsealed},
		{"Reseal", testReseal},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			raw := open(t)
			t.Cleanup(func() { _ = raw.Close() })
			sealer := NewSealer()
			c.run(t, raw, store.Sealed(raw, sealer), sealer)
		})
	}
}

func testNoPlaintext(t *testing.T, raw store.Store, sealed *store.SealedStore, _ *Sealer) {
	ctx := t.Context()
	secret := []byte("ya29.a0-google-access-token-that-must-never-be-stored-in-the-clear")
	mustSet(t, sealed, "set", secret, 0)
	if err := store.Create(ctx, sealed, "create", secret, time.Minute); err != nil {
		t.Fatal(err)
	}
	err := sealed.Update(ctx, "update", func([]byte, bool) ([]byte, time.Duration, error) { return secret, 0, nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Incr(ctx, sealed, "counter", 0); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"set", "create", "update"} {
		wantValue(t, sealed, key, secret)
		env, err := raw.Get(ctx, key)
		if err != nil {
			t.Fatalf("raw Get(%q): %v", key, err)
		}
		if bytes.Contains(env, secret) || bytes.Contains(env, secret[:16]) {
			t.Fatalf("raw value of %q contains the plaintext", key)
		}
	}
	if env, err := raw.Get(ctx, "counter"); err != nil || string(env) == "1" {
		t.Fatalf("raw counter = %q, %v; want a sealed envelope", env, err)
	}
	wantValue(t, sealed, "counter", []byte("1"))

	// Sealing twice gives different envelopes (fresh nonces), so equal values do not show.
	mustSet(t, sealed, "twin", secret, 0)
	a, _ := raw.Get(ctx, "set")
	b, _ := raw.Get(ctx, "twin")
	if bytes.Equal(a, b) {
		t.Fatal("two keys holding the same value have the same envelope")
	}
}

func testMovedValue(t *testing.T, raw store.Store, sealed *store.SealedStore, _ *Sealer) {
	ctx := t.Context()
	mustSet(t, sealed, "credential:alice", []byte("alice's refresh token"), 0)
	env, err := raw.Get(ctx, "credential:alice")
	if err != nil {
		t.Fatal(err)
	}
	mustSet(t, raw, "credential:mallory", env, 0)

	_, err = sealed.Get(ctx, "credential:mallory")
	wantErr(t, "Get of a value moved to another key", err, store.ErrCorrupt)
	if !strings.Contains(err.Error(), "cannot be opened") || !strings.Contains(err.Error(), "moved from another key") {
		t.Fatalf("error %q does not say clearly what happened", err)
	}
	if strings.Contains(err.Error(), "mallory") || strings.Contains(err.Error(), "alice") {
		t.Fatalf("error %q names a key; keys may be derived from secrets", err)
	}
	called := false
	err = sealed.Update(ctx, "credential:mallory", func([]byte, bool) ([]byte, time.Duration, error) {
		called = true
		return []byte("x"), 0, nil
	})
	wantErr(t, "Update of a moved value", err, store.ErrCorrupt)
	if called {
		t.Fatal("Update called fn with a value that failed to open")
	}
	_, err = sealed.Take(ctx, "credential:mallory")
	wantErr(t, "Take of a moved value", err, store.ErrCorrupt)
	wantValue(t, sealed, "credential:alice", []byte("alice's refresh token"))
}

func testTampered(t *testing.T, raw store.Store, sealed *store.SealedStore, _ *Sealer) {
	ctx := t.Context()
	mustSet(t, sealed, "k", []byte("value"), 0)
	env, err := raw.Get(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 1, len(env) / 2, len(env) - 1} {
		bad := bytes.Clone(env)
		bad[i] ^= 0x01
		mustSet(t, raw, "k", bad, 0)
		_, err := sealed.Get(ctx, "k")
		wantErr(t, "Get of a value with a flipped bit", err, store.ErrCorrupt)
	}
	mustSet(t, raw, "k", env[:len(env)-1], 0)
	_, err = sealed.Get(ctx, "k")
	wantErr(t, "Get of a truncated value", err, store.ErrCorrupt)
}

func testUnsealed(t *testing.T, raw store.Store, sealed *store.SealedStore, _ *Sealer) {
	mustSet(t, raw, "plain", []byte("written around the wrapper"), 0)
	mustSet(t, raw, "empty", []byte{}, 0)
	for _, key := range []string{"plain", "empty"} {
		_, err := sealed.Get(t.Context(), key)
		wantErr(t, "Get of a value that was never sealed", err, store.ErrCorrupt)
	}
	// Another sealer's values do not open either.
	other := store.Sealed(raw, NewSealer())
	mustSet(t, other, "foreign", []byte("v"), 0)
	_, err := sealed.Get(t.Context(), "foreign")
	wantErr(t, "Get of a value sealed with an unknown key", err, store.ErrCorrupt)
}

func testReseal(t *testing.T, raw store.Store, sealed *store.SealedStore, sealer *Sealer) {
	ctx := t.Context()
	values := map[string][]byte{
		"grant:1": []byte("one"),
		"grant:2": []byte("two"),
		"grant:3": bytes.Repeat([]byte{0, 1, 2}, 1000),
	}
	for k, v := range values {
		mustSet(t, sealed, k, v, 0)
	}
	mustSet(t, sealed, "grant:hour", []byte("an hour"), time.Hour)
	mustSet(t, sealed, "grant:short", []byte("short"), shortTTL)
	mustSet(t, sealed, "other:1", []byte("outside the prefix"), 0)
	start := time.Now()

	sealer.Rotate()
	n, err := sealed.Reseal(ctx, "grant:")
	if err != nil || n != 5 {
		t.Fatalf("Reseal = %d, %v; want 5, nil", n, err)
	}
	sealer.RetireOld()

	for k, v := range values {
		wantValue(t, sealed, k, v)
	}
	wantValue(t, sealed, "grant:hour", []byte("an hour"))
	wantValue(t, sealed, "grant:short", []byte("short"))
	_, err = sealed.Get(ctx, "other:1")
	wantErr(t, "Get of a value left sealed with a retired key", err, store.ErrCorrupt)

	time.Sleep(wait - time.Since(start))
	wantAbsent(t, sealed, "grant:short") // Reseal kept the expiry
	wantValue(t, sealed, "grant:hour", []byte("an hour"))

	// A value that cannot be opened is counted and skipped; the rest are resealed.
	mustSet(t, raw, "grant:bad", []byte("garbage"), 0)
	sealer.Rotate()
	n, err = sealed.Reseal(ctx, "grant:")
	if !errors.Is(err, store.ErrCorrupt) || n != 4 || !strings.Contains(err.Error(), "1 of 5") {
		t.Fatalf("Reseal with one bad value = %d, %v; want 4 and an ErrCorrupt saying 1 of 5", n, err)
	}
	sealer.RetireOld()
	for k, v := range values {
		wantValue(t, sealed, k, v)
	}
	if got, _ := raw.Get(ctx, "grant:bad"); string(got) != "garbage" {
		t.Fatalf("Reseal changed a value it could not open: %q", got)
	}
}

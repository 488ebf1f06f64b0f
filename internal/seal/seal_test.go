package seal

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func mustKeyring(t testing.TB, primary []byte, retired ...[]byte) *Keyring {
	t.Helper()
	k, err := NewKeyring(primary, retired, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpenRoundTrip(t *testing.T) {
	k := mustKeyring(t, testKey(1))
	for _, pt := range [][]byte{nil, {}, []byte("x"), bytes.Repeat([]byte("credential"), 500)} {
		env, err := k.Seal(pt, []byte("credential:alice"))
		if err != nil {
			t.Fatal(err)
		}
		if len(env) != len(pt)+overhead {
			t.Fatalf("envelope length %d, want %d", len(env), len(pt)+overhead)
		}
		got, err := k.Open(env, []byte("credential:alice"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, pt) {
			t.Fatalf("round trip changed the plaintext")
		}
	}
}

func TestSealUsesFreshNonces(t *testing.T) {
	k := mustKeyring(t, testKey(1))
	a, _ := k.Seal([]byte("same"), nil)
	b, _ := k.Seal([]byte("same"), nil)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are identical")
	}
}

func TestSealInjectedRandomness(t *testing.T) {
	// A deterministic reader gives a deterministic envelope, and a failing reader an error.
	k1, _ := NewKeyring(testKey(1), nil, bytes.NewReader(make([]byte, 64)))
	k2, _ := NewKeyring(testKey(1), nil, bytes.NewReader(make([]byte, 64)))
	a, _ := k1.Seal([]byte("p"), nil)
	b, _ := k2.Seal([]byte("p"), nil)
	if !bytes.Equal(a, b) {
		t.Fatal("same randomness gave different envelopes")
	}
	k3, _ := NewKeyring(testKey(1), nil, io.LimitReader(rand.Reader, 3))
	if _, err := k3.Seal([]byte("p"), nil); err == nil {
		t.Fatal("seal with exhausted randomness succeeded")
	}
}

func TestOpenErrors(t *testing.T) {
	k := mustKeyring(t, testKey(1))
	other := mustKeyring(t, testKey(2))
	env, err := k.Seal([]byte("refresh-token"), []byte("credential:alice"))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		c := bytes.Clone(env)
		c[i] ^= 0x01
		return c
	}
	tests := []struct {
		name     string
		keyring  *Keyring
		envelope []byte
		aad      string
		want     error
	}{
		{"empty", k, nil, "credential:alice", ErrTruncated},
		{"header only", k, env[:headerSize], "credential:alice", ErrTruncated},
		{"truncated tag", k, env[:len(env)-1], "credential:alice", ErrAuthFailed},
		{"shorter than overhead", k, env[:overhead-1], "credential:alice", ErrTruncated},
		{"unknown version", k, append([]byte{9}, env[1:]...), "credential:alice", ErrUnknownVersion},
		{"zero version", k, append([]byte{0}, env[1:]...), "credential:alice", ErrUnknownVersion},
		{"wrong key", other, env, "credential:alice", ErrUnknownKey},
		{"flipped key id", k, flip(1), "credential:alice", ErrUnknownKey},
		{"flipped nonce", k, flip(headerSize), "credential:alice", ErrAuthFailed},
		{"flipped ciphertext", k, flip(headerSize + nonceSize), "credential:alice", ErrAuthFailed},
		{"flipped tag", k, flip(len(env) - 1), "credential:alice", ErrAuthFailed},
		{"wrong aad (renamed record)", k, env, "credential:bob", ErrAuthFailed},
		{"empty aad", k, env, "", ErrAuthFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pt, err := tt.keyring.Open(tt.envelope, []byte(tt.aad))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open error = %v, want %v", err, tt.want)
			}
			if pt != nil {
				t.Fatal("Open returned plaintext with an error")
			}
		})
	}
}

func TestErrorsAreDistinct(t *testing.T) {
	all := []error{ErrUnknownVersion, ErrTruncated, ErrUnknownKey, ErrAuthFailed, ErrBadKey}
	for i, a := range all {
		for j, b := range all {
			if i != j && errors.Is(a, b) {
				t.Fatalf("%v matches %v", a, b)
			}
		}
	}
}

func TestKeyringRetiredKeysOpenButPrimarySeals(t *testing.T) {
	old := mustKeyring(t, testKey(1))
	env, _ := old.Seal([]byte("v"), []byte("a"))
	rotated := mustKeyring(t, testKey(2), testKey(1))
	if got, err := rotated.Open(env, []byte("a")); err != nil || string(got) != "v" {
		t.Fatalf("retired key does not open old envelope: %v", err)
	}
	env2, _ := rotated.Seal([]byte("v"), []byte("a"))
	id, err := EnvelopeKeyID(env2)
	if err != nil || id != KeyIDOf(testKey(2)) || id != rotated.Primary() {
		t.Fatalf("new envelope key id = %v, want primary %v", id, rotated.Primary())
	}
	if _, err := old.Open(env2, []byte("a")); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("old keyring opened an envelope of the new key: %v", err)
	}
	ids := rotated.IDs()
	if len(ids) != 2 || ids[0] != rotated.Primary() || !rotated.Has(KeyIDOf(testKey(1))) {
		t.Fatalf("IDs = %v", ids)
	}
}

func TestNewKeyringRejectsBadKeys(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := NewKeyring(make([]byte, n), nil, nil); !errors.Is(err, ErrBadKey) {
			t.Fatalf("%d-byte primary: err = %v", n, err)
		}
		if _, err := NewKeyring(testKey(1), [][]byte{make([]byte, n)}, nil); !errors.Is(err, ErrBadKey) {
			t.Fatalf("%d-byte retired: err = %v", n, err)
		}
	}
}

func TestKeyIDDependsOnKey(t *testing.T) {
	if KeyIDOf(testKey(1)) == KeyIDOf(testKey(2)) {
		t.Fatal("different keys share an id")
	}
	if KeyIDOf(testKey(1)).String() == "" || len(KeyIDOf(testKey(1)).String()) != 16 {
		t.Fatal("key id string is not 16 hex digits")
	}
}

func FuzzOpen(f *testing.F) {
	// Deterministic nonces: every fuzz worker rebuilds the same seed envelopes.
	nonces := make([]byte, 1024)
	for i := range nonces {
		nonces[i] = byte(i * 7)
	}
	k, _ := NewKeyring(testKey(7), [][]byte{testKey(8)}, bytes.NewReader(nonces))
	old, _ := NewKeyring(testKey(8), nil, bytes.NewReader(nonces[512:]))
	aad := []byte("credential:fuzz")
	valid := map[string]bool{}
	for _, pt := range []string{"", "a", "refresh-token-and-more", string(bytes.Repeat([]byte{0}, 300))} {
		for _, kr := range []*Keyring{k, old} {
			env, err := kr.Seal([]byte(pt), aad)
			if err != nil {
				f.Fatal(err)
			}
			valid[string(env)] = true
			f.Add(env)
		}
	}
	f.Add([]byte{})
	f.Add([]byte{Version})
	f.Add(make([]byte, overhead))
	f.Fuzz(func(t *testing.T, env []byte) {
		pt, err := k.Open(env, aad)
		if err == nil && !valid[string(env)] {
			t.Fatalf("opened an envelope that was never sealed: %x -> %q", env, pt)
		}
		if err != nil && pt != nil {
			t.Fatal("plaintext returned with an error")
		}
		_, _ = EnvelopeKeyID(env)
	})
}

func BenchmarkSealOpen2KB(b *testing.B) {
	k := mustKeyring(b, testKey(1))
	pt := bytes.Repeat([]byte("x"), 2048)
	aad := []byte("credential:alice_at_example_com")
	b.SetBytes(int64(len(pt)))
	b.ReportAllocs()
	for b.Loop() {
		env, err := k.Seal(pt, aad)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := k.Open(env, aad); err != nil {
			b.Fatal(err)
		}
	}
}

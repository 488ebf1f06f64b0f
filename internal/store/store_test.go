package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/store"
	"github.com/gwmcp/gwmcp/internal/store/memory"
)

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		key  string
		want error
	}{
		{"", store.ErrInvalidKey},
		{"k", nil},
		{strings.Repeat("k", store.MaxKeyLen), nil},
		{strings.Repeat("k", store.MaxKeyLen+1), store.ErrInvalidKey},
	} {
		if err := store.CheckKey(c.key); !errors.Is(err, c.want) || (c.want == nil && err != nil) {
			t.Errorf("CheckKey(%d bytes) = %v, want %v", len(c.key), err, c.want)
		}
	}
	for _, c := range []struct {
		ttl  time.Duration
		want error
	}{
		{0, nil}, {time.Nanosecond, nil}, {time.Hour, nil}, {store.KeepTTL, nil},
		{-2, store.ErrInvalidTTL}, {-time.Second, store.ErrInvalidTTL},
	} {
		if err := store.CheckTTL(c.ttl); !errors.Is(err, c.want) || (c.want == nil && err != nil) {
			t.Errorf("CheckTTL(%v) = %v, want %v", c.ttl, err, c.want)
		}
	}
}

func TestIncrRefusesValuesThatAreNotCounters(t *testing.T) {
	s := memory.New(memory.Options{})
	defer s.Close()
	for _, v := range []string{"", "-1", "1.5", " 1", "0x10", "99999999999999999999"} {
		if err := s.Set(t.Context(), "c", []byte(v), 0); err != nil {
			t.Fatal(err)
		}
		if n, err := store.Incr(t.Context(), s, "c", 0); !errors.Is(err, store.ErrCorrupt) {
			t.Errorf("Incr of %q = %d, %v; want ErrCorrupt", v, n, err)
		}
	}
}

// recordingSealer seals by prefixing the aad, so tests can see what the wrapper binds.
type recordingSealer struct {
	aads []string
	fail error
}

func (r *recordingSealer) Seal(p, aad []byte) ([]byte, error) {
	if r.fail != nil {
		return nil, r.fail
	}
	r.aads = append(r.aads, string(aad))
	return append([]byte(string(aad)+"|"), p...), nil
}

func (r *recordingSealer) Open(env, aad []byte) ([]byte, error) {
	prefix := string(aad) + "|"
	if !strings.HasPrefix(string(env), prefix) {
		return nil, errors.New("aad mismatch")
	}
	return env[len(prefix):], nil
}

func TestSealedBindsALabelAndTheKey(t *testing.T) {
	inner := memory.New(memory.Options{})
	rec := &recordingSealer{}
	s := store.Sealed(inner, rec)
	defer s.Close()
	if err := s.Set(t.Context(), "client:1", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	if want := "gwmcp/store/v1\x00client:1"; len(rec.aads) != 1 || rec.aads[0] != want {
		t.Fatalf("aad = %q, want [%q]", rec.aads, want)
	}
}

func TestSealedReportsSealFailure(t *testing.T) {
	inner := memory.New(memory.Options{})
	errHSM := errors.New("key unavailable")
	s := store.Sealed(inner, &recordingSealer{fail: errHSM})
	defer s.Close()
	if err := s.Set(t.Context(), "k", []byte("v"), 0); !errors.Is(err, errHSM) {
		t.Fatalf("Set with a failing sealer: %v, want the sealer's error", err)
	}
	err := s.Update(t.Context(), "k", func([]byte, bool) ([]byte, time.Duration, error) { return []byte("v"), 0, nil })
	if !errors.Is(err, errHSM) || !strings.Contains(err.Error(), "sealed store: update") {
		t.Fatalf("Update with a failing sealer: %v, want the sealer's error, wrapped", err)
	}
	if _, err := inner.Get(t.Context(), "k"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("inner store holds a value after failed seals: %v", err)
	}
}

func TestSealedCloseClosesInner(t *testing.T) {
	inner := memory.New(memory.Options{})
	s := store.Sealed(inner, &recordingSealer{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := inner.Get(t.Context(), "k"); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("inner Get after closing the wrapper: %v, want ErrClosed", err)
	}
}

package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Sealer encrypts and authenticates values with associated data. Seal uses the newest
// key; Open accepts any key the sealer still knows, which is what makes rotation work.
// The keyring of internal/seal implements it.
type Sealer interface {
	Seal(plaintext, aad []byte) ([]byte, error)
	Open(envelope, aad []byte) ([]byte, error)
}

// aadLabel starts the associated data of every sealed value. The key follows it, so a
// value copied or moved to another key fails to open.
const aadLabel = "gwmcp/store/v1\x00"

func aadFor(key string) []byte {
	b := make([]byte, 0, len(aadLabel)+len(key))
	return append(append(b, aadLabel...), key...)
}

// SealedStore is a Store that seals every value before handing it to the store it wraps
// and opens it on the way back, with the key as associated data. The wrapped store
// never sees a plaintext value; keys are not encrypted (List needs them).
type SealedStore struct {
	inner  Store
	sealer Sealer
}

var _ Store = (*SealedStore)(nil)

// Sealed wraps inner so that every value written through the result is sealed by s.
// Values in inner that were not written through a SealedStore with the same sealer fail
// to open with ErrCorrupt. Closing the result closes inner.
func Sealed(inner Store, s Sealer) *SealedStore {
	return &SealedStore{inner: inner, sealer: s}
}

// Get returns the opened value of key.
func (s *SealedStore) Get(ctx context.Context, key string) ([]byte, error) {
	env, err := s.inner.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	v, err := s.open(env, key)
	if err != nil {
		return nil, fmt.Errorf("sealed store: get: %w", err)
	}
	return v, nil
}

// Set seals value and stores it under key.
func (s *SealedStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := Check(ctx, key); err != nil {
		return fmt.Errorf("sealed store: set: %w", err)
	}
	env, err := s.sealer.Seal(value, aadFor(key))
	if err != nil {
		return fmt.Errorf("sealed store: set: seal value: %w", err)
	}
	return s.inner.Set(ctx, key, env, ttl)
}

// Delete removes key.
func (s *SealedStore) Delete(ctx context.Context, key string) error {
	return s.inner.Delete(ctx, key)
}

// Take atomically returns and deletes the value of key. A value that fails to open is
// deleted all the same and ErrCorrupt is returned.
func (s *SealedStore) Take(ctx context.Context, key string) ([]byte, error) {
	env, err := s.inner.Take(ctx, key)
	if err != nil {
		return nil, err
	}
	v, err := s.open(env, key)
	if err != nil {
		return nil, fmt.Errorf("sealed store: take: %w", err)
	}
	return v, nil
}

// Update opens the current value, calls fn with it and seals what fn returns, all
// within one atomic update of the wrapped store. A current value that fails to open
// aborts the update with ErrCorrupt before fn is called.
func (s *SealedStore) Update(ctx context.Context, key string, fn UpdateFunc) error {
	if err := Check(ctx, key); err != nil {
		return fmt.Errorf("sealed store: update: %w", err)
	}
	ad := aadFor(key)
	var fnErr error
	err := s.inner.Update(ctx, key, func(cur []byte, exists bool) ([]byte, time.Duration, error) {
		fnErr = nil
		var plain []byte
		if exists {
			p, err := s.sealer.Open(cur, ad)
			if err != nil {
				return nil, 0, fmt.Errorf("%w: %w", ErrCorrupt, err)
			}
			plain = p
		}
		next, ttl, err := fn(plain, exists)
		if err != nil {
			fnErr = err
			return nil, 0, err
		}
		env, err := s.sealer.Seal(next, ad)
		if err != nil {
			return nil, 0, fmt.Errorf("seal value: %w", err)
		}
		return env, ttl, nil
	})
	switch {
	case err == nil:
		return nil
	case fnErr != nil && err == fnErr:
		return err // fn's own error, unchanged as Update promises
	default:
		return fmt.Errorf("sealed store: update: %w", err)
	}
}

// List returns the keys with prefix; keys are stored in the clear.
func (s *SealedStore) List(ctx context.Context, prefix string) ([]string, error) {
	return s.inner.List(ctx, prefix)
}

// Close closes the wrapped store.
func (s *SealedStore) Close() error {
	return s.inner.Close()
}

// Reseal rewrites every value whose key starts with prefix so that it is sealed with the
// sealer's newest key, keeping each value's expiry. Key rotation calls it after adding a
// new key and before retiring the old one. It returns how many values were rewritten.
//
// A value that cannot be opened is left as it is and counted; Reseal goes on with the
// others and then returns an error wrapping ErrCorrupt that says how many there were.
// Any other error stops it.
func (s *SealedStore) Reseal(ctx context.Context, prefix string) (int, error) {
	keys, err := s.inner.List(ctx, prefix)
	if err != nil {
		return 0, fmt.Errorf("sealed store: reseal: %w", err)
	}
	done, bad := 0, 0
	for _, key := range keys {
		ad := aadFor(key)
		wrote := false
		err := s.inner.Update(ctx, key, func(cur []byte, exists bool) ([]byte, time.Duration, error) {
			wrote = false
			if !exists {
				return nil, 0, ErrSkip // deleted or expired since List
			}
			plain, err := s.sealer.Open(cur, ad)
			if err != nil {
				return nil, 0, fmt.Errorf("%w: %w", ErrCorrupt, err)
			}
			env, err := s.sealer.Seal(plain, ad)
			if err != nil {
				return nil, 0, fmt.Errorf("seal value: %w", err)
			}
			wrote = true
			return env, KeepTTL, nil
		})
		switch {
		case err == nil:
			if wrote {
				done++
			}
		case errors.Is(err, ErrCorrupt):
			bad++
		default:
			return done, fmt.Errorf("sealed store: reseal: %w", err)
		}
	}
	if bad > 0 {
		return done, fmt.Errorf("sealed store: reseal: %d of %d values left as they were: %w", bad, len(keys), ErrCorrupt)
	}
	return done, nil
}

func (s *SealedStore) open(env []byte, key string) ([]byte, error) {
	v, err := s.sealer.Open(env, aadFor(key))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return v, nil
}

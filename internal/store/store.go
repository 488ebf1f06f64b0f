// Package store owns gwmcp's one key-value interface for server state: registered OAuth
// clients, authorization codes, states, grants, refresh tokens, sessions, consents and
// rate-limit counters. It defines the Store interface with per-key expiry, an atomic
// take-once and an atomic read-modify-write; the helpers every feature shares (Incr,
// Create); and the Sealed wrapper that encrypts every value it writes.
//
// The backends live in the subpackages memory, embedded (bbolt, the default) and redis;
// storetest holds the conformance suite that every backend passes.
//
// Keys may be derived from secrets (a code, a token hash), so no error produced by this
// package or its backends contains a key or a value.
package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Store is a key-value store with per-key expiry. Implementations are safe for concurrent
// use, by several goroutines and, where the backend is shared (redis), by several
// processes. Values passed in and returned are never retained or shared: the caller may
// modify them freely.
//
// Every method refuses an invalid key (see CheckKey) with ErrInvalidKey and a cancelled
// context with the context's error, and returns ErrClosed after Close. The local
// backends look at the context when a call starts; Redis honours it throughout.
type Store interface {
	// Get returns the value of key, or ErrNotFound if it is absent or expired.
	Get(ctx context.Context, key string) ([]byte, error)

	// Set stores value under key, replacing any previous value. ttl > 0 makes the key
	// expire after ttl, 0 means no expiry, and KeepTTL keeps the expiry of the value being
	// replaced (none if the key is new). Any other negative ttl is ErrInvalidTTL.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error

	// Delete removes key. Deleting an absent key is not an error.
	Delete(ctx context.Context, key string) error

	// Take atomically returns and deletes the value of key: of any number of concurrent
	// callers, across processes for shared backends, exactly one gets the value and the
	// others get ErrNotFound. Used for single-use values such as authorization codes.
	Take(ctx context.Context, key string) ([]byte, error)

	// Update atomically replaces the value of key with what fn returns, given the
	// current value (exists is false if the key is absent or expired). fn also returns
	// the expiry of the new value, with the meaning it has for Set.
	//
	// If fn returns ErrSkip the value is left as it is and Update returns nil. If fn
	// returns another error the value is left as it is and Update returns that error
	// unchanged, so callers can use their own sentinels.
	//
	// fn may be called more than once (when a concurrent write wins the race it is called
	// again with the newer value), and may run while the key or the whole store is locked:
	// it must be quick, free of side effects and must not call the store.
	Update(ctx context.Context, key string, fn UpdateFunc) error

	// List returns the keys that start with prefix, sorted bytewise, expired keys
	// excluded. An empty prefix lists every key. The prefix is literal: characters such
	// as '*', '?' and '[' have no special meaning.
	List(ctx context.Context, prefix string) ([]string, error)

	// Close releases the store's resources and stops its background work. Calls after
	// the first return nil; every other method then returns ErrClosed.
	Close() error
}

// UpdateFunc computes the new value of a key for Store.Update from its current value.
// It returns the new value, its expiry (ttl > 0, 0 for none, or KeepTTL) and an error.
type UpdateFunc func(cur []byte, exists bool) (next []byte, ttl time.Duration, err error)

// KeepTTL, given as a ttl to Set or returned by an UpdateFunc, keeps the expiry of the
// value being replaced. A key that did not exist gets no expiry.
const KeepTTL time.Duration = -1

// MaxKeyLen is the longest key a Store accepts, in bytes.
const MaxKeyLen = 1024

// Errors returned by stores and helpers. Compare with errors.Is: backends wrap them with
// the operation that failed.
var (
	// ErrNotFound means the key is absent or has expired.
	ErrNotFound = errors.New("key not found")
	// ErrExists means Create found the key already present.
	ErrExists = errors.New("key already exists")
	// ErrSkip is returned by an UpdateFunc to leave the value unchanged; Update then
	// returns nil.
	ErrSkip = errors.New("update skipped")
	// ErrInvalidKey means the key is empty or longer than MaxKeyLen.
	ErrInvalidKey = errors.New("invalid key: empty or longer than 1024 bytes")
	// ErrInvalidTTL means a ttl is negative and not KeepTTL.
	ErrInvalidTTL = errors.New("invalid ttl: must be positive, 0 (no expiry) or KeepTTL")
	// ErrClosed means the store has been closed.
	ErrClosed = errors.New("store is closed")
	// ErrConflict means an Update kept losing races with concurrent writers and gave up.
	ErrConflict = errors.New("too many concurrent updates of the same key")
	// ErrCorrupt means a stored value cannot be decoded or opened: it was tampered with,
	// moved from another key, written without sealing, or sealed with a key no longer
	// known.
	ErrCorrupt = errors.New("stored value cannot be opened: corrupt, tampered with, moved from another key or sealed with an unknown key")
)

// CheckKey returns ErrInvalidKey if key is empty or longer than MaxKeyLen.
// Backends call it first in every method.
func CheckKey(key string) error {
	if key == "" || len(key) > MaxKeyLen {
		return ErrInvalidKey
	}
	return nil
}

// CheckTTL returns ErrInvalidTTL if ttl is negative and not KeepTTL.
func CheckTTL(ttl time.Duration) error {
	if ttl < 0 && ttl != KeepTTL {
		return ErrInvalidTTL
	}
	return nil
}

// Check validates the arguments every Store method shares: it returns the context's
// error if ctx is done, then the result of CheckKey. Backends call it first, and wrap
// its error with the operation.
func Check(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return CheckKey(key)
}

// Incr adds one to the decimal counter stored under key and returns the new count. A
// counter that does not exist (or has expired) starts at 1 and expires after ttl (0 for
// never); later increments keep that expiry, so a counter counts over a fixed window.
// This is what rate limits use: Incr(ctx, s, "rate:register:"+addr, time.Minute).
func Incr(ctx context.Context, s Store, key string, ttl time.Duration) (int64, error) {
	if ttl < 0 {
		return 0, fmt.Errorf("store: incr: %w", ErrInvalidTTL)
	}
	var n int64
	err := s.Update(ctx, key, func(cur []byte, exists bool) ([]byte, time.Duration, error) {
		if !exists {
			n = 1
			return []byte("1"), ttl, nil
		}
		v, err := parseCounter(cur)
		if err != nil {
			return nil, 0, err
		}
		n = v + 1
		return strconv.AppendInt(nil, n, 10), KeepTTL, nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: incr: %w", err)
	}
	return n, nil
}

// parseCounter reads a value written by Incr.
func parseCounter(b []byte) (int64, error) {
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("value is not a counter: %w", ErrCorrupt)
	}
	return n, nil
}

// Create stores value under key only if the key is absent or expired; otherwise it
// returns ErrExists and leaves the stored value alone. Of concurrent creators of one key
// exactly one succeeds. ttl has the meaning it has for Set.
func Create(ctx context.Context, s Store, key string, value []byte, ttl time.Duration) error {
	if err := CheckTTL(ttl); err != nil {
		return fmt.Errorf("store: create: %w", err)
	}
	err := s.Update(ctx, key, func(_ []byte, exists bool) ([]byte, time.Duration, error) {
		if exists {
			return nil, 0, ErrExists
		}
		return value, ttl, nil
	})
	if err != nil {
		return fmt.Errorf("store: create: %w", err)
	}
	return nil
}

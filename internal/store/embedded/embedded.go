// Package embedded owns gwmcp's default store.Store: one bbolt file (the app keeps it at
// CREDENTIALS_DIR/gwmcp.db, mode 0600) that survives restarts. Every write is a bbolt
// transaction, fsync'd before it returns. Each record carries its expiry, which is
// enforced on read; expired records are swept when the file is opened and periodically
// while it is open.
//
// bbolt locks the file: only one process (and one Store) can have it open. Open waits a
// short while for the lock and then fails with ErrLocked.
package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/gwmcp/gwmcp/internal/store"
)

// Defaults used where Options leaves a field at zero.
const (
	DefaultLockTimeout   = time.Second
	DefaultSweepInterval = 10 * time.Minute
)

// ErrLocked means another process, or another Store in this one, has the file open.
var ErrLocked = errors.New("store file is in use by another gwmcp process")

// Options configures Open. The zero value is ready to use.
type Options struct {
	// Now returns the current time; nil means time.Now. Expiry times are stored as wall
	// clock time, so they hold across restarts.
	Now func() time.Time
	// LockTimeout is how long Open waits for the file lock; 0 means DefaultLockTimeout.
	LockTimeout time.Duration
	// SweepInterval is how often expired records are deleted; 0 means
	// DefaultSweepInterval and a negative value disables the periodic sweep.
	SweepInterval time.Duration
}

var (
	bucketKV   = []byte("kv")
	bucketMeta = []byte("meta")
	keyVersion = []byte("version")
)

// formatVersion is the layout of the file: bucket "kv" holds records, "meta" the version.
const formatVersion = "1"

// errSkipTx rolls an update transaction back when its UpdateFunc returned store.ErrSkip.
var errSkipTx = errors.New("skip")

// Store is a store.Store kept in one bbolt file.
type Store struct {
	db     *bolt.DB
	path   string
	now    func() time.Time
	closed atomic.Bool

	closeOnce sync.Once
	stop      chan struct{}
	wg        sync.WaitGroup
}

var _ store.Store = (*Store)(nil)

// Open opens the store file at path, creating it (mode 0600, and its directory, mode
// 0700) if needed. Close it to release the file lock.
func Open(path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("embedded store: open: empty path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("embedded store: open %s: %w", path, err)
	}
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("embedded store: open %s: %w (waited %s for its lock; stop the other process or use another CREDENTIALS_DIR)", path, ErrLocked, timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("embedded store: open %s: %w", path, err)
	}
	s := &Store{db: db, path: path, now: opts.Now, stop: make(chan struct{})}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.init(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("embedded store: open %s: %w", path, err)
	}
	interval := opts.SweepInterval
	if interval == 0 {
		interval = DefaultSweepInterval
	}
	if interval > 0 {
		s.wg.Add(1)
		go s.sweepLoop(interval)
	}
	return s, nil
}

// init tightens the file mode, creates the buckets or checks their version, and sweeps.
func (s *Store) init() error {
	if err := os.Chmod(s.path, 0o600); err != nil {
		return err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketKV); err != nil {
			return err
		}
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		switch v := meta.Get(keyVersion); {
		case v == nil:
			return meta.Put(keyVersion, []byte(formatVersion))
		case string(v) != formatVersion:
			return fmt.Errorf("file has format version %q, this gwmcp reads %q", v, formatVersion)
		}
		return nil
	})
	if err != nil {
		return err
	}
	_, err = s.Sweep()
	return err
}

// Path returns the file the store is kept in.
func (s *Store) Path() string { return s.path }

func (s *Store) sweepLoop(interval time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			_, _ = s.Sweep() // a failed sweep is retried on the next tick; reads enforce expiry anyway
		}
	}
}

// sweepBatch bounds how many records one sweep transaction deletes.
const sweepBatch = 10000

// Sweep deletes expired records now and returns how many it deleted.
func (s *Store) Sweep() (int, error) {
	total := 0
	for {
		n := 0
		err := s.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketKV)
			now := s.now()
			var expired [][]byte
			c := b.Cursor()
			for k, v := c.First(); k != nil && len(expired) < sweepBatch; k, v = c.Next() {
				if r, err := decode(v); err == nil && !r.live(now) {
					expired = append(expired, append([]byte(nil), k...))
				}
			}
			for _, k := range expired {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			n = len(expired)
			return nil
		})
		total += n
		if err != nil {
			return total, fmt.Errorf("embedded store: sweep: %w", s.mapErr(err))
		}
		if n < sweepBatch {
			return total, nil
		}
	}
}

// begin validates the arguments shared by every keyed operation.
func (s *Store) begin(ctx context.Context, op, key string) error {
	if err := store.Check(ctx, key); err != nil {
		return fmt.Errorf("embedded store: %s: %w", op, err)
	}
	if s.closed.Load() {
		return fmt.Errorf("embedded store: %s: %w", op, store.ErrClosed)
	}
	return nil
}

// mapErr turns bbolt's error for a closed database into store.ErrClosed.
func (s *Store) mapErr(err error) error {
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return store.ErrClosed
	}
	return err
}

// Get returns the value of key.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.begin(ctx, "get", key); err != nil {
		return nil, err
	}
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		r, ok, err := s.read(tx, key)
		if err != nil {
			return err
		}
		if !ok {
			return store.ErrNotFound
		}
		out = append(make([]byte, 0, len(r.value)), r.value...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embedded store: get: %w", s.mapErr(err))
	}
	return out, nil
}

// read returns the live record of key in tx. The value is only valid during tx.
func (s *Store) read(tx *bolt.Tx, key string) (record, bool, error) {
	v := tx.Bucket(bucketKV).Get([]byte(key))
	if v == nil {
		return record{}, false, nil
	}
	r, err := decode(v)
	if err != nil {
		return record{}, false, err
	}
	if !r.live(s.now()) {
		return record{}, false, nil
	}
	return r, true, nil
}

// Set stores value under key.
func (s *Store) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := store.CheckTTL(ttl); err != nil {
		return fmt.Errorf("embedded store: set: %w", err)
	}
	if err := s.begin(ctx, "set", key); err != nil {
		return err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		var old record
		var existed bool
		if ttl == store.KeepTTL {
			// A corrupt old record is being replaced: treat it as absent.
			old, existed, _ = s.read(tx, key)
		}
		return tx.Bucket(bucketKV).Put([]byte(key), encode(value, s.expiry(ttl, old, existed)))
	})
	if err != nil {
		return fmt.Errorf("embedded store: set: %w", s.mapErr(err))
	}
	return nil
}

// expiry returns the expiry of a record written now with ttl, given the one it replaces.
func (s *Store) expiry(ttl time.Duration, old record, existed bool) int64 {
	switch {
	case ttl > 0:
		return s.now().Add(ttl).UnixNano()
	case ttl == store.KeepTTL && existed:
		return old.expires
	default:
		return 0
	}
}

// Delete removes key.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.begin(ctx, "delete", key); err != nil {
		return err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketKV).Delete([]byte(key))
	})
	if err != nil {
		return fmt.Errorf("embedded store: delete: %w", s.mapErr(err))
	}
	return nil
}

// Take returns and deletes the value of key in one write transaction.
func (s *Store) Take(ctx context.Context, key string) ([]byte, error) {
	if err := s.begin(ctx, "take", key); err != nil {
		return nil, err
	}
	var out []byte
	found := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		found = false
		b := tx.Bucket(bucketKV)
		v := b.Get([]byte(key))
		if v == nil {
			return nil
		}
		r, err := decode(v)
		if err != nil {
			return err
		}
		if r.live(s.now()) {
			found = true
			out = append(make([]byte, 0, len(r.value)), r.value...)
		}
		return b.Delete([]byte(key)) // an expired record goes too
	})
	if err != nil {
		return nil, fmt.Errorf("embedded store: take: %w", s.mapErr(err))
	}
	if !found {
		return nil, fmt.Errorf("embedded store: take: %w", store.ErrNotFound)
	}
	return out, nil
}

// Update runs fn inside one bbolt write transaction, so it is atomic with respect to
// every other write to the file.
func (s *Store) Update(ctx context.Context, key string, fn store.UpdateFunc) error {
	if err := s.begin(ctx, "update", key); err != nil {
		return err
	}
	var fnErr error
	err := s.db.Update(func(tx *bolt.Tx) error {
		fnErr = nil
		old, existed, err := s.read(tx, key)
		if err != nil {
			return err
		}
		var cur []byte
		if existed {
			cur = append(make([]byte, 0, len(old.value)), old.value...)
		}
		next, ttl, err := fn(cur, existed)
		if err == store.ErrSkip {
			return errSkipTx
		}
		if err != nil {
			fnErr = err
			return err
		}
		if err := store.CheckTTL(ttl); err != nil {
			return err
		}
		return tx.Bucket(bucketKV).Put([]byte(key), encode(next, s.expiry(ttl, old, existed)))
	})
	switch {
	case err == nil, err == errSkipTx:
		return nil
	case fnErr != nil && err == fnErr:
		return err
	default:
		return fmt.Errorf("embedded store: update: %w", s.mapErr(err))
	}
}

// List returns the live keys with prefix, in bbolt's (bytewise) order.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("embedded store: list: %w", err)
	}
	if s.closed.Load() {
		return nil, fmt.Errorf("embedded store: list: %w", store.ErrClosed)
	}
	keys := []string{}
	err := s.db.View(func(tx *bolt.Tx) error {
		now := s.now()
		c := tx.Bucket(bucketKV).Cursor()
		p := []byte(prefix)
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			if r, err := decode(v); err != nil || r.live(now) {
				keys = append(keys, string(k)) // a corrupt record is listed; reading it reports the damage
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embedded store: list: %w", s.mapErr(err))
	}
	return keys, nil
}

// Close stops the sweep and closes the file, releasing its lock. Every change made
// before Close is already on disk.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		close(s.stop)
		s.wg.Wait()
		if cerr := s.db.Close(); cerr != nil {
			err = fmt.Errorf("embedded store: close %s: %w", s.path, cerr)
		}
	})
	return err
}

// record is one decoded value. Encoded, it is a version byte (1), the expiry as
// big-endian Unix nanoseconds (0 for none) and the value.
type record struct {
	expires int64
	value   []byte
}

const (
	recordVersion = 1
	headerLen     = 1 + 8
)

func (r record) live(now time.Time) bool {
	return r.expires == 0 || now.UnixNano() < r.expires
}

func encode(value []byte, expires int64) []byte {
	b := make([]byte, headerLen, headerLen+len(value))
	b[0] = recordVersion
	binary.BigEndian.PutUint64(b[1:], uint64(expires))
	return append(b, value...)
}

func decode(b []byte) (record, error) {
	if len(b) < headerLen || b[0] != recordVersion {
		return record{}, store.ErrCorrupt
	}
	return record{expires: int64(binary.BigEndian.Uint64(b[1:])), value: b[headerLen:]}, nil
}

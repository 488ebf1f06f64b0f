package credentials

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gwmcp/gwmcp/internal/seal"
)

// DefaultRevalidate is how long a cached credential read from a file is trusted before
// the file is checked (one stat) for changes made by another process.
const DefaultRevalidate = 2 * time.Second

// Options configure a Store.
type Options struct {
	Dir     string        // CREDENTIALS_DIR; unused by MEMORY_ONLY
	Mode    Mode          // "" means DefaultMode
	Keyring *seal.Keyring // required by FILE_ENCRYPTED and MEMORY_WITH_BACKUP
	Now     func() time.Time
	Logger  *slog.Logger
	// Revalidate: see DefaultRevalidate. 0 means the default, negative means never
	// (only this process writes the directory).
	Revalidate time.Duration
}

// Store keeps credentials in one of the four modes, with a warm in-memory cache. It is
// safe for concurrent use.
type Store struct {
	dir        string
	mode       Mode
	kr         *seal.Keyring
	now        func() time.Time
	log        *slog.Logger
	revalidate time.Duration
	lock       *dirLock

	mu       sync.RWMutex
	cache    map[string]*entry // by normalized address
	accounts map[string]*sync.Mutex
	problems []Problem // MEMORY_WITH_BACKUP: backups that failed to load at Open
}

type entry struct {
	cred    Credential
	stamp   fileStamp
	checked atomic.Int64 // UnixNano of the last check against the file
}

// Open returns a store for opts. File modes create the directory (0700) if needed and
// hold a shared lock on it until Close; MEMORY_WITH_BACKUP loads every backup file, and
// reports the ones it cannot read through List.
func Open(opts Options) (*Store, error) {
	mode := opts.Mode
	if mode == "" {
		mode = DefaultMode
	}
	if !mode.valid() {
		_, err := ParseMode(string(mode))
		return nil, fmt.Errorf("credentials: open: %w", err)
	}
	if mode.NeedsKeyring() && opts.Keyring == nil {
		return nil, fmt.Errorf("credentials: open %s store: %w", mode, ErrNoKeyring)
	}
	s := &Store{
		dir:        opts.Dir,
		mode:       mode,
		kr:         opts.Keyring,
		now:        opts.Now,
		log:        opts.Logger,
		revalidate: opts.Revalidate,
		cache:      map[string]*entry{},
		accounts:   map[string]*sync.Mutex{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.revalidate == 0 {
		s.revalidate = DefaultRevalidate
	}
	if !mode.Persistent() {
		return s, nil
	}
	if opts.Dir == "" {
		return nil, fmt.Errorf("credentials: open %s store: no directory given", mode)
	}
	if err := seal.EnsurePrivateDir(opts.Dir); err != nil {
		return nil, fmt.Errorf("credentials: open: %w", err)
	}
	lock, err := lockDir(opts.Dir, false)
	if err != nil {
		return nil, fmt.Errorf("credentials: open: %w", err)
	}
	s.lock = lock
	if mode == MemoryWithBackup {
		if err := s.loadBackups(); err != nil {
			lock.unlock()
			return nil, err
		}
	}
	return s, nil
}

func (s *Store) loadBackups() error {
	paths, err := listFiles(s.dir, MemoryWithBackup)
	if err != nil {
		return fmt.Errorf("credentials: load backups: %w", err)
	}
	for _, p := range paths {
		c, _, err := readFile(p, MemoryWithBackup, s.kr)
		if err != nil {
			s.problems = append(s.problems, Problem{Path: p, Err: err})
			s.log.Warn("credential backup cannot be read; it is left untouched", "path", p, "error", err)
			continue
		}
		s.cache[c.Email] = &entry{cred: c}
	}
	return nil
}

// Close releases the directory lock. The store must not be used afterwards.
func (s *Store) Close() error {
	s.lock.unlock()
	return nil
}

// Mode returns the store's mode.
func (s *Store) Mode() Mode { return s.mode }

// Plaintext reports whether tokens are written unencrypted, so the app can warn.
func (s *Store) Plaintext() bool { return s.mode.IsPlaintext() }

// fileBacked reports whether the files are the truth (not the memory).
func (s *Store) fileBacked() bool { return s.mode == FileEncrypted || s.mode == FilePlaintext }

func (s *Store) accountLock(email string) *sync.Mutex {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.accounts[email]
	if m == nil {
		m = &sync.Mutex{}
		s.accounts[email] = m
	}
	return m
}

// Get returns the credential of an account (address compared case-insensitively), or
// an error wrapping ErrNotFound.
func (s *Store) Get(ctx context.Context, email string) (Credential, error) {
	n := NormalizeEmail(email)
	s.mu.RLock()
	e := s.cache[n]
	s.mu.RUnlock()
	if e != nil && s.fresh(n, e) {
		return e.cred.Clone(), nil
	}
	if !s.fileBacked() {
		return Credential{}, fmt.Errorf("credentials: get %s: %w", n, ErrNotFound)
	}
	if err := ValidateEmail(n); err != nil {
		return Credential{}, fmt.Errorf("credentials: get: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return Credential{}, err
	}
	m := s.accountLock(n)
	m.Lock()
	defer m.Unlock()
	c, err := s.load(n)
	if err != nil {
		return Credential{}, fmt.Errorf("credentials: get %s: %w", n, err)
	}
	return c.Clone(), nil
}

// fresh reports whether a cached entry may be served without reading its file.
func (s *Store) fresh(email string, e *entry) bool {
	if !s.fileBacked() || s.revalidate < 0 {
		return true
	}
	now := s.now().UnixNano()
	if now-e.checked.Load() < int64(s.revalidate) {
		return true
	}
	fi, err := os.Stat(filePath(s.dir, email, s.mode))
	if err != nil || stampOf(fi) != e.stamp {
		return false
	}
	e.checked.Store(now)
	return true
}

// load reads an account's file into the cache. The caller holds the account lock.
func (s *Store) load(email string) (Credential, error) {
	c, st, err := readFor(s.dir, email, s.mode, s.kr)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			s.forget(email)
			return Credential{}, ErrNotFound
		}
		return Credential{}, err
	}
	s.remember(c, st)
	return c, nil
}

func (s *Store) remember(c Credential, st fileStamp) {
	e := &entry{cred: c, stamp: st}
	e.checked.Store(s.now().UnixNano())
	s.mu.Lock()
	s.cache[c.Email] = e
	s.mu.Unlock()
}

func (s *Store) forget(email string) {
	s.mu.Lock()
	delete(s.cache, email)
	s.mu.Unlock()
}

// Put stores c, replacing the account's previous credential, and sets its UpdatedAt.
// It never overwrites a file it cannot read, nor another account's file.
func (s *Store) Put(ctx context.Context, c Credential) error {
	c, err := c.normalized()
	if err != nil {
		return fmt.Errorf("credentials: put: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m := s.accountLock(c.Email)
	m.Lock()
	defer m.Unlock()
	if err := s.put(c); err != nil {
		return fmt.Errorf("credentials: put %s: %w", c.Email, err)
	}
	return nil
}

// Update reads an account's credential, lets fn change it and stores the result, with
// no other write to that account in between, so concurrent updates are never lost.
// fn must not change the address. The stored credential is returned.
func (s *Store) Update(ctx context.Context, email string, fn func(*Credential) error) (Credential, error) {
	n := NormalizeEmail(email)
	if err := ValidateEmail(n); err != nil {
		return Credential{}, fmt.Errorf("credentials: update: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return Credential{}, err
	}
	m := s.accountLock(n)
	m.Lock()
	defer m.Unlock()
	var cur Credential
	if s.fileBacked() {
		c, err := s.load(n)
		if err != nil {
			return Credential{}, fmt.Errorf("credentials: update %s: %w", n, err)
		}
		cur = c.Clone()
	} else {
		s.mu.RLock()
		e := s.cache[n]
		s.mu.RUnlock()
		if e == nil {
			return Credential{}, fmt.Errorf("credentials: update %s: %w", n, ErrNotFound)
		}
		cur = e.cred.Clone()
	}
	if err := fn(&cur); err != nil {
		return Credential{}, fmt.Errorf("credentials: update %s: %w", n, err)
	}
	if NormalizeEmail(cur.Email) != n {
		return Credential{}, fmt.Errorf("credentials: update %s: %w: the address may not change", n, ErrInvalidCredential)
	}
	c, err := cur.normalized()
	if err != nil {
		return Credential{}, fmt.Errorf("credentials: update: %w", err)
	}
	if err := s.put(c); err != nil {
		return Credential{}, fmt.Errorf("credentials: update %s: %w", n, err)
	}
	return c.Clone(), nil
}

// put writes a normalized credential. The caller holds the account lock.
func (s *Store) put(c Credential) error {
	c.UpdatedAt = s.now().UTC()
	if !s.mode.Persistent() {
		s.remember(c, fileStamp{})
		return nil
	}
	path := filePath(s.dir, c.Email, s.mode)
	if err := s.checkReplaceable(c.Email); err != nil {
		return err
	}
	data, err := encodeFile(c, s.mode, s.kr)
	if err != nil {
		return err
	}
	if err := seal.WriteFileAtomic(path, data, filePerm); err != nil {
		return err
	}
	var st fileStamp
	if fi, err := os.Stat(path); err == nil {
		st = stampOf(fi)
	}
	s.remember(c, st)
	return nil
}

// checkReplaceable refuses to replace or delete a file that holds another account or
// cannot be read.
func (s *Store) checkReplaceable(email string) error {
	_, _, err := readFor(s.dir, email, s.mode, s.kr)
	switch {
	case err == nil, errors.Is(err, fs.ErrNotExist):
		return nil
	case errors.Is(err, ErrNameCollision):
		return err
	default:
		return fmt.Errorf("%w: %w", ErrUnreadableTarget, err)
	}
}

// Delete removes an account's credential. A missing one gives ErrNotFound.
func (s *Store) Delete(ctx context.Context, email string) error {
	n := NormalizeEmail(email)
	if err := ValidateEmail(n); err != nil {
		return fmt.Errorf("credentials: delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m := s.accountLock(n)
	m.Lock()
	defer m.Unlock()
	s.mu.RLock()
	_, cached := s.cache[n]
	s.mu.RUnlock()
	if !s.mode.Persistent() {
		if !cached {
			return fmt.Errorf("credentials: delete %s: %w", n, ErrNotFound)
		}
		s.forget(n)
		return nil
	}
	path := filePath(s.dir, n, s.mode)
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		s.forget(n)
		if cached && !s.fileBacked() {
			return nil
		}
		return fmt.Errorf("credentials: delete %s: %w", n, ErrNotFound)
	}
	if err := s.checkReplaceable(n); err != nil {
		return fmt.Errorf("credentials: delete %s: %w", n, err)
	}
	if err := seal.RemoveFile(path); err != nil {
		return fmt.Errorf("credentials: delete %s: %w", n, err)
	}
	s.forget(n)
	return nil
}

// List returns every stored credential, sorted by address, plus the files it could not
// read (each with its reason). A broken file never hides the others and is never
// changed.
func (s *Store) List(ctx context.Context) ([]Credential, []Problem, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if !s.fileBacked() {
		s.mu.RLock()
		out := make([]Credential, 0, len(s.cache))
		for _, e := range s.cache {
			out = append(out, e.cred.Clone())
		}
		problems := append([]Problem(nil), s.problems...)
		s.mu.RUnlock()
		sortByEmail(out)
		return out, problems, nil
	}
	paths, err := listFiles(s.dir, s.mode)
	if err != nil {
		return nil, nil, fmt.Errorf("credentials: list: %w", err)
	}
	var out []Credential
	var problems []Problem
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		c, _, err := readFile(p, s.mode, s.kr)
		if err != nil {
			problems = append(problems, Problem{Path: p, Err: err})
			continue
		}
		out = append(out, c)
	}
	sortByEmail(out)
	return out, problems, nil
}

// GetBySubject returns the credential whose Subject (Google's sub) is sub, or an error
// wrapping ErrNotFound. It is served from the cache when it can be.
func (s *Store) GetBySubject(ctx context.Context, sub string) (Credential, error) {
	if sub == "" {
		return Credential{}, fmt.Errorf("credentials: get by subject: %w", ErrNotFound)
	}
	s.mu.RLock()
	var email string
	for n, e := range s.cache {
		if e.cred.Subject == sub {
			email = n
			break
		}
	}
	s.mu.RUnlock()
	if email != "" {
		if c, err := s.Get(ctx, email); err == nil && c.Subject == sub {
			return c, nil
		}
	}
	if !s.fileBacked() {
		return Credential{}, fmt.Errorf("credentials: get by subject: %w", ErrNotFound)
	}
	all, _, err := s.List(ctx)
	if err != nil {
		return Credential{}, fmt.Errorf("credentials: get by subject: %w", err)
	}
	for _, c := range all {
		if c.Subject == sub {
			return s.Get(ctx, c.Email) // also warms the cache
		}
	}
	return Credential{}, fmt.Errorf("credentials: get by subject: %w", ErrNotFound)
}

func sortByEmail(cs []Credential) {
	sort.Slice(cs, func(i, j int) bool { return cs[i].Email < cs[j].Email })
}

package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gwmcp/gwmcp/internal/store"
)

// Session errors. A request naming a session that is unknown, expired or another
// principal's is answered as "session not found" (404), so it learns nothing.
var (
	ErrSessionNotFound = errors.New("session not found")
	ErrSessionForeign  = errors.New("session belongs to another principal")
	ErrSessionExpired  = errors.New("session expired")
)

// Session is an MCP session's binding to the principal that opened it.
type Session struct {
	// Handle identifies the session to administrators without revealing its id (a hash).
	Handle    string    `json:"handle"`
	Principal string    `json:"principal"`
	Email     string    `json:"email,omitempty"` // the principal's login address, for listings
	Created   time.Time `json:"created"`
	LastSeen  time.Time `json:"last_seen"`
	// Selected is the account the session chose with switch_google_account.
	Selected string `json:"selected,omitempty"`
}

// Sessions binds MCP session ids to principals in the key-value store, with an idle and an
// absolute lifetime. Session ids are never stored: the key is a hash.
type Sessions struct {
	kv       store.Store
	idle     time.Duration
	absolute time.Duration
	now      func() time.Time

	// touchEvery bounds how often LastSeen is written: a store write per request would cost
	// a disk sync on the embedded store.
	touchEvery time.Duration

	mu   sync.Mutex
	stop chan struct{}
	done chan struct{}
}

// SessionOptions configure NewSessions.
type SessionOptions struct {
	Idle     time.Duration // SESSION_TIMEOUT_MINUTES
	Absolute time.Duration // MAX_SESSION_LIFETIME_HOURS
	Now      func() time.Time
}

// NewSessions returns the session registry over kv.
func NewSessions(kv store.Store, o SessionOptions) *Sessions {
	if o.Now == nil {
		o.Now = time.Now
	}
	touch := o.Idle / 20
	if touch > time.Minute {
		touch = time.Minute
	}
	return &Sessions{kv: kv, idle: o.Idle, absolute: o.Absolute, now: o.Now, touchEvery: touch}
}

const sessionPrefix = "id/session/"

// SessionHandle is the administrator-facing handle of a session id.
func SessionHandle(id string) string { return hashKey("session:" + id) }

func sessionKey(id string) string { return sessionPrefix + SessionHandle(id) }

func (s *Sessions) ttl(sess Session, now time.Time) time.Duration {
	left := sess.Created.Add(s.absolute).Sub(now)
	return min(s.idle, left)
}

// Bind records that the principal opened session id. Binding an id twice fails.
func (s *Sessions) Bind(ctx context.Context, id string, p Principal) error {
	now := s.now().UTC()
	sess := Session{Handle: SessionHandle(id), Principal: p.Subject, Email: p.Email, Created: now, LastSeen: now}
	b, err := json.Marshal(sess)
	if err != nil {
		return fmt.Errorf("identity: bind session: %w", err)
	}
	if err := store.Create(ctx, s.kv, sessionKey(id), b, s.ttl(sess, now)); err != nil {
		return fmt.Errorf("identity: bind session: %w", err)
	}
	return nil
}

// Check returns the session id's binding if it belongs to principal and has not expired, and
// keeps it alive (idle timeout restarts, never past the absolute lifetime).
func (s *Sessions) Check(ctx context.Context, id string, principal string) (Session, error) {
	sess, err := s.get(ctx, sessionKey(id))
	if err != nil {
		return Session{}, err
	}
	if sess.Principal != principal {
		return Session{}, ErrSessionForeign
	}
	now := s.now().UTC()
	if now.Sub(sess.Created) >= s.absolute || now.Sub(sess.LastSeen) >= s.idle {
		_ = s.kv.Delete(ctx, sessionKey(id))
		return Session{}, ErrSessionExpired
	}
	if now.Sub(sess.LastSeen) >= s.touchEvery {
		sess, err = s.update(ctx, id, principal, func(x *Session) { x.LastSeen = now })
		if err != nil {
			return Session{}, err
		}
	}
	return sess, nil
}

func (s *Sessions) get(ctx context.Context, key string) (Session, error) {
	b, err := s.kv.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, ErrSessionNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("identity: session: %w", err)
	}
	var sess Session
	if err := json.Unmarshal(b, &sess); err != nil {
		return Session{}, fmt.Errorf("identity: session: %w", err)
	}
	return sess, nil
}

func (s *Sessions) update(ctx context.Context, id, principal string, fn func(*Session)) (Session, error) {
	var out Session
	err := s.kv.Update(ctx, sessionKey(id), func(cur []byte, exists bool) ([]byte, time.Duration, error) {
		if !exists {
			return nil, 0, ErrSessionNotFound
		}
		var sess Session
		if err := json.Unmarshal(cur, &sess); err != nil {
			return nil, 0, err
		}
		if sess.Principal != principal {
			return nil, 0, ErrSessionForeign
		}
		fn(&sess)
		now := s.now().UTC()
		ttl := s.ttl(sess, now)
		if ttl <= 0 {
			return nil, 0, ErrSessionExpired
		}
		b, err := json.Marshal(sess)
		out = sess
		return b, ttl, err
	})
	if err != nil {
		if errors.Is(err, ErrSessionNotFound) || errors.Is(err, ErrSessionForeign) || errors.Is(err, ErrSessionExpired) {
			return Session{}, err
		}
		return Session{}, fmt.Errorf("identity: session: %w", err)
	}
	return out, nil
}

// Select records the account the session acts as by default.
func (s *Sessions) Select(ctx context.Context, id, principal, email string) error {
	_, err := s.update(ctx, id, principal, func(x *Session) { x.Selected = strings.ToLower(email) })
	return err
}

// List returns every live session, oldest first (administrators only).
func (s *Sessions) List(ctx context.Context) ([]Session, error) {
	keys, err := s.kv.List(ctx, sessionPrefix)
	if err != nil {
		return nil, fmt.Errorf("identity: list sessions: %w", err)
	}
	out := make([]Session, 0, len(keys))
	for _, k := range keys {
		sess, err := s.get(ctx, k)
		if errors.Is(err, ErrSessionNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, sess)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

// End removes a session by its handle (administrators) so its id no longer works.
func (s *Sessions) End(ctx context.Context, handle string) error {
	if err := s.kv.Delete(ctx, sessionPrefix+handle); err != nil {
		return fmt.Errorf("identity: end session: %w", err)
	}
	return nil
}

// EndForPrincipal removes every session of a principal (used when its access is revoked).
func (s *Sessions) EndForPrincipal(ctx context.Context, principal string) (int, error) {
	all, err := s.List(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, sess := range all {
		if sess.Principal == principal {
			if err := s.End(ctx, sess.Handle); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// Sweep deletes sessions past their idle or absolute lifetime. Stores expire records by TTL
// as well; the sweep also catches records whose TTL outlived a configuration change.
func (s *Sessions) Sweep(ctx context.Context) (int, error) {
	keys, err := s.kv.List(ctx, sessionPrefix)
	if err != nil {
		return 0, fmt.Errorf("identity: sweep sessions: %w", err)
	}
	now := s.now().UTC()
	n := 0
	for _, k := range keys {
		sess, err := s.get(ctx, k)
		if err != nil {
			continue
		}
		if now.Sub(sess.Created) >= s.absolute || now.Sub(sess.LastSeen) >= s.idle {
			if err := s.kv.Delete(ctx, k); err == nil {
				n++
			}
		}
	}
	return n, nil
}

// StartSweeper sweeps every interval until StopSweeper. It is idempotent.
func (s *Sessions) StartSweeper(interval time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop != nil {
		return
	}
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go func(stop, done chan struct{}) {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), interval)
				_, _ = s.Sweep(ctx)
				cancel()
			}
		}
	}(s.stop, s.done)
}

// StopSweeper stops the sweeper and waits for it.
func (s *Sessions) StopSweeper() {
	s.mu.Lock()
	stop, done := s.stop, s.done
	s.stop, s.done = nil, nil
	s.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
}

// Selected returns the account the session selected, or "" (also for an unknown, foreign or
// expired session).
func (s *Sessions) Selected(ctx context.Context, id, principal string) string {
	sess, err := s.get(ctx, sessionKey(id))
	if err != nil || sess.Principal != principal {
		return ""
	}
	return sess.Selected
}

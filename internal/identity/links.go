package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gwmcp/gwmcp/internal/store"
)

// Link records that a principal completed Google's consent for an account and may act as it.
type Link struct {
	Email    string    `json:"email"`
	Subject  string    `json:"sub"` // the Google account's sub
	Primary  bool      `json:"primary,omitempty"`
	LinkedAt time.Time `json:"linked_at"`
}

// Directory keeps the links of every principal in the key-value store:
// "id/link/<principal>/<account>" and, to answer "who else links this account",
// "id/linkers/<account>/<principal>".
//
// Lookups of existing links are cached for LinkCacheTTL so the resolver's warm path needs no
// store read. Changes made through this Directory take effect at once here; on another
// replica sharing the store, an unlink takes effect within LinkCacheTTL. A link that does not
// exist is never cached, so a new link works at once everywhere.
type Directory struct {
	kv  store.Store
	now func() time.Time

	mu    sync.Mutex
	cache map[string]cachedLink
}

// LinkCacheTTL bounds how long another replica may still honour a removed link.
const LinkCacheTTL = 10 * time.Second

const linkCacheMax = 10000

type cachedLink struct {
	link    Link
	expires time.Time
}

// NewDirectory returns a directory over kv.
func NewDirectory(kv store.Store, now func() time.Time) *Directory {
	if now == nil {
		now = time.Now
	}
	return &Directory{kv: kv, now: now, cache: map[string]cachedLink{}}
}

func (d *Directory) cached(key string) (Link, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.cache[key]
	if !ok || !d.now().Before(c.expires) {
		return Link{}, false
	}
	return c.link, true
}

func (d *Directory) remember(key string, l Link) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.cache) >= linkCacheMax {
		clear(d.cache)
	}
	d.cache[key] = cachedLink{link: l, expires: d.now().Add(LinkCacheTTL)}
}

func (d *Directory) forget(key string) {
	d.mu.Lock()
	delete(d.cache, key)
	d.mu.Unlock()
}

func linkPrefix(principal string) string { return "id/link/" + hashKey(principal) + "/" }
func linkKey(principal, email string) string {
	return linkPrefix(principal) + hashKey(CanonicalEmail(email))
}
func linkerPrefix(email string) string { return "id/linkers/" + hashKey(CanonicalEmail(email)) + "/" }

// Link records that principal may act as the account (email, sub). primary marks the
// principal's login account; only one link is primary.
func (d *Directory) Link(ctx context.Context, principal string, l Link) error {
	if principal == "" || l.Email == "" {
		return errors.New("identity: link: principal and email are required")
	}
	l.Email = strings.ToLower(strings.TrimSpace(l.Email))
	if l.LinkedAt.IsZero() {
		l.LinkedAt = d.now().UTC()
	}
	if l.Primary {
		links, err := d.Links(ctx, principal)
		if err != nil {
			return err
		}
		for _, old := range links {
			if old.Primary && CanonicalEmail(old.Email) != CanonicalEmail(l.Email) {
				old.Primary = false
				if err := d.put(ctx, principal, old); err != nil {
					return err
				}
			}
		}
	}
	if err := d.put(ctx, principal, l); err != nil {
		return err
	}
	if err := d.kv.Set(ctx, linkerPrefix(l.Email)+hashKey(principal), []byte(principal), 0); err != nil {
		return fmt.Errorf("identity: link: %w", err)
	}
	return nil
}

func (d *Directory) put(ctx context.Context, principal string, l Link) error {
	b, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("identity: link: %w", err)
	}
	key := linkKey(principal, l.Email)
	d.forget(key)
	if err := d.kv.Set(ctx, key, b, 0); err != nil {
		return fmt.Errorf("identity: link: %w", err)
	}
	return nil
}

// Lookup returns the principal's link for email (compared canonically).
func (d *Directory) Lookup(ctx context.Context, principal, email string) (Link, bool, error) {
	key := linkKey(principal, email)
	if l, ok := d.cached(key); ok {
		return l, true, nil
	}
	b, err := d.kv.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return Link{}, false, nil
	}
	if err != nil {
		return Link{}, false, fmt.Errorf("identity: lookup link: %w", err)
	}
	var l Link
	if err := json.Unmarshal(b, &l); err != nil {
		return Link{}, false, fmt.Errorf("identity: lookup link: %w", err)
	}
	d.remember(key, l)
	return l, true, nil
}

// Links returns the principal's links, primary first, then by address.
func (d *Directory) Links(ctx context.Context, principal string) ([]Link, error) {
	keys, err := d.kv.List(ctx, linkPrefix(principal))
	if err != nil {
		return nil, fmt.Errorf("identity: list links: %w", err)
	}
	out := make([]Link, 0, len(keys))
	for _, k := range keys {
		b, err := d.kv.Get(ctx, k)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("identity: list links: %w", err)
		}
		var l Link
		if err := json.Unmarshal(b, &l); err != nil {
			return nil, fmt.Errorf("identity: list links: %w", err)
		}
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b Link) int {
		if a.Primary != b.Primary {
			if a.Primary {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Email, b.Email)
	})
	return out, nil
}

// Unlink removes the principal's link to email and reports how many other principals still
// link that account (when none do, the caller may revoke it at Google and delete it).
func (d *Directory) Unlink(ctx context.Context, principal, email string) (others int, err error) {
	key := linkKey(principal, email)
	d.forget(key)
	if err := d.kv.Delete(ctx, key); err != nil {
		return 0, fmt.Errorf("identity: unlink: %w", err)
	}
	if err := d.kv.Delete(ctx, linkerPrefix(email)+hashKey(principal)); err != nil {
		return 0, fmt.Errorf("identity: unlink: %w", err)
	}
	rest, err := d.kv.List(ctx, linkerPrefix(email))
	if err != nil {
		return 0, fmt.Errorf("identity: unlink: %w", err)
	}
	return len(rest), nil
}

// Linkers returns the principals that link the account.
func (d *Directory) Linkers(ctx context.Context, email string) ([]string, error) {
	keys, err := d.kv.List(ctx, linkerPrefix(email))
	if err != nil {
		return nil, fmt.Errorf("identity: linkers: %w", err)
	}
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		b, err := d.kv.Get(ctx, k)
		if err == nil {
			out = append(out, string(b))
		}
	}
	return out, nil
}

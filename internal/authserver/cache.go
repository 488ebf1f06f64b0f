package authserver

import (
	"crypto/sha256"
	"slices"
	"sync"
	"time"
)

// tokenCache remembers verified access tokens, keyed by the SHA-256 of the token so the
// token itself is not kept. An entry is used only while the token is unexpired and the
// cache generation it was verified under is still current (see Server.cacheGen), so a
// revocation is never masked by the cache.
type tokenCache struct {
	max int
	mu  sync.RWMutex
	m   map[[sha256.Size]byte]cacheEntry
}

type cacheEntry struct {
	p   Principal
	exp time.Time
	gen int64
}

func newTokenCache(max int) *tokenCache {
	if max < 0 {
		return &tokenCache{}
	}
	return &tokenCache{max: max, m: make(map[[sha256.Size]byte]cacheEntry, min(max, 1024))}
}

func (c *tokenCache) get(k [sha256.Size]byte, now time.Time, gen int64) (Principal, bool) {
	if c.max <= 0 {
		return Principal{}, false
	}
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || e.gen != gen || !now.Before(e.exp) {
		return Principal{}, false
	}
	p := e.p
	p.Scopes = slices.Clone(p.Scopes)
	return p, true
}

func (c *tokenCache) put(k [sha256.Size]byte, e cacheEntry, now time.Time) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		for key, old := range c.m {
			if !now.Before(old.exp) || old.gen != e.gen {
				delete(c.m, key)
			}
		}
		// Still full: drop about an eighth, chosen by map order (effectively random).
		for key := range c.m {
			if len(c.m) < c.max-c.max/8 {
				break
			}
			delete(c.m, key)
		}
	}
	c.m[k] = e
}

func (c *tokenCache) drop(k [sha256.Size]byte) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}

func (c *tokenCache) clear() {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}

func (c *tokenCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

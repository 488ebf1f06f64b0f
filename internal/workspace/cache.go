package workspace

import (
	"container/list"
	"sync"
	"time"
)

// cacheKey names one cached client. Scopes are not part of it: a client reads the
// account's current credential on every request, so one client serves any scope set.
type cacheKey struct {
	email   string
	service Service
}

type cacheEntry struct {
	key     cacheKey
	value   any
	expires time.Time
}

// clientCache is a bounded LRU of clients, each usable for a fixed TTL from its creation.
// It is safe for concurrent use.
type clientCache struct {
	off bool // SERVICE_CACHING=false: every get misses, add keeps nothing
	ttl time.Duration
	max int
	now func() time.Time

	mu    sync.Mutex
	items map[cacheKey]*list.Element
	lru   *list.List // front = most recently used

	hits, misses, evictions, expirations uint64
}

func newClientCache(off bool, ttl time.Duration, max int, now func() time.Time) *clientCache {
	return &clientCache{off: off, ttl: ttl, max: max, now: now, items: map[cacheKey]*list.Element{}, lru: list.New()}
}

// get returns a live client and marks it used; an expired one is dropped. A miss is
// counted.
func (c *clientCache) get(k cacheKey) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.off {
		c.misses++
		return nil, false
	}
	if el, ok := c.items[k]; ok {
		e := el.Value.(*cacheEntry)
		if c.now().Before(e.expires) {
			c.lru.MoveToFront(el)
			c.hits++
			return e.value, true
		}
		c.remove(el)
		c.expirations++
	}
	c.misses++
	return nil, false
}

// add stores v unless a live client for k arrived meanwhile, which is returned instead
// (so concurrent misses end up sharing one client). It evicts the least recently used
// clients beyond the bound.
func (c *clientCache) add(k cacheKey, v any) any {
	if c.off {
		return v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if el, ok := c.items[k]; ok {
		e := el.Value.(*cacheEntry)
		if now.Before(e.expires) {
			c.lru.MoveToFront(el)
			return e.value
		}
		c.remove(el)
		c.expirations++
	}
	c.items[k] = c.lru.PushFront(&cacheEntry{key: k, value: v, expires: now.Add(c.ttl)})
	for c.lru.Len() > c.max {
		c.remove(c.lru.Back())
		c.evictions++
	}
	return v
}

// clear drops every client of an account and returns how many there were.
func (c *clientCache) clear(email string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for k, el := range c.items {
		if k.email == email {
			c.remove(el)
			n++
		}
	}
	return n
}

func (c *clientCache) remove(el *list.Element) {
	delete(c.items, el.Value.(*cacheEntry).key)
	c.lru.Remove(el)
}

func (c *clientCache) stats() (hits, misses, evictions, expirations uint64, size int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses, c.evictions, c.expirations, c.lru.Len()
}

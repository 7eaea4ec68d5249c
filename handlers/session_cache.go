package handlers

import (
	"sync"
	"time"
)

// Limits of the decoded-session cache.
const (
	sessionCacheTTL = time.Minute
	sessionCacheMax = 20_000
)

// sessionCache remembers, for a minute, the borrower session id that a cookie
// value decoded to. Every waiting borrower's page polls every few seconds with
// the same cookie, and decoding it (base64, HMAC, AES, the values) each time
// was a sizeable part of the poll. Only values that decoded and verified are
// kept, under the exact cookie value, so the cache never accepts a cookie the
// codecs would refuse — except one that expired within the last minute of its
// 48 hours. It is bounded: when full it starts over.
type sessionCache struct {
	mu      sync.Mutex
	entries map[string]sessionCacheEntry
}

type sessionCacheEntry struct {
	id    string
	until time.Time
}

func newSessionCache() *sessionCache {
	return &sessionCache{entries: map[string]sessionCacheEntry{}}
}

// get returns the session id the cookie value decoded to within the last minute.
func (c *sessionCache) get(value string, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[value]
	if !ok || now.After(e.until) {
		return "", false
	}
	return e.id, true
}

// put remembers that value decoded to the session id.
func (c *sessionCache) put(value, id string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= sessionCacheMax {
		clear(c.entries)
	}
	c.entries[value] = sessionCacheEntry{id: id, until: now.Add(sessionCacheTTL)}
}

package auth

import (
	"sync"
	"time"
)

// ThrottleConfig sets how a Throttle slows down repeated failures.
type ThrottleConfig struct {
	// Free is how many failures in a row cost nothing.
	Free int
	// Base is the delay after the first failure past Free; each further
	// failure doubles it, up to Max.
	Base, Max time.Duration
	// Window forgets failures older than this.
	Window time.Duration
	// MaxKeys bounds memory; past it, expired entries are pruned and then new
	// keys are not tracked.
	MaxKeys int
}

// Throttle counts failures per key (an account or a client address) and
// blocks a key for an exponentially growing time once it has failed too
// often. It is safe for concurrent use.
type Throttle struct {
	cfg     ThrottleConfig
	mu      sync.Mutex
	entries map[string]*failures
}

type failures struct {
	count int
	last  time.Time
	until time.Time
}

// NewThrottle returns a Throttle with the given configuration.
func NewThrottle(cfg ThrottleConfig) *Throttle {
	return &Throttle{cfg: cfg, entries: map[string]*failures{}}
}

// Blocked returns how long key must still wait; 0 when it may try now.
func (t *Throttle) Blocked(key string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.entries[key]
	if f == nil || !now.Before(f.until) {
		return 0
	}
	return f.until.Sub(now)
}

// Fail records a failure of key at now.
func (t *Throttle) Fail(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.entries[key]
	if f == nil {
		if !t.makeRoom(now) {
			return
		}
		f = &failures{}
		t.entries[key] = f
	}
	if now.Sub(f.last) > t.cfg.Window {
		f.count = 0
	}
	f.count++
	f.last = now
	if over := f.count - t.cfg.Free; over > 0 {
		f.until = now.Add(t.delay(over))
	}
}

// delay is Base·2^(over-1), capped at Max.
func (t *Throttle) delay(over int) time.Duration {
	d := t.cfg.Base
	for i := 1; i < over && d < t.cfg.Max; i++ {
		d *= 2
	}
	return min(d, t.cfg.Max)
}

// makeRoom prunes expired entries when the map is full and reports whether
// a new key may be added.
func (t *Throttle) makeRoom(now time.Time) bool {
	if t.cfg.MaxKeys <= 0 || len(t.entries) < t.cfg.MaxKeys {
		return true
	}
	for k, f := range t.entries {
		if now.Sub(f.last) > t.cfg.Window && !now.Before(f.until) {
			delete(t.entries, k)
		}
	}
	return len(t.entries) < t.cfg.MaxKeys
}

// Reset forgets the failures of key, after a success.
func (t *Throttle) Reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.entries, key)
}

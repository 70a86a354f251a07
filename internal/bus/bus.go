// Package bus carries committed entity changes from the broker to the parts
// of the platform that react to them: the live stream, subscriptions and
// rules. The in-process Local bus is the embedded default; a replicated
// implementation carries the same Change values between servers.
package bus

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
)

// Change is one committed change of an entity.
type Change struct {
	Tenant string
	ID     string
	// Old is the entity before the change; nil when it was created.
	Old *ngsild.Entity
	// New is the entity after the change; nil when it was deleted.
	New *ngsild.Entity
	At  time.Time
}

// Entity returns the entity as it is after the change, or as it was before
// a deletion.
func (c *Change) Entity() *ngsild.Entity {
	if c.New != nil {
		return c.New
	}
	return c.Old
}

// Bus publishes changes to subscribers.
type Bus interface {
	// Publish hands committed changes to every subscriber. It never blocks
	// on a slow subscriber.
	Publish(ctx context.Context, changes []Change) error
	// Subscribe returns a subscription whose channel receives the changes
	// published from now on, in batches as published.
	Subscribe(buffer int) *Subscription
}

// Subscription receives published changes until it is closed.
type Subscription struct {
	c       chan []Change
	dropped atomic.Uint64
	closed  atomic.Bool
	unsub   func(*Subscription)
}

// C delivers batches of changes.
func (s *Subscription) C() <-chan []Change { return s.c }

// Dropped counts the batches lost because the subscriber fell behind.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close stops delivery and closes the channel.
func (s *Subscription) Close() {
	if s.closed.CompareAndSwap(false, true) {
		s.unsub(s)
	}
}

// Local is the in-process bus.
type Local struct {
	mu   sync.RWMutex
	subs map[*Subscription]struct{}
}

// NewLocal returns an in-process bus.
func NewLocal() *Local {
	return &Local{subs: map[*Subscription]struct{}{}}
}

// Publish implements Bus. A subscriber whose buffer is full loses the
// batch, which its Dropped count records.
func (b *Local) Publish(_ context.Context, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	for s := range b.subs {
		select {
		case s.c <- changes:
		default:
			s.dropped.Add(1)
		}
	}
	return nil
}

// Subscribe implements Bus.
func (b *Local) Subscribe(buffer int) *Subscription {
	s := &Subscription{c: make(chan []Change, max(buffer, 1)), unsub: b.remove}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

func (b *Local) remove(s *Subscription) {
	b.mu.Lock()
	delete(b.subs, s)
	close(s.c)
	b.mu.Unlock()
}

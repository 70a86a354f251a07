// Package broker is the NGSI-LD context broker service: it validates and
// applies entity operations on a store and answers queries. Transport (HTTP)
// and representation live elsewhere; the broker works on the model of
// package ngsild with expanded names.
package broker

import (
	"context"
	"time"

	"github.com/dothi-city/dothi/internal/bus"
	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
)

// Broker applies NGSI-LD operations to a store.
//
// The broker takes ownership of the entities and fragments passed to its
// write methods: it may store them or parts of them as they are, so callers
// must not modify them afterwards (reading their ID is fine).
type Broker struct {
	store store.Store
	bus   bus.Bus
	now   func() time.Time
	// enforce turns on access control (WithAccessControl).
	enforce bool
	// auditRead records reads of restricted entities (WithReadAudit).
	auditRead func(ctx context.Context, tenant, id string)
}

// Option configures a Broker.
type Option func(*Broker)

// WithBus publishes every committed change on b.
func WithBus(b bus.Bus) Option {
	return func(br *Broker) { br.bus = b }
}

// New returns a broker over s.
func New(s store.Store, opts ...Option) *Broker {
	b := &Broker{store: s, now: func() time.Time { return time.Now().UTC() }}
	for _, o := range opts {
		o(b)
	}
	return b
}

// change is one entity operation: apply turns the stored entity (nil when
// absent) into the entity to keep (nil to delete).
type change struct {
	id    string
	apply func(old *ngsild.Entity, now time.Time) (*ngsild.Entity, error)
}

// write applies changes in one store write, publishes those that were
// committed, and returns one error per change. Under access control each
// change is checked inside its mutation, against the stored entity.
func (b *Broker) write(ctx context.Context, tenant string, changes []change) ([]error, error) {
	g, err := b.guardFor(ctx, tenant)
	if err != nil {
		return nil, err
	}
	now := b.now()
	muts := make([]store.Mutation, len(changes))
	var done []bus.Change
	if b.bus != nil {
		done = make([]bus.Change, len(changes))
	}
	for i, c := range changes {
		c, id := c, c.id
		apply := func(old *ngsild.Entity) (*ngsild.Entity, error) { return c.apply(old, now) }
		if g != nil {
			apply = g.wrap(id, apply)
		}
		muts[i] = store.Mutation{ID: id, Apply: func(old *ngsild.Entity) (*ngsild.Entity, error) {
			if done == nil {
				return apply(old)
			}
			var before *ngsild.Entity
			if old != nil {
				before = old.Clone()
			}
			e, err := apply(old)
			done[i] = bus.Change{Tenant: tenant, ID: id, Old: before, New: e, At: now}
			return e, err
		}}
	}
	errs, err := b.store.Write(ctx, tenant, muts)
	if err == nil && done != nil {
		b.publish(ctx, done, errs)
	}
	return errs, err
}

// publish hands the committed changes to the bus.
func (b *Broker) publish(ctx context.Context, done []bus.Change, errs []error) {
	committed := done[:0]
	for i, c := range done {
		if errs[i] == nil && (c.Old != nil || c.New != nil) {
			committed = append(committed, c)
		}
	}
	_ = b.bus.Publish(ctx, committed)
}

// writeOne applies a single change.
func (b *Broker) writeOne(ctx context.Context, tenant string, c change) error {
	errs, err := b.write(ctx, tenant, []change{c})
	if err != nil {
		return err
	}
	return errs[0]
}

func notFound(id string) error {
	return ngsild.Errorf(ngsild.ErrResourceNotFound, "entity %s not found", id)
}

// Entity returns one entity. Under access control an entity the
// principal may not read is answered as missing.
func (b *Broker) Entity(ctx context.Context, tenant, id string) (*ngsild.Entity, error) {
	g, err := b.guardFor(ctx, tenant)
	if err != nil {
		return nil, err
	}
	e, err := b.store.Entity(ctx, tenant, id)
	if err != nil || g == nil {
		return e, err
	}
	if !g.mayRead(e) {
		return nil, notFound(id)
	}
	b.audit(ctx, g, e)
	return e, nil
}

// Query returns the entities matching q. Under access control the
// entities the principal may not read are left out, so a page may be
// shorter than the limit.
func (b *Broker) Query(ctx context.Context, tenant string, q *store.Query) (*store.Result, error) {
	g, err := b.guardFor(ctx, tenant)
	if err != nil {
		return nil, err
	}
	if g != nil {
		if err := g.checkQueryTypes(q); err != nil {
			return nil, err
		}
	}
	res, err := b.store.Query(ctx, tenant, q)
	if err != nil || g == nil {
		return res, err
	}
	kept := res.Entities[:0]
	for _, e := range res.Entities {
		if g.mayRead(e) {
			b.audit(ctx, g, e)
			kept = append(kept, e)
		}
	}
	res.Entities = kept
	if q.Count && res.Count >= 0 && !g.readsAll() {
		// The store counts every match; the principal must learn only how
		// many it may read, or counts would reveal restricted entities.
		if res.Count, err = b.countReadable(ctx, tenant, q, g); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// countPage is the page size countReadable reads the matches with.
const countPage = 1000

// countReadable counts the entities matching q that g may read, reading
// every match: slow for large results, but exact.
func (b *Broker) countReadable(ctx context.Context, tenant string, q *store.Query, g *guard) (int, error) {
	all := *q
	all.Count, all.Limit, all.Offset = false, countPage, 0
	n := 0
	for {
		res, err := b.store.Query(ctx, tenant, &all)
		if err != nil {
			return 0, err
		}
		for _, e := range res.Entities {
			if g.mayRead(e) {
				n++
			}
		}
		if len(res.Entities) < countPage {
			return n, nil
		}
		all.Offset += countPage
	}
}

// audit records that the principal read e when e is restricted data.
func (b *Broker) audit(ctx context.Context, g *guard, e *ngsild.Entity) {
	if b.auditRead != nil && g.restricted(e) {
		b.auditRead(ctx, g.tenant, e.ID)
	}
}

// Summary describes the types and attributes of a tenant.
func (b *Broker) Summary(ctx context.Context, tenant string) (*store.Summary, error) {
	if _, err := b.guardFor(ctx, tenant); err != nil {
		return nil, err
	}
	return b.store.Summary(ctx, tenant)
}

// Ready reports whether the store answers.
func (b *Broker) Ready(ctx context.Context) error {
	_, err := b.store.Tenants(ctx)
	return err
}

// Package broker is the NGSI-LD context broker service: it validates and
// applies entity operations on a store and answers queries. Transport (HTTP)
// and representation live elsewhere; the broker works on the model of
// package ngsild with expanded names.
package broker

import (
	"context"
	"time"

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
	now   func() time.Time
}

// New returns a broker over s.
func New(s store.Store) *Broker {
	return &Broker{store: s, now: func() time.Time { return time.Now().UTC() }}
}

// change is one entity operation: apply turns the stored entity (nil when
// absent) into the entity to keep (nil to delete).
type change struct {
	id    string
	apply func(old *ngsild.Entity, now time.Time) (*ngsild.Entity, error)
}

// write applies changes in one store write and returns one error per change.
func (b *Broker) write(ctx context.Context, tenant string, changes []change) ([]error, error) {
	now := b.now()
	muts := make([]store.Mutation, len(changes))
	for i, c := range changes {
		apply := c.apply
		muts[i] = store.Mutation{ID: c.id, Apply: func(old *ngsild.Entity) (*ngsild.Entity, error) {
			return apply(old, now)
		}}
	}
	return b.store.Write(ctx, tenant, muts)
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

// Entity returns one entity.
func (b *Broker) Entity(ctx context.Context, tenant, id string) (*ngsild.Entity, error) {
	return b.store.Entity(ctx, tenant, id)
}

// Query returns the entities matching q.
func (b *Broker) Query(ctx context.Context, tenant string, q *store.Query) (*store.Result, error) {
	return b.store.Query(ctx, tenant, q)
}

// Summary describes the types and attributes of a tenant.
func (b *Broker) Summary(ctx context.Context, tenant string) (*store.Summary, error) {
	return b.store.Summary(ctx, tenant)
}

// Ready reports whether the store answers.
func (b *Broker) Ready(ctx context.Context) error {
	_, err := b.store.Tenants(ctx)
	return err
}

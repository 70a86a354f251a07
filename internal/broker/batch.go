package broker

import (
	"context"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
)

// BatchCreate creates entities; errs[i] is the outcome for entities[i].
func (b *Broker) BatchCreate(ctx context.Context, tenant string, entities []*ngsild.Entity) ([]error, error) {
	changes := make([]change, len(entities))
	for i, e := range entities {
		changes[i] = createChange(e)
	}
	return b.write(ctx, tenant, changes)
}

// BatchUpsert creates missing entities and replaces (replace) or updates the
// attributes of existing ones. created[i] tells whether entities[i] was new.
func (b *Broker) BatchUpsert(ctx context.Context, tenant string, entities []*ngsild.Entity, replace bool) (created []bool, errs []error, err error) {
	created = make([]bool, len(entities))
	changes := make([]change, len(entities))
	for i, e := range entities {
		i, e := i, e
		changes[i] = change{id: e.ID, apply: func(old *ngsild.Entity, now time.Time) (*ngsild.Entity, error) {
			created[i] = old == nil
			switch {
			case old == nil:
				return ngsild.NewEntityInPlace(e, now), nil
			case replace:
				return ngsild.ReplaceEntityInPlace(old, e, now), nil
			}
			ngsild.AppendAttrs(old, e, false, now)
			return old, nil
		}}
	}
	errs, err = b.write(ctx, tenant, changes)
	for i := range errs {
		if errs[i] != nil {
			created[i] = false
		}
	}
	return created, errs, err
}

// BatchUpdate appends the attributes of each entity to the existing entity
// (overwriting unless noOverwrite). A missing entity is an error.
func (b *Broker) BatchUpdate(ctx context.Context, tenant string, entities []*ngsild.Entity, noOverwrite bool) ([]error, error) {
	changes := make([]change, len(entities))
	for i, e := range entities {
		e := e
		changes[i] = change{id: e.ID, apply: func(old *ngsild.Entity, now time.Time) (*ngsild.Entity, error) {
			if old == nil {
				return nil, notFound(e.ID)
			}
			ngsild.AppendAttrs(old, e, noOverwrite, now)
			return old, nil
		}}
	}
	return b.write(ctx, tenant, changes)
}

// BatchDelete deletes entities by id.
func (b *Broker) BatchDelete(ctx context.Context, tenant string, ids []string) ([]error, error) {
	changes := make([]change, len(ids))
	for i, id := range ids {
		changes[i] = deleteChange(id)
	}
	return b.write(ctx, tenant, changes)
}

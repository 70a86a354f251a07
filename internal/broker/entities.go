package broker

import (
	"context"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
)

// CreateEntity stores a new entity; AlreadyExists when the id is taken.
func (b *Broker) CreateEntity(ctx context.Context, tenant string, e *ngsild.Entity) error {
	return b.writeOne(ctx, tenant, createChange(e))
}

func createChange(e *ngsild.Entity) change {
	return change{id: e.ID, apply: func(old *ngsild.Entity, now time.Time) (*ngsild.Entity, error) {
		if old != nil {
			return nil, ngsild.Errorf(ngsild.ErrAlreadyExists, "entity %s already exists", e.ID)
		}
		return ngsild.NewEntityInPlace(e, now), nil
	}}
}

// ReplaceEntity replaces all attributes of an existing entity.
func (b *Broker) ReplaceEntity(ctx context.Context, tenant string, e *ngsild.Entity) error {
	return b.writeOne(ctx, tenant, replaceChange(e, false))
}

// replaceChange replaces an entity; with upsert it creates a missing one.
func replaceChange(e *ngsild.Entity, upsert bool) change {
	return change{id: e.ID, apply: func(old *ngsild.Entity, now time.Time) (*ngsild.Entity, error) {
		if old == nil {
			if !upsert {
				return nil, notFound(e.ID)
			}
			return ngsild.NewEntityInPlace(e, now), nil
		}
		return ngsild.ReplaceEntityInPlace(old, e, now), nil
	}}
}

// MergeEntity merges a fragment into an entity (PATCH /entities/{id}).
func (b *Broker) MergeEntity(ctx context.Context, tenant, id string, frag *ngsild.Entity) error {
	return b.writeOne(ctx, tenant, change{id: id, apply: func(old *ngsild.Entity, now time.Time) (*ngsild.Entity, error) {
		if old == nil {
			return nil, notFound(id)
		}
		if err := ngsild.MergeEntity(old, frag, now); err != nil {
			return nil, err
		}
		return old, nil
	}})
}

// DeleteEntity removes an entity.
func (b *Broker) DeleteEntity(ctx context.Context, tenant, id string) error {
	return b.writeOne(ctx, tenant, deleteChange(id))
}

func deleteChange(id string) change {
	return change{id: id, apply: func(old *ngsild.Entity, _ time.Time) (*ngsild.Entity, error) {
		if old == nil {
			return nil, notFound(id)
		}
		return nil, nil
	}}
}

// AppendAttrs adds attributes to an entity, overwriting existing ones unless
// noOverwrite is set.
func (b *Broker) AppendAttrs(ctx context.Context, tenant, id string, frag *ngsild.Entity, noOverwrite bool) (ngsild.UpdateResult, error) {
	return b.updateAttrs(ctx, tenant, id, func(e *ngsild.Entity, now time.Time) ngsild.UpdateResult {
		return ngsild.AppendAttrs(e, frag, noOverwrite, now)
	})
}

// UpdateAttrs updates the attributes an entity already has.
func (b *Broker) UpdateAttrs(ctx context.Context, tenant, id string, frag *ngsild.Entity) (ngsild.UpdateResult, error) {
	return b.updateAttrs(ctx, tenant, id, func(e *ngsild.Entity, now time.Time) ngsild.UpdateResult {
		return ngsild.UpdateAttrs(e, frag, now)
	})
}

func (b *Broker) updateAttrs(ctx context.Context, tenant, id string, fn func(*ngsild.Entity, time.Time) ngsild.UpdateResult) (ngsild.UpdateResult, error) {
	var res ngsild.UpdateResult
	err := b.writeOne(ctx, tenant, change{id: id, apply: func(old *ngsild.Entity, now time.Time) (*ngsild.Entity, error) {
		if old == nil {
			return nil, notFound(id)
		}
		res = fn(old, now)
		return old, nil
	}})
	return res, err
}

// PartialUpdateAttr merges a fragment into one attribute instance.
func (b *Broker) PartialUpdateAttr(ctx context.Context, tenant, id, attr string, frag *ngsild.Entity) error {
	return b.modify(ctx, tenant, id, func(e *ngsild.Entity, now time.Time) error {
		return ngsild.PartialUpdateAttr(e, attr, frag, now)
	})
}

// ReplaceAttr replaces one existing attribute (PUT /entities/{id}/attrs/{attr}).
func (b *Broker) ReplaceAttr(ctx context.Context, tenant, id, attr string, frag *ngsild.Entity) error {
	return b.modify(ctx, tenant, id, func(e *ngsild.Entity, now time.Time) error {
		return ngsild.ReplaceAttr(e, attr, frag, now)
	})
}

// DeleteAttr removes an attribute instance, or all instances with deleteAll.
func (b *Broker) DeleteAttr(ctx context.Context, tenant, id, attr, datasetID string, deleteAll bool) error {
	return b.modify(ctx, tenant, id, func(e *ngsild.Entity, now time.Time) error {
		return ngsild.DeleteAttr(e, attr, datasetID, deleteAll, now)
	})
}

// modify runs fn on an existing entity and keeps the result.
func (b *Broker) modify(ctx context.Context, tenant, id string, fn func(*ngsild.Entity, time.Time) error) error {
	return b.writeOne(ctx, tenant, change{id: id, apply: func(old *ngsild.Entity, now time.Time) (*ngsild.Entity, error) {
		if old == nil {
			return nil, notFound(id)
		}
		if err := fn(old, now); err != nil {
			return nil, err
		}
		return old, nil
	}})
}

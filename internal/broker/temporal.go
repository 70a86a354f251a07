package broker

import (
	"context"

	"github.com/dothi-city/dothi/internal/auth"
	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
)

// The temporal API follows the entities' access rules: a principal reads
// and changes the history of an entity it may read or write as the entity
// is now. The history of an entity that no longer exists is readable by
// those who read everything (admins, leaders) and writable by admins.

// TemporalQuery returns the history of the entities matching q that the
// principal may read.
func (b *Broker) TemporalQuery(ctx context.Context, tenant string, q *store.TemporalQuery) ([]*store.TemporalEntity, error) {
	g, err := b.guardFor(ctx, tenant)
	if err != nil {
		return nil, err
	}
	res, err := b.store.TemporalQuery(ctx, tenant, q)
	if err != nil || g == nil || g.readsAll() {
		return res, err
	}
	kept := res[:0]
	for _, te := range res {
		if b.mayReadHistory(ctx, g, te.ID) {
			kept = append(kept, te)
		}
	}
	return kept, nil
}

// TemporalAggregate aggregates the history the principal may read.
func (b *Broker) TemporalAggregate(ctx context.Context, tenant string, q *store.TemporalQuery, a *store.Aggregation) ([]*store.AggregatedEntity, error) {
	g, err := b.guardFor(ctx, tenant)
	if err != nil {
		return nil, err
	}
	res, err := b.store.TemporalAggregate(ctx, tenant, q, a)
	if err != nil || g == nil || g.readsAll() {
		return res, err
	}
	kept := res[:0]
	for _, ae := range res {
		if b.mayReadHistory(ctx, g, ae.ID) {
			kept = append(kept, ae)
		}
	}
	return kept, nil
}

// mayReadHistory decides on the entity as it is now.
func (b *Broker) mayReadHistory(ctx context.Context, g *guard, id string) bool {
	e, err := b.store.Entity(ctx, g.tenant, id)
	if err != nil {
		return false
	}
	if g.mayRead(e) {
		b.audit(ctx, g, e)
		return true
	}
	return false
}

// checkHistoryWrite refuses a change to the history of entity id unless the
// principal may write the entity as it is now (or, for history of an entity
// that does not exist, may write unowned data of the given types).
func (b *Broker) checkHistoryWrite(ctx context.Context, tenant, id string, types []string) error {
	g, err := b.guardFor(ctx, tenant)
	if err != nil || g == nil {
		return err
	}
	res := auth.Resource{Tenant: tenant, Types: types, Level: auth.LevelInternal}
	e, err := b.store.Entity(ctx, tenant, id)
	switch {
	case err == nil:
		if !g.mayRead(e) {
			return notFound(id)
		}
		res = auth.EntityResource(tenant, e)
	case !ngsild.IsType(err, ngsild.ErrResourceNotFound) && !ngsild.IsType(err, ngsild.ErrNonexistentTenant):
		return err
	case g.p.Role != auth.RoleAdmin && len(types) == 0:
		return ngsild.Errorf(ngsild.ErrForbidden, "only administrators change the history of an entity that no longer exists")
	}
	if !auth.Allowed(g.p, auth.ActionWrite, res) {
		return ngsild.Errorf(ngsild.ErrForbidden, "not allowed to change the history of entity %s", id)
	}
	return nil
}

// AddTemporal appends instances to a temporal entity.
func (b *Broker) AddTemporal(ctx context.Context, tenant string, e *store.TemporalEntity) (bool, error) {
	if err := b.checkHistoryWrite(ctx, tenant, e.ID, e.Types); err != nil {
		return false, err
	}
	return b.store.AddTemporal(ctx, tenant, e)
}

// ModifyInstance replaces one temporal instance.
func (b *Broker) ModifyInstance(ctx context.Context, tenant, entityID, attr, instanceID string, a *ngsild.Attribute) error {
	if err := b.checkHistoryWrite(ctx, tenant, entityID, nil); err != nil {
		return err
	}
	return b.store.ModifyInstance(ctx, tenant, entityID, attr, instanceID, a)
}

// DeleteInstance deletes one temporal instance.
func (b *Broker) DeleteInstance(ctx context.Context, tenant, entityID, attr, instanceID string) error {
	if err := b.checkHistoryWrite(ctx, tenant, entityID, nil); err != nil {
		return err
	}
	return b.store.DeleteInstance(ctx, tenant, entityID, attr, instanceID)
}

// DeleteTemporalAttr deletes the history of one attribute.
func (b *Broker) DeleteTemporalAttr(ctx context.Context, tenant, entityID, attr, datasetID string, all bool) error {
	if err := b.checkHistoryWrite(ctx, tenant, entityID, nil); err != nil {
		return err
	}
	return b.store.DeleteTemporalAttr(ctx, tenant, entityID, attr, datasetID, all)
}

// DeleteTemporalEntity deletes the whole history of an entity.
func (b *Broker) DeleteTemporalEntity(ctx context.Context, tenant, entityID string) error {
	if err := b.checkHistoryWrite(ctx, tenant, entityID, nil); err != nil {
		return err
	}
	return b.store.DeleteTemporalEntity(ctx, tenant, entityID)
}

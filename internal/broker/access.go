package broker

import (
	"context"

	"github.com/dothi-city/dothi/internal/auth"
	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/ngsild/qlang"
	"github.com/dothi-city/dothi/internal/store"
)

// WithAccessControl makes the broker decide every read and write with
// auth.Allowed for the principal in the context (auth.FromContext). A call
// without a principal is refused, unless its context was marked with
// System. Without this option the broker checks nothing (tests, tools).
func WithAccessControl() Option {
	return func(br *Broker) { br.enforce = true }
}

// WithReadAudit calls record for every restricted entity (personal data)
// that a principal reads through the broker: the audit of data access.
func WithReadAudit(record func(ctx context.Context, tenant, id string)) Option {
	return func(br *Broker) { br.auditRead = record }
}

type systemKey struct{}

// System marks ctx as the platform itself acting (the demo city, internal
// jobs): the broker then applies no access control. HTTP requests never
// carry this mark; they carry the principal that authenticated them.
func System(ctx context.Context) context.Context {
	return context.WithValue(ctx, systemKey{}, true)
}

// IsSystem reports whether ctx was marked with System.
func IsSystem(ctx context.Context) bool {
	v, _ := ctx.Value(systemKey{}).(bool)
	return v
}

// guard is the access decision of one call: nil when nothing is checked.
type guard struct {
	p      *auth.Principal
	tenant string
}

// guardFor returns the guard of a call, nil when access is not controlled,
// or an Unauthorized problem for a call with neither principal nor the
// System mark.
func (b *Broker) guardFor(ctx context.Context, tenant string) (*guard, error) {
	if !b.enforce || IsSystem(ctx) {
		return nil, nil
	}
	p := auth.FromContext(ctx)
	if p == nil {
		return nil, ngsild.Errorf(ngsild.ErrUnauthorized, "authentication required")
	}
	return &guard{p: p, tenant: tenant}, nil
}

// readsAll reports whether g may read every entity of its tenant that a
// query can return (admins and leaders, unless a key's types limit them).
func (g *guard) readsAll() bool {
	return (g.p.Role == auth.RoleAdmin || g.p.Role == auth.RoleLeader) && (g.p.Scope == nil || len(g.p.Scope.Types) == 0)
}

// mayRead reports whether the principal may read e.
func (g *guard) mayRead(e *ngsild.Entity) bool {
	return auth.Allowed(g.p, auth.ActionRead, auth.EntityResource(g.tenant, e))
}

// restricted reports whether e is restricted (personal) data.
func (g *guard) restricted(e *ngsild.Entity) bool {
	return auth.EntityResource(g.tenant, e).Level == auth.LevelRestricted
}

// wrap adds the write checks to apply: the principal must be allowed to
// write the stored entity (as it was before the change) and the entity the
// change produces, so that no write moves an entity to or from an agency
// the principal does not act for. A stored entity the principal may not
// even read is answered as missing, so that a write does not reveal it.
func (g *guard) wrap(id string, apply func(*ngsild.Entity) (*ngsild.Entity, error)) func(*ngsild.Entity) (*ngsild.Entity, error) {
	return func(old *ngsild.Entity) (*ngsild.Entity, error) {
		if old != nil && !auth.Allowed(g.p, auth.ActionWrite, auth.EntityResource(g.tenant, old)) {
			if !g.mayRead(old) {
				return nil, notFound(id)
			}
			return nil, ngsild.Errorf(ngsild.ErrForbidden, "not allowed to change entity %s", id)
		}
		e, err := apply(old)
		if err != nil {
			return nil, err
		}
		if e != nil && !auth.Allowed(g.p, auth.ActionWrite, auth.EntityResource(g.tenant, e)) {
			return nil, ngsild.Errorf(ngsild.ErrForbidden, "not allowed to write entity %s as it would be (owner, access level or type)", id)
		}
		return e, nil
	}
}

// checkQueryTypes refuses a query of an API key limited to some entity
// types unless the query selects only types in that scope.
func (g *guard) checkQueryTypes(q *store.Query) error {
	if g.p.Scope == nil || len(g.p.Scope.Types) == 0 {
		return nil
	}
	var names []string
	if q.Types != nil {
		names, _ = qlang.TypeNames(q.Types)
	}
	// Public data of the listed types is readable by every role: what is
	// left to decide is the key's tenant and type scope.
	if len(names) == 0 || !auth.Allowed(g.p, auth.ActionRead, auth.Resource{Tenant: g.tenant, Types: names, Level: auth.LevelPublic}) {
		return ngsild.Errorf(ngsild.ErrForbidden, "this API key may only query the types %v: name them in type", g.p.Scope.Types)
	}
	return nil
}

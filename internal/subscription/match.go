package subscription

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/dothi-city/dothi/internal/geo"
	"github.com/dothi-city/dothi/internal/jsonld"
	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/ngsild/qlang"
	"github.com/dothi-city/dothi/internal/store"
)

// ContextResolver resolves the JSON-LD context a subscription was written
// with (nil for none, a URL, an object or an array).
type ContextResolver interface {
	Resolve(ctx context.Context, value any) (*jsonld.Context, error)
}

// compiled is a subscription ready to match changes.
type compiled struct {
	sub      *Subscription
	ctx      *jsonld.Context
	q        qlang.Expr
	geo      *geo.Query
	sels     []selector
	watched  map[string]bool
	triggers map[string]bool
	render   ngsild.RenderOptions
}

type selector struct {
	id    string
	re    *regexp.Regexp
	types qlang.TypeExpr
}

// compile prepares s for matching; its context resolves through cr.
func compile(ctx context.Context, s *Subscription, cr ContextResolver) (*compiled, error) {
	c := jsonld.Core()
	if s.Context != nil && cr != nil {
		var err error
		if c, err = cr.Resolve(ctx, s.Context); err != nil {
			return nil, fmt.Errorf("subscription %s: context: %w", s.ID, err)
		}
	}
	cs := &compiled{sub: s, ctx: c, triggers: map[string]bool{}}
	if s.Q != "" {
		q, err := qlang.Parse(s.Q, c.ExpandTerm)
		if err != nil {
			return nil, fmt.Errorf("subscription %s: q: %w", s.ID, err)
		}
		cs.q = q
	}
	if s.GeoQ != nil {
		g, err := geo.ParseGeoQ(s.GeoQ, c.ExpandTerm)
		if err != nil {
			return nil, fmt.Errorf("subscription %s: geoQ: %w", s.ID, err)
		}
		cs.geo = g
	}
	for _, e := range s.Entities {
		te, err := qlang.ParseTypes(e.Type, nil)
		if err != nil {
			return nil, fmt.Errorf("subscription %s: type: %w", s.ID, err)
		}
		sel := selector{id: e.ID, types: te}
		if e.IDPattern != "" {
			if sel.re, err = regexp.Compile(e.IDPattern); err != nil {
				return nil, fmt.Errorf("subscription %s: idPattern: %w", s.ID, err)
			}
		}
		cs.sels = append(cs.sels, sel)
	}
	if len(s.WatchedAttributes) > 0 {
		cs.watched = map[string]bool{}
		for _, a := range s.WatchedAttributes {
			cs.watched[a] = true
		}
	}
	triggers := s.NotificationTrigger
	if len(triggers) == 0 {
		triggers = defaultTriggers
	}
	for _, t := range triggers {
		cs.triggers[t] = true
	}
	cs.render = ngsild.RenderOptions{Attrs: s.Notification.Attributes, Compact: c.CompactIRI}
	switch s.Notification.Format {
	case FormatKeyValues:
		cs.render.Format = ngsild.KeyValues
	case FormatConcise:
		cs.render.Format = ngsild.Concise
	}
	return cs, nil
}

// selects reports whether the entity selectors take the entity.
func (c *compiled) selects(id string, types []string) bool {
	if len(c.sels) == 0 {
		return true
	}
	for _, s := range c.sels {
		if s.id != "" && s.id != id {
			continue
		}
		if s.re != nil && !s.re.MatchString(id) {
			continue
		}
		if s.types.Match(types) {
			return true
		}
	}
	return false
}

// filters reports whether the entity passes q and geoQ.
func (c *compiled) filters(e *ngsild.Entity) bool {
	if c.q != nil && !c.q.Match(e) {
		return false
	}
	if c.geo != nil {
		prop := c.geo.Property
		if prop == "" {
			prop = ngsild.IRILocation
		}
		a := e.Attr(prop)
		if a == nil || !c.geo.Match(a.Geometry) {
			return false
		}
	}
	return true
}

// matches reports whether the change rec, after which the entity is e (nil
// when it no longer exists), calls for a notification. A change of an
// entity deleted since calls for none: its deletion does. Attribute triggers
// look at the changed attributes (restricted to watchedAttributes when
// given): one present in e counts as created or updated (the change log
// does not tell the two apart, except for a created entity), one absent
// as deleted. q and geoQ are evaluated on e.
func (c *compiled) matches(rec *store.ChangeRecord, e *ngsild.Entity) bool {
	if c.sub.TimeInterval > 0 || !c.selects(rec.EntityID, rec.Types) {
		return false
	}
	if e == nil && !rec.Deleted {
		// The entity was deleted since: its deletion record follows.
		return false
	}
	ch := c.changes(rec, e)
	switch {
	case rec.Deleted:
		return c.triggers[TriggerEntityDeleted] || (c.triggers[TriggerAttributeDeleted] && ch.hit)
	case rec.Created:
		if !(c.triggers[TriggerEntityCreated] && ch.hit) && !(c.triggers[TriggerAttributeCreated] && (ch.created || ch.updated)) {
			return false
		}
	default:
		fire := (c.triggers[TriggerEntityUpdated] && ch.hit) ||
			(c.triggers[TriggerAttributeCreated] && ch.created) ||
			(c.triggers[TriggerAttributeUpdated] && ch.updated) ||
			(c.triggers[TriggerAttributeDeleted] && ch.deleted)
		if !fire {
			return false
		}
	}
	return c.filters(e)
}

// attrChanges describes the watched attributes a change touched.
type attrChanges struct {
	// hit: a watched attribute changed (always, without watchedAttributes).
	hit bool
	// created, updated, deleted: a watched attribute was added, modified
	// or removed.
	created, updated, deleted bool
}

// changes classifies the changed attributes of rec (restricted to
// watchedAttributes when given). The record names them without saying
// how each changed: one absent from e was deleted; one present was created
// when its createdAt equals its modifiedAt (the broker keeps createdAt
// across updates), else updated; without timestamps it counts as both.
func (c *compiled) changes(rec *store.ChangeRecord, e *ngsild.Entity) attrChanges {
	attrs := rec.Attrs
	if rec.Created && len(attrs) == 0 && e != nil {
		for a := range e.Attrs {
			attrs = append(attrs, a)
		}
	}
	ch := attrChanges{hit: c.watched == nil}
	for _, name := range attrs {
		if c.watched != nil && !c.watched[name] {
			continue
		}
		ch.hit = true
		var a *ngsild.Attribute
		if e != nil {
			a = e.Attr(name)
		}
		switch {
		case a == nil:
			ch.deleted = true
		case rec.Created:
			ch.created = true
		case a.CreatedAt.IsZero() || a.ModifiedAt.IsZero():
			ch.created, ch.updated = true, true
		case a.CreatedAt.Equal(a.ModifiedAt):
			ch.created = true
		default:
			ch.updated = true
		}
	}
	return ch
}

// renderData renders the entity of a notification: e as the subscription
// asks, or id and type only when it was deleted.
func (c *compiled) renderData(rec *store.ChangeRecord, e *ngsild.Entity) []byte {
	var buf bytes.Buffer
	if e == nil {
		ngsild.AppendEntity(&buf, &ngsild.Entity{ID: rec.EntityID, Types: rec.Types}, ngsild.RenderOptions{Compact: c.ctx.CompactIRI})
		if rec.Deleted {
			// Add deletedAt (clause 5.2.12 notification of entityDeleted).
			b := buf.Bytes()
			out := append([]byte(nil), b[:len(b)-1]...)
			out = append(out, `,"deletedAt":"`+ngsild.FormatTime(rec.At)+`"}`...)
			return out
		}
		return buf.Bytes()
	}
	ngsild.AppendEntity(&buf, e, c.render)
	return buf.Bytes()
}

// contextURL is the context named in the Link header of application/json
// notifications.
func (c *compiled) contextURL() string {
	if u, ok := c.sub.Context.(string); ok {
		return u
	}
	return jsonld.CoreContextURL
}

// active reports whether the subscription notifies at time now.
func (c *compiled) active(now time.Time) bool {
	return c.sub.State(now) == StatusActive
}

package auth

import (
	"strings"

	"github.com/dothi-city/dothi/internal/ngsild"
)

// The expanded names of the attributes that say who owns an entity and how
// widely it may be read: "owningAgency" and "accessLevel" under the
// default @context. The owner is a Relationship to urn:ngsi-ld:Agency:<id>
// (or a Property holding the id); the level is a Property "public",
// "internal" or "restricted".
var (
	AttrOwningAgency = ngsild.IRIDefaultCtx + "owningAgency"
	AttrAccessLevel  = ngsild.IRIDefaultCtx + "accessLevel"
)

// AgencyURNPrefix starts the entity id of an agency.
const AgencyURNPrefix = "urn:ngsi-ld:Agency:"

// EntityResource describes entity e of tenant for Allowed. An entity with
// several instances of either attribute, or with values of the wrong kind,
// is treated as restricted, so that odd data never opens access.
func EntityResource(tenant string, e *ngsild.Entity) Resource {
	r := Resource{Tenant: tenant, Types: e.Types}
	owners, levels := e.Attrs[AttrOwningAgency], e.Attrs[AttrAccessLevel]
	if len(owners) > 1 || len(levels) > 1 {
		r.Level = LevelRestricted
	}
	if a := e.Attr(AttrOwningAgency); a != nil {
		id, ok := ownerID(a)
		r.Agency = id
		if !ok {
			r.Level = LevelRestricted
		}
	}
	if a := e.Attr(AttrAccessLevel); a != nil && r.Level != LevelRestricted {
		s, ok := a.Value.(string)
		r.Level = ParseLevel(s)
		if !ok {
			r.Level = LevelRestricted
		}
	}
	return r
}

// ownerID reads the agency id of an owningAgency attribute.
func ownerID(a *ngsild.Attribute) (string, bool) {
	switch a.Type {
	case ngsild.TypeRelationship:
		id, ok := strings.CutPrefix(a.Object, AgencyURNPrefix)
		if !ok || id == "" {
			return "", false
		}
		return id, true
	case ngsild.TypeProperty:
		id, ok := a.Value.(string)
		return id, ok && id != ""
	}
	return "", false
}

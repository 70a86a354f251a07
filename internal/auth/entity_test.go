package auth

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/dothi-city/dothi/internal/ngsild"
)

func entity(attrs map[string][]*ngsild.Attribute) *ngsild.Entity {
	return &ngsild.Entity{ID: "urn:ngsi-ld:Case:1", Types: []string{"https://x/Case"}, Attrs: attrs}
}

func TestEntityResource(t *testing.T) {
	rel := func(obj string) []*ngsild.Attribute {
		return []*ngsild.Attribute{{Type: ngsild.TypeRelationship, Object: obj}}
	}
	prop := func(v any) []*ngsild.Attribute { return []*ngsild.Attribute{{Type: ngsild.TypeProperty, Value: v}} }
	cases := []struct {
		name   string
		attrs  map[string][]*ngsild.Attribute
		agency string
		level  Level
	}{
		{"no attributes: unowned, internal", nil, "", LevelInternal},
		{"relationship owner, public", map[string][]*ngsild.Attribute{AttrOwningAgency: rel("urn:ngsi-ld:Agency:p1"), AttrAccessLevel: prop("public")}, "p1", LevelPublic},
		{"property owner, restricted", map[string][]*ngsild.Attribute{AttrOwningAgency: prop("p2"), AttrAccessLevel: prop("restricted")}, "p2", LevelRestricted},
		{"owner of another kind of entity", map[string][]*ngsild.Attribute{AttrOwningAgency: rel("urn:ngsi-ld:Person:p1"), AttrAccessLevel: prop("public")}, "", LevelRestricted},
		{"non-string level", map[string][]*ngsild.Attribute{AttrAccessLevel: prop(json.Number("1"))}, "", LevelRestricted},
		{"two level instances", map[string][]*ngsild.Attribute{AttrAccessLevel: {
			{Type: ngsild.TypeProperty, Value: "public"}, {Type: ngsild.TypeProperty, Value: "public", DatasetID: "urn:x"}}}, "", LevelRestricted},
		{"geo owner", map[string][]*ngsild.Attribute{AttrOwningAgency: {{Type: ngsild.TypeGeoProperty}}}, "", LevelRestricted},
	}
	for _, c := range cases {
		r := EntityResource("vt", entity(c.attrs))
		if r.Agency != c.agency || r.Level != c.level || r.Tenant != "vt" || !slices.Equal(r.Types, []string{"https://x/Case"}) {
			t.Errorf("%s: %+v, want agency %q level %q", c.name, r, c.agency, c.level)
		}
	}
}

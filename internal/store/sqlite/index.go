package sqlite

import (
	"maps"
	"slices"
	"sort"

	"github.com/dothi-city/dothi/internal/ngsild"
)

// geoShift splits an R-Tree id into the entity pk (high bits) and the
// ordinal of the GeoProperty instance within the entity (low bits).
const (
	geoShift   = 10
	maxGeoRows = 1 << geoShift
)

// attrKey is a row of the attrs table.
type attrKey struct{ name, attrType string }

// valueKey identifies a row of attr_values within an entity.
type valueKey struct {
	name string
	seq  int
}

// scalar is the indexed value of an attr_values row: exactly one of num,
// str and boolean is meaningful, by kind.
type scalar struct {
	kind byte // 'n', 's' or 'b'
	num  float64
	str  string
	b    bool
}

// geoRow is a row of geo_index: a GeoProperty instance's bounding box.
type geoRow struct {
	name                   string
	minx, maxx, miny, maxy float64
}

// entityIndex is what the index tables hold for one entity.
type entityIndex struct {
	types  []string
	attrs  []attrKey
	values map[valueKey]scalar
	geos   []geoRow // ordinal = position
}

// indexOf computes the index rows of e (none for nil).
func indexOf(e *ngsild.Entity) *entityIndex {
	x := &entityIndex{values: map[valueKey]scalar{}}
	if e == nil {
		return x
	}
	x.types = slices.Compact(slices.Sorted(slices.Values(e.Types)))
	names := make([]string, 0, len(e.Attrs))
	for name := range e.Attrs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		x.addAttr(name, e.Attrs[name])
	}
	return x
}

// addAttr indexes every instance of a top-level attribute: its kind, its
// scalar values (as qlang's Compare reaches them: Property values and their
// array elements, Relationship objects, LanguageProperty strings) and
// GeoProperty boxes.
func (x *entityIndex) addAttr(name string, list []*ngsild.Attribute) {
	seen := map[string]bool{}
	seq := 0
	add := func(v scalar) {
		x.values[valueKey{name, seq}] = v
		seq++
	}
	for _, a := range list {
		if !seen[a.Type] {
			seen[a.Type] = true
			x.attrs = append(x.attrs, attrKey{name, a.Type})
		}
		switch a.Type {
		case ngsild.TypeRelationship:
			add(scalar{kind: 's', str: a.Object})
		case ngsild.TypeLanguageProperty:
			for _, lang := range slices.Sorted(maps.Keys(a.LanguageMap)) {
				add(scalar{kind: 's', str: a.LanguageMap[lang]})
			}
		case ngsild.TypeGeoProperty:
			x.addGeo(name, a)
		default:
			flatten(a.Value, add)
		}
	}
}

// flatten yields the scalars of a Property value, descending into arrays.
func flatten(v any, add func(scalar)) {
	switch t := v.(type) {
	case string:
		add(scalar{kind: 's', str: t})
	case bool:
		add(scalar{kind: 'b', b: t})
	case []any:
		for _, el := range t {
			flatten(el, add)
		}
	default:
		if f, ok := ngsild.Number(v); ok {
			add(scalar{kind: 'n', num: f})
		}
	}
}

func (x *entityIndex) addGeo(name string, a *ngsild.Attribute) {
	if a.Geometry == nil {
		return
	}
	minx, miny, maxx, maxy := a.Geometry.Bounds()
	x.geos = append(x.geos, geoRow{name: name, minx: minx, maxx: maxx, miny: miny, maxy: maxy})
}

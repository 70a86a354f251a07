package sqlite

import (
	"cmp"
	"maps"
	"slices"

	"github.com/dothi-city/dothi/internal/ngsild"
)

// geoShift splits an R-Tree id into the entity pk (high bits) and the
// ordinal of the GeoProperty instance within the entity (low bits).
const (
	geoShift   = 10
	maxGeoRows = 1 << geoShift
)

// Kinds of attr_index rows. A row of kind kindPresence (value: the
// attribute type) stands for an attribute instance that has no scalar
// value; scalar rows hold one value each.
const (
	kindPresence = 0
	kindNum      = 1
	kindStr      = 2
	kindBool     = 3
)

// attrKey is an attribute name and kind of instance (for Summary).
type attrKey struct{ name, attrType string }

// attrRow is a row of attr_index before its name is interned: the
// presence of an attribute without scalars (kind kindPresence, str is the
// attribute type) or one scalar value (num for numbers and booleans as
// 0/1, str for strings).
type attrRow struct {
	name string
	kind int8
	num  float64
	str  string
}

// value returns the attr_index v column of r.
func (r attrRow) value() any {
	switch r.kind {
	case kindNum:
		return r.num
	case kindBool:
		return int64(r.num)
	}
	return r.str
}

// compareValue orders rows of the same name and kind as attr_index does.
func (r attrRow) compareValue(o attrRow) int {
	if r.kind == kindNum || r.kind == kindBool {
		return cmp.Compare(r.num, o.num)
	}
	return cmp.Compare(r.str, o.str)
}

// geoRow is a row of geo_index: a GeoProperty instance's bounding box.
type geoRow struct {
	name                   string
	minx, maxx, miny, maxy float64
}

// entityIndex is what the index tables hold for one entity.
type entityIndex struct {
	types []string  // sorted, unique
	attrs []attrKey // sorted, unique (for Summary counts)
	rows  []attrRow // unique
	geos  []geoRow  // ordinal = position
}

var emptyIndex = &entityIndex{}

// indexOf computes the index rows of e (none for nil).
func indexOf(e *ngsild.Entity) *entityIndex {
	if e == nil {
		return emptyIndex
	}
	x := &entityIndex{}
	x.types = slices.Compact(slices.Sorted(slices.Values(e.Types)))
	names := make([]string, 0, len(e.Attrs))
	for name := range e.Attrs {
		names = append(names, name)
	}
	slices.Sort(names)
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
	first := len(x.attrs)
	start := len(x.rows)
	for _, a := range list {
		if !slices.Contains(x.attrs[first:], attrKey{name, a.Type}) {
			x.attrs = append(x.attrs, attrKey{name, a.Type})
		}
		scalars := 0
		add := func(r attrRow) {
			if r.num != r.num { // NaN compares with nothing
				return
			}
			scalars++
			r.name = name
			x.rows = append(x.rows, r)
		}
		switch a.Type {
		case ngsild.TypeRelationship:
			add(attrRow{kind: kindStr, str: a.Object})
		case ngsild.TypeLanguageProperty:
			for _, lang := range slices.Sorted(maps.Keys(a.LanguageMap)) {
				add(attrRow{kind: kindStr, str: a.LanguageMap[lang]})
			}
		case ngsild.TypeGeoProperty:
			x.addGeo(name, a)
		default:
			flatten(a.Value, add)
		}
		if scalars == 0 {
			// The presence row makes the instance findable by name and type.
			add(attrRow{kind: kindPresence, str: a.Type})
		}
	}
	slices.SortFunc(x.attrs[first:], func(a, b attrKey) int { return cmp.Compare(a.attrType, b.attrType) })
	if len(x.rows)-start > 1 {
		own := x.rows[start:]
		slices.SortFunc(own, func(a, b attrRow) int {
			if c := cmp.Compare(a.kind, b.kind); c != 0 {
				return c
			}
			return a.compareValue(b)
		})
		x.rows = append(x.rows[:start], slices.Compact(own)...)
	}
}

// flatten yields the scalars of a Property value, descending into arrays.
func flatten(v any, add func(attrRow)) {
	switch t := v.(type) {
	case string:
		add(attrRow{kind: kindStr, str: t})
	case bool:
		b := 0.0
		if t {
			b = 1
		}
		add(attrRow{kind: kindBool, num: b})
	case []any:
		for _, el := range t {
			flatten(el, add)
		}
	default:
		if f, ok := ngsild.Number(v); ok {
			add(attrRow{kind: kindNum, num: f})
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

package qlang

import (
	"cmp"
	"strings"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
)

// Match reports whether the entity satisfies every term.
func (a *And) Match(e *ngsild.Entity) bool {
	for _, t := range a.Terms {
		if !t.Match(e) {
			return false
		}
	}
	return true
}

// Match reports whether the entity satisfies any term.
func (o *Or) Match(e *ngsild.Entity) bool {
	for _, t := range o.Terms {
		if t.Match(e) {
			return true
		}
	}
	return false
}

// Match reports whether the selected attribute, metadata or key is present
// in any instance of the attribute (absent from all, with Not).
func (x *Exists) Match(e *ngsild.Entity) bool {
	found := x.each(e, func(any) bool { return true })
	return found != x.Not
}

// Match reports whether the entity satisfies the comparison. With ==, the
// ordering operators and ~=, some selected value (of some attribute
// instance, array element or language) must match; != and !~= hold when
// the selection exists and none of its values match. Values of another
// type than the literal never match.
func (c *Compare) Match(e *ngsild.Entity) bool {
	if c.Op != OpNe && c.Op != OpNotMatch {
		return c.each(e, c.hit)
	}
	found := false
	hit := c.each(e, func(v any) bool {
		found = true
		return c.hit(v)
	})
	return found && !hit
}

// each calls fn with every value the selector reaches in e, until fn
// returns true; it reports whether fn did. The values are those of the
// attribute model: nil, bool, json.Number, string, []any, map[string]any,
// map[string]string (a language map), *geo.Geometry or time.Time.
func (s *Selector) each(e *ngsild.Entity, fn func(v any) bool) bool {
	if s.EntityTime() {
		t := e.CreatedAt
		if s.Attr == ngsild.IRIModifiedAt {
			t = e.ModifiedAt
		}
		return !t.IsZero() && fn(t)
	}
	return eachAttr(e.Attrs[s.Attr], s.Path, s.Keys, fn)
}

// eachAttr walks the instances in list down path, then into keys.
func eachAttr(list []*ngsild.Attribute, path, keys []string, fn func(any) bool) bool {
	for _, a := range list {
		var found bool
		switch {
		case len(path) == 0:
			found = eachLeaf(a, keys, fn)
		case len(path) == 1 && metaShort[path[0]] != "":
			v, ok := metadata(a, path[0])
			found = ok && fn(v)
		default:
			found = eachAttr(a.Sub[path[0]], path[1:], keys, fn)
		}
		if found {
			return true
		}
	}
	return false
}

// eachLeaf yields the value of an attribute instance, or what keys select in it.
func eachLeaf(a *ngsild.Attribute, keys []string, fn func(any) bool) bool {
	switch a.Type {
	case ngsild.TypeRelationship:
		return len(keys) == 0 && fn(a.Object)
	case ngsild.TypeGeoProperty:
		return len(keys) == 0 && fn(a.Geometry)
	case ngsild.TypeLanguageProperty:
		if len(keys) == 0 {
			return fn(a.LanguageMap)
		}
		s, ok := a.LanguageMap[keys[0]]
		return ok && len(keys) == 1 && fn(s)
	}
	return eachKey(a.Value, keys, fn)
}

// eachKey descends keys into v, through arrays of objects, and yields what
// it reaches.
func eachKey(v any, keys []string, fn func(any) bool) bool {
	if len(keys) == 0 {
		return fn(v)
	}
	switch x := v.(type) {
	case map[string]any:
		child, ok := x[keys[0]]
		return ok && eachKey(child, keys[1:], fn)
	case []any:
		for _, el := range x {
			if eachKey(el, keys, fn) {
				return true
			}
		}
	}
	return false
}

// metadata returns the metadata value of an attribute instance, and
// whether it is present.
func metadata(a *ngsild.Attribute, iri string) (any, bool) {
	switch iri {
	case ngsild.IRIObservedAt:
		return a.ObservedAt, !a.ObservedAt.IsZero()
	case ngsild.IRICreatedAt:
		return a.CreatedAt, !a.CreatedAt.IsZero()
	case ngsild.IRIModifiedAt:
		return a.ModifiedAt, !a.ModifiedAt.IsZero()
	case ngsild.IRIUnitCode:
		return a.UnitCode, a.UnitCode != ""
	case ngsild.IRIDatasetID:
		return a.DatasetID, a.DatasetID != ""
	}
	return nil, false
}

// hit reports whether a selected value, or one of its array elements or
// language strings, satisfies the operator (for != and !~=: equals a
// literal, matches the pattern).
func (c *Compare) hit(v any) bool {
	switch x := v.(type) {
	case []any:
		for _, el := range x {
			if c.hit(el) {
				return true
			}
		}
		return false
	case map[string]string:
		for _, s := range x {
			if c.hitOne(s) {
				return true
			}
		}
		return false
	}
	return c.hitOne(v)
}

func (c *Compare) hitOne(v any) bool {
	if c.Pattern != nil {
		s, ok := text(v)
		return ok && c.Pattern.MatchString(s)
	}
	if c.Range != nil {
		lo, ok1 := compare(v, c.Range.Lo)
		hi, ok2 := compare(v, c.Range.Hi)
		return ok1 && ok2 && lo >= 0 && hi <= 0
	}
	for _, lit := range c.Values {
		if r, ok := compare(v, lit); ok && c.holds(r) {
			return true
		}
	}
	return false
}

// holds reports whether a comparison result r satisfies the operator;
// for != it reports equality.
func (c *Compare) holds(r int) bool {
	switch c.Op {
	case OpGt:
		return r > 0
	case OpGe:
		return r >= 0
	case OpLt:
		return r < 0
	case OpLe:
		return r <= 0
	}
	return r == 0
}

// text returns the string form of v for pattern matching.
func text(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano), true
	}
	return "", false
}

// compare compares a selected value with a literal: -1, 0 or +1, and
// false when their types differ.
func compare(v any, lit Value) (int, bool) {
	switch lit.Kind {
	case KindNumber:
		f, ok := ngsild.Number(v)
		return cmp.Compare(f, lit.Num), ok
	case KindBool:
		b, ok := v.(bool)
		return cmpBool(b, lit.Bool), ok
	case KindString, KindURI:
		return compareString(v, lit)
	case KindDateTime:
		t, ok := asTime(v)
		return t.Compare(lit.Time), ok
	case KindDate:
		t, ok := asTime(v)
		return truncateDay(t).Compare(lit.Time), ok
	case KindTime:
		t, ok := asClock(v)
		return cmp.Compare(t, clock(lit.Time)), ok
	}
	return 0, false
}

// compareString compares strings; a time value compares with a quoted
// date-time literal as an instant.
func compareString(v any, lit Value) (int, bool) {
	switch x := v.(type) {
	case string:
		return strings.Compare(x, lit.Str), true
	case time.Time:
		return x.Compare(lit.Time), !lit.Time.IsZero()
	}
	return 0, false
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// asTime interprets a time value or a date-time or date string.
func asTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true
	case string:
		if t, ok := parseDateTime(x); ok {
			return t, true
		}
		return parseDate(x)
	}
	return time.Time{}, false
}

// asClock interprets a time value or a time or date-time string as a UTC
// time of day.
func asClock(v any) (time.Duration, bool) {
	switch x := v.(type) {
	case time.Time:
		return clock(x), true
	case string:
		if t, ok := parseClock(x); ok {
			return clock(t), true
		}
		if t, ok := parseDateTime(x); ok {
			return clock(t), true
		}
	}
	return 0, false
}

// truncateDay returns midnight UTC of the day of t (in UTC).
func truncateDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

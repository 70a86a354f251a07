package storetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"time"

	"github.com/dothi-city/dothi/internal/geo"
	"github.com/dothi-city/dothi/internal/ngsild"
)

// Diff describes the first difference between two entities, "" when they
// are equal. Times compare with time.Time.Equal, geometries by their GeoJSON,
// values by their JSON form (so json.Number("1") equals json.Number("1.0")
// only if written the same).
func Diff(a, b *ngsild.Entity) string {
	switch {
	case a == nil || b == nil:
		if a != b {
			return fmt.Sprintf("entity %v vs %v", a, b)
		}
		return ""
	case a.ID != b.ID:
		return fmt.Sprintf("id %q vs %q", a.ID, b.ID)
	case !equalStrings(a.Types, b.Types):
		return fmt.Sprintf("types %v vs %v", a.Types, b.Types)
	case !a.CreatedAt.Equal(b.CreatedAt):
		return fmt.Sprintf("createdAt %v vs %v", a.CreatedAt, b.CreatedAt)
	case !a.ModifiedAt.Equal(b.ModifiedAt):
		return fmt.Sprintf("modifiedAt %v vs %v", a.ModifiedAt, b.ModifiedAt)
	}
	return diffAttrs(a.ID, a.Attrs, b.Attrs)
}

// EqualEntity reports whether Diff finds no difference.
func EqualEntity(a, b *ngsild.Entity) bool { return Diff(a, b) == "" }

func equalStrings(a, b []string) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

func diffAttrs(path string, a, b map[string][]*ngsild.Attribute) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%s: attribute names %v vs %v", path, keys(a), keys(b))
	}
	for name, la := range a {
		lb, ok := b[name]
		if !ok || len(la) != len(lb) {
			return fmt.Sprintf("%s/%s: %d vs %d instances", path, name, len(la), len(lb))
		}
		for i := range la {
			if d := diffAttr(fmt.Sprintf("%s/%s[%d]", path, name, i), la[i], lb[i]); d != "" {
				return d
			}
		}
	}
	return ""
}

func diffAttr(path string, a, b *ngsild.Attribute) string {
	type field struct {
		name string
		x, y any
	}
	fields := []field{
		{"type", a.Type, b.Type}, {"value", jsonOf(a.Value), jsonOf(b.Value)},
		{"object", a.Object, b.Object}, {"geometry", geoJSON(a.Geometry), geoJSON(b.Geometry)},
		{"languageMap", jsonOf(a.LanguageMap), jsonOf(b.LanguageMap)}, {"datasetId", a.DatasetID, b.DatasetID},
		{"observedAt", stamp(a.ObservedAt), stamp(b.ObservedAt)}, {"unitCode", a.UnitCode, b.UnitCode},
		{"createdAt", stamp(a.CreatedAt), stamp(b.CreatedAt)}, {"modifiedAt", stamp(a.ModifiedAt), stamp(b.ModifiedAt)},
		{"value kind", fmt.Sprintf("%T", a.Value), fmt.Sprintf("%T", b.Value)},
	}
	for _, f := range fields {
		if f.x != f.y {
			return fmt.Sprintf("%s: %s %v vs %v", path, f.name, f.x, f.y)
		}
	}
	return diffAttrs(path, a.Sub, b.Sub)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "zero"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func jsonOf(v any) string {
	if m, ok := v.(map[string]string); ok && len(m) == 0 {
		v = nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "error: " + err.Error()
	}
	return string(b)
}

func geoJSON(g *geo.Geometry) string {
	if g == nil {
		return "none"
	}
	b, err := g.MarshalJSON()
	if err != nil {
		return "error: " + err.Error()
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return "error: " + err.Error()
	}
	return buf.String()
}

func keys(m map[string][]*ngsild.Attribute) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

package store

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/geo"
	"github.com/dothi-city/dothi/internal/ngsild"
)

// TestEncodeMatchesReflection checks that EncodeEntity writes exactly the
// bytes that encoding/json writes for the docEntity form, for tricky
// strings, numbers, values, times and nesting.
func TestEncodeMatchesReflection(t *testing.T) {
	g, err := geo.Parse([]byte(`{"type":"Polygon","coordinates":[[[2,48],[3,48],[3,49],[2,49],[2,48]]]}`))
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2026, 3, 1, 12, 30, 45, 123456789, time.UTC)
	strs := []string{"", "plain", `quote " and \ backslash`, "<html> & </html>", "tab\tnl\ncr\rbs\bff\f\x01\x1f",
		"ünïcödé ✓ 日本", "line\u2028para\u2029", "bad \xff utf8 \xc3", "\x7f"}
	nums := []string{"0", "-0", "1", "-12.5", "0.25", "1e3", "-1.5E-7", "007", "1.", ".5", "", "12a", "1.2.3"}
	attrs := map[string][]*ngsild.Attribute{
		"https://ex.org/geo":   {{Type: ngsild.TypeGeoProperty, Geometry: g, ObservedAt: ts}},
		"https://ex.org/empty": {},
		"https://ex.org/lang":  {{Type: ngsild.TypeLanguageProperty, LanguageMap: map[string]string{"vi": "đô thị", "en": "<city>"}}},
		"https://ex.org/rel":   {{Type: ngsild.TypeRelationship, Object: "urn:x:1", DatasetID: "urn:ds:1", CreatedAt: ts, ModifiedAt: ts}},
		"https://ex.org/values": {
			{Type: ngsild.TypeProperty, Value: map[string]any{"z": []any{json.Number("1"), "x", true, nil}, "a": false}},
			{Type: ngsild.TypeProperty, Value: 1.5e300}, {Type: ngsild.TypeProperty, Value: math.SmallestNonzeroFloat64},
			{Type: ngsild.TypeProperty, Value: true}, {Type: ngsild.TypeProperty, Value: []any{}},
			{Type: ngsild.TypeProperty, Value: 42, UnitCode: "C&E",
				Sub: map[string][]*ngsild.Attribute{"https://ex.org/acc": {{Type: ngsild.TypeProperty, Value: json.Number("0.5")}}}},
		},
	}
	for _, s := range strs {
		attrs["https://ex.org/s"+s] = []*ngsild.Attribute{{Type: ngsild.TypeProperty, Value: s, UnitCode: s, DatasetID: s}}
	}
	for _, n := range []string{"0", "-0", "1", "-12.5", "0.25", "1e3", "-1.5E-7", ""} { // valid
		attrs["https://ex.org/n"+n] = []*ngsild.Attribute{{Type: ngsild.TypeProperty, Value: json.Number(n)}}
	}
	entities := []*ngsild.Entity{
		{ID: "urn:x:minimal"},
		{ID: "urn:x:<&>", Types: []string{"https://ex.org/A", "https://ex.org/\"B\""}, CreatedAt: ts, ModifiedAt: ts.Add(time.Second), Attrs: attrs},
		{ID: "urn:x:far", CreatedAt: time.Date(1200, 1, 1, 0, 0, 0, 0, time.UTC), ModifiedAt: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)},
	}
	for _, e := range entities {
		want, wantErr := encodeEntityReflect(e)
		got, gotErr := EncodeEntity(e)
		if wantErr != nil || gotErr != nil || string(got) != string(want) {
			t.Fatalf("entity %s:\n got %s (%v)\nwant %s (%v)", e.ID, got, gotErr, want, wantErr)
		}
	}
	// Invalid numbers fail as with encoding/json, one at a time.
	for _, n := range nums {
		e := &ngsild.Entity{ID: "urn:x:n", Attrs: map[string][]*ngsild.Attribute{"n": {{Type: ngsild.TypeProperty, Value: json.Number(n)}}}}
		want, wantErr := encodeEntityReflect(e)
		got, gotErr := EncodeEntity(e)
		if (wantErr != nil) != (gotErr != nil) || string(got) != string(want) {
			t.Fatalf("number %q: got %s (%v), want %s (%v)", n, got, gotErr, want, wantErr)
		}
	}
	if _, err := EncodeEntity(&ngsild.Entity{ID: "x", Attrs: map[string][]*ngsild.Attribute{"a": {nil}}}); err == nil {
		t.Fatal("nil attribute instance encoded")
	}
}

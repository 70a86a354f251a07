package store_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/geo"
	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
	"github.com/dothi-city/dothi/internal/store/storetest"
)

func sampleEntity(t *testing.T) *ngsild.Entity {
	t.Helper()
	g, err := geo.Parse([]byte(`{"type":"Point","coordinates":[2.35,48.85]}`))
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2026, 3, 1, 12, 30, 45, 123456789, time.UTC)
	return &ngsild.Entity{
		ID:         "urn:ngsi-ld:Thing:1",
		Types:      []string{"https://ex.org/Thing", "https://ex.org/Other"},
		CreatedAt:  ts,
		ModifiedAt: ts.Add(time.Second),
		Attrs: map[string][]*ngsild.Attribute{
			"https://ex.org/num": {
				{Type: ngsild.TypeProperty, Value: json.Number("21.5"), UnitCode: "CEL", ObservedAt: ts,
					Sub: map[string][]*ngsild.Attribute{
						"https://ex.org/acc": {{Type: ngsild.TypeProperty, Value: json.Number("1")}},
					}},
				{Type: ngsild.TypeProperty, Value: json.Number("22"), DatasetID: "urn:ds:2"},
			},
			"https://ex.org/obj": {{Type: ngsild.TypeProperty, Value: map[string]any{
				"a": []any{json.Number("1"), "x", true, nil}, "b": false}}},
			"https://ex.org/rel":       {{Type: ngsild.TypeRelationship, Object: "urn:ngsi-ld:Other:9"}},
			ngsild.IRILocation:         {{Type: ngsild.TypeGeoProperty, Geometry: g}},
			"https://ex.org/name":      {{Type: ngsild.TypeLanguageProperty, LanguageMap: map[string]string{"en": "park", "fr": "parc"}}},
			"https://ex.org/empty":     {{Type: ngsild.TypeProperty, Value: ""}},
			"https://ex.org/null":      {{Type: ngsild.TypeProperty}},
			"https://ex.org/old":       {{Type: ngsild.TypeProperty, Value: "x", ObservedAt: time.Date(1500, 1, 1, 0, 0, 0, 1, time.UTC)}},
			"https://ex.org/epoch":     {{Type: ngsild.TypeProperty, Value: "x", ObservedAt: time.Unix(0, 0).UTC()}},
			"https://ex.org/timestamp": {{Type: ngsild.TypeProperty, Value: "x", CreatedAt: ts, ModifiedAt: ts}},
		},
	}
}

func TestCodecRoundTrip(t *testing.T) {
	e := sampleEntity(t)
	data, err := store.EncodeEntity(e)
	if err != nil {
		t.Fatal(err)
	}
	got, err := store.DecodeEntity(data)
	if err != nil {
		t.Fatal(err)
	}
	if !storetest.EqualEntity(e, got) {
		a, _ := json.Marshal(e)
		b, _ := json.Marshal(got)
		t.Fatalf("round trip differs:\n%s\n%s", a, b)
	}
	// A zero and a non-zero time must not be confused.
	if !got.Attrs["https://ex.org/epoch"][0].ObservedAt.Equal(time.Unix(0, 0)) {
		t.Fatalf("epoch observedAt lost")
	}
	if !got.Attrs["https://ex.org/null"][0].ObservedAt.IsZero() {
		t.Fatalf("absent observedAt became non-zero")
	}
}

func TestCodecRejectsGarbage(t *testing.T) {
	if _, err := store.DecodeEntity([]byte(`{"id":`)); err == nil {
		t.Fatal("no error for truncated document")
	}
}

func TestEqualEntityDetectsDifferences(t *testing.T) {
	a, b := sampleEntity(t), sampleEntity(t)
	if !storetest.EqualEntity(a, b) {
		t.Fatal("equal entities reported different")
	}
	b.Attrs["https://ex.org/num"][0].Sub["https://ex.org/acc"][0].Value = json.Number("2")
	if storetest.EqualEntity(a, b) {
		t.Fatal("different sub-attribute value not detected")
	}
	b = sampleEntity(t)
	b.ModifiedAt = b.ModifiedAt.Add(time.Nanosecond)
	if storetest.EqualEntity(a, b) {
		t.Fatal("different timestamp not detected")
	}
	if !reflect.DeepEqual(a.Types, b.Types) {
		t.Fatal("sanity")
	}
}

package ngsild

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

const testNS = "https://example.org/"

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// coreTerms are the terms the test context maps into the NGSI-LD namespace.
var coreTerms = map[string]bool{"location": true, "observationSpace": true, "operationSpace": true}

// testExpand is a stand-in for a JSON-LD context: core terms go to the
// NGSI-LD namespace, IRIs stay, everything else goes to testNS.
func testExpand(term string) string {
	switch {
	case coreTerms[term]:
		return CoreNS + term
	case strings.Contains(term, ":"):
		return term
	}
	return testNS + term
}

// testCompact inverts testExpand. Like a JSON-LD context whose keywords
// are aliased, it never produces a term that is an NGSI-LD member name.
func testCompact(iri string) string {
	if rest, ok := strings.CutPrefix(iri, CoreNS); ok && coreTerms[rest] {
		return rest
	}
	rest, ok := strings.CutPrefix(iri, testNS)
	if !ok || rest == "" || strings.Contains(rest, ":") || coreTerms[rest] || attrKeywords[rest] || entityKeywords[rest] {
		return iri
	}
	return rest
}

var entityKeywords = map[string]bool{"id": true, "@context": true, "scope": true}

func decode(t testing.TB, s string) map[string]any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return m
}

func mustParse(t testing.TB, s string) *Entity {
	t.Helper()
	e, err := ParseEntity(decode(t, s), testExpand, t0)
	if err != nil {
		t.Fatalf("ParseEntity: %v", err)
	}
	return e
}

// sameJSON reports whether a and b are the same JSON value.
func sameJSON(t testing.TB, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("invalid JSON %s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

var normOpts = RenderOptions{Compact: testCompact}

const airQuality = `{
  "id": "urn:ngsi-ld:AirQualityObserved:Madrid-01",
  "type": "AirQualityObserved",
  "@context": "https://example.org/ctx.jsonld",
  "dateObserved": {"type": "Property", "value": "2026-01-02T03:00:00Z"},
  "NO2": {"type": "Property", "value": 22.5, "unitCode": "GQ", "observedAt": "2026-01-02T03:00:00.000Z",
          "accuracy": {"type": "Property", "value": 0.95}},
  "PM10": [
    {"type": "Property", "value": 29, "unitCode": "GQ"},
    {"type": "Property", "value": 31, "unitCode": "GQ", "datasetId": "urn:ngsi-ld:Dataset:sensorA"}
  ],
  "PM25": {"type": "Property", "value": 12, "unitCode": "GQ"},
  "O3": {"type": "Property", "value": 41.25, "unitCode": "GQ"},
  "temperature": {"type": "Property", "value": 12.2, "unitCode": "CEL"},
  "airQualityLevel": {"type": "Property", "value": "moderate"},
  "address": {"type": "Property", "value": {"addressLocality": "Madrid", "streetAddress": "Plaza de España"}},
  "name": {"type": "LanguageProperty", "languageMap": {"es": "Plaza de España", "en": "Spain Square"}},
  "refDevice": {"type": "Relationship", "object": "urn:ngsi-ld:Device:aq-01"},
  "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [-3.712, 40.423]}}
}`

func TestParseNormalizedModel(t *testing.T) {
	e := mustParse(t, airQuality)
	if e.ID != "urn:ngsi-ld:AirQualityObserved:Madrid-01" || !reflect.DeepEqual(e.Types, []string{testNS + "AirQualityObserved"}) {
		t.Fatalf("id/types = %q %q", e.ID, e.Types)
	}
	if len(e.Attrs) != 11 {
		t.Errorf("got %d attributes, want 11", len(e.Attrs))
	}
	no2 := e.Attr(testNS + "NO2")
	if no2.Value != json.Number("22.5") || no2.UnitCode != "GQ" || !no2.ObservedAt.Equal(time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)) {
		t.Errorf("NO2 = %+v", no2)
	}
	if acc := no2.SubAttr(testNS + "accuracy"); acc == nil || acc.Value != json.Number("0.95") {
		t.Errorf("NO2.accuracy = %+v", acc)
	}
	if pm := e.Attrs[testNS+"PM10"]; len(pm) != 2 || pm[1].DatasetID != "urn:ngsi-ld:Dataset:sensorA" {
		t.Errorf("PM10 instances = %+v", pm)
	}
	if e.Attr(testNS+"PM10").Value != json.Number("29") {
		t.Errorf("default PM10 instance not found")
	}
	if r := e.Attr(testNS + "refDevice"); r.Type != TypeRelationship || r.Object != "urn:ngsi-ld:Device:aq-01" {
		t.Errorf("refDevice = %+v", r)
	}
	if l := e.Attr(IRILocation); l.Type != TypeGeoProperty || l.Geometry == nil {
		t.Errorf("location = %+v", l)
	}
	if n := e.Attr(testNS + "name"); n.LanguageMap["en"] != "Spain Square" {
		t.Errorf("name = %+v", n)
	}
	if !e.CreatedAt.Equal(t0) || !no2.CreatedAt.Equal(t0) || !no2.ModifiedAt.Equal(t0) {
		t.Errorf("timestamps not set to now")
	}
}

func TestRoundTripNormalized(t *testing.T) {
	e := mustParse(t, airQuality)
	out := Render(e, normOpts)
	in := decode(t, airQuality)
	delete(in, "@context")
	want, _ := json.Marshal(in)
	if !sameJSON(t, out, want) {
		t.Errorf("round trip changed the entity:\n got %s\nwant %s", out, want)
	}
	again := Render(mustParse(t, string(out)), normOpts)
	if !bytes.Equal(out, again) {
		t.Errorf("second round trip differs:\n%s\n%s", out, again)
	}
}

func TestParseConcise(t *testing.T) {
	e := mustParse(t, `{
	  "id": "urn:ngsi-ld:Sensor:1", "type": ["Sensor", "Device"],
	  "temperature": 21.5,
	  "humidity": {"value": 40, "unitCode": "P1", "reliability": 0.8},
	  "owner": {"object": "urn:ngsi-ld:Person:7"},
	  "label": {"languageMap": {"fr": "capteur"}},
	  "location": {"type": "Point", "coordinates": [2.35, 48.85]},
	  "operationSpace": {"value": {"type": "Point", "coordinates": [2.36, 48.86]}},
	  "area": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [1, 2]}},
	  "tags": ["a", "b"],
	  "readings": [{"value": 1, "datasetId": "urn:d:1"}, {"value": 2, "datasetId": "urn:d:2"}]
	}`)
	checks := map[string]string{
		"temperature": TypeProperty, "humidity": TypeProperty, "owner": TypeRelationship,
		"label": TypeLanguageProperty, "area": TypeGeoProperty, "tags": TypeProperty, "readings": TypeProperty,
	}
	for term, typ := range checks {
		if a := e.Attr(testNS + term); a == nil || a.Type != typ {
			t.Errorf("%s = %+v, want type %s", term, a, typ)
		}
	}
	for _, iri := range []string{IRILocation, IRIOperationSpace} {
		if a := e.Attr(iri); a == nil || a.Type != TypeGeoProperty || a.Geometry == nil {
			t.Errorf("%s = %+v, want a GeoProperty", iri, a)
		}
	}
	if h := e.Attr(testNS + "humidity"); h.SubAttr(testNS+"reliability") == nil || h.UnitCode != "P1" {
		t.Errorf("humidity = %+v", h)
	}
	if len(e.Attrs[testNS+"readings"]) != 2 {
		t.Errorf("readings should have 2 instances")
	}
	if tags := e.Attr(testNS + "tags"); !reflect.DeepEqual(tags.Value, []any{"a", "b"}) {
		t.Errorf("tags = %#v", tags.Value)
	}
	if len(e.Types) != 2 {
		t.Errorf("types = %v", e.Types)
	}
}

func TestParseIgnoresSystemMembers(t *testing.T) {
	e := mustParse(t, `{"id": "urn:x:1", "type": "T", "createdAt": "2000-01-01T00:00:00Z",
	  "modifiedAt": "2000-01-01T00:00:00Z", "@context": ["x"],
	  "p": {"type": "Property", "value": 1, "createdAt": "2000-01-01T00:00:00Z"}}`)
	if !e.CreatedAt.Equal(t0) || !e.Attr(testNS+"p").CreatedAt.Equal(t0) {
		t.Errorf("input createdAt not ignored")
	}
	if len(e.Attrs) != 1 {
		t.Errorf("attrs = %v", e.Attrs)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"no id", `{"type": "T"}`, "entity id is missing"},
		{"id not string", `{"id": 5, "type": "T"}`, "entity id must be a string"},
		{"id relative", `{"id": "abc", "type": "T"}`, `entity id "abc" is not an absolute URI`},
		{"id space", `{"id": "urn:a b", "type": "T"}`, "not an absolute URI"},
		{"id bad scheme", `{"id": "1urn:x", "type": "T"}`, "not an absolute URI"},
		{"no type", `{"id": "urn:x:1"}`, "entity type is missing"},
		{"type number", `{"id": "urn:x:1", "type": 3}`, "entity type must be a string or an array"},
		{"type empty array", `{"id": "urn:x:1", "type": []}`, "entity type is empty"},
		{"type forbidden", `{"id": "urn:x:1", "type": "A(B)"}`, `entity type "A(B)" contains the forbidden character "("`},
		{"scope", `{"id": "urn:x:1", "type": "T", "scope": "/a"}`, "scope is not supported"},
		{"name forbidden", `{"id": "urn:x:1", "type": "T", "a=b": 1}`, `attribute name "a=b" contains the forbidden character "="`},
		{"name control", `{"id": "urn:x:1", "type": "T", "a\u0001": 1}`, "forbidden character"},
		{"name empty", `{"id": "urn:x:1", "type": "T", "": 1}`, "attribute name must not be empty"},
		{"bad attr type", `{"id": "urn:x:1", "type": "T", "p": {"type": "Foo", "value": 1}}`, `attribute "p": type must be Property, Relationship, GeoProperty or LanguageProperty, not "Foo"`},
		{"no value", `{"id": "urn:x:1", "type": "T", "p": {"type": "Property"}}`, `attribute "p": a Property must have a value`},
		{"concise no value", `{"id": "urn:x:1", "type": "T", "p": {"unitCode": "C"}}`, `attribute "p": a Property must have a value`},
		{"null value", `{"id": "urn:x:1", "type": "T", "p": {"type": "Property", "value": null}}`, "must not be null"},
		{"bare null", `{"id": "urn:x:1", "type": "T", "p": null}`, "must not be null"},
		{"rel no object", `{"id": "urn:x:1", "type": "T", "r": {"type": "Relationship"}}`, `attribute "r": a Relationship must have an object`},
		{"rel not uri", `{"id": "urn:x:1", "type": "T", "r": {"type": "Relationship", "object": "nope"}}`, `attribute "r": a Relationship object must be a URI, not "nope"`},
		{"rel array", `{"id": "urn:x:1", "type": "T", "r": {"object": ["urn:a:1"]}}`, "object must be a URI"},
		{"geo not object", `{"id": "urn:x:1", "type": "T", "location": {"type": "GeoProperty", "value": "here"}}`, `attribute "location": a GeoProperty value must be a GeoJSON geometry object`},
		{"geo invalid", `{"id": "urn:x:1", "type": "T", "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [500, 0]}}}`, `attribute "location": invalid GeoJSON geometry`},
		{"geo bare invalid", `{"id": "urn:x:1", "type": "T", "location": {"type": "Point"}}`, `attribute "location": invalid GeoJSON geometry`},
		{"geo no value", `{"id": "urn:x:1", "type": "T", "g": {"type": "GeoProperty"}}`, "must have a GeoJSON geometry value"},
		{"observedAt", `{"id": "urn:x:1", "type": "T", "p": {"value": 1, "observedAt": "yesterday"}}`, `attribute "p": observedAt must be an ISO 8601 date-time`},
		{"observedAt year", `{"id": "urn:x:1", "type": "T", "p": {"value": 1, "observedAt": "0000-01-01T00:00:00+01:00"}}`, "observedAt must be"},
		{"observedAt no zone", `{"id": "urn:x:1", "type": "T", "p": {"value": 1, "observedAt": "2026-01-01T00:00:00"}}`, "observedAt must be"},
		{"datasetId", `{"id": "urn:x:1", "type": "T", "p": {"value": 1, "datasetId": "x"}}`, `attribute "p": datasetId must be a URI, not "x"`},
		{"unitCode", `{"id": "urn:x:1", "type": "T", "p": {"value": 1, "unitCode": 5}}`, `attribute "p": unitCode must be a non-empty string, not 5`},
		{"dup dataset", `{"id": "urn:x:1", "type": "T", "p": [{"value": 1, "datasetId": "urn:d:1"}, {"value": 2, "datasetId": "urn:d:1"}]}`, `attribute "p": datasetId "urn:d:1" given twice`},
		{"dup default", `{"id": "urn:x:1", "type": "T", "p": [{"value": 1}, {"value": 2}]}`, "the default instance (no datasetId) given twice"},
		{"langmap", `{"id": "urn:x:1", "type": "T", "l": {"type": "LanguageProperty", "languageMap": {"en": 3}}}`, `attribute "l": languageMap value for "en" must be a string`},
		{"langmap missing", `{"id": "urn:x:1", "type": "T", "l": {"type": "LanguageProperty"}}`, "must have a non-empty languageMap"},
		{"sub error", `{"id": "urn:x:1", "type": "T", "p": {"value": 1, "q": {"type": "Relationship", "object": 1}}}`, `attribute "p.q": a Relationship object must be a URI`},
		{"sub name", `{"id": "urn:x:1", "type": "T", "p": {"value": 1, "q<": 1}}`, `attribute name "q<" contains`},
		{"twice", `{"id": "urn:x:1", "type": "T", "p": 1, "https://example.org/p": 2}`, "given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEntity(decode(t, tt.body), testExpand, t0)
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !IsType(err, ErrBadRequestData) {
				t.Errorf("error type = %v, want BadRequestData", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseDepthLimit(t *testing.T) {
	body := `1`
	for i := 1; i < MaxAttrDepth; i++ {
		body = `{"value": 1, "s": ` + body + `}`
	}
	ok := `{"id": "urn:x:1", "type": "T", "p": ` + body + `}`
	if _, err := ParseEntity(decode(t, ok), testExpand, t0); err != nil {
		t.Fatalf("depth %d rejected: %v", MaxAttrDepth, err)
	}
	deep := `{"id": "urn:x:1", "type": "T", "p": {"value": 1, "s": ` + body + `}}`
	_, err := ParseEntity(decode(t, deep), testExpand, t0)
	if err == nil || !strings.Contains(err.Error(), "nest deeper than") {
		t.Errorf("error = %v, want depth error", err)
	}
}

func TestParseFragment(t *testing.T) {
	f, err := ParseFragment(decode(t, `{"p": {"value": 1}}`), testExpand, t0)
	if err != nil || f.ID != "" || f.Attr(testNS+"p") == nil {
		t.Fatalf("fragment = %+v, %v", f, err)
	}
	if _, err := ParseFragment(decode(t, `{"id": "bad", "p": 1}`), testExpand, t0); err == nil {
		t.Errorf("bad id accepted in a fragment")
	}
	if _, err := ParseFragment(decode(t, `{"p": {"type": "Relationship", "object": "x"}}`), testExpand, t0); err == nil {
		t.Errorf("bad object accepted in a fragment")
	}
	m, err := ParseFragment(decode(t, `{"p": {"unitCode": "C", "observedAt": "2026-01-01T00:00:00+01:00"},
	  "q": null, "r": {"object": null}, "s": {"value": null}, "l": {"languageMap": null}}`), testExpand, t0)
	if err != nil {
		t.Fatalf("partial fragment: %v", err)
	}
	p := m.Attr(testNS + "p")
	if p.Type != "" || p.Value != nil || p.UnitCode != "C" {
		t.Errorf("partial p = %+v", p)
	}
	if !p.ObservedAt.Equal(time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC)) {
		t.Errorf("observedAt = %v", p.ObservedAt)
	}
	for _, n := range []string{"q", "r", "s", "l"} {
		if !isNull(m.Attr(testNS + n)) {
			t.Errorf("%s: null not turned into NGSI-LD Null: %+v", n, m.Attr(testNS+n))
		}
	}
}

func TestValidateURI(t *testing.T) {
	for s, want := range map[string]bool{
		"urn:ngsi-ld:X:1": true, "https://a.b/c?d#e": true, "x+y.z-w:1": true,
		"": false, ":a": false, "a:": false, "1a:b": false, "a b:c": false, "a:b c": false, "a:b\n": false, "noscheme": false,
	} {
		if err := ValidateURI(s); (err == nil) != want {
			t.Errorf("ValidateURI(%q) = %v", s, err)
		}
	}
}

func FuzzParseEntity(f *testing.F) {
	for _, s := range []string{airQuality, small, base,
		`{"id": "urn:x:1", "type": "T", "p": {"value": {"type": "Point"}}, "location": "x"}`,
		`{"id": "urn:x:1", "type": ["T", "U"], "l": {"languageMap": {"@none": "x"}}, "r": [{"object": "urn:a:1", "datasetId": "urn:d:1"}]}`,
		`{"id": "urn:x:1", "type": "T", "p": {"value": [{"a": null}], "observedAt": "2026-01-01T00:00:00.123456+02:00", "q": {"value": 1, "r": 2}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		var m map[string]any
		if d.Decode(&m) != nil || m == nil {
			return
		}
		e, err := ParseEntity(m, testExpand, t0)
		if err != nil {
			if !IsType(err, ErrBadRequestData) {
				t.Fatalf("error of the wrong type: %v", err)
			}
			return
		}
		for _, format := range []Format{Normalized, Concise, KeyValues} {
			o := RenderOptions{Format: format, Compact: testCompact, SysAttrs: true, Lang: "en", Context: "c"}
			if out := Render(e, o); !json.Valid(out) {
				t.Fatalf("format %d: invalid JSON %s", format, out)
			}
		}
		first := Render(e, normOpts)
		for _, format := range []Format{Normalized, Concise} {
			out := Render(e, RenderOptions{Format: format, Compact: testCompact})
			e2, err := ParseEntity(decode(t, string(out)), testExpand, t0)
			if err != nil {
				t.Fatalf("format %d: rendered entity does not parse: %v\n%s", format, err, out)
			}
			if again := Render(e2, normOpts); !bytes.Equal(first, again) {
				t.Fatalf("format %d: round trip differs:\n%s\n%s", format, first, again)
			}
		}
	})
}

func BenchmarkParseEntity(b *testing.B) {
	m := decode(b, airQuality)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseEntity(m, testExpand, t0); err != nil {
			b.Fatal(err)
		}
	}
}

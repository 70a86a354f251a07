package ngsild

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

const small = `{
  "id": "urn:x:1", "type": ["T", "U"],
  "temp": {"type": "Property", "value": 20, "unitCode": "CEL", "observedAt": "2026-01-01T00:00:00.000Z",
           "acc": {"type": "Property", "value": 0.5}},
  "obj": {"type": "Property", "value": {"b": 1, "a": [true, null]}},
  "owner": {"type": "Relationship", "object": "urn:p:1"},
  "name": {"type": "LanguageProperty", "languageMap": {"en": "Hello", "fr": "Bonjour", "en-GB": "Hullo"}},
  "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [1.5, 2.5]}},
  "multi": [{"type": "Property", "value": 2, "datasetId": "urn:d:b"}, {"type": "Property", "value": 1, "datasetId": "urn:d:a"}]
}`

func TestRenderNormalizedExact(t *testing.T) {
	got := string(Render(mustParse(t, small), RenderOptions{Compact: testCompact, Context: "https://example.org/ctx"}))
	want := `{"id":"urn:x:1","type":["T","U"],` +
		`"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[1.5,2.5]}},` +
		`"multi":[{"type":"Property","value":1,"datasetId":"urn:d:a"},{"type":"Property","value":2,"datasetId":"urn:d:b"}],` +
		`"name":{"type":"LanguageProperty","languageMap":{"en":"Hello","en-GB":"Hullo","fr":"Bonjour"}},` +
		`"obj":{"type":"Property","value":{"a":[true,null],"b":1}},` +
		`"owner":{"type":"Relationship","object":"urn:p:1"},` +
		`"temp":{"type":"Property","value":20,"observedAt":"2026-01-01T00:00:00.000Z","unitCode":"CEL","acc":{"type":"Property","value":0.5}},` +
		`"@context":"https://example.org/ctx"}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestRenderConcise(t *testing.T) {
	e := mustParse(t, small)
	got := string(Render(e, RenderOptions{Format: Concise, Compact: testCompact}))
	want := `{"id":"urn:x:1","type":["T","U"],` +
		`"location":{"type":"Point","coordinates":[1.5,2.5]},` +
		`"multi":[{"value":1,"datasetId":"urn:d:a"},{"value":2,"datasetId":"urn:d:b"}],` +
		`"name":{"languageMap":{"en":"Hello","en-GB":"Hullo","fr":"Bonjour"}},` +
		`"obj":{"value":{"a":[true,null],"b":1}},` +
		`"owner":{"object":"urn:p:1"},` +
		`"temp":{"value":20,"observedAt":"2026-01-01T00:00:00.000Z","unitCode":"CEL","acc":0.5}}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Concise is lossless: parsing it back gives the same normalized form.
	back := mustParse(t, got)
	if a, b := Render(e, normOpts), Render(back, normOpts); string(a) != string(b) {
		t.Errorf("concise round trip:\n%s\n%s", a, b)
	}
}

func TestRenderConciseKeepsNeededTypes(t *testing.T) {
	e := mustParse(t, `{"id": "urn:x:1", "type": "T",
	  "location": {"type": "Property", "value": {"k": 1}},
	  "area": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [1, 2]}, "p": 1}}`)
	got := string(Render(e, RenderOptions{Format: Concise, Compact: testCompact}))
	want := `{"id":"urn:x:1","type":"T","area":{"type":"GeoProperty","value":{"type":"Point","coordinates":[1,2]},"p":1},` +
		`"location":{"type":"Property","value":{"k":1}}}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if a, b := Render(e, normOpts), Render(mustParse(t, got), normOpts); string(a) != string(b) {
		t.Errorf("concise round trip:\n%s\n%s", a, b)
	}
}

func TestRenderKeyValues(t *testing.T) {
	got := string(Render(mustParse(t, small), RenderOptions{Format: KeyValues, Compact: testCompact}))
	want := `{"id":"urn:x:1","type":["T","U"],"location":{"type":"Point","coordinates":[1.5,2.5]},"multi":[1,2],` +
		`"name":{"languageMap":{"en":"Hello","en-GB":"Hullo","fr":"Bonjour"}},"obj":{"a":[true,null],"b":1},"owner":"urn:p:1","temp":20}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestRenderSysAttrs(t *testing.T) {
	e := mustParse(t, `{"id": "urn:x:1", "type": "T", "p": {"type": "Property", "value": 1, "q": {"type": "Property", "value": 2}}}`)
	later := t0.Add(time.Hour)
	e.ModifiedAt = later
	got := string(Render(e, RenderOptions{SysAttrs: true, Compact: testCompact}))
	want := `{"id":"urn:x:1","type":"T","createdAt":"2026-01-02T03:04:05.000Z","modifiedAt":"2026-01-02T04:04:05.000Z",` +
		`"p":{"type":"Property","value":1,"createdAt":"2026-01-02T03:04:05.000Z","modifiedAt":"2026-01-02T03:04:05.000Z",` +
		`"q":{"type":"Property","value":2,"createdAt":"2026-01-02T03:04:05.000Z","modifiedAt":"2026-01-02T03:04:05.000Z"}}}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	kv := string(Render(e, RenderOptions{Format: KeyValues, SysAttrs: true, Compact: testCompact}))
	if kv != `{"id":"urn:x:1","type":"T","createdAt":"2026-01-02T03:04:05.000Z","modifiedAt":"2026-01-02T04:04:05.000Z","p":1}` {
		t.Errorf("keyValues sysAttrs = %s", kv)
	}
	concise := string(Render(e, RenderOptions{Format: Concise, SysAttrs: true, Compact: testCompact}))
	if !strings.Contains(concise, `"p":{"value":1,"createdAt"`) {
		t.Errorf("concise sysAttrs must not use the bare form: %s", concise)
	}
}

func TestRenderLang(t *testing.T) {
	e := mustParse(t, small)
	name := func(o RenderOptions) string {
		o.Compact, o.Attrs = testCompact, []string{testNS + "name"}
		s := string(Render(e, o))
		return strings.TrimSuffix(strings.TrimPrefix(s, `{"id":"urn:x:1","type":["T","U"],"name":`), "}")
	}
	tests := []struct {
		lang   string
		format Format
		want   string
	}{
		{"fr", Normalized, `{"type":"Property","value":"Bonjour","lang":"fr"}`},
		{"de,fr;q=0.5,en;q=0.9", Normalized, `{"type":"Property","value":"Hello","lang":"en"}`},
		{"EN-gb", Normalized, `{"type":"Property","value":"Hullo","lang":"en-GB"}`},
		{"de", Normalized, `{"type":"Property","value":"Hello","lang":"en"}`},
		{"*", Normalized, `{"type":"LanguageProperty","languageMap":{"en":"Hello","en-GB":"Hullo","fr":"Bonjour"}}`},
		{"", Normalized, `{"type":"LanguageProperty","languageMap":{"en":"Hello","en-GB":"Hullo","fr":"Bonjour"}}`},
		{"fr", Concise, `{"value":"Bonjour","lang":"fr"}`},
		{"fr", KeyValues, `"Bonjour"`},
		{"", KeyValues, `{"languageMap":{"en":"Hello","en-GB":"Hullo","fr":"Bonjour"}}`},
	}
	for _, tt := range tests {
		if got := name(RenderOptions{Lang: tt.lang, Format: tt.format}); got != tt.want {
			t.Errorf("lang %q format %d: got %s, want %s", tt.lang, tt.format, got, tt.want)
		}
	}
	e.Attr(testNS + "name").LanguageMap["@none"] = "Hi"
	if got := name(RenderOptions{Lang: "de"}); got != `{"type":"Property","value":"Hi","lang":"@none"}` {
		t.Errorf("@none fallback: %s", got)
	}
	if got := name(RenderOptions{Lang: "*,fr"}); !strings.Contains(got, `"lang":"@none"`) {
		t.Errorf("* then fr: %s", got)
	}
}

func TestRenderAttrsProjection(t *testing.T) {
	got := string(Render(mustParse(t, small), RenderOptions{Compact: testCompact, Format: KeyValues,
		Attrs: []string{testNS + "owner", testNS + "temp", testNS + "missing"}}))
	if want := `{"id":"urn:x:1","type":["T","U"],"owner":"urn:p:1","temp":20}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestRenderWithoutCompact(t *testing.T) {
	got := string(Render(mustParse(t, `{"id": "urn:x:1", "type": "T", "p": 1}`), RenderOptions{Format: KeyValues}))
	if want := `{"id":"urn:x:1","type":"https://example.org/T","https://example.org/p":1}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestRenderEscaping(t *testing.T) {
	e := &Entity{ID: "urn:x:1", Types: []string{"T"}, Attrs: map[string][]*Attribute{
		"p": {{Type: TypeProperty, Value: "q\"\\\n\t\x01<>&\u2028é\xff"}},
		"n": {{Type: TypeProperty, Value: []any{1.5, 3, int64(4), json.Number("1e3")}}},
	}}
	got := string(Render(e, RenderOptions{Format: KeyValues}))
	want := `{"id":"urn:x:1","type":"T","n":[1.5,3,4,1e3],"p":"q\"\\\n\t\u0001<>&\u2028é\ufffd"}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if !json.Valid([]byte(got)) {
		t.Errorf("invalid JSON")
	}
}

func TestRenderEntities(t *testing.T) {
	a := mustParse(t, `{"id": "urn:x:1", "type": "T"}`)
	b := mustParse(t, `{"id": "urn:x:2", "type": "T"}`)
	got := string(RenderEntities([]*Entity{a, b}, RenderOptions{Compact: testCompact}))
	if want := `[{"id":"urn:x:1","type":"T"},{"id":"urn:x:2","type":"T"}]`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got := string(RenderEntities(nil, RenderOptions{})); got != "[]" {
		t.Errorf("empty list = %s", got)
	}
}

func TestRenderGeoJSON(t *testing.T) {
	a := mustParse(t, `{"id": "urn:x:1", "type": "T", "p": 1, "location": {"type": "Point", "coordinates": [1, 2]},
	  "area": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [3, 4]}}}`)
	b := mustParse(t, `{"id": "urn:x:2", "type": "T"}`)
	got := string(RenderGeoJSON([]*Entity{a, b}, RenderOptions{Format: KeyValues, Compact: testCompact, Context: "c"}, ""))
	want := `{"type":"FeatureCollection","features":[` +
		`{"id":"urn:x:1","type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},` +
		`"properties":{"type":"T","area":{"type":"Point","coordinates":[3,4]},"location":{"type":"Point","coordinates":[1,2]},"p":1}},` +
		`{"id":"urn:x:2","type":"Feature","geometry":null,"properties":{"type":"T"}}],"@context":"c"}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	one := string(RenderGeoJSONFeature(a, RenderOptions{Compact: testCompact, Attrs: []string{testNS + "p"}, Context: "c"}, testNS+"area"))
	want = `{"id":"urn:x:1","type":"Feature","geometry":{"type":"Point","coordinates":[3,4]},` +
		`"properties":{"type":"T","p":{"type":"Property","value":1}},"@context":"c"}`
	if one != want {
		t.Errorf("feature got  %s\nwant %s", one, want)
	}
}

func BenchmarkRender(b *testing.B) {
	e := mustParse(b, airQuality)
	for _, bc := range []struct {
		name string
		o    RenderOptions
	}{
		{"normalized", RenderOptions{Compact: testCompact}},
		{"normalizedSysAttrs", RenderOptions{Compact: testCompact, SysAttrs: true}},
		{"concise", RenderOptions{Format: Concise, Compact: testCompact}},
		{"keyValues", RenderOptions{Format: KeyValues, Compact: testCompact}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Render(e, bc.o)
			}
		})
	}
}

package ngsild

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/dothi-city/dothi/internal/bench"
)

// checkFastEntity fails when ParseEntityJSON accepts a text that
// ParseEntity (on the text decoded by encoding/json) rejects or parses
// differently.
func checkFastEntity(t *testing.T, text []byte) bool {
	t.Helper()
	got, ok := ParseEntityJSON(text, testExpand, t0)
	if !ok {
		return false
	}
	v, decoded := stdDecode(text)
	m, isObj := v.(map[string]any)
	if !decoded || !isObj {
		t.Fatalf("ParseEntityJSON accepted %s, which is not a JSON object", text)
	}
	want, err := ParseEntity(m, testExpand, t0)
	if err != nil {
		t.Fatalf("ParseEntityJSON accepted %s, which ParseEntity rejects: %v", text, err)
	}
	if !sameEntity(got, want) {
		t.Fatalf("ParseEntityJSON(%s) =\n%s\nParseEntity gives\n%s", text, Render(got, RenderOptions{SysAttrs: true}), Render(want, RenderOptions{SysAttrs: true}))
	}
	return true
}

func fastEntitySeeds() []string {
	var buf bytes.Buffer
	bench.Entity(&buf, 7)
	return []string{
		buf.String(), airQuality, small, base,
		`{"id":"urn:x:1","type":"T"}`,
		`{"type":"T","id":"urn:x:1","p":{"value":{"a":[1,2.5e3,"x",null,true]},"type":"Property","datasetId":"urn:d:1"}}`,
		`{"id":"urn:x:1","type":"T","r":{"type":"Relationship","object":"urn:y:2","observedAt":"2026-01-02T03:04:05.123+07:00"}}`,
		`{"id":"urn:x:1","type":"T","location":{"type":"GeoProperty","value":{"coordinates":[1,2],"type":"Point"}}}`,
		`{"id":"urn:x:1","type":"T","area":{"type":"GeoProperty","value":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}}`,
		`{"id":"urn:x:1","type":"T","p":{"type":"Property","value":"urn:ngsi-ld:null","unitCode":"C"}}`,
		`{"id":"urn:x:1","type":"T","p":{"type":"Property","value":1},"https://example.org/p":{"type":"Property","value":2}}`,
		`{"id":"urn:x:1","type":"T","p":{"type":"Property","value":1,"p":{"type":"Property","value":1}}}`,
		`{"id":"urn:x:1","type":"T","p":{"type":"LanguageProperty","languageMap":{"vi":"x"}}}`,
		`{"id":"urn:x:1","type":["T","U"],"p":[{"type":"Property","value":1}]}`,
		`{"id":"urn:x:1","type":"T","p":1,"@context":"x"}`,
		"{\"id\":\"urn:x:1\",\"type\":\"T\",\"n\\u0061me\":{\"type\":\"Property\",\"value\":\"Tr\\u1ea1m \\\"1\\\"\"}}",
		`{"id":"urn:x:1","type":"T","location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[1,2],"type":"LineString"}}}`,
		`{"id":"urn:x:1","type":"T","location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[1,2,3]}}}`,
	}
}

func TestParseEntityJSONMatchesParseEntity(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{`{`, `}`, `[`, `]`, `"`, `:`, `,`, ` `, `1`, `-`, `.`, `e`, `\`, `null`, `true`,
		`"type"`, `"value"`, `"object"`, `"id"`, `"Property"`, `"Relationship"`, `"GeoProperty"`, `"Point"`,
		`"urn:x:2"`, `"bad id"`, `"unitCode"`, `"observedAt"`, `"datasetId"`, `"2026-01-02T03:04:05Z"`, `"@context"`,
		`"coordinates"`, `[1,2]`, `"location"`, `"a;b"`, `""`, "\xff", `"p"`, `"q"`}
	fast := 0
	for _, s := range fastEntitySeeds() {
		if checkFastEntity(t, []byte(s)) {
			fast++
		}
		for i := 0; i < 3000; i++ {
			b := []byte(s)
			for k := 0; k < 1+rng.IntN(2); k++ {
				tok := []byte(alphabet[rng.IntN(len(alphabet))])
				j := rng.IntN(len(b) + 1)
				switch rng.IntN(3) {
				case 0: // insert a token
					b = append(b[:j:j], append(tok, b[j:]...)...)
				case 1: // replace a run by a token
					end := min(len(b), j+1+rng.IntN(12))
					b = append(b[:j:j], append(tok, b[end:]...)...)
				default: // delete a run
					end := min(len(b), j+1+rng.IntN(6))
					b = append(b[:j:j], b[end:]...)
				}
			}
			if checkFastEntity(t, b) {
				fast++
			}
		}
	}
	if fast < 1000 {
		t.Errorf("only %d texts took the fast path", fast)
	}
	for _, s := range fastEntitySeeds()[:3] {
		if _, ok := ParseEntityJSON([]byte(s), testExpand, t0); !ok && !strings.Contains(s, "languageMap") {
			t.Logf("seed did not take the fast path: %s", s)
		}
	}
	var buf bytes.Buffer
	bench.Entity(&buf, 1)
	if _, ok := ParseEntityJSON(buf.Bytes(), testExpand, t0); !ok {
		t.Errorf("the bench entity does not take the fast path")
	}
}

func TestSplitJSONArray(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	alphabet := []byte("{}[]\",:.-+eE0123456789 \\utrfalsn\x00\x1f\xff")
	seeds := []string{`[]`, ` [ 1 , "a" , {"b":[2]} , null ] `, string(bench.Batch(0, 3)), `[1,]`, `{}`, `[`, `[1] x`, `["\u12"]`, `["\q"]`}
	for _, s := range seeds {
		for i := 0; i < 3000; i++ {
			b := []byte(s)
			if i > 0 {
				for k := 0; k < 1+rng.IntN(2); k++ {
					j := rng.IntN(len(b) + 1)
					b = append(b[:j:j], append([]byte{alphabet[rng.IntN(len(alphabet))]}, b[j:]...)...)
				}
			}
			checkSplit(t, b)
		}
	}
}

// checkSplit fails when SplitJSONArray accepts a text that is not a JSON
// array for encoding/json, or splits it into other items.
func checkSplit(t *testing.T, b []byte) {
	t.Helper()
	items, ok := SplitJSONArray(b)
	if !ok {
		return // falling back is always allowed
	}
	v, valid := stdDecode(b)
	list, isArr := v.([]any)
	if !valid || !isArr {
		t.Fatalf("SplitJSONArray(%q) ok, encoding/json: valid %v array %v", b, valid, isArr)
	}
	if len(items) != len(list) {
		t.Fatalf("SplitJSONArray(%q): %d items, want %d", b, len(items), len(list))
	}
	for k, item := range items {
		got, _ := stdDecode(item)
		if !reflect.DeepEqual(got, list[k]) {
			t.Fatalf("SplitJSONArray(%q): item %d is %s", b, k, item)
		}
	}
}

func FuzzSplitJSONArray(f *testing.F) {
	for _, s := range []string{`[]`, ` [ 1 , "a\u00e9" , {"b":[2]} , null ] `, string(bench.Batch(0, 2)), `[1,]`, `["\q"]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkSplit(t, data) })
}

func BenchmarkParseEntityJSON(b *testing.B) {
	var buf bytes.Buffer
	bench.Entity(&buf, 42)
	data := buf.Bytes()
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := ParseEntityJSON(data, testExpand, t0); !ok {
			b.Fatal("slow path")
		}
	}
}

// sameEntity is reflect.DeepEqual, except that geometries (which hold
// unsafe pointers) compare by their GeoJSON and bounds.
func sameEntity(a, b *Entity) bool {
	return reflect.DeepEqual(stripGeo(a.Clone()), stripGeo(b.Clone()))
}

// stripGeo replaces the geometries of e by their GeoJSON text and bounds,
// kept in Object.
func stripGeo(e *Entity) *Entity {
	for _, list := range e.Attrs {
		for _, a := range list {
			if a.Geometry != nil {
				w, s, e, n := a.Geometry.Bounds()
				a.Object += fmt.Sprint(a.Geometry.String(), w, s, e, n)
				a.Geometry = nil
			}
		}
	}
	return e
}

func FuzzParseEntityJSON(f *testing.F) {
	for _, s := range fastEntitySeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkFastEntity(t, data) })
}

package jsonld

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/dothi-city/dothi/internal/ngsild"
)

// inline resolves an inline context value with a resolver that fetches nothing.
func inline(t *testing.T, v any) *Context {
	t.Helper()
	r, err := NewResolver(Config{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.Resolve(context.Background(), v)
	if err != nil {
		t.Fatalf("Resolve(%v): %v", v, err)
	}
	return c
}

func checkExpand(t *testing.T, c *Context, cases map[string]string) {
	t.Helper()
	for term, want := range cases {
		if got := c.ExpandTerm(term); got != want {
			t.Errorf("ExpandTerm(%q) = %q, want %q", term, got, want)
		}
	}
}

func checkCompact(t *testing.T, c *Context, cases map[string]string) {
	t.Helper()
	for iri, want := range cases {
		got := c.CompactIRI(iri)
		if got != want {
			t.Errorf("CompactIRI(%q) = %q, want %q", iri, got, want)
		}
		if back := c.ExpandTerm(got); back != iri {
			t.Errorf("ExpandTerm(CompactIRI(%q)) = %q, want the IRI back", iri, back)
		}
	}
}

func TestCoreTerms(t *testing.T) {
	c := Core()
	checkExpand(t, c, map[string]string{
		"location":         ngsild.IRILocation,
		"observedAt":       ngsild.IRIObservedAt,
		"observationSpace": ngsild.IRIObservationSpace,
		"unitCode":         ngsild.IRIUnitCode,
		"datasetId":        ngsild.IRIDatasetID,
		"createdAt":        ngsild.IRICreatedAt,
		"Property":         ngsild.CoreNS + "Property",
		"LanguageProperty": ngsild.CoreNS + "LanguageProperty",
		"value":            ngsild.CoreNS + "hasValue",
		"object":           ngsild.CoreNS + "hasObject",
		"Point":            "https://purl.org/geojson/vocab#Point",
		"description":      "http://purl.org/dc/terms/description",
		"type":             "@type",
		"id":               "@id",
		"attributeCount":   DefaultVocab + "attributeCount", // defined as itself: vocabulary-relative
		"ngsi-ld:foo":      ngsild.CoreNS + "foo",
		"geojson:Feature":  "https://purl.org/geojson/vocab#Feature",
	})
	checkCompact(t, c, map[string]string{
		ngsild.IRILocation:                   "location",
		ngsild.IRIModifiedAt:                 "modifiedAt",
		ngsild.CoreNS + "hasObject":          "object",
		ngsild.CoreNS + "Relationship":       "Relationship",
		"https://purl.org/geojson/vocab#Foo": "geojson:Foo",
		ngsild.CoreNS + "somethingElse":      "ngsi-ld:somethingElse",
	})
	if c.CompactIRI("@type") != "type" || c.CompactIRI("@id") != "id" {
		t.Errorf("keywords compact to %q, %q", c.CompactIRI("@type"), c.CompactIRI("@id"))
	}
	if c.Ref() != CoreContextURL {
		t.Errorf("Ref() = %v, want %s", c.Ref(), CoreContextURL)
	}
}

func TestDefaultVocab(t *testing.T) {
	c := Core()
	checkExpand(t, c, map[string]string{
		"temperature":           DefaultVocab + "temperature",
		"Vehicle":               DefaultVocab + "Vehicle",
		"@type":                 "@type",
		"urn:ngsi-ld:x":         "urn:ngsi-ld:x",
		"https://example.org/a": "https://example.org/a",
		"unknown:thing":         "unknown:thing",
	})
	checkCompact(t, c, map[string]string{
		DefaultVocab + "temperature": "temperature",
		// "location" is a core term for another IRI: no vocabulary-relative name.
		DefaultVocab + "location": "ngsi-ld:default-context/location",
		"https://example.org/a":   "https://example.org/a",
		"urn:ngsi-ld:x":           "urn:ngsi-ld:x",
	})
}

func TestUserTerms(t *testing.T) {
	v := map[string]any{
		"temperature": "https://example.org/temperature",
		"Vehicle":     map[string]any{"@id": "https://example.org/Vehicle", "@type": "@id"},
		"speed":       map[string]any{"@id": "https://example.org/speed", "@type": "https://example.org/kmh"},
		"alias":       "temperature", // a term defined by another term
	}
	c := inline(t, v)
	checkExpand(t, c, map[string]string{
		"temperature": "https://example.org/temperature",
		"Vehicle":     "https://example.org/Vehicle",
		"speed":       "https://example.org/speed",
		"alias":       "https://example.org/temperature",
		"location":    ngsild.IRILocation,
		"other":       DefaultVocab + "other",
	})
	checkCompact(t, c, map[string]string{
		"https://example.org/Vehicle": "Vehicle",
		// two terms for one IRI: the shortest wins, as in JSON-LD.
		"https://example.org/temperature": "alias",
		DefaultVocab + "other":            "other",
	})
	if !reflect.DeepEqual(c.Ref(), v) {
		t.Errorf("Ref() = %v, want the inline context", c.Ref())
	}
}

func TestPrefixes(t *testing.T) {
	c := inline(t, map[string]any{
		"name":   "schema:name", // uses a prefix defined after it
		"schema": "https://schema.org/",
		"ex":     map[string]any{"@id": "https://example.org/ns#", "@prefix": true},
		"noPfx":  map[string]any{"@id": "https://example.org/other/", "@prefix": false},
		"mine":   "ngsi-ld:mine", // the core prefix is usable in user contexts
	})
	checkExpand(t, c, map[string]string{
		"name":             "https://schema.org/name",
		"schema:address":   "https://schema.org/address",
		"ex:thing":         "https://example.org/ns#thing",
		"noPfx:thing":      "noPfx:thing",
		"mine":             ngsild.CoreNS + "mine",
		"ngsi-ld:location": ngsild.IRILocation,
		"http://x.org/a:b": "http://x.org/a:b",
	})
	checkCompact(t, c, map[string]string{
		"https://schema.org/name":         "name",
		"https://schema.org/address":      "schema:address",
		"https://example.org/ns#thing":    "ex:thing",
		"https://example.org/other/thing": "https://example.org/other/thing",
		ngsild.CoreNS + "mine":            "mine",
	})
}

func TestVocab(t *testing.T) {
	c := inline(t, []any{
		map[string]any{"ex": "https://example.org/", "@vocab": "ex:vocab#"},
		CoreContextURL,
	})
	checkExpand(t, c, map[string]string{
		"speed":    "https://example.org/vocab#speed",
		"location": ngsild.IRILocation,
	})
	checkCompact(t, c, map[string]string{
		"https://example.org/vocab#speed": "speed",
		DefaultVocab + "speed":            "ngsi-ld:default-context/speed",
	})
	if c.Vocab() != "https://example.org/vocab#" {
		t.Errorf("Vocab() = %q", c.Vocab())
	}
}

func TestProtectedCoreTerms(t *testing.T) {
	c := inline(t, map[string]any{
		"location":   "https://example.org/myLocation",
		"ngsi-ld":    "https://evil.example.org/",
		"type":       "https://example.org/type",
		"myProp":     "ngsi-ld:myProp",
		"observedAt": nil,
	})
	checkExpand(t, c, map[string]string{
		"location":   ngsild.IRILocation,
		"type":       "@type",
		"myProp":     ngsild.CoreNS + "myProp",
		"ngsi-ld:x":  ngsild.CoreNS + "x",
		"observedAt": ngsild.IRIObservedAt,
	})
}

func TestArraysLaterDefinitionsWin(t *testing.T) {
	c := inline(t, []any{
		map[string]any{"a": "https://one.example/a", "b": "https://one.example/b"},
		map[string]any{"a": "https://two.example/a"},
	})
	checkExpand(t, c, map[string]string{"a": "https://two.example/a", "b": "https://one.example/b"})
}

func TestNullResetsAndUndefines(t *testing.T) {
	c := inline(t, []any{
		map[string]any{"a": "https://one.example/a", "b": "https://one.example/b", "@vocab": "https://v.example/"},
		nil,
		map[string]any{"b": "https://two.example/b", "c": "https://two.example/c"},
		map[string]any{"c": nil},
	})
	checkExpand(t, c, map[string]string{
		"a":        DefaultVocab + "a",
		"b":        "https://two.example/b",
		"c":        DefaultVocab + "c",
		"location": ngsild.IRILocation,
	})
}

func TestInvalidInlineContexts(t *testing.T) {
	r, _ := NewResolver(Config{})
	cases := map[string]any{
		"number definition": map[string]any{"a": 5},
		"number @id":        map[string]any{"a": map[string]any{"@id": 5}},
		"bad @prefix":       map[string]any{"a": map[string]any{"@id": "https://x/", "@prefix": "yes"}},
		"bad @type":         map[string]any{"a": map[string]any{"@id": "https://x/", "@type": 1}},
		"term cycle":        map[string]any{"a": "b", "b": "a"},
		"prefix cycle":      map[string]any{"pa": "pb:x", "pb": "pa:y"},
		"nested array":      []any{[]any{"https://x.example/c.jsonld"}},
		"number context":    3.0,
		"relative URL":      "context.jsonld",
		"empty term":        map[string]any{"": "https://x/"},
		"bad @vocab":        map[string]any{"@vocab": 3.0},
	}
	for name, v := range cases {
		_, err := r.Resolve(context.Background(), v)
		if !ngsild.IsType(err, ngsild.ErrBadRequestData) {
			t.Errorf("%s: err = %v, want BadRequestData", name, err)
		}
	}
}

func TestIsCoreURL(t *testing.T) {
	for _, v := range []string{"", "-v1.3", "-v1.6", "-v1.7", "-v1.8"} {
		u := "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context" + v + ".jsonld"
		if !IsCoreURL(u) {
			t.Errorf("IsCoreURL(%s) = false", u)
		}
	}
	if IsCoreURL("https://example.org/ngsi-ld-core-context.jsonld") {
		t.Error("a foreign URL is taken for the core context")
	}
	if !strings.Contains(string(CoreContextJSON()), `"@protected": true`) {
		t.Error("CoreContextJSON does not return the core context")
	}
}

func TestNoAllocationsOnHits(t *testing.T) {
	c := inline(t, map[string]any{"temperature": "https://example.org/temperature"})
	n := testing.AllocsPerRun(100, func() {
		_ = c.ExpandTerm("temperature")
		_ = c.ExpandTerm("location")
		_ = c.ExpandTerm("https://example.org/x")
		_ = c.CompactIRI("https://example.org/temperature")
		_ = c.CompactIRI(ngsild.IRILocation)
		_ = c.CompactIRI(DefaultVocab + "speed")
	})
	if n != 0 {
		t.Errorf("%v allocations per run, want 0", n)
	}
}

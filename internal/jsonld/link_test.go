package jsonld

import (
	"reflect"
	"strings"
	"testing"

	"github.com/dothi-city/dothi/internal/ngsild"
)

func TestParseLink(t *testing.T) {
	const u = "https://example.org/context.jsonld"
	ok := map[string]string{
		`<` + u + `>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`: u,
		Link(u): u,
		`<` + u + `>;rel="http://www.w3.org/ns/json-ld#context"`:                                        u,
		`<https://a.example/next>; rel="next", <` + u + `>; rel="http://www.w3.org/ns/json-ld#context"`: u,
		`<` + u + `>; type=application/ld+json; rel="alternate http://www.w3.org/ns/json-ld#context"`:   u,
		`<https://a.example/next>; rel=next`:                                                            "",
		"":                                                                                              "",
	}
	for h, want := range ok {
		got, err := ParseLink(h)
		if err != nil || got != want {
			t.Errorf("ParseLink(%q) = %q, %v; want %q", h, got, err, want)
		}
	}
	bad := []string{
		u + `; rel="http://www.w3.org/ns/json-ld#context"`,
		`<` + u + `; rel="http://www.w3.org/ns/json-ld#context"`,
		`<` + u + `> rel="http://www.w3.org/ns/json-ld#context"`,
		`<` + u + `>; rel="http://www.w3.org/ns/json-ld#context`,
		`<context.jsonld>; rel="http://www.w3.org/ns/json-ld#context"`,
		`<` + u + `>; rel="http://www.w3.org/ns/json-ld#context", <https://b.example/c>; rel="http://www.w3.org/ns/json-ld#context"`,
	}
	for _, h := range bad {
		if _, err := ParseLink(h); !ngsild.IsType(err, ngsild.ErrBadRequestData) {
			t.Errorf("ParseLink(%q): err = %v, want BadRequestData", h, err)
		}
	}
}

func TestValidate(t *testing.T) {
	v, err := Validate([]byte(`{"@context": ["https://example.org/c.jsonld", {"ex": "https://example.org/", "a": "ex:a"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"https://example.org/c.jsonld", map[string]any{"ex": "https://example.org/", "a": "ex:a"}}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("Validate returned %v", v)
	}
	bad := map[string]string{
		`{"@context": `:                             "not valid JSON",
		`[{"@context": {}}]`:                        "JSON object",
		`{"name": "x"}`:                             "no @context",
		`{"@context": null}`:                        "no @context",
		`{"@context": {"a": 1}}`:                    `"a"`,
		`{"@context": "relative.jsonld"}`:           "absolute",
		`{"@context": [["https://example.org/c"]]}`: "array",
		`{"@context": {"a": {"@id": ["x"]}}}`:       "@id",
		`{"@context": {"x": "y:1", "y": "x:2"}}`:    "cyclic",
		`{"@context": {}} {"@context": {}}`:         "after",
		`{"@context": 42}`:                          "URL, an object or an array",
	}
	for body, part := range bad {
		_, err := Validate([]byte(body))
		if !ngsild.IsType(err, ngsild.ErrBadRequestData) {
			t.Errorf("Validate(%s): err = %v, want BadRequestData", body, err)
			continue
		}
		if !strings.Contains(err.Error(), part) {
			t.Errorf("Validate(%s): %q does not say %q", body, err, part)
		}
	}
}

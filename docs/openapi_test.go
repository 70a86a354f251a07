package docs

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/dothi-city/dothi/internal/ngsild"
)

// loadSpec parses openapi.yaml. yaml.v3 rejects duplicate mapping keys, so a
// successful parse also means no key is defined twice.
func loadSpec(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("openapi.yaml is not valid YAML: %v", err)
	}
	return doc
}

func asMap(v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	return m, ok
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func TestOpenAPIDocument(t *testing.T) {
	doc := loadSpec(t)

	version, _ := doc["openapi"].(string)
	if !strings.HasPrefix(version, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", version)
	}
	info, ok := asMap(doc["info"])
	if !ok {
		t.Fatal("info is missing")
	}
	for _, k := range []string{"title", "version"} {
		if s, _ := info[k].(string); s == "" {
			t.Errorf("info.%s is missing", k)
		}
	}
	for k := range doc {
		switch k {
		case "openapi", "info", "jsonSchemaDialect", "servers", "paths", "webhooks",
			"components", "security", "tags", "externalDocs":
		default:
			if !strings.HasPrefix(k, "x-") {
				t.Errorf("unknown top-level field %q", k)
			}
		}
	}
}

func TestRefsResolve(t *testing.T) {
	doc := loadSpec(t)
	n := 0
	walk(doc, "#", func(path string, node map[string]any) {
		ref, ok := node["$ref"]
		if !ok {
			return
		}
		s, ok := ref.(string)
		if !ok {
			t.Errorf("%s: $ref is not a string", path)
			return
		}
		n++
		if !strings.HasPrefix(s, "#/") {
			t.Errorf("%s: $ref %q is not local to this document", path, s)
			return
		}
		if _, err := resolve(doc, s); err != nil {
			t.Errorf("%s: $ref %q: %v", path, s, err)
		}
	})
	if n == 0 {
		t.Error("no $ref found; the walk is broken")
	}
}

func TestOperations(t *testing.T) {
	doc := loadSpec(t)
	paths, ok := asMap(doc["paths"])
	if !ok || len(paths) == 0 {
		t.Fatal("paths is missing or empty")
	}
	declaredTags := map[string]bool{}
	if tags, ok := doc["tags"].([]any); ok {
		for _, tg := range tags {
			if m, ok := asMap(tg); ok {
				name, _ := m["name"].(string)
				declaredTags[name] = true
			}
		}
	}
	statusRE := regexp.MustCompile(`^([1-5][0-9][0-9]|[1-5]XX|default)$`)
	templateRE := regexp.MustCompile(`\{([^}/]+)\}`)
	opIDs := map[string]string{}

	for _, p := range sortedKeys(paths) {
		if !strings.HasPrefix(p, "/") {
			t.Errorf("path %q does not start with /", p)
		}
		item, ok := asMap(paths[p])
		if !ok {
			t.Errorf("path %q is not an object", p)
			continue
		}
		pathParams := params(t, doc, item["parameters"])
		ops := 0
		for _, method := range httpMethods {
			op, ok := asMap(item[method])
			if !ok {
				continue
			}
			ops++
			where := strings.ToUpper(method) + " " + p

			id, _ := op["operationId"].(string)
			if id == "" {
				t.Errorf("%s: no operationId", where)
			} else if prev, dup := opIDs[id]; dup {
				t.Errorf("%s: operationId %q already used by %s", where, id, prev)
			} else {
				opIDs[id] = where
			}
			if s, _ := op["summary"].(string); strings.TrimSpace(s) == "" {
				t.Errorf("%s: no summary", where)
			}
			responses, ok := asMap(op["responses"])
			if !ok || len(responses) == 0 {
				t.Errorf("%s: no responses", where)
			}
			for code, r := range responses {
				if !statusRE.MatchString(code) {
					t.Errorf("%s: bad response code %q", where, code)
				}
				rm, ok := asMap(r)
				if !ok {
					t.Errorf("%s %s: response is not an object", where, code)
					continue
				}
				if rm, err := deref(doc, rm); err == nil {
					if d, _ := rm["description"].(string); d == "" {
						t.Errorf("%s %s: response has no description", where, code)
					}
				}
			}
			if tags, ok := op["tags"].([]any); ok {
				for _, tg := range tags {
					if name, _ := tg.(string); !declaredTags[name] {
						t.Errorf("%s: tag %q is not declared at top level", where, name)
					}
				}
			}

			// Parameters: unique by (in, name); every path template variable
			// declared as a required path parameter, and nothing else in path.
			all := map[string]map[string]any{}
			for k, v := range pathParams {
				all[k] = v
			}
			for k, v := range params(t, doc, op["parameters"]) {
				all[k] = v // operation level overrides path level
			}
			seen := map[string]bool{}
			for _, pm := range templateRE.FindAllStringSubmatch(p, -1) {
				name := pm[1]
				seen[name] = true
				decl, ok := all["path:"+name]
				if !ok {
					t.Errorf("%s: path parameter {%s} is not declared", where, name)
					continue
				}
				if req, _ := decl["required"].(bool); !req {
					t.Errorf("%s: path parameter {%s} is not required: true", where, name)
				}
			}
			for k := range all {
				if name, ok := strings.CutPrefix(k, "path:"); ok && !seen[name] {
					t.Errorf("%s: path parameter %q is not in the path template", where, name)
				}
			}
		}
		if ops == 0 {
			t.Errorf("path %q has no operation", p)
		}
	}
}

// params resolves a parameter list and indexes it by "in:name", reporting
// duplicates and malformed entries.
func params(t *testing.T, doc map[string]any, v any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	list, _ := v.([]any)
	for i, raw := range list {
		m, ok := asMap(raw)
		if !ok {
			t.Errorf("parameter %d is not an object", i)
			continue
		}
		m, err := deref(doc, m)
		if err != nil {
			t.Errorf("parameter %d: %v", i, err)
			continue
		}
		name, _ := m["name"].(string)
		in, _ := m["in"].(string)
		if name == "" || in == "" {
			t.Errorf("parameter %d lacks name or in", i)
			continue
		}
		switch in {
		case "query", "header", "path", "cookie":
		default:
			t.Errorf("parameter %s: bad in %q", name, in)
		}
		_, hasSchema := m["schema"]
		_, hasContent := m["content"]
		if hasSchema == hasContent {
			t.Errorf("parameter %s: needs exactly one of schema and content", name)
		}
		key := in + ":" + name
		if _, dup := out[key]; dup {
			t.Errorf("parameter %s declared twice", key)
		}
		out[key] = m
	}
	return out
}

// TestErrorStatusesMatchCode checks that the status the document gives each
// NGSI-LD error type is the one internal/ngsild sends, and that every
// ProblemDetails example agrees with it.
func TestErrorStatusesMatchCode(t *testing.T) {
	doc := loadSpec(t)
	et, err := resolve(doc, "#/components/schemas/ErrorType")
	if err != nil {
		t.Fatal(err)
	}
	etm, _ := asMap(et)
	byType, ok := asMap(etm["x-status-by-type"])
	if !ok {
		t.Fatal("ErrorType has no x-status-by-type")
	}
	enum, _ := etm["enum"].([]any)
	if len(enum) != len(byType) {
		t.Errorf("ErrorType enum has %d values, x-status-by-type %d", len(enum), len(byType))
	}
	for _, e := range enum {
		uri, _ := e.(string)
		st, ok := byType[uri].(int)
		if !ok {
			t.Errorf("%s: no status in x-status-by-type", uri)
			continue
		}
		if want := ngsild.ErrorType(uri).Status(); st != want {
			t.Errorf("%s: document says %d, internal/ngsild sends %d", uri, st, want)
		}
	}
	walk(doc, "#", func(path string, node map[string]any) {
		typ, _ := node["type"].(string)
		if !strings.HasPrefix(typ, "https://uri.etsi.org/ngsi-ld/errors/") {
			return
		}
		if _, isSchema := node["enum"]; isSchema {
			return
		}
		st, ok := node["status"].(int)
		if !ok {
			t.Errorf("%s: problem example without integer status", path)
			return
		}
		if want, _ := byType[typ].(int); st != want {
			t.Errorf("%s: %s with status %d, want %d", path, typ, st, want)
		}
		if title, _ := node["title"].(string); title != ngsild.ErrorType(typ).Title() {
			t.Errorf("%s: title %q, want %q", path, title, ngsild.ErrorType(typ).Title())
		}
	})
}

// walk calls fn for every object in the document with its JSON pointer.
func walk(v any, path string, fn func(string, map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		fn(path, x)
		for _, k := range sortedKeys(x) {
			walk(x[k], path+"/"+escapePointer(k), fn)
		}
	case []any:
		for i, e := range x {
			walk(e, path+"/"+strconv.Itoa(i), fn)
		}
	}
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// resolve follows a local JSON pointer ("#/a/b") through the document.
func resolve(doc map[string]any, ref string) (any, error) {
	var cur any = doc
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := cur.(type) {
		case map[string]any:
			next, ok := x[tok]
			if !ok {
				return nil, fmt.Errorf("no member %q", tok)
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, fmt.Errorf("bad index %q", tok)
			}
			cur = x[i]
		default:
			return nil, fmt.Errorf("cannot descend into %T at %q", cur, tok)
		}
	}
	return cur, nil
}

// deref follows $ref chains of a Reference Object.
func deref(doc map[string]any, m map[string]any) (map[string]any, error) {
	for i := 0; i < 16; i++ {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m, nil
		}
		v, err := resolve(doc, ref)
		if err != nil {
			return nil, err
		}
		if m, ok = asMap(v); !ok {
			return nil, fmt.Errorf("%s is not an object", ref)
		}
	}
	return nil, fmt.Errorf("$ref chain too long")
}

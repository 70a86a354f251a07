package ngsild

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

var t1 = t0.Add(time.Hour)

const base = `{"id": "urn:x:1", "type": "T",
  "a": {"type": "Property", "value": 1, "unitCode": "CEL", "observedAt": "2026-01-01T00:00:00.000Z",
        "s": {"type": "Property", "value": "x"}},
  "b": {"type": "Relationship", "object": "urn:y:1"},
  "m": [{"type": "Property", "value": 1}, {"type": "Property", "value": 2, "datasetId": "urn:d:2"}],
  "o": {"type": "Property", "value": {"k1": 1, "k2": {"x": 1, "y": 2}}},
  "l": {"type": "LanguageProperty", "languageMap": {"en": "one", "fr": "un"}}
}`

func fragment(t *testing.T, s string) *Entity {
	t.Helper()
	f, err := ParseFragment(decode(t, s), testExpand, t1)
	if err != nil {
		t.Fatalf("ParseFragment: %v", err)
	}
	return f
}

// kv renders e in keyValues with sysAttrs off, for compact assertions.
func kv(e *Entity) string {
	return string(Render(e, RenderOptions{Format: KeyValues, Compact: testCompact}))
}

func norm(e *Entity, name string) string {
	return string(Render(e, RenderOptions{Compact: testCompact, Attrs: []string{testNS + name}}))
}

func TestAppendAttrs(t *testing.T) {
	e := mustParse(t, base)
	res := AppendAttrs(e, fragment(t, `{"type": "U", "a": 5, "n": {"value": 9}, "m": {"value": 3, "datasetId": "urn:d:3"}}`), false, t1)
	if !reflect.DeepEqual(res.Updated, []string{testNS + "a", testNS + "m", testNS + "n"}) || res.NotUpdated != nil {
		t.Errorf("result = %+v", res)
	}
	a := e.Attr(testNS + "a")
	if a.Value.(interface{ String() string }).String() != "5" || a.UnitCode != "" || a.Sub != nil {
		t.Errorf("a not replaced whole: %+v", a)
	}
	if !a.CreatedAt.Equal(t0) || !a.ModifiedAt.Equal(t1) {
		t.Errorf("a timestamps = %v %v", a.CreatedAt, a.ModifiedAt)
	}
	if n := e.Attr(testNS + "n"); !n.CreatedAt.Equal(t1) {
		t.Errorf("new attribute createdAt = %v", n.CreatedAt)
	}
	if len(e.Attrs[testNS+"m"]) != 3 || !e.HasType(testNS+"U") || !e.ModifiedAt.Equal(t1) {
		t.Errorf("entity after append: %s", kv(e))
	}
}

func TestAppendAttrsNoOverwrite(t *testing.T) {
	e := mustParse(t, base)
	res := AppendAttrs(e, fragment(t, `{"a": 5, "n": 9, "m": [{"value": 7}, {"value": 3, "datasetId": "urn:d:3"}]}`), true, t1)
	if !reflect.DeepEqual(res.Updated, []string{testNS + "m", testNS + "n"}) {
		t.Errorf("updated = %v", res.Updated)
	}
	want := []NotUpdated{
		{testNS + "a", "attribute exists and noOverwrite is set"},
		{testNS + "m", "attribute exists and noOverwrite is set"},
	}
	if !reflect.DeepEqual(res.NotUpdated, want) {
		t.Errorf("notUpdated = %+v", res.NotUpdated)
	}
	if got := kv(e); !strings.Contains(got, `"a":1`) || !strings.Contains(got, `"m":[1,2,3]`) {
		t.Errorf("entity = %s", got)
	}
}

func TestAppendNothingKeepsModifiedAt(t *testing.T) {
	e := mustParse(t, base)
	AppendAttrs(e, fragment(t, `{"a": 5}`), true, t1)
	if !e.ModifiedAt.Equal(t0) {
		t.Errorf("modifiedAt changed without an update")
	}
}

func TestUpdateAttrs(t *testing.T) {
	e := mustParse(t, base)
	res := UpdateAttrs(e, fragment(t, `{"a": 5, "zzz": 1, "m": [{"value": 8, "datasetId": "urn:d:2"}, {"value": 3, "datasetId": "urn:d:9"}]}`), t1)
	if !reflect.DeepEqual(res.Updated, []string{testNS + "a", testNS + "m"}) {
		t.Errorf("updated = %v", res.Updated)
	}
	want := []NotUpdated{
		{testNS + "m", `attribute does not exist: datasetId "urn:d:9"`},
		{testNS + "zzz", "attribute does not exist: the default instance (no datasetId)"},
	}
	if !reflect.DeepEqual(res.NotUpdated, want) {
		t.Errorf("notUpdated = %+v", res.NotUpdated)
	}
	if got := kv(e); !strings.Contains(got, `"a":5`) || !strings.Contains(got, `"m":[1,8]`) || strings.Contains(got, "zzz") {
		t.Errorf("entity = %s", got)
	}
}

func TestUpdateAttrsNullDeletes(t *testing.T) {
	e := mustParse(t, base)
	res := UpdateAttrs(e, fragment(t, `{"b": {"type": "Relationship", "object": "urn:ngsi-ld:null"}}`), t1)
	if len(res.Updated) != 1 || e.Attrs[testNS+"b"] != nil {
		t.Errorf("b not deleted: %+v %s", res, kv(e))
	}
}

func TestPartialUpdateAttr(t *testing.T) {
	e := mustParse(t, base)
	frag := fragment(t, `{"a": {"value": 7, "observedAt": "2026-02-01T00:00:00Z", "s2": 1}}`)
	if err := PartialUpdateAttr(e, testNS+"a", frag, t1); err != nil {
		t.Fatal(err)
	}
	want := `{"id":"urn:x:1","type":"T","a":{"type":"Property","value":7,"observedAt":"2026-02-01T00:00:00.000Z","unitCode":"CEL",` +
		`"s":{"type":"Property","value":"x"},"s2":{"type":"Property","value":1}}}`
	if got := norm(e, "a"); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if a := e.Attr(testNS + "a"); !a.CreatedAt.Equal(t0) || !a.ModifiedAt.Equal(t1) || !e.ModifiedAt.Equal(t1) {
		t.Errorf("timestamps: %v %v %v", a.CreatedAt, a.ModifiedAt, e.ModifiedAt)
	}
}

func TestPartialUpdateAttrObjectValueReplaced(t *testing.T) {
	e := mustParse(t, base)
	frag := fragment(t, `{"o": {"value": {"k1": 2}}}`)
	if err := PartialUpdateAttr(e, testNS+"o", frag, t1); err != nil {
		t.Fatal(err)
	}
	if got := kv(e); !strings.Contains(got, `"o":{"k1":2}`) {
		t.Errorf("value not replaced: %s", got)
	}
}

func TestPartialUpdateAttrErrors(t *testing.T) {
	e := mustParse(t, base)
	before := kv(e)
	frag := fragment(t, `{"zz": {"value": 1}}`)
	if err := PartialUpdateAttr(e, testNS+"zz", frag, t1); !IsType(err, ErrResourceNotFound) {
		t.Errorf("missing attribute: %v", err)
	}
	frag = fragment(t, `{"m": [{"value": 1}, {"value": 2, "datasetId": "urn:d:9"}]}`)
	err := PartialUpdateAttr(e, testNS+"m", frag, t1)
	if !IsType(err, ErrResourceNotFound) || !strings.Contains(err.Error(), `datasetId "urn:d:9"`) {
		t.Errorf("missing instance: %v", err)
	}
	frag = fragment(t, `{"a": {"type": "Relationship"}}`)
	if err := PartialUpdateAttr(e, testNS+"a", frag, t1); !IsType(err, ErrBadRequestData) {
		t.Errorf("type change without object: %v", err)
	}
	if err := PartialUpdateAttr(e, testNS+"a", fragment(t, `{"b": 1}`), t1); !IsType(err, ErrBadRequestData) {
		t.Errorf("fragment without the attribute: %v", err)
	}
	if kv(e) != before || !e.ModifiedAt.Equal(t0) {
		t.Errorf("failed update changed the entity: %s", kv(e))
	}
}

func TestMergeEntity(t *testing.T) {
	e := mustParse(t, base)
	frag := fragment(t, `{"type": "U",
	  "a": {"value": 2, "s": "urn:ngsi-ld:null", "unitCode": "urn:ngsi-ld:null", "s3": {"value": 3}},
	  "b": "urn:ngsi-ld:null",
	  "m": {"value": "urn:ngsi-ld:null", "datasetId": "urn:d:2"},
	  "o": {"value": {"k1": "urn:ngsi-ld:null", "k2": {"y": 3, "z": 4}, "k3": [1]}},
	  "l": {"languageMap": {"fr": "urn:ngsi-ld:null", "de": "eins"}},
	  "new": {"value": 1, "gone": null},
	  "absent": null}`)
	if err := MergeEntity(e, frag, t1); err != nil {
		t.Fatal(err)
	}
	want := `{"id":"urn:x:1","type":["T","U"],` +
		`"a":{"type":"Property","value":2,"observedAt":"2026-01-01T00:00:00.000Z","s3":{"type":"Property","value":3}},` +
		`"l":{"type":"LanguageProperty","languageMap":{"de":"eins","en":"one"}},` +
		`"m":{"type":"Property","value":1},` +
		`"new":{"type":"Property","value":1},` +
		`"o":{"type":"Property","value":{"k2":{"x":1,"y":3,"z":4},"k3":[1]}}}`
	if got := string(Render(e, normOpts)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	a := e.Attr(testNS + "a")
	if !a.CreatedAt.Equal(t0) || !a.ModifiedAt.Equal(t1) || !a.SubAttr(testNS+"s3").CreatedAt.Equal(t1) {
		t.Errorf("timestamps: %+v", a)
	}
}

func TestMergeEntityTypeChangeAndErrors(t *testing.T) {
	e := mustParse(t, base)
	if err := MergeEntity(e, fragment(t, `{"b": 5}`), t1); err != nil {
		t.Fatal(err)
	}
	if got := norm(e, "b"); !strings.Contains(got, `"b":{"type":"Property","value":5}`) {
		t.Errorf("b = %s", got)
	}
	before := kv(e)
	err := MergeEntity(e, fragment(t, `{"a": 9, "q": {"unitCode": "C"}}`), t1.Add(time.Hour))
	if !IsType(err, ErrBadRequestData) || !strings.Contains(err.Error(), "has no value") {
		t.Errorf("new attribute without value: %v", err)
	}
	if kv(e) != before {
		t.Errorf("failed merge changed the entity")
	}
}

func TestReplaceEntity(t *testing.T) {
	old := mustParse(t, base)
	repl, _ := ParseEntity(decode(t, `{"id": "urn:x:1", "type": "V", "a": 3, "z": 4}`), testExpand, t1)
	r := ReplaceEntity(old, repl, t1)
	if got := kv(r); got != `{"id":"urn:x:1","type":"V","a":3,"z":4}` {
		t.Errorf("replaced = %s", got)
	}
	if !r.CreatedAt.Equal(t0) || !r.ModifiedAt.Equal(t1) {
		t.Errorf("entity timestamps %v %v", r.CreatedAt, r.ModifiedAt)
	}
	if !r.Attr(testNS+"a").CreatedAt.Equal(t0) || !r.Attr(testNS+"z").CreatedAt.Equal(t1) {
		t.Errorf("attribute createdAt not kept for a / not new for z")
	}
}

func TestDeleteAttr(t *testing.T) {
	e := mustParse(t, base)
	if err := DeleteAttr(e, testNS+"m", "urn:d:2", false, t1); err != nil {
		t.Fatal(err)
	}
	if len(e.Attrs[testNS+"m"]) != 1 || !e.ModifiedAt.Equal(t1) {
		t.Errorf("m = %v", e.Attrs[testNS+"m"])
	}
	if err := DeleteAttr(e, testNS+"m", "urn:d:2", false, t1); !IsType(err, ErrResourceNotFound) {
		t.Errorf("deleting a missing instance: %v", err)
	}
	if err := DeleteAttr(e, testNS+"m", "", false, t1); err != nil || e.Attrs[testNS+"m"] != nil {
		t.Errorf("last instance: %v %v", err, e.Attrs[testNS+"m"])
	}
	mustDel := mustParse(t, base)
	if err := DeleteAttr(mustDel, testNS+"m", "", true, t1); err != nil || mustDel.Attrs[testNS+"m"] != nil {
		t.Errorf("deleteAll: %v", err)
	}
	if err := DeleteAttr(mustDel, testNS+"nope", "", true, t1); !IsType(err, ErrResourceNotFound) {
		t.Errorf("deleting a missing attribute: %v", err)
	}
}

func TestPartialUpdateAttrNullDeletesInstance(t *testing.T) {
	e := mustParse(t, base)
	if err := PartialUpdateAttr(e, testNS+"m", fragment(t, `{"m": {"value": null, "datasetId": "urn:d:2"}}`), t1); err != nil {
		t.Fatal(err)
	}
	if got := kv(e); !strings.Contains(got, `"m":1`) {
		t.Errorf("instance not deleted: %s", got)
	}
}

func TestReplaceAttr(t *testing.T) {
	e := mustParse(t, base)
	if err := ReplaceAttr(e, testNS+"a", fragment(t, `{"a": {"value": 9, "n": 1}}`), t1); err != nil {
		t.Fatal(err)
	}
	want := `{"id":"urn:x:1","type":"T","a":{"type":"Property","value":9,"n":{"type":"Property","value":1}}}`
	if got := norm(e, "a"); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if a := e.Attr(testNS + "a"); !a.CreatedAt.Equal(t0) || !a.ModifiedAt.Equal(t1) {
		t.Errorf("timestamps %v %v", a.CreatedAt, a.ModifiedAt)
	}
	before := kv(e)
	if err := ReplaceAttr(e, testNS+"a", fragment(t, `{"a": {"unitCode": "C"}}`), t1); !IsType(err, ErrBadRequestData) {
		t.Errorf("incomplete replacement: %v", err)
	}
	if err := ReplaceAttr(e, testNS+"q", fragment(t, `{"q": 1}`), t1); !IsType(err, ErrResourceNotFound) {
		t.Errorf("missing attribute: %v", err)
	}
	if kv(e) != before {
		t.Errorf("failed replace changed the entity")
	}
}

func TestAppendIncompleteAttr(t *testing.T) {
	e := mustParse(t, base)
	res := AppendAttrs(e, fragment(t, `{"q": {"unitCode": "C"}, "r": null}`), false, t1)
	want := []NotUpdated{{testNS + "q", "the attribute has no value"}, {testNS + "r", "a Property must have a value"}}
	if res.Updated != nil || !reflect.DeepEqual(res.NotUpdated, want) {
		t.Errorf("result = %+v", res)
	}
}

func TestMergeEmptyLanguageMap(t *testing.T) {
	e := mustParse(t, base)
	err := MergeEntity(e, fragment(t, `{"l": {"languageMap": {"en": "urn:ngsi-ld:null", "fr": "urn:ngsi-ld:null"}}}`), t1)
	if !IsType(err, ErrBadRequestData) || !strings.Contains(err.Error(), "languageMap empty") {
		t.Errorf("err = %v", err)
	}
}

func TestAppendDropsNullSubAttrs(t *testing.T) {
	e := mustParse(t, base)
	AppendAttrs(e, fragment(t, `{"n": {"value": 1, "s": null, "unitCode": "urn:ngsi-ld:null"}}`), false, t1)
	if n := e.Attr(testNS + "n"); n.Sub != nil || n.UnitCode != "" {
		t.Errorf("null members stored: %+v", n)
	}
}

func TestNewEntity(t *testing.T) {
	e := mustParse(t, base)
	n := NewEntity(e, t1)
	if !n.CreatedAt.Equal(t1) || !n.Attr(testNS+"a").SubAttr(testNS+"s").CreatedAt.Equal(t1) || !n.Attr(testNS+"a").ModifiedAt.Equal(t1) {
		t.Errorf("timestamps not set")
	}
	if !e.CreatedAt.Equal(t0) {
		t.Errorf("NewEntity modified its argument")
	}
}

// FuzzUpdates checks that no fragment makes an update panic, and that
// whatever the updates produce is still a valid entity.
func FuzzUpdates(f *testing.F) {
	for _, s := range []string{`{"a": 5}`, `{"a": {"s": null, "value": {"x": null}}}`, `{"l": {"languageMap": {"en": "urn:ngsi-ld:null"}}}`,
		`{"o": {"value": {"k2": {"x": "urn:ngsi-ld:null"}}}, "m": [{"value": null}, {"value": 1, "datasetId": "urn:d:2"}]}`,
		`{"b": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [1, 2]}}, "type": "X"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		var m map[string]any
		if d.Decode(&m) != nil || m == nil {
			return
		}
		frag, err := ParseFragment(m, testExpand, t1)
		if err != nil {
			return
		}
		base := mustParse(t, base)
		for name, apply := range map[string]func(e *Entity){
			"append":  func(e *Entity) { AppendAttrs(e, frag, false, t1) },
			"update":  func(e *Entity) { UpdateAttrs(e, frag, t1) },
			"merge":   func(e *Entity) { _ = MergeEntity(e, frag, t1) },
			"partial": func(e *Entity) { _ = PartialUpdateAttr(e, testNS+"a", frag, t1) },
			"replace": func(e *Entity) { _ = ReplaceAttr(e, testNS+"o", frag, t1) },
		} {
			e := base.Clone()
			apply(e)
			out := Render(e, normOpts)
			if _, err := ParseEntity(decode(t, string(out)), testExpand, t0); err != nil {
				t.Fatalf("%s produced an invalid entity: %v\n%s", name, err, out)
			}
		}
	})
}

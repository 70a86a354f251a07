package ngsild

import (
	"strings"
	"testing"
)

// Unit tests of the fixes of the spec review; internal/httpapi has the
// end-to-end ones.

// parseBoth parses s with ParseEntity and checks that ParseEntityJSON does
// not accept what ParseEntity rejects.
func parseBoth(t *testing.T, s string) (*Entity, error) {
	t.Helper()
	e, err := ParseEntity(decode(t, s), testExpand, t0)
	if _, ok := ParseEntityJSON([]byte(s), testExpand, t0); ok && err != nil {
		t.Errorf("ParseEntityJSON accepts %s, which ParseEntity rejects: %v", s, err)
	}
	return e, err
}

func wantBadData(t *testing.T, err error, fragments ...string) {
	t.Helper()
	if !IsType(err, ErrBadRequestData) {
		t.Fatalf("err = %v, want BadRequestData", err)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not mention %q", err, f)
		}
	}
}

func TestReservedAttributeNames(t *testing.T) {
	expand := func(term string) string {
		switch term {
		case "made":
			return IRICreatedAt
		case "ident":
			return "@id"
		}
		return testExpand(term)
	}
	for _, name := range []string{"@id", "@type", "@x", "observedAt", "unitCode", "datasetId", "scope", "value", "object",
		"instanceId", "lang", IRICreatedAt, IRIModifiedAt, IRIObservedAt, IRIUnitCode, IRIDatasetID, CoreNS + "hasValue", IRIObjectType, "made", "ident"} {
		for _, body := range []string{
			`{"id":"urn:x:1","type":"T","` + name + `":{"type":"Property","value":1}}`,
			`{"id":"urn:x:1","type":"T","p":{"type":"Property","value":1,"` + name + `":{"type":"Property","value":2}}}`,
		} {
			sub := strings.Contains(body, `"p"`)
			if name == "scope" && !sub || attrKeywords[name] && sub {
				continue // members with their own meaning
			}
			_, err := ParseEntity(decode(t, body), expand, t0)
			wantBadData(t, err, name, "reserved")
			if _, ok := ParseEntityJSON([]byte(body), expand, t0); ok {
				t.Errorf("ParseEntityJSON accepts %s", body)
			}
			_, err = ParseFragment(decode(t, body), expand, t0)
			wantBadData(t, err, "reserved")
		}
	}
	// Names near the reserved ones are fine, and so is location.
	mustParse(t, `{"id":"urn:x:1","type":"T","identity":1,"values":2,"location":{"type":"Point","coordinates":[1,2]},
		"https://uri.etsi.org/ngsi-ld/default-context/createdAt":3}`)
}

func TestNumbersOutOfRange(t *testing.T) {
	for _, c := range []struct{ body, name string }{
		{`{"id":"urn:x:1","type":"T","p":{"type":"Property","value":1e400}}`, `"p"`},
		{`{"id":"urn:x:1","type":"T","p":{"type":"Property","value":-1E+309}}`, `"p"`},
		{`{"id":"urn:x:1","type":"T","p":{"type":"Property","value":[1,{"a":2e308}]}}`, `"p"`},
		{`{"id":"urn:x:1","type":"T","p":1e999}`, `"p"`},
		{`{"id":"urn:x:1","type":"T","p":{"type":"Property","value":1,"q":{"value":9e999}}}`, `"p.q"`},
		{`{"id":"urn:x:1","type":"T","p":{"type":"Property","value":1` + strings.Repeat("0", 320) + `}}`, `"p"`},
	} {
		_, err := parseBoth(t, c.body)
		wantBadData(t, err, c.name, "outside the range")
	}
	for _, ok := range []string{"1e-400", "1.7976931348623157e308", "-0", "123456789012345678901234567890", "1" + strings.Repeat("0", 300)} {
		if _, err := parseBoth(t, `{"id":"urn:x:1","type":"T","p":{"type":"Property","value":`+ok+`}}`); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

func TestURIAndNameLimits(t *testing.T) {
	long := "urn:x:" + strings.Repeat("a", MaxIDLen-6)
	for s, want := range map[string]bool{
		long: true, long + "a": false,
		"https://a.b/c?d=e&f#g": true, "urn:x:a%20b": true, "urn:x:Trạm": true, "urn:x:a/b:c@d!$'()*+,;=": true,
		"urn:x:a b": false, "urn:x:<a>": false, `urn:x:"a"`: false, "urn:x:{a}": false, "urn:x:a|b": false,
		`urn:x:a\b`: false, "urn:x:a^b": false, "urn:x:a`b": false, "urn:x:a\x7f": false, "urn:x:a\u0085": false,
		"urn:x:a\xff": false, "urn:x:a\tb": false,
	} {
		if err := ValidateURI(s); (err == nil) != want {
			t.Errorf("ValidateURI(%.40q) = %v, want ok %v", s, err, want)
		}
	}
	_, err := parseBoth(t, `{"id":"`+long+`a","type":"T"}`)
	wantBadData(t, err, "entity id", "2048")
	_, err = parseBoth(t, `{"id":"urn:x:a|b","type":"T"}`)
	wantBadData(t, err, "entity id", `"|"`)
	name := strings.Repeat("n", MaxNameLen)
	if _, err := parseBoth(t, `{"id":"urn:x:1","type":"`+name+`","`+name+`":1}`); err != nil {
		t.Errorf("names of %d bytes: %v", MaxNameLen, err)
	}
	_, err = parseBoth(t, `{"id":"urn:x:1","type":"T","`+name+`x":1}`)
	wantBadData(t, err, "attribute name", "512")
	_, err = parseBoth(t, `{"id":"urn:x:1","type":"`+name+`x"}`)
	wantBadData(t, err, "entity type", "512")
	_, err = parseBoth(t, `{"id":"urn:x:1","type":"T","p":{"type":"Property","value":1,"`+name+`x":1}}`)
	wantBadData(t, err, "512")
}

const geoBase = `{"id":"urn:x:1","type":"T",
  "area":{"type":"GeoProperty","value":{"type":"Point","coordinates":[1,2]},"s":{"type":"GeoProperty","value":{"type":"Point","coordinates":[0,0]}}},
  "r":{"type":"Relationship","object":"urn:y:1"}}`

func TestFragmentKeepsAttributeType(t *testing.T) {
	point := `{"type":"Point","coordinates":[3,4]}`
	checkArea := func(e *Entity, what string) {
		t.Helper()
		a := e.Attr(testNS + "area")
		if a.Type != TypeGeoProperty || a.Geometry == nil || a.Geometry.String() != point || a.Value != nil {
			t.Errorf("%s: area = %s", what, norm(e, "area"))
		}
	}
	e := mustParse(t, geoBase)
	if err := MergeEntity(e, fragment(t, `{"area":{"value":`+point+`}}`), t1); err != nil {
		t.Fatal(err)
	}
	checkArea(e, "merge")
	e = mustParse(t, geoBase)
	if err := PartialUpdateAttr(e, testNS+"area", fragment(t, `{"area":{"value":`+point+`}}`), t1); err != nil {
		t.Fatal(err)
	}
	checkArea(e, "partial update")
	e = mustParse(t, geoBase)
	if res := UpdateAttrs(e, fragment(t, `{"area":{"value":`+point+`}}`), t1); len(res.NotUpdated) > 0 {
		t.Fatal(res)
	}
	checkArea(e, "update")
	e = mustParse(t, geoBase)
	if res := AppendAttrs(e, fragment(t, `{"area":{"value":`+point+`}}`), false, t1); len(res.NotUpdated) > 0 {
		t.Fatal(res)
	}
	checkArea(e, "append")
	// Sub-attributes too.
	e = mustParse(t, geoBase)
	if err := MergeEntity(e, fragment(t, `{"area":{"s":{"value":`+point+`}}}`), t1); err != nil {
		t.Fatal(err)
	}
	if s := e.Attr(testNS + "area").SubAttr(testNS + "s"); s.Type != TypeGeoProperty || s.Geometry.String() != point {
		t.Errorf("sub-attribute: %s", norm(e, "area"))
	}
	// An invalid geometry, or a value for a Relationship, is an error and
	// changes nothing; a new attribute is a Property.
	e = mustParse(t, geoBase)
	before := kv(e)
	wantBadData(t, MergeEntity(e, fragment(t, `{"area":{"value":{"type":"Point","coordinates":[1000,0]}}}`), t1), "area", "longitude")
	wantBadData(t, MergeEntity(e, fragment(t, `{"r":{"value":"urn:y:2"}}`), t1), "Relationship")
	if kv(e) != before {
		t.Errorf("failed merge changed the entity: %s", kv(e))
	}
	if err := MergeEntity(e, fragment(t, `{"n":{"value":`+point+`}}`), t1); err != nil || e.Attr(testNS+"n").Type != TypeProperty {
		t.Errorf("new attribute: %v %s", err, norm(e, "n"))
	}
}

func TestMergeNullMembers(t *testing.T) {
	for _, null := range []string{"null", `"urn:ngsi-ld:null"`} {
		e := mustParse(t, base)
		if err := MergeEntity(e, fragment(t, `{"a":{"observedAt":`+null+`,"unitCode":`+null+`},"l":{"languageMap":{"fr":`+null+`}}}`), t1); err != nil {
			t.Fatal(err)
		}
		a := e.Attr(testNS + "a")
		if !a.ObservedAt.IsZero() || a.UnitCode != "" || a.Value == nil {
			t.Errorf("%s: a = %s", null, norm(e, "a"))
		}
		if lm := e.Attr(testNS + "l").LanguageMap; len(lm) != 1 || lm["en"] != "one" {
			t.Errorf("%s: l = %v", null, lm)
		}
	}
	// Appended whole, a null observedAt or unitCode is just absent.
	e := mustParse(t, base)
	AppendAttrs(e, fragment(t, `{"n":{"value":1,"observedAt":null,"unitCode":null}}`), false, t1)
	if got := norm(e, "n"); !strings.Contains(got, `"n":{"type":"Property","value":1}`) {
		t.Errorf("appended: %s", got)
	}
	// Only fragments take null.
	_, err := parseBoth(t, `{"id":"urn:x:1","type":"T","p":{"type":"Property","value":1,"observedAt":null}}`)
	wantBadData(t, err, "observedAt")
	_, err = parseBoth(t, `{"id":"urn:x:1","type":"T","l":{"type":"LanguageProperty","languageMap":{"en":null}}}`)
	wantBadData(t, err, "languageMap")
}

func TestRelationshipObjectType(t *testing.T) {
	e := mustParse(t, `{"id":"urn:x:1","type":"T","r":{"type":"Relationship","object":"urn:y:1","objectType":"Device"},
		"rs":{"object":"urn:y:2","objectType":["Device","https://other.org/Thing"],"since":{"value":1}}}`)
	if got := e.Attr(testNS + "r").ObjectType(); len(got) != 1 || got[0] != testNS+"Device" {
		t.Errorf("ObjectType = %v", got)
	}
	want := `{"id":"urn:x:1","type":"T","r":{"type":"Relationship","object":"urn:y:1","objectType":"Device"},` +
		`"rs":{"type":"Relationship","object":"urn:y:2","objectType":["Device","https://other.org/Thing"],"since":{"type":"Property","value":1}}}`
	if got := string(Render(e, normOpts)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	concise := Render(e, RenderOptions{Format: Concise, Compact: testCompact})
	if again := Render(mustParse(t, string(concise)), normOpts); string(again) != want {
		t.Errorf("concise round trip: %s", again)
	}
	// A fragment without a type may change it on a Relationship only.
	if err := MergeEntity(e, fragment(t, `{"r":{"objectType":"Sensor"}}`), t1); err != nil {
		t.Fatal(err)
	}
	if got := norm(e, "r"); !strings.Contains(got, `"objectType":"Sensor"`) {
		t.Errorf("objectType not merged: %s", got)
	}
	e.Attrs[testNS+"p"] = []*Attribute{{Type: TypeProperty, Value: "x"}}
	wantBadData(t, MergeEntity(e, fragment(t, `{"p":{"objectType":"Sensor"}}`), t1), "objectType")
	// A type change drops it.
	if err := MergeEntity(e, fragment(t, `{"r":{"type":"Property","value":1}}`), t1); err != nil {
		t.Fatal(err)
	}
	if got := norm(e, "r"); strings.Contains(got, "objectType") || len(e.Attr(testNS+"r").Sub) != 0 {
		t.Errorf("after type change: %s", got)
	}
	for _, body := range []string{
		`{"id":"urn:x:1","type":"T","p":{"type":"Property","value":1,"objectType":"Device"}}`,
		`{"id":"urn:x:1","type":"T","r":{"object":"urn:y:1","objectType":[]}}`,
		`{"id":"urn:x:1","type":"T","r":{"object":"urn:y:1","objectType":3}}`,
		`{"id":"urn:x:1","type":"T","r":{"object":"urn:y:1","objectType":"a;b"}}`,
	} {
		_, err := parseBoth(t, body)
		wantBadData(t, err, "objectType")
	}
}

func TestUnsupportedAttributeTypes(t *testing.T) {
	for _, body := range []string{
		`{"id":"urn:x:1","type":"T","p":{"type":"VocabProperty","vocab":"x"}}`,
		`{"id":"urn:x:1","type":"T","p":{"type":"JsonProperty","json":{"a":1}}}`,
		`{"id":"urn:x:1","type":"T","p":{"valueList":[1,2]}}`,
		`{"id":"urn:x:1","type":"T","p":{"type":"ListRelationship","objectList":[{"object":"urn:y:1"}]}}`,
	} {
		_, err := parseBoth(t, body)
		wantBadData(t, err, "not supported yet")
	}
}

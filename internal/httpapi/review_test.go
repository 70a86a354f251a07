package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// End-to-end tests of the fixes of the spec review: each names its finding.

const areaEntity = `{"id":"urn:ngsi-ld:Park:1","type":"Park",
	"area":{"type":"GeoProperty","value":{"type":"Polygon","coordinates":[[[107,10],[107.1,10],[107.1,10.1],[107,10]]]}},
	"name":{"type":"LanguageProperty","languageMap":{"vi":"Công viên","en":"Park"}},
	"pm25":{"type":"Property","value":3,"unitCode":"GQ","observedAt":"2026-11-23T08:00:00Z"},
	"owner":{"type":"Relationship","object":"urn:ngsi-ld:Org:1"}}`

const parkPath = "/ngsi-ld/v1/entities/urn:ngsi-ld:Park:1"

// B1: names that are JSON-LD keywords or NGSI-LD member names, as written
// or after expansion by a user @context, are rejected.
func TestReservedAttributeNamesAreRejected(t *testing.T) {
	a := newAPI(t)
	entity := func(attrs string) string { return `{"id":"urn:x:1","type":"T",` + attrs + `}` }
	for _, c := range []struct{ body, name string }{
		{entity(`"@id":{"type":"Property","value":"urn:y:1"}`), "@id"},
		{entity(`"@type":{"type":"Property","value":"U"}`), "@type"},
		{entity(`"@anything":1`), "@anything"},
		{entity(`"observedAt":{"type":"Property","value":1}`), "observedAt"},
		{entity(`"unitCode":"C"`), "unitCode"},
		{entity(`"datasetId":{"type":"Property","value":1}`), "datasetId"},
		{entity(`"https://uri.etsi.org/ngsi-ld/createdAt":{"type":"Property","value":1}`), "createdAt"},
		{entity(`"ngsi-ld:modifiedAt":{"type":"Property","value":1}`), "modifiedAt"},
		{entity(`"p":{"type":"Property","value":1,"id":{"type":"Property","value":2}}`), "id"},
		{entity(`"p":{"type":"Property","value":1,"@type":{"type":"Property","value":2}}`), "@type"},
		{entity(`"p":{"type":"Property","value":1,"https://uri.etsi.org/ngsi-ld/createdAt":{"type":"Property","value":2}}`), "createdAt"},
	} {
		a.do("POST", "/ngsi-ld/v1/entities", c.body).problem(t, 400, "BadRequestData", c.name, "reserved")
	}
	// Mapped there by a user @context.
	ld := `{"id":"urn:x:2","type":"T","@context":[{"made":"https://uri.etsi.org/ngsi-ld/createdAt","ident":"@id"},
		"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"],`
	a.do("POST", "/ngsi-ld/v1/entities", ld+`"made":{"type":"Property","value":1}}`, "Content-Type", "application/ld+json").
		problem(t, 400, "BadRequestData", "made", "reserved")
	a.do("POST", "/ngsi-ld/v1/entities", ld+`"ident":{"type":"Property","value":"urn:y:1"}}`, "Content-Type", "application/ld+json").
		problem(t, 400, "BadRequestData", "ident", "reserved")
	// The same through a batch (the parse-from-text path) and the update operations.
	r := a.do("POST", "/ngsi-ld/v1/entityOperations/upsert", `[`+entity(`"@id":{"type":"Property","value":"urn:y:1"}`)+`]`).want(t, http.StatusMultiStatus)
	if !strings.Contains(string(r.body), "reserved") {
		t.Errorf("batch upsert: %s", r.body)
	}
	a.do("POST", "/ngsi-ld/v1/entities", stationBaiTruoc).want(t, http.StatusCreated)
	a.do("PATCH", baiTruocPath, `{"@type":"Foo"}`).problem(t, 400, "BadRequestData", "@type")
	a.do("POST", baiTruocPath+"/attrs", `{"createdAt":{"type":"Property","value":1},"observedAt":{"type":"Property","value":1}}`).
		problem(t, 400, "BadRequestData", "observedAt")
	a.do("PATCH", baiTruocPath+"/attrs/@id", `{"value":1}`).problem(t, 400, "BadRequestData", "@id")
	got := a.do("GET", baiTruocPath+"?options=sysAttrs", "").want(t, http.StatusOK).body
	if strings.Count(string(got), `"id"`) != 1 || strings.Contains(string(got), `"@`) || strings.Contains(string(got), `"observedAt":{`) {
		t.Errorf("duplicate members: %s", got)
	}
}

// B2: a fragment without a type keeps the type of the existing attribute:
// a GeoJSON value for a GeoProperty not named location is a geometry.
func TestFragmentKeepsGeoPropertyType(t *testing.T) {
	a := newAPI(t)
	a.do("POST", "/ngsi-ld/v1/entities", areaEntity).want(t, http.StatusCreated)
	area := func() map[string]any {
		t.Helper()
		return a.do("GET", parkPath+"?attrs=area", "").want(t, http.StatusOK).object(t)["area"].(map[string]any)
	}
	a.do("PATCH", parkPath, `{"area":{"value":{"type":"Point","coordinates":[3,4]}}}`).want(t, http.StatusNoContent)
	got := area()
	if got["type"] != "GeoProperty" || got["value"].(map[string]any)["type"] != "Point" {
		t.Fatalf("merge turned area into %v", got)
	}
	a.do("PATCH", parkPath+"/attrs/area", `{"value":{"type":"Point","coordinates":[5,6]}}`).want(t, http.StatusNoContent)
	if got := area(); got["type"] != "GeoProperty" || got["value"].(map[string]any)["coordinates"].([]any)[0] != 5.0 {
		t.Fatalf("partial update turned area into %v", got)
	}
	a.do("PATCH", parkPath+"/attrs", `{"area":{"value":{"type":"Point","coordinates":[7,8]}}}`).want(t, http.StatusNoContent)
	if got := area(); got["type"] != "GeoProperty" || got["value"].(map[string]any)["coordinates"].([]any)[0] != 7.0 {
		t.Fatalf("update turned area into %v", got)
	}
	a.do("PATCH", parkPath, `{"area":{"value":{"type":"Point","coordinates":[700,8]}}}`).problem(t, 400, "BadRequestData", "area", "longitude")
	a.do("PATCH", parkPath, `{"area":{"value":{"x":1}}}`).problem(t, 400, "BadRequestData", "area")
	// An explicit type still changes it.
	a.do("PATCH", parkPath, `{"area":{"type":"Property","value":{"x":1}}}`).want(t, http.StatusNoContent)
	if got := area(); got["type"] != "Property" {
		t.Fatalf("explicit type ignored: %v", got)
	}
}

// B8: a body that is not valid UTF-8 is rejected, not repaired.
func TestInvalidUTF8BodyIsRejected(t *testing.T) {
	a := newAPI(t)
	bad := `{"id":"urn:x:1","type":"T","name":{"type":"Property","value":"Tr` + "\xe1\xba" + `m"}}`
	a.do("POST", "/ngsi-ld/v1/entities", bad).problem(t, 400, "InvalidRequest", "not valid UTF-8")
	a.do("POST", "/ngsi-ld/v1/entityOperations/upsert", "["+bad+"]").problem(t, 400, "InvalidRequest", "not valid UTF-8")
	a.do("POST", "/ngsi-ld/v1/entities", stationBaiTruoc).want(t, http.StatusCreated)
	a.do("PATCH", baiTruocPath, `{"name":"`+"\xff"+`"}`).problem(t, 400, "InvalidRequest", "not valid UTF-8")
	a.do("GET", "/ngsi-ld/v1/entities/urn:x:1", "").problem(t, 404, "ResourceNotFound")
}

// R1: numbers outside the float64 range are rejected, naming the attribute.
func TestOutOfRangeNumbersAreRejected(t *testing.T) {
	a := newAPI(t)
	a.do("POST", "/ngsi-ld/v1/entities", `{"id":"urn:x:1","type":"T","big":{"type":"Property","value":1e400}}`).
		problem(t, 400, "BadRequestData", "big", "1e400")
	a.do("POST", "/ngsi-ld/v1/entities", `{"id":"urn:x:1","type":"T","deep":{"type":"Property","value":{"a":[1,-1e400]}}}`).
		problem(t, 400, "BadRequestData", "deep", "-1e400")
	a.do("POST", "/ngsi-ld/v1/entities", `{"id":"urn:x:1","type":"T","p":{"type":"Property","value":1,"q":1E309}}`).
		problem(t, 400, "BadRequestData", "p.q")
	r := a.do("POST", "/ngsi-ld/v1/entityOperations/upsert", `[{"id":"urn:x:1","type":"T","big":{"type":"Property","value":-1e400}}]`).want(t, http.StatusMultiStatus)
	if !strings.Contains(string(r.body), "big") || !strings.Contains(string(r.body), "outside the range") {
		t.Errorf("batch upsert: %s", r.body)
	}
	a.do("POST", "/ngsi-ld/v1/entities", stationBaiTruoc).want(t, http.StatusCreated)
	a.do("PATCH", baiTruocPath, `{"pm25":{"type":"Property","value":1e400}}`).problem(t, 400, "BadRequestData", "pm25")
	a.do("POST", "/ngsi-ld/v1/entities", `{"id":"urn:x:2","type":"T","small":{"type":"Property","value":1e-400},"max":1.7976931348623157e308}`).want(t, http.StatusCreated)
}

// R2/R3: length limits and the characters a URI cannot hold.
func TestIDAndNameLimits(t *testing.T) {
	a := newAPI(t)
	id := "urn:ngsi-ld:T:" + strings.Repeat("x", 2048-len("urn:ngsi-ld:T:"))
	a.do("POST", "/ngsi-ld/v1/entities", `{"id":"`+id+`","type":"T"}`).want(t, http.StatusCreated)
	a.do("POST", "/ngsi-ld/v1/entities", `{"id":"`+id+`y","type":"T"}`).problem(t, 400, "BadRequestData", "2048")
	a.do("GET", "/ngsi-ld/v1/entities/"+id+"y", "").problem(t, 400, "BadRequestData", "2048")
	name := strings.Repeat("n", 513)
	a.do("POST", "/ngsi-ld/v1/entities", `{"id":"urn:x:1","type":"T","`+name+`":1}`).problem(t, 400, "BadRequestData", "512")
	a.do("POST", "/ngsi-ld/v1/entities", `{"id":"urn:x:1","type":"`+name+`"}`).problem(t, 400, "BadRequestData", "512")
	a.do("POST", "/ngsi-ld/v1/entities", `{"id":"urn:x:1","type":"T","`+name[1:]+`":1}`).want(t, http.StatusCreated)
	for _, bad := range []string{"urn:x:a b", "urn:x:<a>", `urn:x:\"q\"`, "urn:x:{a}", "urn:x:a|b", `urn:x:a\\b`, "urn:x:a^b", "urn:x:a`b", `urn:x:a\u0001`} {
		a.do("POST", "/ngsi-ld/v1/entities", `{"id":"`+bad+`","type":"T"}`).problem(t, 400, "BadRequestData", "entity id")
	}
	a.do("POST", "/ngsi-ld/v1/entities", `{"id":"urn:x:2","type":"T","r":{"type":"Relationship","object":"urn:y:{1}"}}`).problem(t, 400, "BadRequestData", `"r"`)
	for _, good := range []string{"https://example.org/a/b?c=d#e", "urn:x:a%20b", "urn:x:Trạm-1", "http://[::1]:80/x;y=z"} {
		a.do("POST", "/ngsi-ld/v1/entities", `{"id":"`+good+`","type":"T"}`).want(t, http.StatusCreated)
	}
}

// S2: in a merge, null for unitCode, observedAt and a language deletes it,
// as urn:ngsi-ld:null does.
func TestMergeNullDeletesMembers(t *testing.T) {
	a := newAPI(t)
	a.do("POST", "/ngsi-ld/v1/entities", areaEntity).want(t, http.StatusCreated)
	a.do("PATCH", parkPath, `{"pm25":{"unitCode":null,"observedAt":null},"name":{"languageMap":{"en":null}}}`).want(t, http.StatusNoContent)
	got := a.do("GET", parkPath, "").want(t, http.StatusOK).object(t)
	pm25 := got["pm25"].(map[string]any)
	if pm25["unitCode"] != nil || pm25["observedAt"] != nil || pm25["value"] != 3.0 {
		t.Errorf("pm25 after merge: %v", pm25)
	}
	if lm := got["name"].(map[string]any)["languageMap"].(map[string]any); lm["en"] != nil || lm["vi"] != "Công viên" {
		t.Errorf("name after merge: %v", lm)
	}
	a.do("PATCH", parkPath, `{"pm25":{"value":4,"unitCode":"GQ","observedAt":"2026-11-23T09:00:00Z"}}`).want(t, http.StatusNoContent)
	a.do("PATCH", parkPath+"/attrs/pm25", `{"observedAt":"urn:ngsi-ld:null","unitCode":"urn:ngsi-ld:null"}`).want(t, http.StatusNoContent)
	pm25 = a.do("GET", parkPath, "").object(t)["pm25"].(map[string]any)
	if pm25["unitCode"] != nil || pm25["observedAt"] != nil || pm25["value"] != 4.0 {
		t.Errorf("pm25 after partial update: %v", pm25)
	}
	a.do("POST", "/ngsi-ld/v1/entities", `{"id":"urn:x:1","type":"T","p":{"type":"Property","value":1,"unitCode":null}}`).problem(t, 400, "BadRequestData", "unitCode")
}

// S1: keyValues renders a LanguageProperty as {"languageMap": ...}, or as
// the text of the language that lang picks.
func TestKeyValuesLanguageProperty(t *testing.T) {
	a := newAPI(t)
	a.do("POST", "/ngsi-ld/v1/entities", areaEntity).want(t, http.StatusCreated)
	jsonEqual(t, a.do("GET", parkPath+"?options=keyValues&attrs=name", "").want(t, http.StatusOK).body,
		`{"id":"urn:ngsi-ld:Park:1","type":"Park","name":{"languageMap":{"vi":"Công viên","en":"Park"}}}`)
	jsonEqual(t, a.do("GET", parkPath+"?options=keyValues&attrs=name&lang=vi", "").want(t, http.StatusOK).body,
		`{"id":"urn:ngsi-ld:Park:1","type":"Park","name":"Công viên"}`)
}

// S8: objectType of a Relationship is kept and rendered; the attribute
// types not supported yet are rejected as such.
func TestRelationshipObjectType(t *testing.T) {
	a := newAPI(t)
	a.do("POST", "/ngsi-ld/v1/entities", `{"id":"urn:x:1","type":"T",
		"owner":{"type":"Relationship","object":"urn:ngsi-ld:Org:1","objectType":"Organization"},
		"members":{"type":"Relationship","object":"urn:ngsi-ld:P:1","objectType":["Person","Agent"]}}`).want(t, http.StatusCreated)
	jsonEqual(t, a.do("GET", "/ngsi-ld/v1/entities/urn:x:1", "").want(t, http.StatusOK).body, `{"id":"urn:x:1","type":"T",
		"owner":{"type":"Relationship","object":"urn:ngsi-ld:Org:1","objectType":"Organization"},
		"members":{"type":"Relationship","object":"urn:ngsi-ld:P:1","objectType":["Person","Agent"]}}`)
	jsonEqual(t, a.do("GET", "/ngsi-ld/v1/entities/urn:x:1?options=keyValues", "").want(t, http.StatusOK).body,
		`{"id":"urn:x:1","type":"T","owner":"urn:ngsi-ld:Org:1","members":"urn:ngsi-ld:P:1"}`)
	a.do("POST", "/ngsi-ld/v1/entities", `{"id":"urn:x:2","type":"T","p":{"type":"Property","value":1,"objectType":"X"}}`).
		problem(t, 400, "BadRequestData", "objectType", "Relationship")
	for typ, member := range map[string]string{"VocabProperty": "vocab", "JsonProperty": "json", "ListProperty": "valueList", "ListRelationship": "objectList"} {
		a.do("POST", "/ngsi-ld/v1/entities", `{"id":"urn:x:2","type":"T","p":{"type":"`+typ+`","`+member+`":1}}`).
			problem(t, 400, "BadRequestData", typ, "not supported yet")
		a.do("POST", "/ngsi-ld/v1/entities", `{"id":"urn:x:2","type":"T","p":{"`+member+`":1}}`).
			problem(t, 400, "BadRequestData", typ, "not supported yet")
	}
}

// N1: a body with no attributes for append, update or merge is an error;
// N7: "@context": null is not a context.
func TestEmptyFragmentsAndNullContext(t *testing.T) {
	a := newAPI(t)
	a.seed()
	a.do("POST", baiTruocPath+"/attrs", `{}`).problem(t, 400, "BadRequestData", "no attributes to append")
	a.do("PATCH", baiTruocPath+"/attrs", `{"id":"urn:ngsi-ld:AirQualityObserved:VT-BaiTruoc"}`).problem(t, 400, "BadRequestData", "no attributes to update")
	a.do("PATCH", baiTruocPath, `{}`).problem(t, 400, "BadRequestData", "no attributes to merge")
	a.do("PATCH", baiTruocPath, `{"type":"Station"}`).want(t, http.StatusNoContent)
	a.do("POST", "/ngsi-ld/v1/entities", `{"id":"urn:x:1","type":"T","@context":null}`, "Content-Type", "application/ld+json").
		problem(t, 400, "BadRequestData", "@context")
	a.do("PATCH", baiTruocPath, `{"pm25":1,"@context":null}`, "Content-Type", "application/ld+json").problem(t, 400, "BadRequestData", "@context")
}

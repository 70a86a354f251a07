package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestCreateAndRetrieve(t *testing.T) {
	a := newAPI(t)
	r := a.do("POST", "/ngsi-ld/v1/entities", stationBaiTruoc).want(t, http.StatusCreated)
	if loc := r.header.Get("Location"); loc != baiTruocPath {
		t.Errorf("Location %q, want %q", loc, baiTruocPath)
	}
	got := a.do("GET", baiTruocPath, "").want(t, http.StatusOK)
	jsonEqual(t, got.body, stationBaiTruoc)
	if link := got.header.Get("Link"); !strings.Contains(link, "ngsi-ld-core-context") {
		t.Errorf("Link header %q does not name the core context", link)
	}
	kv := a.do("GET", baiTruocPath+"?options=keyValues", "").want(t, http.StatusOK)
	jsonEqual(t, kv.body, `{"id":"urn:ngsi-ld:AirQualityObserved:VT-BaiTruoc","type":"AirQualityObserved",
		"name":"Bãi Trước","pm25":38.5,"pm10":61,"refDevice":"urn:ngsi-ld:Device:aq-01",
		"location":{"type":"Point","coordinates":[107.0724,10.346]}}`)
	sys := a.do("GET", baiTruocPath+"?options=sysAttrs&attrs=pm10", "").want(t, http.StatusOK).object(t)
	if sys["createdAt"] == nil || sys["modifiedAt"] == nil {
		t.Errorf("sysAttrs missing: %v", sys)
	}
	if _, ok := sys["pm25"]; ok {
		t.Errorf("attrs=pm10 still returned pm25: %v", sys)
	}
	ld := a.do("GET", baiTruocPath, "", "Accept", "application/ld+json").want(t, http.StatusOK)
	if ld.header.Get("Content-Type") != "application/ld+json" || ld.object(t)["@context"] == nil {
		t.Errorf("ld+json answer lacks @context: %s", ld.body)
	}
}

func TestCreateErrorsChangeNothing(t *testing.T) {
	a := newAPI(t)
	a.do("POST", "/ngsi-ld/v1/entities", stationBaiTruoc).want(t, http.StatusCreated)
	before := a.do("GET", baiTruocPath+"?options=sysAttrs", "").want(t, http.StatusOK).body
	cases := []struct {
		name, body, ctype string
		code              int
		typ               string
		detail            string
	}{
		{"duplicate", stationBaiTruoc, "application/json", 409, "AlreadyExists", "already exists"},
		{"malformed JSON", `{"id": "urn:x:1", "type": `, "application/json", 400, "InvalidRequest", "not valid JSON"},
		{"array body", `[]`, "application/json", 400, "InvalidRequest", "JSON object"},
		{"trailing data", `{"id":"urn:x:1","type":"T"} {}`, "application/json", 400, "InvalidRequest", "after the JSON value"},
		{"id not a URI", `{"id":"not a uri","type":"T"}`, "application/json", 400, "BadRequestData", "id"},
		{"no type", `{"id":"urn:x:1"}`, "application/json", 400, "BadRequestData", "type"},
		{"bad geometry", `{"id":"urn:x:1","type":"T","location":{"type":"GeoProperty","value":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1]]]}}}`, "application/json", 400, "BadRequestData", "location"},
		{"latitude out of range", `{"id":"urn:x:1","type":"T","location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[107,100]}}}`, "application/json", 400, "BadRequestData", "latitude"},
		{"bad observedAt", `{"id":"urn:x:1","type":"T","a":{"type":"Property","value":1,"observedAt":"yesterday"}}`, "application/json", 400, "BadRequestData", "observedAt"},
		{"relationship without object", `{"id":"urn:x:1","type":"T","r":{"type":"Relationship"}}`, "application/json", 400, "BadRequestData", "object"},
		{"unsupported media type", `{"id":"urn:x:1","type":"T"}`, "text/plain", 415, "UnsupportedMediaType", "text/plain"},
		{"ld+json without @context", `{"id":"urn:x:1","type":"T"}`, "application/ld+json", 400, "BadRequestData", "@context"},
		{"@context with application/json", `{"id":"urn:x:1","type":"T","@context":"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"}`, "application/json", 400, "BadRequestData", "application/ld+json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a.do("POST", "/ngsi-ld/v1/entities", c.body, "Content-Type", c.ctype).problem(t, c.code, c.typ, c.detail)
		})
	}
	after := a.do("GET", baiTruocPath+"?options=sysAttrs", "").want(t, http.StatusOK).body
	jsonEqual(t, after, string(before))
	a.do("GET", "/ngsi-ld/v1/entities/urn:x:1", "").problem(t, 404, "ResourceNotFound", "urn:x:1")
}

func TestRetrieveErrors(t *testing.T) {
	a := newAPI(t)
	a.seed()
	a.do("GET", "/ngsi-ld/v1/entities/urn:ngsi-ld:Nothing:1", "").problem(t, 404, "ResourceNotFound", "urn:ngsi-ld:Nothing:1")
	a.do("GET", "/ngsi-ld/v1/entities/nonsense", "").problem(t, 400, "BadRequestData", "nonsense")
	a.do("GET", baiTruocPath, "", "Accept", "text/html").problem(t, 406, "NotAcceptable", "text/html")
	a.do("GET", baiTruocPath+"?options=bogus", "").problem(t, 400, "BadRequestData", "bogus")
	a.do("GET", baiTruocPath+"?type=TrafficFlowObserved", "").problem(t, 404, "ResourceNotFound", "TrafficFlowObserved")
}

func TestReplaceEntity(t *testing.T) {
	a := newAPI(t)
	a.seed()
	created := a.do("GET", baiTruocPath+"?options=sysAttrs", "").object(t)["createdAt"]
	a.do("PUT", baiTruocPath, `{"type":"AirQualityObserved","pm25":{"type":"Property","value":5}}`).want(t, http.StatusNoContent)
	got := a.do("GET", baiTruocPath+"?options=sysAttrs", "").object(t)
	if got["pm10"] != nil || got["name"] != nil {
		t.Errorf("replace kept old attributes: %v", got)
	}
	if got["createdAt"] != created {
		t.Errorf("replace changed createdAt from %v to %v", created, got["createdAt"])
	}
	a.do("PUT", baiTruocPath, `{"id":"urn:other:1","type":"T"}`).problem(t, 400, "BadRequestData", "differs")
	a.do("PUT", "/ngsi-ld/v1/entities/urn:ngsi-ld:Nothing:1", `{"type":"T"}`).problem(t, 404, "ResourceNotFound")
}

func TestMergeEntity(t *testing.T) {
	a := newAPI(t)
	a.seed()
	a.do("PATCH", baiTruocPath, `{"pm25":{"type":"Property","value":99},"pm10":"urn:ngsi-ld:null","no2":{"type":"Property","value":7}}`).want(t, http.StatusNoContent)
	got := a.do("GET", baiTruocPath+"?options=keyValues", "").object(t)
	if got["pm25"] != 99.0 || got["no2"] != 7.0 || got["name"] != "Bãi Trước" {
		t.Errorf("merge result %v", got)
	}
	if _, ok := got["pm10"]; ok {
		t.Errorf("urn:ngsi-ld:null did not delete pm10: %v", got)
	}
	a.do("PATCH", "/ngsi-ld/v1/entities/urn:ngsi-ld:Nothing:1", `{"a":1}`).problem(t, 404, "ResourceNotFound")
	a.do("PATCH", baiTruocPath, `{"pm25":{"type":"Nonsense","value":1}}`).problem(t, 400, "BadRequestData", "pm25")
}

func TestDeleteEntity(t *testing.T) {
	a := newAPI(t)
	a.seed()
	a.do("DELETE", baiTruocPath, "").want(t, http.StatusNoContent)
	a.do("GET", baiTruocPath, "").problem(t, 404, "ResourceNotFound")
	a.do("DELETE", baiTruocPath, "").problem(t, 404, "ResourceNotFound")
}

func TestAppendAttrs(t *testing.T) {
	a := newAPI(t)
	a.seed()
	path := baiTruocPath + "/attrs"
	a.do("POST", path, `{"o3":{"type":"Property","value":40}}`).want(t, http.StatusNoContent)
	r := a.do("POST", path+"?options=noOverwrite", `{"pm25":{"type":"Property","value":1},"so2":{"type":"Property","value":3}}`).want(t, http.StatusMultiStatus)
	jsonEqual(t, r.body, `{"updated":["so2"],"notUpdated":[{"attributeName":"pm25","reason":"`+notUpdatedReason(t, r)+`"}]}`)
	got := a.do("GET", baiTruocPath+"?options=keyValues", "").object(t)
	if got["pm25"] != 38.5 || got["o3"] != 40.0 || got["so2"] != 3.0 {
		t.Errorf("append result %v", got)
	}
	a.do("POST", path, `{"pm25":{"type":"Property","value":2}}`).want(t, http.StatusNoContent)
	if v := a.do("GET", baiTruocPath+"?options=keyValues", "").object(t)["pm25"]; v != 2.0 {
		t.Errorf("append without noOverwrite kept pm25 = %v", v)
	}
	a.do("POST", "/ngsi-ld/v1/entities/urn:ngsi-ld:Nothing:1/attrs", `{"a":1}`).problem(t, 404, "ResourceNotFound")
}

// notUpdatedReason reads the reason the server gave, which the test only
// requires to be non-empty.
func notUpdatedReason(t *testing.T, r response) string {
	t.Helper()
	nu, _ := r.object(t)["notUpdated"].([]any)
	if len(nu) != 1 {
		t.Fatalf("notUpdated %v", nu)
	}
	reason, _ := nu[0].(map[string]any)["reason"].(string)
	if reason == "" {
		t.Error("notUpdated without a reason")
	}
	return reason
}

func TestUpdateAttrs(t *testing.T) {
	a := newAPI(t)
	a.seed()
	r := a.do("PATCH", baiTruocPath+"/attrs", `{"pm25":{"type":"Property","value":70},"missing":{"type":"Property","value":1}}`).want(t, http.StatusMultiStatus)
	res := r.object(t)
	if up, _ := res["updated"].([]any); len(up) != 1 || up[0] != "pm25" {
		t.Errorf("updated %v", res["updated"])
	}
	got := a.do("GET", baiTruocPath+"?options=keyValues", "").object(t)
	if got["pm25"] != 70.0 || got["missing"] != nil {
		t.Errorf("update result %v", got)
	}
	a.do("PATCH", baiTruocPath+"/attrs", `{"pm10":{"type":"Property","value":1}}`).want(t, http.StatusNoContent)
}

func TestPartialAttrUpdateAndReplace(t *testing.T) {
	a := newAPI(t)
	a.seed()
	a.do("PATCH", baiTruocPath+"/attrs/pm25", `{"value":55}`).want(t, http.StatusNoContent)
	got := a.do("GET", baiTruocPath+"?attrs=pm25", "").object(t)["pm25"].(map[string]any)
	if got["value"] != 55.0 || got["unitCode"] != "GQ" {
		t.Errorf("partial update lost members: %v", got)
	}
	a.do("PUT", baiTruocPath+"/attrs/pm25", `{"type":"Property","value":56}`).want(t, http.StatusNoContent)
	got = a.do("GET", baiTruocPath+"?attrs=pm25", "").object(t)["pm25"].(map[string]any)
	if got["value"] != 56.0 || got["unitCode"] != nil {
		t.Errorf("replace attribute kept old members: %v", got)
	}
	a.do("PATCH", baiTruocPath+"/attrs/nothing", `{"value":1}`).problem(t, 404, "ResourceNotFound")
	a.do("PUT", baiTruocPath+"/attrs/nothing", `{"type":"Property","value":1}`).problem(t, 404, "ResourceNotFound")
}

func TestDeleteAttrAndDatasets(t *testing.T) {
	a := newAPI(t)
	a.do("POST", "/ngsi-ld/v1/entities", `{"id":"urn:ngsi-ld:WaterLevel:SongDinh","type":"FloodMonitoring",
		"level":[{"type":"Property","value":1.2},{"type":"Property","value":1.3,"datasetId":"urn:ngsi-ld:Dataset:radar"},
		{"type":"Property","value":1.1,"datasetId":"urn:ngsi-ld:Dataset:gauge"}]}`).want(t, http.StatusCreated)
	path := "/ngsi-ld/v1/entities/urn:ngsi-ld:WaterLevel:SongDinh"
	levels := func() []any {
		v, _ := a.do("GET", path, "").object(t)["level"].([]any)
		return v
	}
	if n := len(levels()); n != 3 {
		t.Fatalf("%d instances, want 3", n)
	}
	a.do("DELETE", path+"/attrs/level?datasetId=urn:ngsi-ld:Dataset:radar", "").want(t, http.StatusNoContent)
	if n := len(levels()); n != 2 {
		t.Fatalf("%d instances after deleting one dataset, want 2", n)
	}
	a.do("DELETE", path+"/attrs/level?datasetId=urn:ngsi-ld:Dataset:radar", "").problem(t, 404, "ResourceNotFound")
	a.do("DELETE", path+"/attrs/level?deleteAll=maybe", "").problem(t, 400, "BadRequestData", "deleteAll")
	a.do("DELETE", path+"/attrs/level?deleteAll=true", "").want(t, http.StatusNoContent)
	if _, ok := a.do("GET", path, "").object(t)["level"]; ok {
		t.Error("deleteAll left instances")
	}
}

func TestTenantsAreIsolated(t *testing.T) {
	a := newAPI(t)
	a.do("POST", "/ngsi-ld/v1/entities", stationBaiTruoc, "NGSILD-Tenant", "vungtau").want(t, http.StatusCreated)
	a.do("POST", "/ngsi-ld/v1/entities", stationBaiTruoc, "NGSILD-Tenant", "bariavungtau").want(t, http.StatusCreated)
	a.do("PATCH", baiTruocPath+"/attrs", `{"pm25":{"type":"Property","value":1}}`, "NGSILD-Tenant", "vungtau").want(t, http.StatusNoContent)
	other := a.do("GET", baiTruocPath+"?options=keyValues", "", "NGSILD-Tenant", "bariavungtau").want(t, http.StatusOK).object(t)
	if other["pm25"] != 38.5 {
		t.Errorf("a write in one tenant changed another: %v", other)
	}
	a.do("GET", baiTruocPath, "").problem(t, 404, "ResourceNotFound")
	a.do("GET", baiTruocPath, "", "NGSILD-Tenant", "nowhere").problem(t, 404, "NonexistentTenant", "nowhere")
	a.do("GET", baiTruocPath, "", "NGSILD-Tenant", "bad tenant!").problem(t, 400, "BadRequestData", "NGSILD-Tenant")
}

package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// Protocol details: query strings, methods, headers and media types.

func TestMalformedQueryStringIsRejected(t *testing.T) {
	a := newAPI(t)
	a.seed()
	a.do("GET", "/ngsi-ld/v1/entities?type=AirQualityObserved&q=pm25>100%ZZ", "").problem(t, 400, "BadRequestData", "%ZZ")
}

func TestWrongMethodIs405(t *testing.T) {
	a := newAPI(t)
	r := a.do("PUT", "/ngsi-ld/v1/entities", "{}")
	if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "GET, POST" {
		t.Errorf("PUT /entities: %d, Allow %q", r.status, r.header.Get("Allow"))
	}
	r = a.do("POST", baiTruocPath, "{}")
	if r.status != http.StatusMethodNotAllowed || !strings.Contains(r.header.Get("Allow"), "PATCH") {
		t.Errorf("POST /entities/{id}: %d, Allow %q", r.status, r.header.Get("Allow"))
	}
	a.do("GET", "/ngsi-ld/v1/nothing", "").problem(t, 404, "ResourceNotFound", "/ngsi-ld/v1/nothing")
}

func TestTenantIsEchoed(t *testing.T) {
	a := newAPI(t)
	r := a.do("POST", "/ngsi-ld/v1/entities", stationBaiSau, "NGSILD-Tenant", "vungtau").want(t, http.StatusCreated)
	if r.header.Get("NGSILD-Tenant") != "vungtau" {
		t.Errorf("NGSILD-Tenant not echoed: %v", r.header)
	}
}

func TestBodyIDMustMatchPath(t *testing.T) {
	a := newAPI(t)
	a.seed()
	a.do("PATCH", baiTruocPath, `{"id":"urn:other:1","pm25":1}`).problem(t, 400, "BadRequestData", "differs")
	a.do("POST", baiTruocPath+"/attrs", `{"id":"urn:other:1","pm25":1}`).problem(t, 400, "BadRequestData", "differs")
	a.do("PATCH", baiTruocPath+"/attrs", `{"id":"urn:other:1","pm25":1}`).problem(t, 400, "BadRequestData", "differs")
	a.do("PATCH", baiTruocPath, `{"id":"urn:ngsi-ld:AirQualityObserved:VT-BaiTruoc","pm25":1}`).want(t, http.StatusNoContent)
}

func TestDatasetIDMustBeURI(t *testing.T) {
	a := newAPI(t)
	a.seed()
	a.do("DELETE", baiTruocPath+"/attrs/pm25?datasetId=not%20a%20uri", "").problem(t, 400, "BadRequestData", "datasetId")
}

func TestQueryPostProjectsAttrs(t *testing.T) {
	a := newAPI(t)
	a.seed()
	r := a.do("POST", "/ngsi-ld/v1/entityOperations/query?options=keyValues", `{"type":"Query","entities":[{"type":"AirQualityObserved"}],"attrs":["pm25"]}`).want(t, http.StatusOK)
	for _, e := range r.list(t) {
		if e["pm10"] != nil || e["name"] != nil || e["pm25"] == nil {
			t.Errorf("attrs in the Query body did not project: %v", e)
		}
	}
}

func TestGeoJSONFormatWithKeyValues(t *testing.T) {
	a := newAPI(t)
	a.seed()
	fc := a.do("GET", "/ngsi-ld/v1/entities?type=AirQualityObserved&format=geojson&options=keyValues", "").want(t, http.StatusOK).object(t)
	f := fc["features"].([]any)[0].(map[string]any)
	if _, normalized := f["properties"].(map[string]any)["pm25"].(map[string]any); normalized {
		t.Errorf("format=geojson ignored options=keyValues: %v", f["properties"])
	}
}

func TestDiscoveryNegotiation(t *testing.T) {
	a := newAPI(t)
	a.seed()
	a.do("GET", "/ngsi-ld/v1/types", "", "Accept", "text/html").problem(t, 406, "NotAcceptable", "text/html")
	r := a.do("GET", "/ngsi-ld/v1/types", "", "Accept", "application/ld+json").want(t, http.StatusOK)
	if r.header.Get("Content-Type") != "application/ld+json" || r.object(t)["@context"] == nil {
		t.Errorf("ld+json types answer: %s %s", r.header.Get("Content-Type"), r.body)
	}
	r = a.do("GET", "/ngsi-ld/v1/attributes?details=true", "").want(t, http.StatusOK)
	if !strings.Contains(r.header.Get("Link"), "ngsi-ld-core-context") {
		t.Errorf("attributes answer lacks the Link header: %v", r.header)
	}
}

func TestContextListAndReloadChecks(t *testing.T) {
	a := newAPI(t)
	loc := a.do("POST", "/ngsi-ld/v1/jsonldContexts", sdmContext).want(t, http.StatusCreated).header.Get("Location")
	a.do("GET", "/ngsi-ld/v1/jsonldContexts?kind=bogus", "").problem(t, 400, "BadRequestData", "bogus")
	a.do("DELETE", loc+"?reload=true", "").problem(t, 400, "BadRequestData", "hosted")
	a.do("GET", loc, "").want(t, http.StatusOK)
}

package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

const sdmContext = `{"@context":{"AirQualityObserved":"https://smartdatamodels.org/dataModel.Environment/AirQualityObserved",
	"pm25":"https://smartdatamodels.org/dataModel.Environment/pm25",
	"name":"https://smartdatamodels.org/name"}}`

func TestHostedContext(t *testing.T) {
	a := newAPI(t)
	r := a.do("POST", "/ngsi-ld/v1/jsonldContexts", sdmContext).want(t, http.StatusCreated)
	loc := r.header.Get("Location")
	if !strings.HasPrefix(loc, "/ngsi-ld/v1/jsonldContexts/") {
		t.Fatalf("Location %q", loc)
	}
	ctxURL := a.srv.URL + loc
	link := "<" + ctxURL + `>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`
	a.do("POST", "/ngsi-ld/v1/entities", stationBaiTruoc, "Link", link).want(t, http.StatusCreated)

	// Without the context, names come back as full IRIs.
	plain := a.do("GET", baiTruocPath, "").object(t)
	if plain["type"] != "https://smartdatamodels.org/dataModel.Environment/AirQualityObserved" {
		t.Errorf("type without context %v", plain["type"])
	}
	if _, ok := plain["https://smartdatamodels.org/dataModel.Environment/pm25"]; !ok {
		t.Errorf("pm25 not expanded with the uploaded context: %v", plain)
	}
	// With it, they are compacted again, and queries use the same terms.
	withCtx := a.do("GET", "/ngsi-ld/v1/entities?type=AirQualityObserved&q=pm25>30", "", "Link", link).want(t, http.StatusOK)
	if ids := withCtx.ids(t); len(ids) != 1 {
		t.Fatalf("query with context found %v", ids)
	}
	if e := withCtx.list(t)[0]; e["type"] != "AirQualityObserved" || e["pm25"] == nil {
		t.Errorf("compaction with context: %v", e)
	}
	if !strings.Contains(withCtx.header.Get("Link"), loc) {
		t.Errorf("answer Link %q does not name the request's context", withCtx.header.Get("Link"))
	}

	list := a.do("GET", "/ngsi-ld/v1/jsonldContexts?details=true", "").want(t, http.StatusOK).list(t)
	if len(list) != 1 || list[0]["kind"] != "Hosted" {
		t.Errorf("context list %v", list)
	}
	jsonEqual(t, a.do("GET", loc, "").want(t, http.StatusOK).body, sdmContext)
	a.do("DELETE", loc, "").want(t, http.StatusNoContent)
	a.do("GET", loc, "").problem(t, 404, "ResourceNotFound")
}

func TestInlineContext(t *testing.T) {
	a := newAPI(t)
	body := strings.TrimSuffix(stationBaiSau, "}") + `,"@context":` + strings.TrimSuffix(strings.TrimPrefix(sdmContext, `{"@context":`), "}") + `}`
	a.do("POST", "/ngsi-ld/v1/entities", body, "Content-Type", "application/ld+json").want(t, http.StatusCreated)
	got := a.do("GET", "/ngsi-ld/v1/entities/urn:ngsi-ld:AirQualityObserved:VT-BaiSau", "").object(t)
	if got["type"] != "https://smartdatamodels.org/dataModel.Environment/AirQualityObserved" {
		t.Errorf("inline context not applied: %v", got["type"])
	}
}

func TestContextErrors(t *testing.T) {
	a := newAPI(t)
	a.do("POST", "/ngsi-ld/v1/jsonldContexts", `{"@context":{"a":7}}`).problem(t, 400, "BadRequestData", "")
	a.do("POST", "/ngsi-ld/v1/jsonldContexts", `{"no":"context"}`).problem(t, 400, "BadRequestData", "@context")
	a.do("GET", "/ngsi-ld/v1/jsonldContexts/nothing", "").problem(t, 404, "ResourceNotFound")
	start := time.Now()
	link := `<https://contexts.example.org/unknown.jsonld>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`
	a.do("GET", "/ngsi-ld/v1/entities?type=T", "", "Link", link).problem(t, 503, "LdContextNotAvailable", "unknown.jsonld")
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("an unavailable context took %s to refuse", d)
	}
	a.do("GET", "/ngsi-ld/v1/entities?type=T", "", "Link", "not a link").want(t, http.StatusBadRequest)
}

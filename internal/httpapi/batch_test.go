package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestBatchCreate(t *testing.T) {
	a := newAPI(t)
	r := a.do("POST", "/ngsi-ld/v1/entityOperations/create", "["+stationBaiTruoc+","+stationBaiSau+"]").want(t, http.StatusCreated)
	jsonEqual(t, r.body, `["urn:ngsi-ld:AirQualityObserved:VT-BaiTruoc","urn:ngsi-ld:AirQualityObserved:VT-BaiSau"]`)
	r = a.do("POST", "/ngsi-ld/v1/entityOperations/create", "["+stationBaiTruoc+","+flowThuyVan+`,{"id":"bad id","type":"T"},7]`).want(t, http.StatusMultiStatus)
	res := r.object(t)
	if s := res["success"].([]any); len(s) != 1 || s[0] != "urn:ngsi-ld:TrafficFlowObserved:ThuyVan-1" {
		t.Errorf("success %v", s)
	}
	errs := res["errors"].([]any)
	if len(errs) != 3 {
		t.Fatalf("errors %v", errs)
	}
	codes := map[string]float64{}
	for _, e := range errs {
		m := e.(map[string]any)
		codes[m["entityId"].(string)] = m["error"].(map[string]any)["status"].(float64)
	}
	if codes["urn:ngsi-ld:AirQualityObserved:VT-BaiTruoc"] != 409 || codes["bad id"] != 400 || codes[""] != 400 {
		t.Errorf("error statuses %v", codes)
	}
	a.do("GET", "/ngsi-ld/v1/entities/urn:ngsi-ld:TrafficFlowObserved:ThuyVan-1", "").want(t, http.StatusOK)
}

func TestBatchLimitsAndShape(t *testing.T) {
	a := newAPI(t)
	a.do("POST", "/ngsi-ld/v1/entityOperations/create", `{"id":"urn:x:1","type":"T"}`).problem(t, 400, "InvalidRequest", "array")
	a.do("POST", "/ngsi-ld/v1/entityOperations/create", `[]`).problem(t, 400, "BadRequestData", "empty")
	many := "[" + strings.Repeat(`{"id":"urn:x:1","type":"T"},`, 50) + `{"id":"urn:x:1","type":"T"}]`
	a.do("POST", "/ngsi-ld/v1/entityOperations/create", many).problem(t, 403, "TooManyResults", "51")
	huge := `{"id":"urn:x:1","type":"T","a":{"type":"Property","value":"` + strings.Repeat("x", 70<<10) + `"}}`
	a.do("POST", "/ngsi-ld/v1/entities", huge).problem(t, 413, "PayloadTooLarge", "")
	a.do("GET", "/ngsi-ld/v1/entities/urn:x:1", "").want(t, http.StatusNotFound)
}

func TestBatchUpsert(t *testing.T) {
	a := newAPI(t)
	a.do("POST", "/ngsi-ld/v1/entities", stationBaiTruoc).want(t, http.StatusCreated)
	r := a.do("POST", "/ngsi-ld/v1/entityOperations/upsert", `[{"id":"urn:ngsi-ld:AirQualityObserved:VT-BaiTruoc","type":"AirQualityObserved","pm25":{"type":"Property","value":1}},`+stationBaiSau+`]`).want(t, http.StatusCreated)
	jsonEqual(t, r.body, `["urn:ngsi-ld:AirQualityObserved:VT-BaiSau"]`)
	got := a.do("GET", baiTruocPath+"?options=keyValues", "").object(t)
	if got["pm25"] != 1.0 || got["pm10"] != nil {
		t.Errorf("upsert (replace) result %v", got)
	}
	a.do("POST", "/ngsi-ld/v1/entityOperations/upsert?options=update", `[{"id":"urn:ngsi-ld:AirQualityObserved:VT-BaiTruoc","type":"AirQualityObserved","no2":{"type":"Property","value":4}}]`).want(t, http.StatusNoContent)
	got = a.do("GET", baiTruocPath+"?options=keyValues", "").object(t)
	if got["pm25"] != 1.0 || got["no2"] != 4.0 {
		t.Errorf("upsert (update) result %v", got)
	}
	a.do("POST", "/ngsi-ld/v1/entityOperations/upsert?options=merge", `[]`).problem(t, 400, "BadRequestData", "merge")
}

func TestBatchUpdateAndDelete(t *testing.T) {
	a := newAPI(t)
	a.seed()
	r := a.do("POST", "/ngsi-ld/v1/entityOperations/update?options=noOverwrite", `[
		{"id":"urn:ngsi-ld:AirQualityObserved:VT-BaiTruoc","type":"AirQualityObserved","pm25":{"type":"Property","value":1},"o3":{"type":"Property","value":2}},
		{"id":"urn:ngsi-ld:AirQualityObserved:Nowhere","type":"AirQualityObserved","o3":{"type":"Property","value":2}}]`).want(t, http.StatusMultiStatus)
	if errs := r.object(t)["errors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["entityId"] != "urn:ngsi-ld:AirQualityObserved:Nowhere" {
		t.Errorf("errors %v", errs)
	}
	got := a.do("GET", baiTruocPath+"?options=keyValues", "").object(t)
	if got["pm25"] != 38.5 || got["o3"] != 2.0 {
		t.Errorf("update with noOverwrite gave %v", got)
	}
	a.do("POST", "/ngsi-ld/v1/entityOperations/delete", `["urn:ngsi-ld:AirQualityObserved:VT-BaiTruoc","urn:ngsi-ld:AirQualityObserved:VT-BaiSau"]`).want(t, http.StatusNoContent)
	r = a.do("POST", "/ngsi-ld/v1/entityOperations/delete", `["urn:ngsi-ld:TrafficFlowObserved:ThuyVan-1","urn:ngsi-ld:AirQualityObserved:VT-BaiSau",3]`).want(t, http.StatusMultiStatus)
	if res := r.object(t); len(res["success"].([]any)) != 1 || len(res["errors"].([]any)) != 2 {
		t.Errorf("delete result %v", res)
	}
	a.do("GET", "/ngsi-ld/v1/entities?local=true", "").want(t, http.StatusOK)
	if n := len(a.do("GET", "/ngsi-ld/v1/entities?local=true", "").list(t)); n != 0 {
		t.Errorf("%d entities left after deleting all", n)
	}
}

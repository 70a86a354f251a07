package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/broker"
	"github.com/dothi-city/dothi/internal/httpapi"
	"github.com/dothi-city/dothi/internal/jsonld"
	"github.com/dothi-city/dothi/internal/store/sqlite"
)

// newTemporalAPI is newAPI's NGSI-LD API plus the temporal API.
func newTemporalAPI(t *testing.T) *api {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "dothi.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	res, err := jsonld.NewResolver(jsonld.Config{Source: broker.NewContextSource(st), FetchTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	opts := httpapi.Options{Limits: httpapi.QueryLimits{DefaultPageSize: 20, MaxPageSize: 100}, MaxBatch: 50}
	httpapi.RegisterNGSILD(mux, broker.New(st), res, st, opts)
	httpapi.RegisterTemporal(mux, st, res, opts)
	srv := httptest.NewServer(httpapi.Recover(httpapi.LimitBody(64<<10, mux)))
	t.Cleanup(srv.Close)
	return &api{t: t, srv: srv}
}

const temporalBase = "/ngsi-ld/v1/temporal/entities"

// observe sets pm25 of Bãi Trước to v, observed at 08:00 + m minutes.
func (a *api) observe(v float64, m int) {
	a.t.Helper()
	at := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC).Add(time.Duration(m) * time.Minute).Format(time.RFC3339)
	body := fmt.Sprintf(`{"pm25":{"type":"Property","value":%g,"unitCode":"GQ","observedAt":%q}}`, v, at)
	a.do("PATCH", baiTruocPath+"/attrs", body).want(a.t, http.StatusNoContent)
}

func TestTemporalFromWrites(t *testing.T) {
	a := newTemporalAPI(t)
	a.seed()
	// 08:00 38.5 (seed), then 08:30 40, 09:00 50, 09:30 20.
	a.observe(40, 30)
	a.observe(50, 60)
	a.observe(20, 90)
	path := temporalBase + "/urn:ngsi-ld:AirQualityObserved:VT-BaiTruoc"

	e := a.do("GET", path+"?attrs=pm25", "").want(t, http.StatusOK).object(t)
	insts, ok := e["pm25"].([]any)
	if !ok || len(insts) != 4 || e["name"] != nil || e["type"] != "AirQualityObserved" {
		t.Fatalf("temporal entity: %v", e)
	}
	first := insts[0].(map[string]any)
	if first["value"] != 38.5 || first["observedAt"] != "2026-11-23T08:00:00.000Z" || first["unitCode"] != "GQ" ||
		!strings.HasPrefix(first["instanceId"].(string), "urn:") {
		t.Fatalf("first instance: %v", first)
	}

	// timerel between on observedAt; simplified representation.
	r := a.do("GET", path+"?attrs=pm25&options=temporalValues&timerel=between&timeAt=2026-11-23T08:15:00Z&endTimeAt=2026-11-23T09:15:00Z", "")
	jsonEqual(t, r.want(t, http.StatusOK).body, `{"id":"urn:ngsi-ld:AirQualityObserved:VT-BaiTruoc","type":"AirQualityObserved",
		"pm25":{"type":"Property","values":[[40,"2026-11-23T08:30:00.000Z"],[50,"2026-11-23T09:00:00.000Z"]]}}`)
	if !strings.Contains(r.header.Get("Link"), "json-ld#context") {
		t.Errorf("no Link header: %v", r.header)
	}
	// lastN
	r = a.do("GET", path+"?attrs=pm25&format=temporalValues&lastN=1", "")
	jsonEqual(t, r.want(t, http.StatusOK).body, `{"id":"urn:ngsi-ld:AirQualityObserved:VT-BaiTruoc","type":"AirQualityObserved",
		"pm25":{"type":"Property","values":[[20,"2026-11-23T09:30:00.000Z"]]}}`)

	// Aggregated: hourly from 08:00.
	r = a.do("GET", path+"?attrs=pm25&options=aggregatedValues&aggrMethods=avg,max,totalCount&aggrPeriodDuration=PT1H&timerel=after&timeAt=2026-11-23T08:00:00Z", "")
	// after is strict: 08:00 itself is not included.
	jsonEqual(t, r.want(t, http.StatusOK).body, `{"id":"urn:ngsi-ld:AirQualityObserved:VT-BaiTruoc","type":"AirQualityObserved",
		"pm25":{"type":"Property",
			"avg":[[40,"2026-11-23T08:00:00.000Z","2026-11-23T09:00:00.000Z"],[35,"2026-11-23T09:00:00.000Z","2026-11-23T10:00:00.000Z"]],
			"max":[[40,"2026-11-23T08:00:00.000Z","2026-11-23T09:00:00.000Z"],[50,"2026-11-23T09:00:00.000Z","2026-11-23T10:00:00.000Z"]],
			"totalCount":[[1,"2026-11-23T08:00:00.000Z","2026-11-23T09:00:00.000Z"],[2,"2026-11-23T09:00:00.000Z","2026-11-23T10:00:00.000Z"]]}}`)

	// Query: type + q selects on the current state; geo-query; attrs.
	got := a.do("GET", temporalBase+"?type=AirQualityObserved&attrs=pm25&q=pm25<30", "").want(t, http.StatusOK).ids(t)
	if len(got) != 2 {
		t.Fatalf("q pm25<30: %v", got)
	}
	got = a.do("GET", temporalBase+"?type=AirQualityObserved&q=pm25>100", "").want(t, http.StatusOK).ids(t)
	if len(got) != 0 {
		t.Fatalf("q pm25>100: %v", got)
	}
	got = a.do("GET", temporalBase+"?type=AirQualityObserved&georel=near;maxDistance==500&geometry=Point&coordinates=[107.0724,10.346]", "").
		want(t, http.StatusOK).ids(t)
	if len(got) != 1 || got[0] != "urn:ngsi-ld:AirQualityObserved:VT-BaiTruoc" {
		t.Fatalf("geo: %v", got)
	}
	list := a.do("GET", temporalBase+"?type=TrafficFlowObserved&timerel=before&timeAt=2100-01-01T00:00:00Z&timeproperty=modifiedAt", "").
		want(t, http.StatusOK).list(t)
	if len(list) != 1 || list[0]["intensity"] == nil {
		t.Fatalf("by type: %v", list)
	}

	// The entity's deletion keeps the history; deleting the temporal entity ends it.
	a.do("DELETE", baiTruocPath, "").want(t, http.StatusNoContent)
	a.do("GET", path+"?attrs=pm25", "").want(t, http.StatusOK)
	a.do("DELETE", path, "").want(t, http.StatusNoContent)
	a.do("GET", path, "").problem(t, http.StatusNotFound, "ResourceNotFound")
	a.do("DELETE", path, "").problem(t, http.StatusNotFound, "ResourceNotFound")
}

func TestTemporalBadParameters(t *testing.T) {
	a := newTemporalAPI(t)
	a.seed()
	q := temporalBase + "?type=AirQualityObserved&"
	cases := []struct{ query, fragment string }{
		{"timerel=during&timeAt=2026-11-23T08:00:00Z", "during"},
		{"timerel=between&timeAt=2026-11-23T08:00:00Z", "endTimeAt"},
		{"timerel=between&timeAt=2026-11-23T08:00:00Z&endTimeAt=2026-11-23T07:00:00Z", "endTimeAt"},
		{"timerel=before", "timeAt"},
		{"timerel=after&timeAt=23/11/2026", "timeAt"},
		{"timerel=after&timeAt=2026-11-23T08:00:00", "timeAt"},
		{"timeproperty=deletedAt", "deletedAt"},
		{"lastN=0", "lastN"},
		{"options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=1h", "aggrPeriodDuration"},
		{"options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=PT", "aggrPeriodDuration"},
		{"options=aggregatedValues&aggrMethods=median", "median"},
		{"options=aggregatedValues", "aggrMethods"},
		{"aggrMethods=avg", "aggregatedValues"},
		{"options=temporalValues,aggregatedValues&aggrMethods=avg", "exclude"},
		{"format=geojson", "format"},
		{"idPattern=(", "idPattern"},
	}
	for _, c := range cases {
		a.do("GET", q+c.query, "").problem(t, http.StatusBadRequest, "BadRequestData", c.fragment)
	}
	a.do("GET", temporalBase, "").problem(t, http.StatusBadRequest, "BadRequestData", "needs")
	a.do("GET", temporalBase+"/not%20a%20uri", "").problem(t, http.StatusBadRequest, "BadRequestData")
	a.do("PUT", temporalBase, "{}").want(t, http.StatusMethodNotAllowed)
}

func TestTemporalEdit(t *testing.T) {
	a := newTemporalAPI(t)
	body := `{"id":"urn:ngsi-ld:WaterLevel:SongDinh","type":"WaterLevelObserved",
		"level":[{"type":"Property","value":1.2,"observedAt":"2026-11-23T08:00:00Z"},
		         {"type":"Property","value":1.5,"observedAt":"2026-11-23T09:00:00Z"},
		         {"type":"Property","value":9,"observedAt":"2026-11-23T09:00:00Z","datasetId":"urn:ngsi-ld:Dataset:raw"}],
		"status":{"type":"Property","value":"normal","observedAt":"2026-11-23T08:00:00Z"}}`
	r := a.do("POST", temporalBase, body).want(t, http.StatusCreated)
	path := temporalBase + "/urn:ngsi-ld:WaterLevel:SongDinh"
	if r.header.Get("Location") != path {
		t.Fatalf("Location %q", r.header.Get("Location"))
	}
	a.do("POST", temporalBase, body).want(t, http.StatusNoContent)
	// The current entity is not created.
	a.do("GET", "/ngsi-ld/v1/entities/urn:ngsi-ld:WaterLevel:SongDinh", "").want(t, http.StatusNotFound)

	e := a.do("GET", path+"?attrs=level&timerel=before&timeAt=2026-11-23T08:30:00Z", "").want(t, http.StatusOK).object(t)
	levels := e["level"].([]any)
	if len(levels) != 2 { // posted twice
		t.Fatalf("levels before 08:30: %v", levels)
	}
	inst := levels[0].(map[string]any)["instanceId"].(string)

	a.do("POST", path+"/attrs", `{"level":{"type":"Property","value":2.0,"observedAt":"2026-11-23T10:00:00Z"}}`).want(t, http.StatusNoContent)
	a.do("POST", temporalBase+"/urn:ngsi-ld:WaterLevel:none/attrs", `{"level":{"type":"Property","value":2.0}}`).
		problem(t, http.StatusNotFound, "ResourceNotFound")
	a.do("POST", path+"/attrs", `{"level":[1,2]}`).problem(t, http.StatusBadRequest, "BadRequestData")

	a.do("PATCH", path+"/attrs/level/"+url.PathEscape(inst), `{"type":"Property","value":7,"observedAt":"2026-11-23T07:00:00Z"}`).
		want(t, http.StatusNoContent)
	a.do("PATCH", path+"/attrs/level/urn:ngsi-ld:Instance:999999", `{"type":"Property","value":7}`).
		problem(t, http.StatusNotFound, "ResourceNotFound")
	v := a.do("GET", path+"?attrs=level&options=temporalValues&timerel=before&timeAt=2026-11-23T07:30:00Z", "").want(t, http.StatusOK).body
	jsonEqual(t, v, `{"id":"urn:ngsi-ld:WaterLevel:SongDinh","type":"WaterLevelObserved",
		"level":{"type":"Property","values":[[7,"2026-11-23T07:00:00.000Z"]]}}`)

	a.do("DELETE", path+"/attrs/level/"+url.PathEscape(inst), "").want(t, http.StatusNoContent)
	a.do("DELETE", path+"/attrs/level/"+url.PathEscape(inst), "").problem(t, http.StatusNotFound, "ResourceNotFound")
	a.do("DELETE", path+"/attrs/level?datasetId=urn:ngsi-ld:Dataset:raw", "").want(t, http.StatusNoContent)
	a.do("DELETE", path+"/attrs/level?deleteAll=maybe", "").problem(t, http.StatusBadRequest, "BadRequestData")
	a.do("DELETE", path+"/attrs/level?deleteAll=true", "").want(t, http.StatusNoContent)
	a.do("DELETE", path+"/attrs/level", "").problem(t, http.StatusNotFound, "ResourceNotFound")
	e = a.do("GET", path, "").want(t, http.StatusOK).object(t)
	if e["level"] != nil || e["status"] == nil {
		t.Fatalf("after deleting level: %v", e)
	}
	// application/ld+json carries the context in the body.
	r = a.do("GET", path, "", "Accept", "application/ld+json").want(t, http.StatusOK)
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &m); err != nil || m["@context"] == nil {
		t.Fatalf("ld+json: %s", r.body)
	}
	a.do("POST", temporalBase, `{"id":"urn:x:1"}`).problem(t, http.StatusBadRequest, "BadRequestData")
}

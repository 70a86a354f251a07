package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/broker"
	"github.com/dothi-city/dothi/internal/bus"
	"github.com/dothi-city/dothi/internal/httpapi"
	"github.com/dothi-city/dothi/internal/jsonld"
	"github.com/dothi-city/dothi/internal/store/sqlite"
)

// api is an NGSI-LD API on a real embedded store, served over HTTP.
type api struct {
	t   *testing.T
	srv *httptest.Server
}

func newAPI(t *testing.T) *api {
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
	changes := bus.NewLocal()
	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/stream", httpapi.WithTenant(httpapi.Stream(changes, httpapi.StreamOptions{Heartbeat: 50 * time.Millisecond})))
	httpapi.RegisterNGSILD(mux, broker.New(st, broker.WithBus(changes)), res, st, httpapi.Options{
		Limits:   httpapi.QueryLimits{DefaultPageSize: 20, MaxPageSize: 100},
		MaxBatch: 50,
	})
	srv := httptest.NewServer(httpapi.Recover(httpapi.LimitBody(64<<10, mux)))
	t.Cleanup(srv.Close)
	return &api{t: t, srv: srv}
}

// response is a received answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request; headers come in pairs (name, value).
func (a *api) do(method, path, body string, headers ...string) response {
	a.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, a.srv.URL+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := a.srv.Client().Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// want fails the test unless the status is code.
func (r response) want(t *testing.T, code int) response {
	t.Helper()
	if r.status != code {
		t.Fatalf("status %d, want %d; body: %s", r.status, code, r.body)
	}
	return r
}

// problem checks an RFC 7807 answer of the given status and NGSI-LD type,
// whose detail mentions each of the fragments.
func (r response) problem(t *testing.T, code int, typ string, fragments ...string) {
	t.Helper()
	r.want(t, code)
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	var p struct{ Type, Title, Detail string }
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("problem body %s: %v", r.body, err)
	}
	if p.Type != "https://uri.etsi.org/ngsi-ld/errors/"+typ {
		t.Errorf("problem type %q, want %s (detail %q)", p.Type, typ, p.Detail)
	}
	for _, f := range fragments {
		if !strings.Contains(p.Detail, f) {
			t.Errorf("problem detail %q does not mention %q", p.Detail, f)
		}
	}
}

// object decodes the body as a JSON object.
func (r response) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	return m
}

// list decodes the body as a JSON array of objects.
func (r response) list(t *testing.T) []map[string]any {
	t.Helper()
	var l []map[string]any
	if err := json.Unmarshal(r.body, &l); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	return l
}

// ids returns the ids of a list of entities, in order.
func (r response) ids(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, e := range r.list(t) {
		out = append(out, e["id"].(string))
	}
	return out
}

// jsonEqual compares two JSON texts by value.
func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %s: %v", want, err)
	}
	gs, _ := json.Marshal(g)
	ws, _ := json.Marshal(w)
	if string(gs) != string(ws) {
		t.Errorf("JSON differs\n got: %s\nwant: %s", gs, ws)
	}
}

const (
	stationBaiTruoc = `{"id":"urn:ngsi-ld:AirQualityObserved:VT-BaiTruoc","type":"AirQualityObserved",
		"name":{"type":"Property","value":"Bãi Trước"},
		"pm25":{"type":"Property","value":38.5,"unitCode":"GQ","observedAt":"2026-11-23T08:00:00.000Z"},
		"pm10":{"type":"Property","value":61},
		"refDevice":{"type":"Relationship","object":"urn:ngsi-ld:Device:aq-01"},
		"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[107.0724,10.346]}}}`
	stationBaiSau = `{"id":"urn:ngsi-ld:AirQualityObserved:VT-BaiSau","type":"AirQualityObserved",
		"name":{"type":"Property","value":"Bãi Sau"},
		"pm25":{"type":"Property","value":12.0,"unitCode":"GQ","observedAt":"2026-11-23T08:00:00.000Z"},
		"pm10":{"type":"Property","value":20},
		"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[107.0946,10.3399]}}}`
	flowThuyVan = `{"id":"urn:ngsi-ld:TrafficFlowObserved:ThuyVan-1","type":"TrafficFlowObserved",
		"intensity":{"type":"Property","value":420},
		"roadName":{"type":"Property","value":"Thùy Vân"},
		"location":{"type":"GeoProperty","value":{"type":"LineString","coordinates":[[107.0850,10.3410],[107.0990,10.3330]]}}}`
)

const baiTruocPath = "/ngsi-ld/v1/entities/urn:ngsi-ld:AirQualityObserved:VT-BaiTruoc"

// seed creates the demo entities.
func (a *api) seed() {
	a.t.Helper()
	for _, e := range []string{stationBaiTruoc, stationBaiSau, flowThuyVan} {
		a.do("POST", "/ngsi-ld/v1/entities", e).want(a.t, http.StatusCreated)
	}
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

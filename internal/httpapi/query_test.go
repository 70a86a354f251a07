package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
)

func TestQueryEntities(t *testing.T) {
	a := newAPI(t)
	a.seed()
	const (
		truoc = "urn:ngsi-ld:AirQualityObserved:VT-BaiTruoc"
		sau   = "urn:ngsi-ld:AirQualityObserved:VT-BaiSau"
		flow  = "urn:ngsi-ld:TrafficFlowObserved:ThuyVan-1"
	)
	cases := []struct {
		name  string
		query string
		want  []string
	}{
		{"type", "type=AirQualityObserved", []string{truoc, sau}},
		{"type OR", "type=AirQualityObserved,TrafficFlowObserved", []string{truoc, sau, flow}},
		{"type AND", "type=" + url.QueryEscape("AirQualityObserved;TrafficFlowObserved"), nil},
		{"id list", "id=" + sau + "," + flow, []string{sau, flow}},
		{"idPattern", "idPattern=" + url.QueryEscape("^urn:ngsi-ld:AirQuality.*Sau$"), []string{sau}},
		{"attrs", "attrs=intensity", []string{flow}},
		{"q greater", "type=AirQualityObserved&q=" + url.QueryEscape("pm25>20"), []string{truoc}},
		{"q range", "q=" + url.QueryEscape("pm10==15..25"), []string{sau}},
		{"q list", "q=" + url.QueryEscape("pm10==61,20"), []string{truoc, sau}},
		{"q not equal", "type=AirQualityObserved&q=" + url.QueryEscape("pm10!=61"), []string{sau}},
		{"q string", "q=" + url.QueryEscape(`roadName=="Thùy Vân"`), []string{flow}},
		{"q pattern", "q=" + url.QueryEscape(`name~="^Bãi"`), []string{truoc, sau}},
		{"q or and", "q=" + url.QueryEscape("(pm25<20;pm10<30)|intensity>400"), []string{sau, flow}},
		{"q relationship", "q=" + url.QueryEscape("refDevice==urn:ngsi-ld:Device:aq-01"), []string{truoc}},
		{"q metadata", "q=" + url.QueryEscape("pm25.observedAt>=2026-11-23T00:00:00Z"), []string{truoc, sau}},
		{"q existence", "type=AirQualityObserved&q=refDevice", []string{truoc}},
		{"near", "georel=" + url.QueryEscape("near;maxDistance==1000") + "&geometry=Point&coordinates=" + url.QueryEscape("[107.0730,10.3465]"), []string{truoc}},
		{"near far", "type=AirQualityObserved&georel=" + url.QueryEscape("near;maxDistance==5000") + "&geometry=Point&coordinates=" + url.QueryEscape("[107.0730,10.3465]"), []string{truoc, sau}},
		{"within", "georel=within&geometry=Polygon&coordinates=" + url.QueryEscape("[[[107.06,10.34],[107.08,10.34],[107.08,10.35],[107.06,10.35],[107.06,10.34]]]"), []string{truoc}},
		{"intersects line", "georel=intersects&geometry=Polygon&coordinates=" + url.QueryEscape("[[[107.096,10.330],[107.100,10.330],[107.100,10.336],[107.096,10.336],[107.096,10.330]]]"), []string{flow}},
		{"local lists all", "local=true", []string{truoc, sau, flow}},
		{"raw semicolons", "q=pm25<20;pm10<30&georel=near;maxDistance==5000&geometry=Point&coordinates=[107.0730,10.3465]", []string{sau}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := a.do("GET", "/ngsi-ld/v1/entities?"+c.query, "").want(t, http.StatusOK).ids(t)
			slices.Sort(got)
			want := slices.Clone(c.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func TestQueryErrors(t *testing.T) {
	a := newAPI(t)
	a.seed()
	cases := []struct{ name, query, typ, detail string }{
		{"no filter", "", "BadRequestData", "at least one"},
		{"bad q", "q=" + url.QueryEscape("pm25>>3"), "BadRequestData", "q"},
		{"unbalanced q", "q=" + url.QueryEscape("(pm25>3"), "BadRequestData", "q"},
		{"bad pattern", "q=" + url.QueryEscape(`name~="("`), "BadRequestData", ""},
		{"bad type expression", "type=" + url.QueryEscape("(A,"), "BadRequestData", ""},
		{"bad idPattern", "idPattern=" + url.QueryEscape("(["), "BadRequestData", "idPattern"},
		{"bad id", "id=nonsense", "BadRequestData", "nonsense"},
		{"bad georel", "georel=around&geometry=Point&coordinates=[1,2]", "BadRequestData", "around"},
		{"georel without geometry", "georel=within", "BadRequestData", "geometry"},
		{"bad coordinates", "georel=within&geometry=Polygon&coordinates=[1,2]", "BadRequestData", ""},
		{"negative limit", "type=T&limit=-1", "BadRequestData", "limit"},
		{"limit zero without count", "type=T&limit=0", "BadRequestData", "count"},
		{"bad count", "type=T&count=perhaps", "BadRequestData", "count"},
		{"bad format", "type=T&format=xml", "BadRequestData", "xml"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a.do("GET", "/ngsi-ld/v1/entities?"+c.query, "").problem(t, 400, c.typ, c.detail)
		})
	}
	a.do("GET", "/ngsi-ld/v1/entities?type=T&limit=101", "").problem(t, 403, "TooManyResults", "101")
	long := "q=" + url.QueryEscape(fmt.Sprintf("%0*d", 9000, 0))
	a.do("GET", "/ngsi-ld/v1/entities?"+long, "").problem(t, 403, "TooComplexQuery", "")
}

func TestPagination(t *testing.T) {
	a := newAPI(t)
	batch := "["
	for i := 0; i < 45; i++ {
		if i > 0 {
			batch += ","
		}
		batch += fmt.Sprintf(`{"id":"urn:ngsi-ld:Streetlight:TranPhu-%02d","type":"Streetlight","powerState":{"type":"Property","value":"on"}}`, i)
	}
	a.do("POST", "/ngsi-ld/v1/entityOperations/create", batch+"]").want(t, http.StatusCreated)
	seen := map[string]bool{}
	for offset := 0; offset < 45; offset += 20 {
		r := a.do("GET", fmt.Sprintf("/ngsi-ld/v1/entities?type=Streetlight&limit=20&offset=%d&count=true", offset), "").want(t, http.StatusOK)
		if c := r.header.Get("NGSILD-Results-Count"); c != "45" {
			t.Errorf("NGSILD-Results-Count %q, want 45", c)
		}
		for _, id := range r.ids(t) {
			if seen[id] {
				t.Errorf("%s on two pages", id)
			}
			seen[id] = true
		}
	}
	if len(seen) != 45 {
		t.Errorf("pages held %d entities, want 45", len(seen))
	}
	r := a.do("GET", "/ngsi-ld/v1/entities?type=Streetlight&limit=0&count=true", "").want(t, http.StatusOK)
	if r.header.Get("NGSILD-Results-Count") != "45" || len(r.list(t)) != 0 {
		t.Errorf("limit=0: count %q, %d entities", r.header.Get("NGSILD-Results-Count"), len(r.list(t)))
	}
}

func TestQueryRepresentations(t *testing.T) {
	a := newAPI(t)
	a.seed()
	r := a.do("GET", "/ngsi-ld/v1/entities?type=TrafficFlowObserved&format=concise", "").want(t, http.StatusOK)
	jsonEqual(t, r.body, `[{"id":"urn:ngsi-ld:TrafficFlowObserved:ThuyVan-1","type":"TrafficFlowObserved",
		"intensity":420,"roadName":"Thùy Vân",
		"location":{"type":"LineString","coordinates":[[107.085,10.341],[107.099,10.333]]}}]`)
	g := a.do("GET", "/ngsi-ld/v1/entities?type=AirQualityObserved&options=keyValues&attrs=pm25", "", "Accept", "application/geo+json").want(t, http.StatusOK)
	fc := g.object(t)
	if fc["type"] != "FeatureCollection" {
		t.Fatalf("geo+json answer is not a FeatureCollection: %s", g.body)
	}
	features := fc["features"].([]any)
	if len(features) != 2 {
		t.Fatalf("%d features, want 2", len(features))
	}
	f := features[0].(map[string]any)
	if f["geometry"].(map[string]any)["type"] != "Point" || f["properties"].(map[string]any)["pm25"] == nil {
		t.Errorf("feature %v", f)
	}
	post := a.do("POST", "/ngsi-ld/v1/entityOperations/query", `{"type":"Query","entities":[{"type":"AirQualityObserved"}],"q":"pm25>20"}`).want(t, http.StatusOK)
	if ids := post.ids(t); len(ids) != 1 || ids[0] != "urn:ngsi-ld:AirQualityObserved:VT-BaiTruoc" {
		t.Errorf("POST query returned %v", ids)
	}
	a.do("POST", "/ngsi-ld/v1/entityOperations/query", `{"type":"Nope"}`).problem(t, 400, "BadRequestData", "Query")
}

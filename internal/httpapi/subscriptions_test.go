package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/broker"
	"github.com/dothi-city/dothi/internal/httpapi"
	"github.com/dothi-city/dothi/internal/jsonld"
	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store/sqlite"
	"github.com/dothi-city/dothi/internal/subscription"
)

// newSubAPI serves the subscription operations over HTTP.
func newSubAPI(t *testing.T, opts ...func(*subscription.Manager)) *api {
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
	m := &subscription.Manager{Store: subscriptionStore(st)}
	for _, o := range opts {
		o(m)
	}
	httpapi.RegisterSubscriptions(mux, m, res)
	srv := httptest.NewServer(httpapi.Recover(mux))
	t.Cleanup(srv.Close)
	return &api{t: t, srv: srv}
}

const subsPath = "/ngsi-ld/v1/subscriptions"

func TestSubscriptionLifecycle(t *testing.T) {
	a := newSubAPI(t)
	body := `{"id":"urn:ngsi-ld:Subscription:aq","type":"Subscription","entities":[{"type":"AirQualityObserved"}],
		"watchedAttributes":["pm25"],"q":"pm25>25","notification":{"attributes":["pm25"],"format":"keyValues",
		"endpoint":{"uri":"http://localhost:9/notify","receiverInfo":[{"key":"X-Key","value":"v"}]}}}`
	r := a.do("POST", subsPath, body).want(t, http.StatusCreated)
	if loc := r.header.Get("Location"); loc != subsPath+"/urn:ngsi-ld:Subscription:aq" {
		t.Errorf("Location %q", loc)
	}
	a.do("POST", subsPath, body).want(t, http.StatusConflict)
	a.do("POST", subsPath, `{"type":"Subscription","entities":[{"type":"T"}],"notification":{"endpoint":{"uri":"mqtt://localhost:1883/dothi/x"}}}`).want(t, http.StatusCreated)
	a.do("POST", subsPath, `{"type":"Subscription","entities":[{"type":"T"}],"notification":{"endpoint":{"uri":"http://h/x"}}}`,
		"NGSILD-Tenant", "other").want(t, http.StatusCreated)

	got := a.do("GET", subsPath+"/urn:ngsi-ld:Subscription:aq", "").want(t, http.StatusOK).object(t)
	n := got["notification"].(map[string]any)
	if got["status"] != "active" || got["isActive"] != true || got["watchedAttributes"].([]any)[0] != "pm25" ||
		got["entities"].([]any)[0].(map[string]any)["type"] != "AirQualityObserved" || got["q"] != "pm25>25" ||
		n["format"] != "keyValues" || n["attributes"].([]any)[0] != "pm25" || n["timesSent"] != float64(0) {
		t.Errorf("retrieved %s", got)
	}
	if ep := n["endpoint"].(map[string]any); ep["uri"] != "http://localhost:9/notify" || ep["accept"] != "application/json" {
		t.Errorf("endpoint %v", ep)
	}

	r = a.do("GET", subsPath+"?count=true&limit=1", "").want(t, http.StatusOK)
	var list []map[string]any
	_ = json.Unmarshal(r.body, &list)
	if len(list) != 1 || r.header.Get("NGSILD-Results-Count") != "2" {
		t.Errorf("page: %d items, count %q", len(list), r.header.Get("NGSILD-Results-Count"))
	}
	first := list[0]["id"]
	r = a.do("GET", subsPath+"?offset=1", "").want(t, http.StatusOK)
	_ = json.Unmarshal(r.body, &list)
	if len(list) != 1 || list[0]["id"] == first {
		t.Errorf("offset=1: %v", list)
	}
	a.do("GET", subsPath+"?limit=0", "").want(t, http.StatusBadRequest)
	a.do("GET", subsPath+"?limit=5000", "").want(t, http.StatusForbidden)
	a.do("GET", subsPath+"?count=maybe", "").want(t, http.StatusBadRequest)

	a.do("PATCH", subsPath+"/urn:ngsi-ld:Subscription:aq", `{"isActive":false,"throttling":10,"notification":{"format":"concise"}}`).want(t, http.StatusNoContent)
	got = a.do("GET", subsPath+"/urn:ngsi-ld:Subscription:aq", "").want(t, http.StatusOK).object(t)
	n = got["notification"].(map[string]any)
	if got["status"] != "paused" || got["throttling"] != float64(10) || n["format"] != "concise" ||
		n["endpoint"].(map[string]any)["uri"] != "http://localhost:9/notify" || got["q"] != "pm25>25" {
		t.Errorf("after PATCH: %s", got)
	}
	a.do("PATCH", subsPath+"/urn:ngsi-ld:Subscription:aq", `{"q":null}`).want(t, http.StatusNoContent)
	if got = a.do("GET", subsPath+"/urn:ngsi-ld:Subscription:aq", "").object(t); got["q"] != nil {
		t.Errorf("q not removed: %v", got)
	}
	a.do("PATCH", subsPath+"/urn:ngsi-ld:Subscription:aq", `{"q":"pm25>>"}`).want(t, http.StatusBadRequest)
	a.do("PATCH", subsPath+"/urn:ngsi-ld:Subscription:aq", `{"id":"urn:other"}`).want(t, http.StatusBadRequest)
	a.do("PATCH", subsPath+"/urn:ngsi-ld:Subscription:aq", `{"notification":{"endpoint":{"uri":"gopher://x"}}}`).want(t, http.StatusBadRequest)
	a.do("PATCH", subsPath+"/urn:ngsi-ld:Subscription:nope", `{"isActive":true}`).want(t, http.StatusNotFound)

	a.do("GET", subsPath+"/urn:ngsi-ld:Subscription:aq", "", "NGSILD-Tenant", "other").want(t, http.StatusNotFound)
	a.do("DELETE", subsPath+"/urn:ngsi-ld:Subscription:aq", "").want(t, http.StatusNoContent)
	a.do("GET", subsPath+"/urn:ngsi-ld:Subscription:aq", "").want(t, http.StatusNotFound)
	a.do("DELETE", subsPath+"/urn:ngsi-ld:Subscription:aq", "").want(t, http.StatusNotFound)
	a.do("PUT", subsPath+"/urn:ngsi-ld:Subscription:aq", "{}").want(t, http.StatusMethodNotAllowed)
}

func TestSubscriptionContexts(t *testing.T) {
	a := newSubAPI(t)
	a.do("POST", subsPath, `{"id":"urn:s:1","type":"Subscription","entities":[{"type":"Sensor"}],"watchedAttributes":["pm"],
		"notification":{"attributes":["pm"],"endpoint":{"uri":"http://h/x"}},
		"@context":{"pm":"https://example.org/pm25","Sensor":"https://example.org/Sensor"}}`,
		"Content-Type", "application/ld+json").want(t, http.StatusCreated)
	got := a.do("GET", subsPath+"/urn:s:1", "").want(t, http.StatusOK).object(t)
	if got["watchedAttributes"].([]any)[0] != "https://example.org/pm25" || got["entities"].([]any)[0].(map[string]any)["type"] != "https://example.org/Sensor" {
		t.Errorf("names not expanded with the body's @context: %v", got)
	}
	ld := a.do("GET", subsPath+"/urn:s:1", "", "Accept", "application/ld+json").want(t, http.StatusOK)
	if ld.header.Get("Content-Type") != "application/ld+json" || ld.object(t)["@context"] == nil {
		t.Errorf("ld+json answer: %v %s", ld.header, ld.body)
	}
	a.do("POST", subsPath, `{"type":"Subscription","watchedAttributes":["pm"],"notification":{"endpoint":{"uri":"http://h/x"}}}`,
		"Content-Type", "application/ld+json").want(t, http.StatusBadRequest)
}

func TestSubscriptionBadInput(t *testing.T) {
	a := newSubAPI(t)
	for _, tt := range []struct {
		body, want string
		code       int
	}{
		{`{"type":"Subscription"`, "not valid JSON", 400},
		{`[1]`, "JSON object", 400},
		{`{"type":"Subscription","notification":{"endpoint":{"uri":"http://h/x"}}}`, "entities or watchedAttributes", 400},
		{`{"type":"Subscription","watchedAttributes":["a"],"notification":{"endpoint":{"uri":"http://h/x"}},"@context":{}}`, "@context", 400},
		{`{"type":"Subscription","watchedAttributes":["a"],"expiresAt":"yesterday","notification":{"endpoint":{"uri":"http://h/x"}}}`, "expiresAt", 400},
		{`{"type":"Subscription","watchedAttributes":["a"],"notification":{"endpoint":{"uri":"mqtt://broker"}}}`, "topic", 400},
		{`{"type":"Subscription","watchedAttributes":["a"],"notificationTrigger":["sometimes"],"notification":{"endpoint":{"uri":"http://h/x"}}}`, "notificationTrigger", 400},
	} {
		r := a.do("POST", subsPath, tt.body)
		if r.status != tt.code || !strings.Contains(string(r.body), tt.want) {
			t.Errorf("POST %s: %d %s, want %d mentioning %q", tt.body, r.status, r.body, tt.code, tt.want)
		}
	}
	a.do("POST", subsPath, `{}`, "Content-Type", "text/plain").want(t, http.StatusUnsupportedMediaType)
	a.do("GET", subsPath, "", "NGSILD-Tenant", "bad tenant!").want(t, http.StatusBadRequest)
}

func TestSubscriptionEndpointPolicy(t *testing.T) {
	a := newSubAPI(t, func(m *subscription.Manager) {
		m.CheckEndpoint = func(_ context.Context, _, uri string) error {
			if strings.Contains(uri, "169.254.") {
				return ngsild.Errorf(ngsild.ErrForbidden, "notification endpoint %s is not allowed", uri)
			}
			return nil
		}
	})
	a.do("POST", subsPath, `{"id":"urn:s:1","type":"Subscription","watchedAttributes":["a"],"notification":{"endpoint":{"uri":"http://169.254.169.254/x"}}}`).want(t, http.StatusForbidden)
	a.do("POST", subsPath, `{"id":"urn:s:1","type":"Subscription","watchedAttributes":["a"],"notification":{"endpoint":{"uri":"http://receiver.example/x"}}}`).want(t, http.StatusCreated)
	a.do("PATCH", subsPath+"/urn:s:1", `{"notification":{"endpoint":{"uri":"http://169.254.169.254/y"}}}`).want(t, http.StatusForbidden)
}

package httpapi_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// event is one server-sent event.
type event struct{ name, data string }

// openStream connects to the live stream and returns its events.
func (a *api) openStream(t *testing.T, query string) <-chan event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", a.srv.URL+"/api/v1/stream?"+query, nil)
	resp, err := a.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream answered %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := make(chan event, 16)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		var ev event
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			case line == "" && ev.name != "":
				out <- ev
				ev = event{}
			}
		}
	}()
	if ev := next(t, out); ev.name != "ready" {
		t.Fatalf("first event %q, want ready", ev.name)
	}
	return out
}

func next(t *testing.T, events <-chan event) event {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatal("stream closed")
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5 s")
	}
	return event{}
}

func TestStreamDeliversFilteredChanges(t *testing.T) {
	a := newAPI(t)
	events := a.openStream(t, "type=AirQualityObserved&bbox=107.06,10.34,107.08,10.35")
	a.do("POST", "/ngsi-ld/v1/entities", flowThuyVan).want(t, http.StatusCreated)     // other type
	a.do("POST", "/ngsi-ld/v1/entities", stationBaiSau).want(t, http.StatusCreated)   // outside the box
	a.do("POST", "/ngsi-ld/v1/entities", stationBaiTruoc).want(t, http.StatusCreated) // matches
	ev := next(t, events)
	if ev.name != "create" || !strings.Contains(ev.data, `"id":"urn:ngsi-ld:AirQualityObserved:VT-BaiTruoc"`) || !strings.Contains(ev.data, `"pm25":38.5`) {
		t.Fatalf("event %+v", ev)
	}
	a.do("PATCH", baiTruocPath+"/attrs", `{"pm25":{"type":"Property","value":40}}`).want(t, http.StatusNoContent)
	if ev := next(t, events); ev.name != "update" || !strings.Contains(ev.data, `"pm25":40`) {
		t.Fatalf("event %+v", ev)
	}
	a.do("DELETE", baiTruocPath, "").want(t, http.StatusNoContent)
	if ev := next(t, events); ev.name != "delete" {
		t.Fatalf("event %+v", ev)
	}
}

func TestStreamTenantsAndBadFilters(t *testing.T) {
	a := newAPI(t)
	events := a.openStream(t, "tenant=vungtau")
	a.do("POST", "/ngsi-ld/v1/entities", stationBaiSau).want(t, http.StatusCreated)
	a.do("POST", "/ngsi-ld/v1/entities", stationBaiTruoc, "NGSILD-Tenant", "vungtau").want(t, http.StatusCreated)
	if ev := next(t, events); !strings.Contains(ev.data, "VT-BaiTruoc") {
		t.Fatalf("a change of another tenant reached the stream: %+v", ev)
	}
	a.do("GET", "/api/v1/stream?bbox=1,2,3", "").problem(t, 400, "BadRequestData", "bbox")
	a.do("GET", "/api/v1/stream?bbox=5,2,3,4", "").problem(t, 400, "BadRequestData", "minimum")
	a.do("GET", "/api/v1/stream?tenant=no%20way", "").problem(t, 400, "BadRequestData", "tenant")
}

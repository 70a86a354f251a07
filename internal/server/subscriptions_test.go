package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestSubscriptionNotifiesThroughTheServer subscribes as the administrator,
// changes an entity as an operator and waits for the notification; other
// roles may not manage subscriptions yet.
func TestSubscriptionNotifiesThroughTheServer(t *testing.T) {
	got := make(chan string, 16)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- string(body)
	}))
	defer receiver.Close()
	base, _, stop := startDemo(t)
	defer stop()
	sub := `{"type":"Subscription","entities":[{"type":"WaterQualityObserved"}],"watchedAttributes":["ph"],
		"notification":{"format":"keyValues","endpoint":{"uri":"` + receiver.URL + `","accept":"application/json"}}}`
	op := login(t, base, "operator")
	if code, body := op.write(t, "POST", base+"/ngsi-ld/v1/subscriptions", sub); code != http.StatusForbidden {
		t.Fatalf("operator creates a subscription: %d %s, want 403", code, body)
	}
	admin := login(t, base, "admin")
	if code, body := admin.write(t, "POST", base+"/ngsi-ld/v1/subscriptions", sub); code != http.StatusCreated {
		t.Fatalf("admin creates a subscription: %d %s", code, body)
	}
	id := "urn:ngsi-ld:WaterQualityObserved:VT-notify"
	if code, body := op.write(t, "POST", base+"/ngsi-ld/v1/entities", entityJSON(id, "ioc", "public")); code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	select {
	case n := <-got:
		if !strings.Contains(n, `"Notification"`) || !strings.Contains(n, id) || !strings.Contains(n, `"ph":7.1`) {
			t.Errorf("notification %s", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notification within 10 s")
	}
}

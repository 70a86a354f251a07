package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestTemporalHistoryFollowsEntityAccess checks that the temporal API
// applies the entities' access rules: history of another agency's
// restricted entity is neither read nor changed by its staff.
func TestTemporalHistoryFollowsEntityAccess(t *testing.T) {
	base, _, stop := startDemo(t)
	defer stop()
	secret := "urn:ngsi-ld:WaterQualityObserved:VT-history"
	tnmt := login(t, base, "staff.tnmt")
	if code, body := tnmt.write(t, "POST", base+"/ngsi-ld/v1/entities", entityJSON(secret, "so-tnmt", "restricted")); code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	if code, body := tnmt.write(t, "PATCH", base+"/ngsi-ld/v1/entities/"+secret+"/attrs", `{"ph":{"type":"Property","value":6.8}}`); code != http.StatusNoContent {
		t.Fatalf("update: %d %s", code, body)
	}
	history := base + "/ngsi-ld/v1/temporal/entities/" + secret
	if code, body := tnmt.get(t, history); code != 200 || !strings.Contains(body, "6.8") || !strings.Contains(body, "7.1") {
		t.Fatalf("owner reads its history: %d %s", code, body)
	}
	gtvt := login(t, base, "staff.gtvt")
	if code, body := gtvt.get(t, history); code != http.StatusNotFound {
		t.Errorf("staff of Sở GTVT reads restricted history of Sở TN&MT: %d %s, want 404", code, body)
	}
	if code, body := gtvt.get(t, base+"/ngsi-ld/v1/temporal/entities?type=WaterQualityObserved"); code != 200 || strings.Contains(body, secret) {
		t.Errorf("staff of Sở GTVT queries history: %d %s, want 200 without %s", code, body, secret)
	}
	if code, body := gtvt.write(t, "DELETE", history, ""); code != http.StatusNotFound {
		t.Errorf("staff of Sở GTVT deletes restricted history of Sở TN&MT: %d %s, want 404", code, body)
	}
	leader := login(t, base, "leader")
	if code, body := leader.get(t, history); code != 200 || !strings.Contains(body, "6.8") {
		t.Errorf("the leader reads the history: %d %s", code, body)
	}
	if code, body := leader.write(t, "DELETE", history, ""); code != http.StatusForbidden {
		t.Errorf("the leader deletes history: %d %s, want 403", code, body)
	}
}

// TestShutdownEndsLiveStreams checks that an open event stream does not
// hold up a graceful shutdown.
func TestShutdownEndsLiveStreams(t *testing.T) {
	base, _, stop := startDemo(t)
	op := login(t, base, "operator")
	resp, err := op.c.Get(base + "/api/v1/stream")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("stream: %v %v", err, resp)
	}
	defer resp.Body.Close()
	start := time.Now()
	stop()
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("shutdown with an open stream took %s", d)
	}
}

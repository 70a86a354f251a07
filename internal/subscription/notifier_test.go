package subscription

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/bus"
	"github.com/dothi-city/dothi/internal/store"
)

func aq(id string, pm25 float64, lon, lat float64) string {
	return fmt.Sprintf(`{"id":"urn:ngsi-ld:AirQualityObserved:%s","type":"AirQualityObserved",
		"pm25":{"type":"Property","value":%g},
		"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[%g,%g]}}}`, id, pm25, lon, lat)
}

func ids(ns []notification) []string {
	var out []string
	for _, n := range ns {
		for _, d := range n.data() {
			out = append(out, d["id"].(string))
		}
	}
	return out
}

func TestNotifyMatching(t *testing.T) {
	e := newEnv(t, testOptions())
	e.subscribe("", `{"type":"Subscription","entities":[{"type":"AirQualityObserved"}],"q":"pm25>25",
		"notification":{"format":"keyValues","attributes":["pm25"],"endpoint":{"uri":"RECV/q","receiverInfo":[{"key":"X-Auth","value":"k1"}]}}}`)
	e.subscribe("", `{"type":"Subscription","entities":[{"type":"AirQualityObserved"}],
		"geoQ":{"geometry":"Point","coordinates":[107.08,10.346],"georel":"near;maxDistance==2000"},
		"notification":{"endpoint":{"uri":"RECV/geo","accept":"application/ld+json"}}}`)
	e.subscribe("", `{"type":"Subscription","entities":[{"idPattern":".*:VT-.*","type":"AirQualityObserved"}],
		"watchedAttributes":["no2"],"notification":{"format":"concise","endpoint":{"uri":"RECV/watched"}}}`)
	e.subscribe("", `{"type":"Subscription","entities":[{"type":"AirQualityObserved"}],"notificationTrigger":["entityDeleted"],
		"notification":{"endpoint":{"uri":"RECV/deleted"}}}`)
	e.subscribe("", `{"type":"Subscription","entities":[{"type":"AirQualityObserved"}],"isActive":false,
		"notification":{"endpoint":{"uri":"RECV/paused"}}}`)
	e.subscribe("", `{"type":"Subscription","entities":[{"type":"WeatherObserved"}],
		"notification":{"endpoint":{"uri":"RECV/othertype"}}}`)
	e.subscribe("other", `{"type":"Subscription","entities":[{"type":"AirQualityObserved"}],
		"notification":{"endpoint":{"uri":"RECV/othertenant"}}}`)

	e.put("", aq("VT-1", 10, 107.0724, 10.3460)) // near, low pm25
	e.put("", aq("HN-1", 40, 105.85, 21.02))     // far, high pm25
	e.put("", `{"id":"urn:ngsi-ld:AirQualityObserved:VT-2","type":"AirQualityObserved","no2":{"type":"Property","value":3}}`)
	e.recv.wait("/watched", 1)
	e.del("", "urn:ngsi-ld:AirQualityObserved:VT-2")

	q := e.recv.wait("/q", 1)
	if got := ids(q); len(got) != 1 || got[0] != "urn:ngsi-ld:AirQualityObserved:HN-1" {
		t.Errorf("q notified %v, want HN-1 only", got)
	}
	n := q[0]
	if n.body["type"] != "Notification" || n.body["subscriptionId"] == nil || n.body["notifiedAt"] == nil || !strings.HasPrefix(n.body["id"].(string), "urn:ngsi-ld:Notification:") {
		t.Errorf("notification envelope %v", n.body)
	}
	if d := n.data()[0]; fmt.Sprint(d["pm25"]) != "40" || d["location"] != nil {
		t.Errorf("keyValues with attributes [pm25]: %v", d)
	}
	if n.header.Get("X-Auth") != "k1" || n.header.Get("Content-Type") != "application/json" || !strings.Contains(n.header.Get("Link"), "ngsi-ld-core-context") {
		t.Errorf("headers %v", n.header)
	}

	geo := e.recv.wait("/geo", 1)
	if got := ids(geo); len(got) != 1 || got[0] != "urn:ngsi-ld:AirQualityObserved:VT-1" {
		t.Errorf("geoQ notified %v, want VT-1 only", got)
	}
	if geo[0].header.Get("Content-Type") != "application/ld+json" || geo[0].body["@context"] == nil {
		t.Errorf("ld+json notification: %v %v", geo[0].header, geo[0].body)
	}
	if d := geo[0].data()[0]; d["pm25"].(map[string]any)["type"] != "Property" {
		t.Errorf("normalized format: %v", d)
	}

	w := e.recv.wait("/watched", 1)
	if got := ids(w); len(got) != 1 || got[0] != "urn:ngsi-ld:AirQualityObserved:VT-2" {
		t.Errorf("watchedAttributes notified %v, want VT-2", got)
	}
	if d := w[0].data()[0]; fmt.Sprint(d["no2"]) != "3" {
		t.Errorf("concise format: %v", d)
	}
	del := e.recv.wait("/deleted", 1)
	if d := del[0].data()[0]; d["id"] != "urn:ngsi-ld:AirQualityObserved:VT-2" || d["deletedAt"] == nil {
		t.Errorf("entityDeleted: %v", d)
	}
	e.recv.exactly("/q", 1, 200*time.Millisecond)
	e.recv.exactly("/geo", 1, 0)
	e.recv.exactly("/watched", 1, 0)
	e.recv.exactly("/deleted", 1, 0)
	e.recv.exactly("/paused", 0, 0)
	e.recv.exactly("/othertype", 0, 0)
	e.recv.exactly("/othertenant", 0, 0)
}

func TestNotifyTriggers(t *testing.T) {
	e := newEnv(t, testOptions())
	e.subscribe("", `{"type":"Subscription","entities":[{"type":"T"}],"notificationTrigger":["entityCreated"],"notification":{"endpoint":{"uri":"RECV/created"}}}`)
	e.subscribe("", `{"type":"Subscription","entities":[{"type":"T"}],"notificationTrigger":["entityUpdated"],"notification":{"endpoint":{"uri":"RECV/updated"}}}`)
	e.subscribe("", `{"type":"Subscription","entities":[{"type":"T"}],"notificationTrigger":["attributeDeleted"],"notification":{"endpoint":{"uri":"RECV/attrdeleted"}}}`)
	e.subscribe("", `{"type":"Subscription","entities":[{"type":"T"}],"notification":{"endpoint":{"uri":"RECV/default"}}}`)
	e.subscribe("", `{"type":"Subscription","entities":[{"type":"T"}],"notificationTrigger":["attributeCreated"],"notification":{"endpoint":{"uri":"RECV/attrcreated"}}}`)
	e.subscribe("", `{"type":"Subscription","entities":[{"type":"T"}],"notificationTrigger":["attributeUpdated"],"watchedAttributes":["a"],"notification":{"endpoint":{"uri":"RECV/attrupdated"}}}`)
	e.put("", `{"id":"urn:x:1","type":"T","a":{"type":"Property","value":1},"b":{"type":"Property","value":1}}`)
	e.recv.wait("/created", 1) // q and the triggers see the entity as each change left it
	e.put("", `{"id":"urn:x:1","type":"T","a":{"type":"Property","value":2},"b":{"type":"Property","value":1}}`)
	e.recv.wait("/updated", 1)
	e.put("", `{"id":"urn:x:1","type":"T","a":{"type":"Property","value":2}}`)
	e.recv.wait("/updated", 2)
	e.put("", `{"id":"urn:x:1","type":"T","a":{"type":"Property","value":2},"c":{"type":"Property","value":1}}`)
	e.recv.wait("/updated", 3)
	e.recv.wait("/attrdeleted", 1)
	e.recv.wait("/default", 3)
	e.recv.exactly("/created", 1, 200*time.Millisecond)
	e.recv.exactly("/updated", 3, 0)
	e.recv.exactly("/attrdeleted", 1, 0)
	e.recv.exactly("/default", 3, 0)     // created, a updated, c created; not b deleted
	e.recv.exactly("/attrcreated", 2, 0) // the entity's creation, c
	e.recv.exactly("/attrupdated", 1, 0) // a's update only
}

func TestThrottling(t *testing.T) {
	e := newEnv(t, testOptions())
	e.subscribe("", `{"type":"Subscription","entities":[{"type":"T"}],"throttling":0.5,"notification":{"endpoint":{"uri":"RECV/t"}}}`)
	for i := range 5 {
		e.put("", fmt.Sprintf(`{"id":"urn:x:%d","type":"T","a":{"type":"Property","value":%d}}`, i, i))
		time.Sleep(20 * time.Millisecond)
	}
	got := e.recv.wait("/t", 2)
	if len(got) < 2 {
		t.Fatal(len(got))
	}
	if gap := got[1].at.Sub(got[0].at); gap < 450*time.Millisecond {
		t.Errorf("second notification %v after the first, throttling is 0.5s", gap)
	}
	all := e.recv.exactly("/t", len(e.recv.list("/t")), 700*time.Millisecond)
	if n := len(ids(all)); n != 5 {
		t.Errorf("throttled notifications carry %d entities, want all 5 (none lost)", n)
	}
	if len(all) > 3 {
		t.Errorf("%d notifications in ~1s with throttling 0.5s", len(all))
	}
}

func TestExpiry(t *testing.T) {
	e := newEnv(t, testOptions())
	s := e.subscribe("", fmt.Sprintf(`{"type":"Subscription","entities":[{"type":"T"}],"expiresAt":%q,"notification":{"endpoint":{"uri":"RECV/e"}}}`,
		time.Now().Add(time.Second).UTC().Format(time.RFC3339Nano)))
	e.put("", `{"id":"urn:x:1","type":"T","a":{"type":"Property","value":1}}`)
	e.recv.wait("/e", 1)
	time.Sleep(time.Until(s.ExpiresAt) + 50*time.Millisecond)
	got, _, err := e.m.Get(context.Background(), "", s.ID)
	if err != nil || got.State(time.Now()) != StatusExpired {
		t.Errorf("state after expiresAt: %v %v", got.State(time.Now()), err)
	}
	e.put("", `{"id":"urn:x:1","type":"T","a":{"type":"Property","value":2}}`)
	e.recv.exactly("/e", 1, 200*time.Millisecond)

	// Owed notifications of a subscription that expires are dropped.
	e.recv.fail.Store(true)
	e.subscribe("", fmt.Sprintf(`{"type":"Subscription","entities":[{"type":"T"}],"expiresAt":%q,"notification":{"endpoint":{"uri":"RECV/e2"}}}`,
		time.Now().Add(300*time.Millisecond).UTC().Format(time.RFC3339Nano)))
	e.put("", `{"id":"urn:x:1","type":"T","a":{"type":"Property","value":3}}`)
	time.Sleep(500 * time.Millisecond)
	e.recv.fail.Store(false)
	e.recv.exactly("/e2", 0, 300*time.Millisecond)
	if p := e.pending(); p != 0 {
		t.Errorf("%d notifications of an expired subscription still pending", p)
	}
}

func TestPauseAndResume(t *testing.T) {
	e := newEnv(t, testOptions())
	s := e.subscribe("", `{"type":"Subscription","entities":[{"type":"T"}],"isActive":false,"notification":{"endpoint":{"uri":"RECV/p"}}}`)
	e.put("", `{"id":"urn:x:1","type":"T","a":{"type":"Property","value":1}}`)
	e.recv.exactly("/p", 0, 150*time.Millisecond)
	s.IsActive = true
	if err := e.m.Replace(context.Background(), "", s); err != nil {
		t.Fatal(err)
	}
	e.put("", `{"id":"urn:x:1","type":"T","a":{"type":"Property","value":2}}`)
	got := e.recv.wait("/p", 1)
	if d := got[0].data()[0]; fmt.Sprint(d["a"].(map[string]any)["value"]) != "2" {
		t.Errorf("after resume: %v", d)
	}
	e.recv.exactly("/p", 1, 100*time.Millisecond)
}

// deadURL returns the URL of a port nothing listens on.
func deadURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/dead"
}

func TestUnreachableReceiver(t *testing.T) {
	o := testOptions()
	o.MaxAttempts = 4
	o.Timeout = 300 * time.Millisecond
	e := newEnv(t, o)
	dead := e.subscribe("", `{"type":"Subscription","entities":[{"type":"T"}],"notification":{"endpoint":{"uri":"`+deadURL(t)+`"}}}`)
	// A receiver that never answers within the timeout must not hold up the others either.
	slow := e.subscribe("", `{"type":"Subscription","entities":[{"type":"T"}],"notification":{"endpoint":{"uri":"RECV/slow"}}}`)
	e.subscribe("", `{"type":"Subscription","entities":[{"type":"T"}],"notification":{"endpoint":{"uri":"RECV/ok"}}}`)
	start := time.Now()
	for i := range 3 {
		e.put("", fmt.Sprintf(`{"id":"urn:x:%d","type":"T","a":{"type":"Property","value":1}}`, i))
	}
	e.recv.wait("/ok", 3)
	if d := time.Since(start); d > time.Second {
		t.Errorf("healthy receiver waited %v behind a dead one", d)
	}
	st := e.status("", dead.ID, func(s store.SubscriptionStatus) bool { return s.ConsecutiveFailures >= 3 })
	if st.LastFailure.IsZero() || st.TimesSent != 0 || st.LastFailureReason == "" {
		t.Errorf("dead receiver status %+v", st)
	}
	// Backoff: 3 failures take at least RetryBase/2 + RetryBase (jittered halves).
	if d := st.LastFailure.Sub(start); d < 25*time.Millisecond {
		t.Errorf("3 attempts within %v: no backoff", d)
	}
	// The slow receiver times out (Timeout 300ms) and is retried.
	e.status("", slow.ID, func(s store.SubscriptionStatus) bool { return s.TimesFailed >= 2 })
	// After MaxAttempts the notification is abandoned and its pending row deleted.
	e.status("", dead.ID, func(s store.SubscriptionStatus) bool { return s.TimesFailed >= 3*4 })
	okSt := e.status("", e.subscriptionIDs("RECV/ok")[0], func(s store.SubscriptionStatus) bool { return s.TimesSent == 3 })
	if okSt.LastSuccess.IsZero() || okSt.ConsecutiveFailures != 0 {
		t.Errorf("healthy status %+v", okSt)
	}
	e.status("", slow.ID, func(s store.SubscriptionStatus) bool { return s.TimesFailed >= 3*4 })
	time.Sleep(100 * time.Millisecond)
	if p := e.pending(); p != 0 {
		t.Errorf("%d notifications still pending after being abandoned", p)
	}
}

// subscriptionIDs lists the ids of the subscriptions to uri.
func (e *env) subscriptionIDs(uri string) []string {
	uri = strings.ReplaceAll(uri, "RECV", e.recv.srv.URL)
	list, _, _ := e.m.List(context.Background(), "", -1, 0)
	var out []string
	for _, x := range list {
		if x.Sub.Notification.Endpoint.URI == uri {
			out = append(out, x.Sub.ID)
		}
	}
	return out
}

// pending counts the stored pending notifications.
func (e *env) pending() int {
	list, err := e.subs.PendingNotifications(context.Background(), 0, 1<<20)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(list)
}

func TestRestartDeliversOwedOnce(t *testing.T) {
	o := testOptions()
	o.RetryMax = 50 * time.Millisecond
	o.MaxAttempts = 1000
	e := newEnv(t, o)
	e.subscribe("", `{"type":"Subscription","entities":[{"type":"T"}],"notification":{"endpoint":{"uri":"RECV/r"}}}`)
	e.put("", `{"id":"urn:x:0","type":"T","a":{"type":"Property","value":0}}`)
	e.recv.wait("/r", 1)
	time.Sleep(100 * time.Millisecond) // the deletion of the delivered notification's pending row
	e.recv.fail.Store(true)
	for i := 1; i <= 3; i++ {
		e.put("", fmt.Sprintf(`{"id":"urn:x:%d","type":"T","a":{"type":"Property","value":%d}}`, i, i))
	}
	deadline := time.Now().Add(3 * time.Second)
	for e.pending() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if p := e.pending(); p != 3 {
		t.Fatalf("%d pending before the restart, want 3", p)
	}
	e.close()
	// Changes written while no notifier runs are owed too.
	st, err := openStore(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	errs, err := st.Write(context.Background(), "", []store.Mutation{{ID: "urn:x:4", Apply: mkEntity("urn:x:4")}})
	if err != nil || errs[0] != nil {
		t.Fatal(err, errs)
	}
	st.Close()
	e.recv.fail.Store(false)
	e.open()
	e.recv.wait("/r", 5)
	got := e.recv.exactly("/r", 5, 300*time.Millisecond)
	want := []string{"urn:x:0", "urn:x:1", "urn:x:2", "urn:x:3", "urn:x:4"}
	if fmt.Sprint(ids(got)) != fmt.Sprint(want) {
		t.Errorf("delivered %v, want %v once each in order", ids(got), want)
	}
	time.Sleep(100 * time.Millisecond)
	if p := e.pending(); p != 0 {
		t.Errorf("%d still pending", p)
	}
}

func TestPeriodic(t *testing.T) {
	e := newEnv(t, testOptions())
	e.put("", `{"id":"urn:x:1","type":"T","a":{"type":"Property","value":1}}`)
	e.put("", `{"id":"urn:x:2","type":"T","a":{"type":"Property","value":5}}`)
	e.subscribe("", `{"type":"Subscription","entities":[{"type":"T"}],"q":"a>2","timeInterval":0.2,"notification":{"endpoint":{"uri":"RECV/p"}}}`)
	got := e.recv.wait("/p", 2)
	for _, n := range got[:2] {
		if fmt.Sprint(ids([]notification{n})) != "[urn:x:2]" {
			t.Errorf("periodic notification %v", ids([]notification{n}))
		}
	}
	if gap := got[1].at.Sub(got[0].at); gap < 150*time.Millisecond {
		t.Errorf("periodic notifications %v apart, want 200ms", gap)
	}
}

func TestDeleteSubscriptionStopsNotifications(t *testing.T) {
	e := newEnv(t, testOptions())
	s := e.subscribe("", `{"type":"Subscription","entities":[{"type":"T"}],"notification":{"endpoint":{"uri":"RECV/d"}}}`)
	e.put("", `{"id":"urn:x:1","type":"T","a":{"type":"Property","value":1}}`)
	e.recv.wait("/d", 1)
	if err := e.m.Delete(context.Background(), "", s.ID); err != nil {
		t.Fatal(err)
	}
	e.put("", `{"id":"urn:x:1","type":"T","a":{"type":"Property","value":2}}`)
	e.recv.exactly("/d", 1, 150*time.Millisecond)
}

func TestWakeOnBus(t *testing.T) {
	o := testOptions()
	o.Poll = time.Hour // only the bus can wake the notifier
	changes := bus.NewLocal()
	o.Wake = changes
	e := newEnv(t, o)
	e.subscribe("", `{"type":"Subscription","entities":[{"type":"T"}],"notification":{"endpoint":{"uri":"RECV/w"}}}`)
	e.put("", `{"id":"urn:x:1","type":"T","a":{"type":"Property","value":1}}`)
	e.recv.exactly("/w", 0, 100*time.Millisecond)
	start := time.Now()
	if err := changes.Publish(context.Background(), []bus.Change{{ID: "urn:x:1"}}); err != nil {
		t.Fatal(err)
	}
	e.recv.wait("/w", 1)
	if d := time.Since(start); d > time.Second {
		t.Errorf("woken after %v", d)
	}
}

func TestQueueBound(t *testing.T) {
	o := testOptions()
	o.MaxQueue = 3
	o.MaxAttempts = 1000
	o.RetryMax = 30 * time.Millisecond
	e := newEnv(t, o)
	s := e.subscribe("", `{"type":"Subscription","entities":[{"type":"T"}],"notification":{"endpoint":{"uri":"RECV/b"}}}`)
	e.recv.fail.Store(true)
	for i := range 10 {
		e.put("", fmt.Sprintf(`{"id":"urn:x:%d","type":"T","a":{"type":"Property","value":1}}`, i))
	}
	st := e.status("", s.ID, func(s store.SubscriptionStatus) bool { return s.TimesDropped >= 7 })
	if st.TimesDropped != 7 {
		t.Errorf("dropped %d, want 7", st.TimesDropped)
	}
	time.Sleep(100 * time.Millisecond)
	if p := e.pending(); p > 3 {
		t.Errorf("%d pending, bound is 3", p)
	}
	e.recv.fail.Store(false)
	e.recv.wait("/b", 3)
	time.Sleep(200 * time.Millisecond)
	got := e.recv.list("/b")
	// The notification in flight when the queue overflowed is still retried.
	if l := ids(got); len(l) > 4 || fmt.Sprint(l[len(l)-3:]) != "[urn:x:7 urn:x:8 urn:x:9]" {
		t.Errorf("delivered %v, want the 3 newest (after the one in flight)", l)
	}
}

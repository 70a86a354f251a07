package subscription

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/jsonld"
	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
	"github.com/dothi-city/dothi/internal/store/sqlite"
)

// env is a real SQLite store, a subscription store, a notifier and a
// receiver of HTTP notifications.
type env struct {
	t    *testing.T
	dir  string
	st   *sqlite.Store
	subs store.SubscriptionStore
	n    *Notifier
	m    *Manager
	recv *receiver
	opts Options
}

// testOptions are quick timings for tests.
func testOptions() Options {
	return Options{Poll: 10 * time.Millisecond, Refresh: time.Second, Timeout: 2 * time.Second,
		RetryBase: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond, StatusFlush: 20 * time.Millisecond}
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), recv: newReceiver(t), opts: opts}
	e.open()
	t.Cleanup(e.close)
	return e
}

// open opens the store and starts a notifier on it.
func (e *env) open() {
	e.t.Helper()
	st, err := openStore(e.dir)
	if err != nil {
		e.t.Fatal(err)
	}
	e.st = st
	e.subs = subscriptionStoreOf(e)
	o := e.opts
	o.Log, o.Entities, o.Store = st, st, e.subs
	e.n = NewNotifier(o)
	if err := e.n.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.m = &Manager{Store: e.subs, Notifier: e.n}
}

// close stops the notifier and closes the store.
func (e *env) close() {
	if e.st == nil {
		return
	}
	e.n.Stop()
	e.st.Close()
	e.st = nil
}

// subscribe creates a subscription from its JSON text (core context);
// "RECV" in the text stands for the receiver's URL.
func (e *env) subscribe(tenant, text string) *Subscription {
	e.t.Helper()
	text = strings.ReplaceAll(text, "RECV", e.recv.srv.URL)
	obj := decode(e.t, text)
	s, err := Parse(obj, jsonld.Core(), nil, time.Now())
	if err != nil {
		e.t.Fatalf("Parse(%s): %v", text, err)
	}
	if err := e.m.Create(context.Background(), tenant, s); err != nil {
		e.t.Fatal(err)
	}
	return s
}

// put creates or replaces an entity from its JSON text.
func (e *env) put(tenant, text string) {
	e.t.Helper()
	ent, err := ngsild.ParseEntity(decode(e.t, text), jsonld.Core().ExpandTerm, time.Now().UTC())
	if err != nil {
		e.t.Fatal(err)
	}
	e.write(tenant, store.Mutation{ID: ent.ID, Apply: func(old *ngsild.Entity) (*ngsild.Entity, error) {
		if old != nil {
			// As the broker's replace does: attributes keep their createdAt.
			ent.CreatedAt = old.CreatedAt
			for name, list := range ent.Attrs {
				if prev := old.Attr(name); prev != nil {
					for _, a := range list {
						a.CreatedAt = prev.CreatedAt
					}
				}
			}
		}
		return ent, nil
	}})
}

// del deletes an entity.
func (e *env) del(tenant, id string) {
	e.t.Helper()
	e.write(tenant, store.Mutation{ID: id, Apply: func(*ngsild.Entity) (*ngsild.Entity, error) { return nil, nil }})
}

func (e *env) write(tenant string, muts ...store.Mutation) {
	e.t.Helper()
	errs, err := e.st.Write(context.Background(), tenant, muts)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, err := range errs {
		if err != nil {
			e.t.Fatal(err)
		}
	}
}

// status waits until the subscription's status satisfies ok.
func (e *env) status(tenant, id string, ok func(store.SubscriptionStatus) bool) store.SubscriptionStatus {
	e.t.Helper()
	var st store.SubscriptionStatus
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		_, st, _ = e.m.Get(context.Background(), tenant, id)
		if ok(st) {
			return st
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.t.Fatalf("status of %s never satisfied the condition; last %+v", id, st)
	return st
}

func decode(t testing.TB, text string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("bad test JSON %s: %v", text, err)
	}
	return m
}

// notification is one request the receiver got.
type notification struct {
	path   string
	header http.Header
	body   map[string]any
	at     time.Time
}

// data returns the entities of the notification.
func (n notification) data() []map[string]any {
	var out []map[string]any
	for _, d := range n.body["data"].([]any) {
		out = append(out, d.(map[string]any))
	}
	return out
}

// receiver records the notifications posted to it, by path.
type receiver struct {
	t    *testing.T
	srv  *httptest.Server
	mu   sync.Mutex
	got  map[string][]notification
	fail atomic.Bool
	cond chan struct{}
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, got: map[string][]notification{}, cond: make(chan struct{}, 1)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if req.URL.Path == "/slow" {
			select { // a receiver that does not answer in time
			case <-time.After(3 * time.Second):
			case <-req.Context().Done():
			}
			return
		}
		if r.fail.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Errorf("notification is not JSON: %v: %s", err, body)
		}
		r.mu.Lock()
		r.got[req.URL.Path] = append(r.got[req.URL.Path], notification{req.URL.Path, req.Header.Clone(), m, time.Now()})
		r.mu.Unlock()
		select {
		case r.cond <- struct{}{}:
		default:
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) list(path string) []notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notification(nil), r.got[path]...)
}

// wait waits until path got at least n notifications and returns them.
func (r *receiver) wait(path string, n int) []notification {
	r.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		if l := r.list(path); len(l) >= n {
			return l
		}
		select {
		case <-r.cond:
		case <-time.After(5 * time.Millisecond):
		case <-deadline:
			r.t.Fatalf("%s got %d notifications, want %d", path, len(r.list(path)), n)
		}
	}
}

// exactly waits d and checks that path got exactly n notifications.
func (r *receiver) exactly(path string, n int, d time.Duration) []notification {
	r.t.Helper()
	time.Sleep(d)
	l := r.list(path)
	if len(l) != n {
		var ids []any
		for _, x := range l {
			for _, d := range x.data() {
				ids = append(ids, d["id"])
			}
		}
		r.t.Fatalf("%s got %d notifications (entities %v), want %d", path, len(l), ids, n)
	}
	return l
}

func openStore(dir string) (*sqlite.Store, error) {
	return sqlite.Open(dir+"/db.sqlite", sqlite.Options{Synchronous: sqlite.SyncNormal})
}

// mkEntity returns an Apply that writes a T entity with attribute a.
func mkEntity(id string) func(*ngsild.Entity) (*ngsild.Entity, error) {
	return func(*ngsild.Entity) (*ngsild.Entity, error) {
		now := time.Now().UTC()
		return &ngsild.Entity{ID: id, Types: []string{ngsild.IRIDefaultCtx + "T"}, CreatedAt: now, ModifiedAt: now,
			Attrs: map[string][]*ngsild.Attribute{ngsild.IRIDefaultCtx + "a": {{Type: ngsild.TypeProperty, Value: json.Number("4")}}}}, nil
	}
}

// subscriptionStoreOf returns the subscription store of e: the SQLite store.
func subscriptionStoreOf(e *env) store.SubscriptionStore { return e.st }

// sensor returns an Apply that writes a Sensor with pm25 = v.
func sensor(id string, v int) func(*ngsild.Entity) (*ngsild.Entity, error) {
	return func(old *ngsild.Entity) (*ngsild.Entity, error) {
		now := time.Now().UTC()
		e := &ngsild.Entity{ID: id, Types: []string{ngsild.IRIDefaultCtx + "Sensor"}, CreatedAt: now, ModifiedAt: now,
			Attrs: map[string][]*ngsild.Attribute{ngsild.IRIDefaultCtx + "pm25": {{Type: ngsild.TypeProperty, Value: json.Number(fmt.Sprint(v)), ModifiedAt: now}}}}
		if old != nil {
			e.CreatedAt = old.CreatedAt
		}
		return e, nil
	}
}

// benchSubscriptionStore is the subscription store of the benchmark.
func benchSubscriptionStore(st *sqlite.Store) store.SubscriptionStore { return st }

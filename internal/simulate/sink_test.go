package simulate

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/broker"
	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/ngsild/qlang"
	"github.com/dothi-city/dothi/internal/store"
	"github.com/dothi-city/dothi/internal/store/sqlite"
)

// newBroker returns a broker over a fresh embedded store.
func newBroker(t *testing.T) *broker.Broker {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "dothi.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return broker.New(st)
}

// query returns the entities of type typ matching q.
func query(t *testing.T, b *broker.Broker, typ, q string) []*ngsild.Entity {
	t.Helper()
	types, err := qlang.ParseTypes(typ, expand)
	if err != nil {
		t.Fatal(err)
	}
	sq := &store.Query{Types: types, Limit: 1000}
	if q != "" {
		if sq.Q, err = qlang.Parse(q, expand); err != nil {
			t.Fatal(err)
		}
	}
	res, err := b.Query(context.Background(), store.DefaultTenant, sq)
	if err != nil {
		t.Fatal(err)
	}
	return res.Entities
}

func TestBrokerSinkIntegration(t *testing.T) {
	ctx := context.Background()
	b := newBroker(t)
	c := New(Config{Devices: 200, Seed: 1})
	created, errs, err := b.BatchUpsert(ctx, store.DefaultTenant, c.Entities(), false)
	if err != nil || errors.Join(errs...) != nil || !created[0] {
		t.Fatalf("initial upsert: %v %v", err, errs)
	}
	sink := NewBrokerSink(b)
	var last []Measurement
	for i := range 3 {
		last = c.Step(at(0, 8).Add(time.Duration(i) * time.Minute).UTC())
		if err := sink.Send(ctx, last); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	air := ofKind(c, kindAir)
	if got := query(t, b, "AirQualityObserved", "pm25>0;pm10>0"); len(got) != len(air) {
		t.Fatalf("%d air stations with pm25 > 0, want %d", len(got), len(air))
	}
	checkLanded(t, b, last[air[0]])
	checkLanded(t, b, last[ofKind(c, kindBus)[0]])
	checkLanded(t, b, last[ofKind(c, kindTraffic)[0]])
	if got := query(t, b, "Streetlight", `powerState=="off"`); len(got) == 0 {
		t.Error("no street light is off at 8 h")
	}
}

// checkLanded compares the stored entity of m with m.
func checkLanded(t *testing.T, b *broker.Broker, m Measurement) {
	t.Helper()
	e, err := b.Entity(context.Background(), store.DefaultTenant, m.EntityID)
	if err != nil {
		t.Fatal(err)
	}
	if e.Attr(expand("name")) == nil {
		t.Errorf("%s lost its name: the sink must update, not replace", m.EntityID)
	}
	for k, v := range m.Values {
		a := e.Attr(expand(k))
		if f, ok := ngsild.Number(a.Value); !ok || f != v || a.UnitCode != UnitCode(k) || !a.ObservedAt.Equal(m.ObservedAt) {
			t.Errorf("%s %s = %+v, want %v %s at %v", m.EntityID, k, a, v, UnitCode(k), m.ObservedAt)
		}
	}
	for k, v := range m.Bools {
		if a := e.Attr(expand(k)); a.Value != v {
			t.Errorf("%s %s = %v, want %v", m.EntityID, k, a.Value, v)
		}
	}
	if m.Location != nil {
		lon, lat, _ := e.Attr(ngsild.IRILocation).Geometry.Point()
		if (Point{lon, lat}) != *m.Location {
			t.Errorf("%s at %v, want %v", m.EntityID, Point{lon, lat}, *m.Location)
		}
	}
}

// failingUpserter fails the entities whose id contains bad, or everything.
type failingUpserter struct {
	bad  string
	down error
	got  []*ngsild.Entity
}

func (f *failingUpserter) BatchUpsert(_ context.Context, tenant string, es []*ngsild.Entity, replace bool) ([]bool, []error, error) {
	if replace || tenant != "" {
		return nil, nil, errors.New("want update mode on the default tenant")
	}
	f.got = es
	errs := make([]error, len(es))
	for i, e := range es {
		if strings.Contains(e.ID, f.bad) {
			errs[i] = errors.New("rejected")
		}
	}
	return make([]bool, len(es)), errs, f.down
}

func TestBrokerSinkErrors(t *testing.T) {
	ctx := context.Background()
	c := New(Config{Devices: 10})
	ms := c.Step(day0)
	f := &failingUpserter{bad: "Vehicle"}
	err := NewBrokerSink(f).Send(ctx, append(ms, ms[0]))
	if err == nil || !strings.Contains(err.Error(), "urn:ngsi-ld:Vehicle:VT-Bus01-1: rejected") {
		t.Fatalf("per-entity error: %v", err)
	}
	if len(f.got) != len(ms) {
		t.Errorf("%d fragments for %d entities: duplicates not merged", len(f.got), len(ms))
	}
	down := errors.New("store down")
	if err := NewBrokerSink(&failingUpserter{bad: "none", down: down}).Send(ctx, ms); !errors.Is(err, down) {
		t.Errorf("broker failure: %v", err)
	}
}

func TestFragment(t *testing.T) {
	c := New(Config{Devices: 10})
	for _, m := range c.Step(at(0, 9)) {
		e, err := Fragment(m)
		if err != nil {
			t.Fatal(err)
		}
		if e.ID != m.EntityID || len(e.Attrs) != len(m.Values)+len(m.Bools)+len(m.Strings)+map[bool]int{true: 1}[m.Location != nil] {
			t.Errorf("%s: fragment has %d attributes", m.EntityID, len(e.Attrs))
		}
		if a := e.Attr(expand("pm25")); a != nil && (a.UnitCode != "GQ" || !a.ObservedAt.Equal(m.ObservedAt)) {
			t.Errorf("pm25 fragment %+v", a)
		}
	}
}

package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/ngsild/qlang"
	"github.com/dothi-city/dothi/internal/store"
)

// The change log and the temporal history:
//   - one ChangeRecord per successful mutation that had an entity before or
//     after it, in commit order, none for failed mutations;
//   - a temporal instance per attribute instance a mutation added or whose
//     value, object, languageMap, geometry, observedAt or unitCode changed;
//   - history outlives the entity until DeleteTemporalEntity.

// allChanges reads the whole change log.
func allChanges(t testing.TB, s store.Store) []store.ChangeRecord {
	t.Helper()
	var out []store.ChangeRecord
	var after uint64
	for {
		list, err := s.Changes(context.Background(), after, 3)
		if err != nil {
			t.Fatalf("Changes: %v", err)
		}
		if len(list) == 0 {
			return out
		}
		out = append(out, list...)
		after = list[len(list)-1].Seq
	}
}

// sensorAt is a sensor with a temperature observed at baseTime + min minutes.
func sensorAt(id string, minute int, v any) *ngsild.Entity {
	ts := baseTime.Add(time.Duration(minute) * time.Minute)
	return &ngsild.Entity{ID: id, Types: []string{typeSensor}, CreatedAt: baseTime, ModifiedAt: ts,
		Attrs: map[string][]*ngsild.Attribute{
			attrTemp: {{Type: ngsild.TypeProperty, Value: v, ObservedAt: ts, UnitCode: "CEL", ModifiedAt: ts}},
			attrName: {{Type: ngsild.TypeProperty, Value: "sensor " + id, ModifiedAt: baseTime}},
		}}
}

func testChangeLog(t *testing.T, open Opener) {
	dir := t.TempDir()
	s := open(t, dir)
	const a, b = "urn:ngsi-ld:Sensor:cl-a", "urn:ngsi-ld:Sensor:cl-b"
	mustWrite(t, s, store.DefaultTenant, Create(sensorAt(a, 0, num(1))), Create(sensorAt(b, 0, num(2))))
	// A failing mutation between two good ones leaves no record.
	errs, err := s.Write(context.Background(), "t1", []store.Mutation{
		Put(sensorAt(a, 1, num(3))), Put(sensorAt(a, 2, num(4))), Delete("urn:ngsi-ld:Sensor:none"),
	})
	if err != nil || errs[0] != nil || errs[1] != nil || errs[2] == nil {
		t.Fatalf("Write: %v %v", errs, err)
	}
	errs, _ = s.Write(context.Background(), store.DefaultTenant, []store.Mutation{Create(sensorAt(a, 5, num(9)))})
	if errs[0] == nil {
		t.Fatal("Create of an existing entity succeeded")
	}
	// Only the temperature changes.
	mustWrite(t, s, store.DefaultTenant, Put(sensorAt(a, 2, num(4))))
	mustWrite(t, s, store.DefaultTenant, Delete(b))
	got := allChanges(t, s)
	type rec struct {
		tenant, id string
		attrs      []string
		created    bool
		deleted    bool
	}
	want := []rec{
		{"", a, []string{attrName, attrTemp}, true, false},
		{"", b, []string{attrName, attrTemp}, true, false},
		{"t1", a, []string{attrName, attrTemp}, true, false},
		{"t1", a, []string{attrTemp}, false, false},
		{"", a, []string{attrTemp}, false, false},
		{"", b, []string{attrName, attrTemp}, false, true},
	}
	if len(got) != len(want) {
		t.Fatalf("%d change records, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Tenant != w.tenant || g.EntityID != w.id || !slices.Equal(g.Attrs, w.attrs) || g.Created != w.created || g.Deleted != w.deleted {
			t.Errorf("record %d = %+v, want %+v", i, g, w)
		}
		if !slices.Equal(g.Types, []string{typeSensor}) {
			t.Errorf("record %d types = %v", i, g.Types)
		}
		if g.At.IsZero() || time.Since(g.At) > time.Hour {
			t.Errorf("record %d at %v", i, g.At)
		}
		if i > 0 && g.Seq != got[i-1].Seq+1 {
			t.Errorf("record %d has seq %d after %d: a gap", i, g.Seq, got[i-1].Seq)
		}
	}
	last := got[len(got)-1].Seq
	if err := s.TrimChanges(context.Background(), got[2].Seq); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	defer s.Close()
	rest := allChanges(t, s)
	if len(rest) != 3 || rest[0].Seq != got[3].Seq || rest[2].Seq != last {
		t.Fatalf("after trim and reopen: %+v", rest)
	}
	// Trimming everything never lets sequence numbers go back.
	if err := s.TrimChanges(context.Background(), last); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	mustWrite(t, s, store.DefaultTenant, Put(sensorAt(a, 3, num(5))))
	rest = allChanges(t, s)
	if len(rest) != 1 || rest[0].Seq <= last {
		t.Fatalf("after trimming all: %+v, want one record after %d", rest, last)
	}
	if list, err := s.Changes(context.Background(), 0, 0); err != nil || len(list) != 0 {
		t.Fatalf("Changes with limit 0: %v %v", list, err)
	}
}

// temporalValues returns the numeric values of attr in e, in order.
func temporalValues(t testing.TB, e *store.TemporalEntity, attr string) []float64 {
	t.Helper()
	var out []float64
	for _, ti := range e.Attrs[attr] {
		f, ok := ngsild.Number(ti.Attr.Value)
		if !ok {
			t.Fatalf("%s instance %s value %#v is not a number", attr, ti.InstanceID, ti.Attr.Value)
		}
		out = append(out, f)
	}
	return out
}

func mustTemporal(t testing.TB, s store.Store, tenant string, q store.TemporalQuery) []*store.TemporalEntity {
	t.Helper()
	res, err := s.TemporalQuery(context.Background(), tenant, &q)
	if err != nil {
		t.Fatalf("TemporalQuery(%+v): %v", q, err)
	}
	return res
}

func testTemporalHistory(t *testing.T, open Opener) {
	dir := t.TempDir()
	s := open(t, dir)
	const a, b = "urn:ngsi-ld:Sensor:th-a", "urn:ngsi-ld:Sensor:th-b"
	mustWrite(t, s, store.DefaultTenant, Create(sensorAt(a, 0, num(10))), Create(sensorAt(b, 0, num(20))))
	for m := 1; m < 10; m++ {
		mustWrite(t, s, store.DefaultTenant, Put(sensorAt(a, m, num(10+m))))
	}
	// Same value and observedAt: no new instance; same value, later observedAt: one.
	mustWrite(t, s, store.DefaultTenant, Put(sensorAt(a, 9, num(19))))
	// A failed mutation records nothing.
	s.Write(context.Background(), store.DefaultTenant, []store.Mutation{Create(sensorAt(a, 30, num(99)))})
	// Two datasets, a relationship, a language map and a geometry.
	rich := richEntity(t, "urn:ngsi-ld:Sensor:th-rich")
	mustWrite(t, s, store.DefaultTenant, Put(rich))

	res := mustTemporal(t, s, store.DefaultTenant, store.TemporalQuery{IDs: []string{a}})
	if len(res) != 1 || res[0].ID != a || !slices.Equal(res[0].Types, []string{typeSensor}) {
		t.Fatalf("got %+v", res)
	}
	vals := temporalValues(t, res[0], attrTemp)
	if !slices.Equal(vals, []float64{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}) {
		t.Fatalf("temperature history %v", vals)
	}
	if n := len(res[0].Attrs[attrName]); n != 1 {
		t.Fatalf("name has %d instances, want 1 (it never changed)", n)
	}
	first := res[0].Attrs[attrTemp][0]
	if !first.Attr.ObservedAt.Equal(baseTime) || first.Attr.UnitCode != "CEL" || first.InstanceID == "" {
		t.Fatalf("first instance %+v", first.Attr)
	}
	ids := map[string]bool{}
	for _, ti := range res[0].Attrs[attrTemp] {
		ids[ti.InstanceID] = true
	}
	if len(ids) != 10 {
		t.Fatalf("instance ids not unique: %v", ids)
	}

	// Time relations on observedAt.
	at := func(m int) time.Time { return baseTime.Add(time.Duration(m) * time.Minute) }
	cases := []struct {
		q    store.TemporalQuery
		want []float64
	}{
		{store.TemporalQuery{TimeRel: store.TimeRelBefore, TimeAt: at(3)}, []float64{10, 11, 12}},
		{store.TemporalQuery{TimeRel: store.TimeRelAfter, TimeAt: at(7)}, []float64{18, 19}},
		{store.TemporalQuery{TimeRel: store.TimeRelBetween, TimeAt: at(2), EndTimeAt: at(5)}, []float64{12, 13, 14}},
		{store.TemporalQuery{LastN: 3}, []float64{17, 18, 19}},
		{store.TemporalQuery{TimeRel: store.TimeRelBefore, TimeAt: at(5), LastN: 2}, []float64{13, 14}},
	}
	for _, c := range cases {
		c.q.IDs, c.q.Attrs = []string{a}, []string{attrTemp}
		res := mustTemporal(t, s, store.DefaultTenant, c.q)
		if len(res) != 1 {
			t.Fatalf("%+v: %d entities", c.q, len(res))
		}
		if got := temporalValues(t, res[0], attrTemp); !slices.Equal(got, c.want) {
			t.Errorf("%+v: %v, want %v", c.q, got, c.want)
		}
		if _, ok := res[0].Attrs[attrName]; ok {
			t.Errorf("%+v: attrs did not restrict", c.q)
		}
	}
	// modifiedAt is the record time: every instance is before now + 1h.
	res = mustTemporal(t, s, store.DefaultTenant, store.TemporalQuery{IDs: []string{a}, Attrs: []string{attrTemp},
		TimeProperty: store.ModifiedAt, TimeRel: store.TimeRelBefore, TimeAt: time.Now().Add(time.Hour)})
	if len(res) != 1 || len(res[0].Attrs[attrTemp]) != 10 {
		t.Fatalf("timeproperty modifiedAt: %+v", res)
	}

	// Selection by type, pattern and attributes; paging by id.
	typ := &qlang.TypeName{Name: typeSensor}
	if res := mustTemporal(t, s, store.DefaultTenant, store.TemporalQuery{Types: typ}); len(res) != 3 {
		t.Fatalf("by type: %d entities", len(res))
	}
	if res := mustTemporal(t, s, store.DefaultTenant, store.TemporalQuery{IDPattern: regexp.MustCompile("th-[ab]$")}); len(res) != 2 {
		t.Fatalf("by pattern: %d entities", len(res))
	}
	if res := mustTemporal(t, s, store.DefaultTenant, store.TemporalQuery{Attrs: []string{attrLabel}}); len(res) != 1 || res[0].ID != rich.ID {
		t.Fatalf("by attrs: %+v", res)
	}
	if res := mustTemporal(t, s, store.DefaultTenant, store.TemporalQuery{Attrs: []string{ns + "unknown"}}); len(res) != 0 {
		t.Fatalf("unknown attribute: %+v", res)
	}
	if res := mustTemporal(t, s, store.DefaultTenant, store.TemporalQuery{Types: typ, Limit: 1, Offset: 1}); len(res) != 1 || res[0].ID != b {
		t.Fatalf("page: %+v", res)
	}
	if _, err := s.TemporalQuery(context.Background(), "other", &store.TemporalQuery{}); err == nil {
		t.Fatal("a tenant that does not exist: no error")
	} else {
		wantProblem(t, err, ngsild.ErrNonexistentTenant)
	}

	// The rich entity: every instance kept with its data.
	res = mustTemporal(t, s, store.DefaultTenant, store.TemporalQuery{IDs: []string{rich.ID}})
	if len(res) != 1 {
		t.Fatalf("rich: %+v", res)
	}
	for name, list := range rich.Attrs {
		got := res[0].Attrs[name]
		if len(got) != len(list) {
			t.Fatalf("rich %s: %d instances, want %d", name, len(got), len(list))
		}
		for _, w := range list {
			var g *ngsild.Attribute
			for _, ti := range got {
				if ti.Attr.DatasetID == w.DatasetID {
					g = ti.Attr
				}
			}
			if g == nil {
				t.Fatalf("rich %s: no instance of dataset %q", name, w.DatasetID)
			}
			want := *w
			want.CreatedAt, want.ModifiedAt = g.CreatedAt, g.ModifiedAt
			we := &ngsild.Entity{ID: "x", Attrs: map[string][]*ngsild.Attribute{name: {&want}}}
			ge := &ngsild.Entity{ID: "x", Attrs: map[string][]*ngsild.Attribute{name: {g}}}
			if d := Diff(we, ge); d != "" {
				t.Errorf("rich %s instance differs: %s", name, d)
			}
		}
	}

	// Deleting the entity keeps its history, across a reopen.
	mustWrite(t, s, store.DefaultTenant, Delete(a))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	defer s.Close()
	res = mustTemporal(t, s, store.DefaultTenant, store.TemporalQuery{IDs: []string{a}, Attrs: []string{attrTemp}})
	if len(res) != 1 || len(res[0].Attrs[attrTemp]) != 10 {
		t.Fatalf("history after delete and reopen: %+v", res)
	}
	// Recreating it continues the same history.
	mustWrite(t, s, store.DefaultTenant, Create(sensorAt(a, 20, num(30))))
	res = mustTemporal(t, s, store.DefaultTenant, store.TemporalQuery{IDs: []string{a}, Attrs: []string{attrTemp}})
	if got := temporalValues(t, res[0], attrTemp); len(got) != 11 || got[10] != 30 {
		t.Fatalf("after recreate: %v", got)
	}
	if err := s.DeleteTemporalEntity(context.Background(), store.DefaultTenant, a); err != nil {
		t.Fatal(err)
	}
	if res := mustTemporal(t, s, store.DefaultTenant, store.TemporalQuery{IDs: []string{a}}); len(res) != 0 {
		t.Fatalf("after DeleteTemporalEntity: %+v", res)
	}
	wantProblem(t, s.DeleteTemporalEntity(context.Background(), store.DefaultTenant, a), ngsild.ErrResourceNotFound)
	// The current entity is still there.
	mustEntity(t, s, store.DefaultTenant, a)
}

func testTemporalEdit(t *testing.T, open Opener) {
	s := openFresh(t, open)
	ctx := context.Background()
	const id = "urn:ngsi-ld:Sensor:te"
	inst := func(v any, m int, ds string) store.TemporalInstance {
		return store.TemporalInstance{Attr: &ngsild.Attribute{Type: ngsild.TypeProperty, Value: v,
			ObservedAt: baseTime.Add(time.Duration(m) * time.Minute), DatasetID: ds}}
	}
	created, err := s.AddTemporal(ctx, "edit", &store.TemporalEntity{ID: id, Types: []string{typeSensor},
		Attrs: map[string][]store.TemporalInstance{attrTemp: {inst(num(3), 3, ""), inst(num(1), 1, ""), inst(num(2), 2, "urn:ds:b")}}})
	if err != nil || !created {
		t.Fatalf("AddTemporal: %v %v", created, err)
	}
	created, err = s.AddTemporal(ctx, "edit", &store.TemporalEntity{ID: id,
		Attrs: map[string][]store.TemporalInstance{attrName: {inst("x", 0, "")}}})
	if err != nil || created {
		t.Fatalf("AddTemporal again: %v %v", created, err)
	}
	_, err = s.AddTemporal(ctx, "edit", &store.TemporalEntity{ID: "urn:new"})
	wantProblem(t, err, ngsild.ErrResourceNotFound)
	if _, err := s.Entity(ctx, "edit", id); err == nil {
		t.Fatal("AddTemporal created the current entity")
	}
	res := mustTemporal(t, s, "edit", store.TemporalQuery{IDs: []string{id}})
	if got := temporalValues(t, res[0], attrTemp); !slices.Equal(got, []float64{1, 2, 3}) {
		t.Fatalf("merged time order: %v", got)
	}
	second := res[0].Attrs[attrTemp][1]
	if second.Attr.DatasetID != "urn:ds:b" {
		t.Fatalf("dataset lost: %+v", second.Attr)
	}
	mod := &ngsild.Attribute{Type: ngsild.TypeProperty, Value: num(42), ObservedAt: baseTime.Add(10 * time.Minute), DatasetID: "urn:ds:b"}
	if err := s.ModifyInstance(ctx, "edit", id, attrTemp, second.InstanceID, mod); err != nil {
		t.Fatal(err)
	}
	res = mustTemporal(t, s, "edit", store.TemporalQuery{IDs: []string{id}})
	if got := temporalValues(t, res[0], attrTemp); !slices.Equal(got, []float64{1, 3, 42}) {
		t.Fatalf("after modify: %v", got)
	}
	wantProblem(t, s.ModifyInstance(ctx, "edit", id, attrTemp, "urn:ngsi-ld:Instance:999999", mod), ngsild.ErrResourceNotFound)
	wantProblem(t, s.ModifyInstance(ctx, "edit", id, attrName, second.InstanceID, mod), ngsild.ErrResourceNotFound)
	wantProblem(t, s.ModifyInstance(ctx, "edit", id, attrTemp, "not-an-instance", mod), ngsild.ErrResourceNotFound)
	if err := s.DeleteInstance(ctx, "edit", id, attrTemp, second.InstanceID); err != nil {
		t.Fatal(err)
	}
	wantProblem(t, s.DeleteInstance(ctx, "edit", id, attrTemp, second.InstanceID), ngsild.ErrResourceNotFound)
	wantProblem(t, s.DeleteTemporalAttr(ctx, "edit", id, attrTemp, "urn:ds:b", false), ngsild.ErrResourceNotFound)
	if err := s.DeleteTemporalAttr(ctx, "edit", id, attrTemp, "", false); err != nil {
		t.Fatal(err)
	}
	res = mustTemporal(t, s, "edit", store.TemporalQuery{IDs: []string{id}})
	if _, ok := res[0].Attrs[attrTemp]; ok || len(res[0].Attrs[attrName]) != 1 {
		t.Fatalf("after DeleteTemporalAttr: %+v", res[0].Attrs)
	}
	if err := s.DeleteTemporalAttr(ctx, "edit", id, attrName, "", true); err != nil {
		t.Fatal(err)
	}
	wantProblem(t, s.DeleteTemporalAttr(ctx, "edit", "urn:none", attrName, "", true), ngsild.ErrResourceNotFound)
}

func testTemporalAggregate(t *testing.T, open Opener) {
	s := openFresh(t, open)
	ctx := context.Background()
	const id = "urn:ngsi-ld:Sensor:agg"
	// Three hours of values at 20-minute steps: 0..8, plus a string attribute.
	var temps, names []store.TemporalInstance
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 9 {
		at := start.Add(time.Duration(i) * 20 * time.Minute)
		temps = append(temps, store.TemporalInstance{Attr: &ngsild.Attribute{Type: ngsild.TypeProperty, Value: num(i), ObservedAt: at}})
		names = append(names, store.TemporalInstance{Attr: &ngsild.Attribute{Type: ngsild.TypeProperty, Value: fmt.Sprint("n", i%2), ObservedAt: at}})
	}
	if _, err := s.AddTemporal(ctx, "", &store.TemporalEntity{ID: id, Types: []string{typeSensor},
		Attrs: map[string][]store.TemporalInstance{attrTemp: temps, attrName: names}}); err != nil {
		t.Fatal(err)
	}
	res, err := s.TemporalAggregate(ctx, "", &store.TemporalQuery{IDs: []string{id}, TimeRel: store.TimeRelAfter, TimeAt: start.Add(-time.Second)},
		&store.Aggregation{Methods: store.AggrMethods, Period: store.Period{D: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || len(res[0].Attrs[attrTemp]) != 1 {
		t.Fatalf("aggregate: %+v", res)
	}
	vals := res[0].Attrs[attrTemp][0].Values
	// Periods start at timeAt: [-1s, 59:59) holds 0,1,2; then 3,4,5; then 6,7,8.
	wantF := map[string][]float64{
		store.AggrTotalCount: {3, 3, 3}, store.AggrDistinctCount: {3, 3, 3}, store.AggrSum: {3, 12, 21},
		store.AggrAvg: {1, 4, 7}, store.AggrMin: {0, 3, 6}, store.AggrMax: {2, 5, 8},
		store.AggrSumsq: {5, 50, 149}, store.AggrStddev: {math.Sqrt(2.0 / 3), math.Sqrt(2.0 / 3), math.Sqrt(2.0 / 3)},
	}
	for m, want := range wantF {
		got := vals[m]
		if len(got) != len(want) {
			t.Fatalf("%s: %d periods, want %d", m, len(got), len(want))
		}
		for i, w := range want {
			f, ok := toFloat(got[i].Value)
			if !ok || math.Abs(f-w) > 1e-9 {
				t.Errorf("%s[%d] = %v, want %v", m, i, got[i].Value, w)
			}
			wantStart := start.Add(-time.Second).Add(time.Duration(i) * time.Hour)
			if !got[i].Start.Equal(wantStart) || !got[i].End.Equal(wantStart.Add(time.Hour)) {
				t.Errorf("%s[%d] period %v–%v", m, i, got[i].Start, got[i].End)
			}
		}
	}
	// Strings count; the numeric methods have no value.
	nv := res[0].Attrs[attrName][0].Values
	if len(nv[store.AggrDistinctCount]) != 3 || nv[store.AggrDistinctCount][0].Value != 2 || nv[store.AggrSum][0].Value != nil {
		t.Fatalf("string aggregates: %+v", nv)
	}
	// Whole range, calendar months.
	res, err = s.TemporalAggregate(ctx, "", &store.TemporalQuery{IDs: []string{id}, Attrs: []string{attrTemp}},
		&store.Aggregation{Methods: []string{store.AggrAvg}, Period: store.Period{Months: 1}})
	if err != nil {
		t.Fatal(err)
	}
	got := res[0].Attrs[attrTemp][0].Values[store.AggrAvg]
	if len(got) != 1 || got[0].Value != 4.0 || !got[0].End.Equal(start.AddDate(0, 1, 0)) {
		t.Fatalf("monthly: %+v", got)
	}
	if _, err := s.TemporalAggregate(ctx, "", &store.TemporalQuery{}, &store.Aggregation{Methods: []string{"median"}}); err == nil {
		t.Fatal("unknown method accepted")
	}
	var p *ngsild.Problem
	_, err = s.TemporalQuery(ctx, "", &store.TemporalQuery{TimeRel: "during", TimeAt: start})
	if !errors.As(err, &p) {
		t.Fatalf("bad timerel: %v", err)
	}
	_, err = s.TemporalQuery(ctx, "", &store.TemporalQuery{TimeRel: store.TimeRelBetween, TimeAt: start, EndTimeAt: start.Add(-time.Hour)})
	if !errors.As(err, &p) {
		t.Fatalf("end before start: %v", err)
	}
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

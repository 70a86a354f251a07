package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
)

func testCreateAndRead(t *testing.T, open Opener) {
	s := openFresh(t, open)
	var seen *ngsild.Entity
	m := store.Mutation{ID: "urn:ngsi-ld:Sensor:rich", Apply: func(old *ngsild.Entity) (*ngsild.Entity, error) {
		seen = old
		return richEntity(t, "urn:ngsi-ld:Sensor:rich"), nil
	}}
	mustWrite(t, s, store.DefaultTenant, m)
	if seen != nil {
		t.Fatalf("Apply got %v for a new entity, want nil", seen)
	}
	wantEqual(t, richEntity(t, "urn:ngsi-ld:Sensor:rich"), mustEntity(t, s, store.DefaultTenant, "urn:ngsi-ld:Sensor:rich"))
	// A second mutation sees the stored entity.
	mustWrite(t, s, store.DefaultTenant, store.Mutation{ID: m.ID, Apply: func(old *ngsild.Entity) (*ngsild.Entity, error) {
		seen = old
		return old, nil
	}})
	wantEqual(t, richEntity(t, m.ID), seen)
}

func testAlreadyExists(t *testing.T, open Opener) {
	s := openFresh(t, open)
	first := richEntity(t, "urn:ngsi-ld:Sensor:1")
	mustWrite(t, s, store.DefaultTenant, Create(first))
	second := richEntity(t, "urn:ngsi-ld:Sensor:1")
	second.Types = []string{typeStation}
	errs, err := s.Write(context.Background(), store.DefaultTenant, []store.Mutation{Create(second)})
	if err != nil {
		t.Fatal(err)
	}
	wantProblem(t, errs[0], ngsild.ErrAlreadyExists)
	wantEqual(t, first, mustEntity(t, s, store.DefaultTenant, first.ID))
}

func testReplace(t *testing.T, open Opener) {
	s := openFresh(t, open)
	e := richEntity(t, "urn:ngsi-ld:Sensor:1")
	mustWrite(t, s, store.DefaultTenant, Create(e))
	repl := &ngsild.Entity{ID: e.ID, Types: []string{typeStation}, CreatedAt: e.CreatedAt, ModifiedAt: e.ModifiedAt.Add(1),
		Attrs: map[string][]*ngsild.Attribute{attrName: {prop("replaced")}}}
	mustWrite(t, s, store.DefaultTenant, Put(repl))
	wantEqual(t, repl, mustEntity(t, s, store.DefaultTenant, e.ID))
	// Indexes follow the replacement: old type and attributes no longer match.
	wantIDs(t, s, store.DefaultTenant, &store.Query{Types: typeAny(typeSensor), Limit: 10}, nil)
	wantIDs(t, s, store.DefaultTenant, &store.Query{Attrs: []string{attrTemp}, Limit: 10}, nil)
	wantIDs(t, s, store.DefaultTenant, &store.Query{Types: typeAny(typeStation), Attrs: []string{attrName}, Limit: 10}, []string{e.ID})
}

func testUpdateReindexes(t *testing.T, open Opener) {
	s := openFresh(t, open)
	all := fixture(t, 10)
	for _, e := range all {
		mustWrite(t, s, store.DefaultTenant, Create(e))
	}
	e := all[3].Clone() // two temperature and two location instances
	e.Attrs[attrTemp] = []*ngsild.Attribute{prop(num(50))}
	e.Attrs[ngsild.IRILocation] = e.Attrs[ngsild.IRILocation][:1]
	e.Attrs[ngsild.IRILocation][0] = &ngsild.Attribute{Type: ngsild.TypeGeoProperty, Geometry: point(t, 100, 10)}
	mustWrite(t, s, store.DefaultTenant, Put(e))
	q := func(text string) *store.Query { return &store.Query{Q: parseQ(t, text), Limit: 10} }
	wantIDs(t, s, store.DefaultTenant, q("temperature==3"), nil)
	wantIDs(t, s, store.DefaultTenant, q("temperature==50"), []string{e.ID})
	wantIDs(t, s, store.DefaultTenant, q("temperature==1003"), nil)
	wantIDs(t, s, store.DefaultTenant, q("temperature==1004"), nil)
	near := func(coords string) *store.Query {
		return &store.Query{Geo: geoQuery(t, "near;maxDistance==1000", "Point", coords), Limit: 10}
	}
	wantIDs(t, s, store.DefaultTenant, near("[0.3,45.3]"), nil)
	wantIDs(t, s, store.DefaultTenant, near("[-120,-40]"), nil)
	wantIDs(t, s, store.DefaultTenant, near("[100,10]"), []string{e.ID})
	wantIDs(t, s, store.DefaultTenant, near("[0.4,45.4]"), []string{all[4].ID})
}

func testDelete(t *testing.T, open Opener) {
	s := openFresh(t, open)
	e := richEntity(t, "urn:ngsi-ld:Sensor:1")
	keep := richEntity(t, "urn:ngsi-ld:Sensor:2")
	mustWrite(t, s, store.DefaultTenant, Create(e), Create(keep))
	mustWrite(t, s, store.DefaultTenant, Delete(e.ID))
	_, err := s.Entity(context.Background(), store.DefaultTenant, e.ID)
	wantProblem(t, err, ngsild.ErrResourceNotFound)
	wantIDs(t, s, store.DefaultTenant, &store.Query{Attrs: []string{attrTemp}, Limit: 10}, []string{keep.ID})
	sum, err := s.Summary(context.Background(), store.DefaultTenant)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Types[typeSensor] != 1 {
		t.Fatalf("Summary counts %d sensors after delete, want 1", sum.Types[typeSensor])
	}
	errs, err := s.Write(context.Background(), store.DefaultTenant, []store.Mutation{Delete(e.ID)})
	if err != nil {
		t.Fatal(err)
	}
	wantProblem(t, errs[0], ngsild.ErrResourceNotFound)
	// The id can be created again.
	mustWrite(t, s, store.DefaultTenant, Create(e))
	wantEqual(t, e, mustEntity(t, s, store.DefaultTenant, e.ID))
}

func testFailingMutationIsolated(t *testing.T, open Opener) {
	s := openFresh(t, open)
	b := richEntity(t, "urn:ngsi-ld:Sensor:b")
	mustWrite(t, s, store.DefaultTenant, Create(b))
	boom := errors.New("boom")
	failing := store.Mutation{ID: b.ID, Apply: func(old *ngsild.Entity) (*ngsild.Entity, error) {
		// Scribbling on the copy must not reach the store.
		old.Types[0] = "scribbled"
		delete(old.Attrs, attrTemp)
		return nil, boom
	}}
	a, c := richEntity(t, "urn:ngsi-ld:Sensor:a"), richEntity(t, "urn:ngsi-ld:Sensor:c")
	muts := []store.Mutation{Create(a), failing, Create(c), Create(b)}
	errs, err := s.Write(context.Background(), store.DefaultTenant, muts)
	if err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || errs[2] != nil {
		t.Fatalf("independent mutations failed: %v", errs)
	}
	if !errors.Is(errs[1], boom) {
		t.Fatalf("errs[1] = %v, want the error Apply returned", errs[1])
	}
	wantProblem(t, errs[3], ngsild.ErrAlreadyExists)
	wantEqual(t, b, mustEntity(t, s, store.DefaultTenant, b.ID))
	wantEqual(t, a, mustEntity(t, s, store.DefaultTenant, a.ID))
	wantEqual(t, c, mustEntity(t, s, store.DefaultTenant, c.ID))
}

// counter returns a mutation that adds delta to the entity's counter
// attribute, creating the entity with 0 when absent.
func counter(id string, delta int) store.Mutation {
	return store.Mutation{ID: id, Apply: func(old *ngsild.Entity) (*ngsild.Entity, error) {
		n := int64(0)
		if old == nil {
			old = &ngsild.Entity{ID: id, Types: []string{typeSensor}, CreatedAt: baseTime, ModifiedAt: baseTime}
		} else {
			v, err := old.Attr(attrTemp).Value.(interface{ Int64() (int64, error) }).Int64()
			if err != nil {
				return nil, err
			}
			n = v
		}
		old.Attrs = map[string][]*ngsild.Attribute{attrTemp: {prop(num(n + int64(delta)))}}
		return old, nil
	}}
}

// counterValue reads the counter attribute of id.
func counterValue(t testing.TB, s store.Store, tenant, id string) string {
	t.Helper()
	return fmt.Sprint(mustEntity(t, s, tenant, id).Attr(attrTemp).Value)
}

func testSameIDInOrder(t *testing.T, open Opener) {
	s := openFresh(t, open)
	id := "urn:ngsi-ld:Sensor:x"
	times10 := store.Mutation{ID: id, Apply: func(old *ngsild.Entity) (*ngsild.Entity, error) {
		v, _ := old.Attr(attrTemp).Value.(interface{ Int64() (int64, error) }).Int64()
		old.Attrs[attrTemp] = []*ngsild.Attribute{prop(num(v * 10))}
		return old, nil
	}}
	mustWrite(t, s, store.DefaultTenant, counter(id, 1), counter(id, 1), times10, counter(id, 3))
	if got := counterValue(t, s, store.DefaultTenant, id); got != "23" {
		t.Fatalf("counter = %s, want 23 ((1+1)*10+3)", got)
	}
	// Delete then recreate in one write; then a failing Create in between.
	e := richEntity(t, id)
	errs, err := s.Write(context.Background(), store.DefaultTenant,
		[]store.Mutation{Delete(id), Delete(id), Create(e), Create(e)})
	if err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || errs[2] != nil {
		t.Fatalf("errs = %v", errs)
	}
	wantProblem(t, errs[1], ngsild.ErrResourceNotFound)
	wantProblem(t, errs[3], ngsild.ErrAlreadyExists)
	wantEqual(t, e, mustEntity(t, s, store.DefaultTenant, id))
}

func testApplyPanics(t *testing.T, open Opener) {
	s := openFresh(t, open)
	panicky := store.Mutation{ID: "urn:ngsi-ld:Sensor:p", Apply: func(*ngsild.Entity) (*ngsild.Entity, error) {
		panic("apply exploded")
	}}
	broken := store.Mutation{ID: "urn:ngsi-ld:Sensor:b", Apply: func(*ngsild.Entity) (*ngsild.Entity, error) {
		e := richEntity(t, "urn:ngsi-ld:Sensor:b")
		e.Attrs[attrName] = []*ngsild.Attribute{nil}
		return e, nil
	}}
	ok := richEntity(t, "urn:ngsi-ld:Sensor:ok")
	errs, err := s.Write(context.Background(), store.DefaultTenant, []store.Mutation{panicky, broken, Create(ok)})
	if err != nil {
		t.Fatal(err)
	}
	if errs[0] == nil || errs[1] == nil || errs[2] != nil {
		t.Fatalf("errs = %v, want only the panicking and the broken mutation to fail", errs)
	}
	_, err = s.Entity(context.Background(), store.DefaultTenant, "urn:ngsi-ld:Sensor:b")
	wantProblem(t, err, ngsild.ErrResourceNotFound)
	wantEqual(t, ok, mustEntity(t, s, store.DefaultTenant, ok.ID))
	// The store still works afterwards.
	mustWrite(t, s, store.DefaultTenant, counter("urn:ngsi-ld:Sensor:c", 1))
}

func testTenantIsolation(t *testing.T, open Opener) {
	s := openFresh(t, open)
	id := "urn:ngsi-ld:Sensor:1"
	e1, e2 := richEntity(t, id), richEntity(t, id)
	e2.Types = []string{typeStation}
	mustWrite(t, s, "t1", Create(e1))
	mustWrite(t, s, "t2", Create(e2))
	wantEqual(t, e1, mustEntity(t, s, "t1", id))
	wantEqual(t, e2, mustEntity(t, s, "t2", id))
	wantIDs(t, s, "t1", &store.Query{Types: typeAny(typeStation), Limit: 10}, nil)
	wantIDs(t, s, "t2", &store.Query{Types: typeAny(typeStation), Limit: 10}, []string{id})
	mustWrite(t, s, "t1", Delete(id))
	wantEqual(t, e2, mustEntity(t, s, "t2", id))
	_, err := s.Entity(context.Background(), store.DefaultTenant, id)
	wantProblem(t, err, ngsild.ErrResourceNotFound)
	sum, err := s.Summary(context.Background(), "t2")
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Types) != 1 || sum.Types[typeStation] != 1 {
		t.Fatalf("Summary(t2).Types = %v", sum.Types)
	}
}

func testNonexistentTenant(t *testing.T, open Opener) {
	s := openFresh(t, open)
	mustWrite(t, s, "t1", Create(richEntity(t, "urn:ngsi-ld:Sensor:1")))
	ctx := context.Background()
	_, err := s.Entity(ctx, "nope", "urn:ngsi-ld:Sensor:1")
	wantProblem(t, err, ngsild.ErrNonexistentTenant)
	_, err = s.Query(ctx, "nope", &store.Query{Limit: 10})
	wantProblem(t, err, ngsild.ErrNonexistentTenant)
	_, err = s.Summary(ctx, "nope")
	wantProblem(t, err, ngsild.ErrNonexistentTenant)
	// The default tenant always exists.
	_, err = s.Entity(ctx, store.DefaultTenant, "urn:ngsi-ld:Sensor:1")
	wantProblem(t, err, ngsild.ErrResourceNotFound)
	res, err := s.Query(ctx, store.DefaultTenant, &store.Query{Limit: 10, Count: true})
	if err != nil || res.Count != 0 || len(res.Entities) != 0 {
		t.Fatalf("Query(default) = %+v, %v; want empty", res, err)
	}
	// In an existing tenant a missing entity is ResourceNotFound.
	_, err = s.Entity(ctx, "t1", "urn:ngsi-ld:Sensor:2")
	wantProblem(t, err, ngsild.ErrResourceNotFound)
}

func testTenants(t *testing.T, open Opener) {
	s := openFresh(t, open)
	mustWrite(t, s, "b", Create(richEntity(t, "urn:x:1")))
	mustWrite(t, s, "a", Create(richEntity(t, "urn:x:1")))
	mustWrite(t, s, "b", Create(richEntity(t, "urn:x:2")))
	got, err := s.Tenants(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]int{}
	for _, n := range got {
		set[n]++
	}
	if len(set) != len(got) || set["a"] != 1 || set["b"] != 1 || len(got) > 3 || (len(got) == 3 && set[""] != 1) {
		t.Fatalf("Tenants() = %q, want a and b once each (and at most the default tenant)", got)
	}
	// Deleting every entity keeps the tenant.
	mustWrite(t, s, "a", Delete("urn:x:1"))
	if _, err := s.Query(context.Background(), "a", &store.Query{Limit: 1}); err != nil {
		t.Fatalf("Query on emptied tenant: %v", err)
	}
}

// Package storetest is the conformance suite that every store.Store
// implementation must pass.
//
// Besides what the store.Store doc comments say, the suite pins down:
//   - the default tenant always exists: reading it never gives
//     NonexistentTenant; other tenants exist once written to;
//   - q terms and geo-queries match when some instance (datasetId) of the
//     attribute matches, as qlang's Compare.Match does;
//   - Result.Count is -1 unless Query.Count is set;
//   - a panicking Apply fails its own mutation only;
//   - Write with an already canceled context writes nothing and returns
//     context.Canceled.
//
// Query expressions are built with the real parsers (qlang.Parse,
// qlang.ParseTypes, geo.ParseQuery), since stores translate their ASTs,
// and every result is checked against a predicate written in plain Go.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/geo"
	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
)

// Opener opens the store kept in dir. Opening the same dir again after
// Close must give back the same data.
type Opener func(t *testing.T, dir string) store.Store

// Run runs the conformance suite against the stores that open returns.
// Each subtest opens a fresh store in its own directory.
func Run(t *testing.T, open func(t *testing.T, dir string) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"CreateAndRead", testCreateAndRead},
		{"AlreadyExists", testAlreadyExists},
		{"Replace", testReplace},
		{"UpdateReindexes", testUpdateReindexes},
		{"Delete", testDelete},
		{"FailingMutationIsolated", testFailingMutationIsolated},
		{"SameIDInOrder", testSameIDInOrder},
		{"ApplyPanics", testApplyPanics},
		{"TenantIsolation", testTenantIsolation},
		{"NonexistentTenant", testNonexistentTenant},
		{"Tenants", testTenants},
		{"QueryFilters", testQueryFilters},
		{"QueryGeo", testQueryGeo},
		{"Pagination", testPagination},
		{"Summary", testSummary},
		{"Contexts", testContexts},
		{"Persistence", testPersistence},
		{"Concurrent", testConcurrent},
		{"LargeWrite", testLargeWrite},
		{"CanceledContext", testCanceledContext},
		{"ChangeLog", testChangeLog},
		{"TemporalHistory", testTemporalHistory},
		{"TemporalEdit", testTemporalEdit},
		{"TemporalAggregate", testTemporalAggregate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

// openFresh opens a store in a new directory and closes it when t ends.
func openFresh(t *testing.T, open Opener) store.Store {
	t.Helper()
	s := open(t, t.TempDir())
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// Create is a mutation that stores e unless an entity with its id exists.
func Create(e *ngsild.Entity) store.Mutation {
	return store.Mutation{ID: e.ID, Apply: func(old *ngsild.Entity) (*ngsild.Entity, error) {
		if old != nil {
			return nil, ngsild.Errorf(ngsild.ErrAlreadyExists, "%s", e.ID)
		}
		return e.Clone(), nil
	}}
}

// Put is a mutation that stores e whether or not it exists.
func Put(e *ngsild.Entity) store.Mutation {
	return store.Mutation{ID: e.ID, Apply: func(*ngsild.Entity) (*ngsild.Entity, error) {
		return e.Clone(), nil
	}}
}

// Delete is a mutation that deletes id, failing with ResourceNotFound when
// it does not exist.
func Delete(id string) store.Mutation {
	return store.Mutation{ID: id, Apply: func(old *ngsild.Entity) (*ngsild.Entity, error) {
		if old == nil {
			return nil, ngsild.Errorf(ngsild.ErrResourceNotFound, "%s", id)
		}
		return nil, nil
	}}
}

// mustWrite writes muts and fails t unless every mutation succeeded.
func mustWrite(t testing.TB, s store.Store, tenant string, muts ...store.Mutation) {
	t.Helper()
	errs, err := s.Write(context.Background(), tenant, muts)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if len(errs) != len(muts) {
		t.Fatalf("Write returned %d errors for %d mutations", len(errs), len(muts))
	}
	for i, e := range errs {
		if e != nil {
			t.Fatalf("mutation %d (%s): %v", i, muts[i].ID, e)
		}
	}
}

// mustEntity reads id and fails t on error.
func mustEntity(t testing.TB, s store.Store, tenant, id string) *ngsild.Entity {
	t.Helper()
	e, err := s.Entity(context.Background(), tenant, id)
	if err != nil {
		t.Fatalf("Entity(%q, %q): %v", tenant, id, err)
	}
	return e
}

// wantEqual fails t when got differs from want.
func wantEqual(t testing.TB, want, got *ngsild.Entity) {
	t.Helper()
	if d := Diff(want, got); d != "" {
		t.Fatalf("entity differs: %s", d)
	}
}

// wantProblem fails t unless err is a Problem of type typ.
func wantProblem(t testing.TB, err error, typ ngsild.ErrorType) {
	t.Helper()
	var p *ngsild.Problem
	if !errors.As(err, &p) || p.Type != typ {
		t.Fatalf("got error %v, want a %s Problem", err, typ.Title())
	}
}

// Example IRIs used by the suite.
const (
	ns          = "https://example.org/ns/"
	typeSensor  = ns + "Sensor"
	typeStation = ns + "Station"
	typePublic  = ns + "Public"
	attrTemp    = ns + "temperature"
	attrName    = ns + "name"
	attrActive  = ns + "active"
	attrRef     = ns + "refStation"
	attrLabel   = ns + "label"
	attrMeta    = ns + "meta"
	attrSpace   = ns + "space"
	attrTags    = ns + "tags"
)

var baseTime = time.Date(2026, 11, 23, 15, 4, 5, 123456789, time.UTC)

// point returns a Point geometry.
func point(t testing.TB, lon, lat float64) *geo.Geometry {
	t.Helper()
	return geometry(t, fmt.Sprintf(`{"type":"Point","coordinates":[%g,%g]}`, lon, lat))
}

// geometry parses GeoJSON.
func geometry(t testing.TB, js string) *geo.Geometry {
	t.Helper()
	g, err := geo.Parse([]byte(js))
	if err != nil {
		t.Fatalf("geo.Parse(%s): %v", js, err)
	}
	return g
}

// prop returns a Property instance.
func prop(v any) *ngsild.Attribute {
	return &ngsild.Attribute{Type: ngsild.TypeProperty, Value: v}
}

// num returns a JSON number as encoding/json decodes it with UseNumber.
func num(x any) json.Number { return json.Number(fmt.Sprint(x)) }

// richEntity has every kind of attribute, sub-attributes, several
// datasetIds and sub-second timestamps.
func richEntity(t testing.TB, id string) *ngsild.Entity {
	ts := baseTime
	return &ngsild.Entity{
		ID: id, Types: []string{typeSensor, typePublic}, CreatedAt: ts, ModifiedAt: ts.Add(time.Millisecond),
		Attrs: map[string][]*ngsild.Attribute{
			attrTemp: {
				{Type: ngsild.TypeProperty, Value: num("21.75"), UnitCode: "CEL", ObservedAt: ts.Add(-time.Nanosecond),
					CreatedAt: ts, ModifiedAt: ts.Add(time.Microsecond),
					Sub: map[string][]*ngsild.Attribute{
						ns + "accuracy": {prop(num(0.5))},
						ns + "source":   {{Type: ngsild.TypeRelationship, Object: "urn:ngsi-ld:Device:7"}},
					}},
				{Type: ngsild.TypeProperty, Value: num(-3), DatasetID: "urn:ngsi-ld:Dataset:raw"},
			},
			attrName:   {prop("Sensor \"one\" ü")},
			attrActive: {prop(false)},
			attrMeta: {prop(map[string]any{
				"list": []any{num(1), "two", true, nil, map[string]any{"x": num("1e3")}}, "empty": map[string]any{},
			})},
			attrRef:            {{Type: ngsild.TypeRelationship, Object: "urn:ngsi-ld:Station:1"}},
			ngsild.IRILocation: {{Type: ngsild.TypeGeoProperty, Geometry: point(t, 2.3522, 48.8566)}},
			attrSpace: {{Type: ngsild.TypeGeoProperty, Geometry: geometry(t,
				`{"type":"Polygon","coordinates":[[[2,48],[3,48],[3,49],[2,49],[2,48]]]}`)}},
			attrLabel:      {{Type: ngsild.TypeLanguageProperty, LanguageMap: map[string]string{"en": "Park", "fr": "Parc"}}},
			ns + "nothing": {prop(nil)},
			ns + "text":    {prop("")},
		},
	}
}

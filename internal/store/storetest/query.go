package storetest

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dothi-city/dothi/internal/geo"
	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/ngsild/qlang"
	"github.com/dothi-city/dothi/internal/store"
)

// expand maps the short names of the suite's queries to IRIs.
func expand(term string) string {
	switch {
	case term == "location":
		return ngsild.IRILocation
	case strings.Contains(term, ":"):
		return term
	}
	return ns + term
}

// types parses an entity type selection written with short names.
func types(t testing.TB, text string) qlang.TypeExpr {
	t.Helper()
	te, err := qlang.ParseTypes(text, expand)
	if err != nil {
		t.Fatalf("ParseTypes(%q): %v", text, err)
	}
	return te
}

// typeAny selects entities having one of names (short names).
func typeAny(names ...string) qlang.TypeExpr {
	return mustTypes(strings.Join(names, "|"))
}

// typeAll selects entities having all of names (short names).
func typeAll(names ...string) qlang.TypeExpr {
	return mustTypes(strings.Join(names, ";"))
}

func mustTypes(text string) qlang.TypeExpr {
	te, err := qlang.ParseTypes(text, expand)
	if err != nil {
		panic(err)
	}
	return te
}

// parseQ parses a q expression written with short names.
func parseQ(t testing.TB, text string) qlang.Expr {
	t.Helper()
	q, err := qlang.Parse(text, expand)
	if err != nil {
		t.Fatalf("qlang.Parse(%q): %v", text, err)
	}
	return q
}

// predicate is a reference filter written in Go.
type predicate func(e *ngsild.Entity) bool

// fixture is the data set of the query tests: entity i has
//   - id urn:ngsi-ld:Sensor:%03d;
//   - type Station when i%3 == 0, else Sensor, plus Public when i%5 == 0;
//   - temperature i (a number), name "s%03d", active i%2 == 0;
//   - refStation to Station:000 when i%4 == 0;
//   - location Point(i/10, 45+i/10) when i < 20, and for i%10 == 3 a
//     second location instance with a datasetId far away;
//   - for i%10 == 3, a second temperature instance 1000+i with a datasetId;
//   - tags [i%3, "t<i>"] (an array) when i%2 == 1;
//   - label, a LanguageProperty {"en": "L<i>", "fr": "F<i>"}, when i%7 == 0.
func fixture(t testing.TB, n int) []*ngsild.Entity {
	out := make([]*ngsild.Entity, n)
	for i := range out {
		e := &ngsild.Entity{ID: fmt.Sprintf("urn:ngsi-ld:Sensor:%03d", i), CreatedAt: baseTime, ModifiedAt: baseTime,
			Attrs: map[string][]*ngsild.Attribute{
				attrTemp:   {prop(num(i))},
				attrName:   {prop(fmt.Sprintf("s%03d", i))},
				attrActive: {prop(i%2 == 0)},
			}}
		e.Types = []string{typeSensor}
		if i%3 == 0 {
			e.Types = []string{typeStation}
		}
		if i%5 == 0 {
			e.Types = append(e.Types, typePublic)
		}
		if i%10 == 3 {
			e.Attrs[attrTemp] = append(e.Attrs[attrTemp],
				&ngsild.Attribute{Type: ngsild.TypeProperty, Value: num(1000 + i), DatasetID: "urn:ds:2"})
		}
		if i%2 == 1 {
			e.Attrs[attrTags] = []*ngsild.Attribute{prop([]any{num(i % 3), fmt.Sprintf("t%d", i)})}
		}
		if i%7 == 0 {
			e.Attrs[attrLabel] = []*ngsild.Attribute{{Type: ngsild.TypeLanguageProperty,
				LanguageMap: map[string]string{"en": fmt.Sprint("L", i), "fr": fmt.Sprint("F", i)}}}
		}
		if i%4 == 0 {
			e.Attrs[attrRef] = []*ngsild.Attribute{{Type: ngsild.TypeRelationship, Object: "urn:ngsi-ld:Station:000"}}
		}
		if i < 20 {
			loc := &ngsild.Attribute{Type: ngsild.TypeGeoProperty, Geometry: point(t, float64(i)/10, 45+float64(i)/10)}
			e.Attrs[ngsild.IRILocation] = []*ngsild.Attribute{loc}
			if i%10 == 3 {
				far := &ngsild.Attribute{Type: ngsild.TypeGeoProperty, Geometry: point(t, -120, -40), DatasetID: "urn:ds:far"}
				e.Attrs[ngsild.IRILocation] = append(e.Attrs[ngsild.IRILocation], far)
			}
		}
		out[i] = e
	}
	return out
}

// load writes the fixture into tenant and returns it.
func load(t *testing.T, s store.Store, tenant string, n int) []*ngsild.Entity {
	t.Helper()
	all := fixture(t, n)
	muts := make([]store.Mutation, len(all))
	for i, e := range all {
		muts[i] = Create(e)
	}
	mustWrite(t, s, tenant, muts...)
	return all
}

// idsOf returns the ids of the entities that p keeps.
func idsOf(all []*ngsild.Entity, p predicate) []string {
	var out []string
	for _, e := range all {
		if p(e) {
			out = append(out, e.ID)
		}
	}
	return out
}

// wantIDs runs q and fails t unless it returns exactly the entities want
// (in any order, each once), and, with q.Count, counts len(want).
func wantIDs(t testing.TB, s store.Store, tenant string, q *store.Query, want []string) {
	t.Helper()
	res, err := s.Query(context.Background(), tenant, q)
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	got := make([]string, len(res.Entities))
	for i, e := range res.Entities {
		got[i] = e.ID
	}
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Fatalf("Query returned %d entities %v, want %d %v", len(got), got, len(want), want)
	}
	if q.Count && res.Count != len(want) {
		t.Fatalf("Count = %d, want %d", res.Count, len(want))
	}
	if !q.Count && res.Count != -1 {
		t.Fatalf("Count = %d without Count asked, want -1", res.Count)
	}
}

// queryCase is a query and the Go predicate that it must agree with.
type queryCase struct {
	name string
	q    store.Query
	ref  predicate
}

func testQueryFilters(t *testing.T, open Opener) {
	s := openFresh(t, open)
	all := load(t, s, "q", 30)
	load(t, s, "other", 30) // must never leak into tenant q
	for _, c := range filterCases(t) {
		t.Run(c.name, func(t *testing.T) {
			want := idsOf(all, c.ref)
			if len(want) == 0 || len(want) == len(all) {
				t.Fatalf("bad case: %d of %d entities match", len(want), len(all))
			}
			q := c.q
			q.Limit, q.Count = 1000, true
			wantIDs(t, s, "q", &q, want)
		})
	}
}

// values returns every value q terms reach in the instances of a
// top-level attribute: Property values and their array elements,
// Relationship objects and LanguageProperty strings.
func values(e *ngsild.Entity, name string) []any {
	var out []any
	var walk func(v any)
	walk = func(v any) {
		if list, ok := v.([]any); ok {
			for _, el := range list {
				walk(el)
			}
			return
		}
		out = append(out, v)
	}
	for _, a := range e.Attrs[name] {
		switch a.Type {
		case ngsild.TypeRelationship:
			out = append(out, a.Object)
		case ngsild.TypeLanguageProperty:
			for _, s := range a.LanguageMap {
				out = append(out, s)
			}
		default:
			walk(a.Value)
		}
	}
	return out
}

// anyNum reports whether some number of the attribute satisfies f.
func anyNum(e *ngsild.Entity, name string, f func(float64) bool) bool {
	for _, v := range values(e, name) {
		if x, ok := ngsild.Number(v); ok && f(x) {
			return true
		}
	}
	return false
}

// anyStr reports whether some string of the attribute satisfies f.
func anyStr(e *ngsild.Entity, name string, f func(string) bool) bool {
	for _, v := range values(e, name) {
		if x, ok := v.(string); ok && f(x) {
			return true
		}
	}
	return false
}

// active returns the active attribute (false when absent).
func active(e *ngsild.Entity) bool { return e.Attr(attrActive).Value == true }

func filterCases(t testing.TB) []queryCase {
	idRe := regexp.MustCompile(`Sensor:00[1-3]$`)
	q := func(text string) store.Query { return store.Query{Q: parseQ(t, text)} }
	eq := func(s string) func(string) bool { return func(x string) bool { return x == s } }
	cases := []queryCase{
		{"IDs", store.Query{IDs: []string{"urn:ngsi-ld:Sensor:003", "urn:ngsi-ld:Sensor:007", "urn:missing"}},
			func(e *ngsild.Entity) bool {
				return e.ID == "urn:ngsi-ld:Sensor:003" || e.ID == "urn:ngsi-ld:Sensor:007"
			}},
		{"IDPattern", store.Query{IDPattern: idRe}, func(e *ngsild.Entity) bool { return idRe.MatchString(e.ID) }},
		{"TypeSimple", store.Query{Types: types(t, "Station")}, func(e *ngsild.Entity) bool { return e.HasType(typeStation) }},
		{"TypeOr", store.Query{Types: types(t, "Station|Public")},
			func(e *ngsild.Entity) bool { return e.HasType(typeStation) || e.HasType(typePublic) }},
		{"TypeAnd", store.Query{Types: types(t, "Sensor;Public")},
			func(e *ngsild.Entity) bool { return e.HasType(typeSensor) && e.HasType(typePublic) }},
		{"TypeNested", store.Query{Types: types(t, "(Sensor;Public)|Station")},
			func(e *ngsild.Entity) bool {
				return e.HasType(typeStation) || e.HasType(typeSensor) && e.HasType(typePublic)
			}},
		{"Attrs", store.Query{Attrs: []string{attrRef}}, func(e *ngsild.Entity) bool { return e.Attrs[attrRef] != nil }},
		{"AttrsAny", store.Query{Attrs: []string{attrRef, ngsild.IRILocation}},
			func(e *ngsild.Entity) bool { return e.Attrs[attrRef] != nil || e.Attrs[ngsild.IRILocation] != nil }},
		{"Combined", store.Query{Types: types(t, "Sensor"), Attrs: []string{ngsild.IRILocation}, Q: parseQ(t, "temperature<20"),
			IDs: []string{"urn:ngsi-ld:Sensor:001", "urn:ngsi-ld:Sensor:002", "urn:ngsi-ld:Sensor:003", "urn:ngsi-ld:Sensor:025"}},
			func(e *ngsild.Entity) bool {
				return e.ID == "urn:ngsi-ld:Sensor:001" || e.ID == "urn:ngsi-ld:Sensor:002"
			}},
	}
	gt := func(n float64) func(float64) bool { return func(x float64) bool { return x > n } }
	between := func(lo, hi float64) func(float64) bool { return func(x float64) bool { return lo <= x && x <= hi } }
	re := func(p string) func(string) bool { return regexp.MustCompile(p).MatchString }
	for _, c := range []struct {
		text string
		ref  predicate
	}{
		{"temperature>20", func(e *ngsild.Entity) bool { return anyNum(e, attrTemp, gt(20)) }},
		{"temperature>=1013", func(e *ngsild.Entity) bool { return anyNum(e, attrTemp, gt(1012)) }},
		{"temperature==5..10", func(e *ngsild.Entity) bool { return anyNum(e, attrTemp, between(5, 10)) }},
		{"temperature!=5..10", func(e *ngsild.Entity) bool { return !anyNum(e, attrTemp, between(5, 10)) }},
		{"temperature==3,7,100", func(e *ngsild.Entity) bool {
			return anyNum(e, attrTemp, func(x float64) bool { return x == 3 || x == 7 })
		}},
		{"temperature!=4", func(e *ngsild.Entity) bool { return !anyNum(e, attrTemp, func(x float64) bool { return x == 4 }) }},
		{"temperature!=3", func(e *ngsild.Entity) bool { return !anyNum(e, attrTemp, func(x float64) bool { return x == 3 }) }},
		{`name=="s003"`, func(e *ngsild.Entity) bool { return anyStr(e, attrName, eq("s003")) }},
		{`name>"s025"`, func(e *ngsild.Entity) bool { return anyStr(e, attrName, func(x string) bool { return x > "s025" }) }},
		{`name=="s002".."s004"`, func(e *ngsild.Entity) bool {
			return anyStr(e, attrName, func(x string) bool { return x >= "s002" && x <= "s004" })
		}},
		{`name~="s01."`, func(e *ngsild.Entity) bool { return anyStr(e, attrName, re("s01.")) }},
		{`name!~="^s00"`, func(e *ngsild.Entity) bool { return !anyStr(e, attrName, re("^s00")) }},
		{"active==true", active},
		{"active!=true", func(e *ngsild.Entity) bool { return !active(e) }},
		{"(temperature<5|temperature>25);active==false", func(e *ngsild.Entity) bool {
			return !active(e) && anyNum(e, attrTemp, func(x float64) bool { return x < 5 || x > 25 })
		}},
		{"refStation==urn:ngsi-ld:Station:000", func(e *ngsild.Entity) bool { return e.Attrs[attrRef] != nil }},
		{"refStation", func(e *ngsild.Entity) bool { return e.Attrs[attrRef] != nil }},
		{"!refStation", func(e *ngsild.Entity) bool { return e.Attrs[attrRef] == nil }},
		{"!refStation;temperature<10", func(e *ngsild.Entity) bool {
			return e.Attrs[attrRef] == nil && anyNum(e, attrTemp, func(x float64) bool { return x < 10 })
		}},
		{"tags==2", func(e *ngsild.Entity) bool { return anyNum(e, attrTags, func(x float64) bool { return x == 2 }) }},
		{"tags!=2", func(e *ngsild.Entity) bool {
			return e.Attrs[attrTags] != nil && !anyNum(e, attrTags, func(x float64) bool { return x == 2 })
		}},
		{`label!~="^L1"`, func(e *ngsild.Entity) bool { return e.Attrs[attrLabel] != nil && !anyStr(e, attrLabel, re("^L1")) }},
		{`tags=="t5"|tags=="t7"`, func(e *ngsild.Entity) bool { return anyStr(e, attrTags, re("^t[57]$")) }},
		{`label=="F14"`, func(e *ngsild.Entity) bool { return e.ID == "urn:ngsi-ld:Sensor:014" }},
		{`label~="^L2"`, func(e *ngsild.Entity) bool { return anyStr(e, attrLabel, re("^L2")) }},
		// Terms that stay in Go: a date literal, keys, sub-attributes.
		{"temperature<3|name>=2020-01-01", func(e *ngsild.Entity) bool { return anyNum(e, attrTemp, func(x float64) bool { return x < 3 }) }},
		{"temperature>20;!name[k]", func(e *ngsild.Entity) bool { return anyNum(e, attrTemp, gt(20)) }},
		{"temperature.observedAt|active==false", func(e *ngsild.Entity) bool { return !active(e) }},
	} {
		cases = append(cases, queryCase{"Q " + c.text, q(c.text), c.ref})
	}
	return cases
}

// geoQuery parses a geo-query on location.
func geoQuery(t testing.TB, georel, geometry, coords string) *geo.Query {
	t.Helper()
	q, err := geo.ParseQuery(georel, geometry, coords, ngsild.IRILocation, nil)
	if err != nil {
		t.Fatalf("geo.ParseQuery: %v", err)
	}
	return q
}

// geoMatch is the reference for geo-queries: some instance of the queried
// GeoProperty matches (as q terms match when some instance does).
func geoMatch(q *geo.Query) predicate {
	return func(e *ngsild.Entity) bool {
		for _, a := range e.Attrs[q.Property] {
			if a.Type == ngsild.TypeGeoProperty && q.Match(a.Geometry) {
				return true
			}
		}
		return false
	}
}

func testQueryGeo(t *testing.T, open Opener) {
	s := openFresh(t, open)
	all := load(t, s, "g", 30)
	box := `[[[0.25,45.25],[1.05,45.25],[1.05,46.05],[0.25,46.05],[0.25,45.25]]]`
	cases := map[string]*geo.Query{
		"near":       geoQuery(t, "near;maxDistance==30000", "Point", "[0.5,45.5]"),
		"nearMin":    geoQuery(t, "near;minDistance==100000", "Point", "[0,45]"),
		"within":     geoQuery(t, "within", "Polygon", box),
		"intersects": geoQuery(t, "intersects", "Polygon", box),
		"disjoint":   geoQuery(t, "disjoint", "Polygon", box),
		"farPoint":   geoQuery(t, "near;maxDistance==10", "Point", "[-120,-40]"),
	}
	for name, gq := range cases {
		t.Run(name, func(t *testing.T) {
			want := idsOf(all, geoMatch(gq))
			if len(want) == 0 || len(want) == len(all) {
				t.Fatalf("bad case: %d of %d entities match", len(want), len(all))
			}
			wantIDs(t, s, "g", &store.Query{Geo: gq, Limit: 1000, Count: true}, want)
			// Combined with another filter and paged.
			typ := typeAny(typeSensor)
			want = idsOf(all, func(e *ngsild.Entity) bool { return e.HasType(typeSensor) && geoMatch(gq)(e) })
			wantIDs(t, s, "g", &store.Query{Geo: gq, Types: typ, Limit: 1000}, want)
			wantPages(t, s, "g", store.Query{Geo: gq, Types: typ}, want, 2)
		})
	}
}

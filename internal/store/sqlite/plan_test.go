package sqlite

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/dothi-city/dothi/internal/ngsild/qlang"
	"github.com/dothi-city/dothi/internal/store"
)

func parseTest(t *testing.T, q, types string) *store.Query {
	t.Helper()
	sq := &store.Query{}
	expand := func(s string) string { return benchNS + s }
	var err error
	if q != "" {
		if sq.Q, err = qlang.Parse(q, expand); err != nil {
			t.Fatal(err)
		}
	}
	if types != "" {
		if sq.Types, err = qlang.ParseTypes(types, expand); err != nil {
			t.Fatal(err)
		}
	}
	return sq
}

// TestPlanExactness checks which queries SQL answers alone (so that LIMIT,
// OFFSET and COUNT run in SQL) and which keep Go filters.
func TestPlanExactness(t *testing.T) {
	cases := []struct {
		q, types string
		exact    bool
	}{
		{"temperature>20", "", true},
		{"temperature==1..5;name~=\"x\"", "", true},
		{"temperature!=3|!name", "", true},
		{"refStation==urn:x:1,urn:x:2", "Sensor", true},
		{"active==true", "(Sensor;Public)|Station", true},
		{"", "Sensor,Station", true},
		{"temperature<2020-01-01", "", false},          // date literal
		{"temperature.observedAt>0", "", false},        // metadata
		{"temperature[a]==1", "", false},               // keys
		{"temperature>1;name[a]==1", "", false},        // And partly pushed down
		{"temperature>1|name[a]==1", "", false},        // Or with a Go term
		{"modifiedAt>2020-01-01T00:00:00Z", "", false}, // entity timestamp
	}
	for _, c := range cases {
		p := planQuery("t", parseTest(t, c.q, c.types))
		if p.exact() != c.exact {
			t.Errorf("q=%q type=%q: exact = %v, want %v (SQL %s)", c.q, c.types, p.exact(), c.exact, p.whereSQL())
		}
	}
	if p := planQuery("t", &store.Query{IDPattern: regexp.MustCompile("x"), IDs: []string{"a"}, Attrs: []string{"b"}}); !p.exact() {
		t.Errorf("ids, idPattern and attrs are not exact: %s", p.whereSQL())
	}
}

// TestPlanSQLHasNoUserText checks that user values travel as parameters.
func TestPlanSQLHasNoUserText(t *testing.T) {
	evil := `x'); DROP TABLE entities; --`
	q := parseTest(t, fmt.Sprintf("name==%q;name~=%q", evil, regexp.QuoteMeta(evil)), "")
	q.IDs, q.Attrs, q.IDPattern = []string{evil}, []string{evil}, regexp.MustCompile(regexp.QuoteMeta(evil))
	p := planQuery(evil, q)
	if regexp.MustCompile(`DROP|evil`).MatchString(p.whereSQL()) {
		t.Fatalf("user text in SQL: %s", p.whereSQL())
	}
	s := openTest(t, t.TempDir())
	defer s.Close()
	if _, err := s.Query(context.Background(), "", q); err != nil {
		t.Fatal(err)
	}
}

// TestDeepOffsetDecodesOnlyThePage checks that an exact query skips the
// offset in SQL instead of decoding the skipped documents.
func TestDeepOffsetDecodesOnlyThePage(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()
	muts := make([]store.Mutation, 2000)
	for i := range muts {
		muts[i] = put(benchEntity(fmt.Sprintf("urn:e:%05d", i), i))
	}
	if _, err := s.Write(context.Background(), "", muts); err != nil {
		t.Fatal(err)
	}
	q := parseTest(t, "temperature>=0", "Sensor,Station")
	q.Offset, q.Limit, q.Count = 1500, 10, true
	before := docsDecoded.Load()
	res, err := s.Query(context.Background(), "", q)
	if err != nil {
		t.Fatal(err)
	}
	if n := docsDecoded.Load() - before; n != 10 || len(res.Entities) != 10 || res.Count != 2000 {
		t.Fatalf("decoded %d documents for %d entities, count %d; want 10, 10, 2000", n, len(res.Entities), res.Count)
	}
	if res.Entities[0].ID != "urn:e:01500" {
		t.Fatalf("page starts at %s, want urn:e:01500", res.Entities[0].ID)
	}
}

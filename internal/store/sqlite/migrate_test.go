package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dothi-city/dothi/internal/geo"
	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/ngsild/qlang"
	"github.com/dothi-city/dothi/internal/store"
)

// TestMigrateFromVersion1 opens a database written with schema version 1
// and checks that the rebuilt indexes answer queries, counts and Summary.
func TestMigrateFromVersion1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(migrations[0] + "PRAGMA user_version = 1;"); err != nil {
		t.Fatal(err)
	}
	const n = 50
	for i := range n {
		e := benchEntity(fmt.Sprintf("urn:m:%d", i), i)
		doc, err := store.EncodeEntity(e)
		if err != nil {
			t.Fatal(err)
		}
		pk := int64(i*3 + 1) // gaps, as deletions leave them
		if _, err := db.Exec("INSERT INTO entities(pk, tenant, id, doc) VALUES(?, 'm', ?, ?)", pk, e.ID, doc); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("INSERT INTO entity_types(tenant, type, pk) VALUES('m', ?, ?)", e.Types[0], pk); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("INSERT INTO attrs(pk, name, attr_type) VALUES(?, 'x', 'Property')", pk); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec("INSERT INTO tenants(name) VALUES('m')"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	q := parseTest(t, "temperature>=40", "Sensor")
	q.Limit, q.Count = 100, true
	res, err := s.Query(ctx, "m", q)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range n {
		if i%4 != 0 && i >= 40 {
			want = append(want, fmt.Sprintf("urn:m:%d", i))
		}
	}
	var got []string
	for _, e := range res.Entities {
		got = append(got, e.ID)
	}
	if !slices.Equal(got, want) || res.Count != len(want) {
		t.Fatalf("q after migration: %v (count %d), want %v", got, res.Count, want)
	}
	gq, err := geo.ParseQuery("near;maxDistance==10", "Point", "[2.0013,48.5]", "location", func(string) string { return ngsild.IRILocation })
	if err != nil {
		t.Fatal(err)
	}
	res, err = s.Query(ctx, "m", &store.Query{Geo: gq, Limit: 10})
	if err != nil || len(res.Entities) != 1 || res.Entities[0].ID != "urn:m:1" {
		t.Fatalf("geo after migration: %+v, %v", res, err)
	}
	sum, err := s.Summary(ctx, "m")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Types[benchNS+"Sensor"] != 37 || sum.Types[benchNS+"Station"] != 13 || len(sum.Attrs) != 8 {
		t.Fatalf("Summary after migration: %+v", sum)
	}
	// New entities come after the migrated ones.
	if errs, err := s.Write(ctx, "m", []store.Mutation{put(benchEntity("urn:m:new", 1))}); err != nil || errs[0] != nil {
		t.Fatal(err, errs)
	}
	res, err = s.Query(ctx, "m", &store.Query{Types: &qlang.TypeName{Name: benchNS + "Sensor"}, Offset: 37, Limit: 5, Count: true})
	if err != nil || res.Count != 38 || len(res.Entities) != 1 || res.Entities[0].ID != "urn:m:new" {
		t.Fatalf("page after migration: %+v, %v", res, err)
	}
}

package sqlite

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/ngsild/qlang"
	"github.com/dothi-city/dothi/internal/store"
	"github.com/dothi-city/dothi/internal/store/storetest"
)

// TestConformanceScan runs the conformance suite with every eligible
// query answered by walking entities in pk order (see planScan).
func TestConformanceScan(t *testing.T) {
	forceScan = true
	defer func() { forceScan = false }()
	storetest.Run(t, func(t *testing.T, dir string) store.Store { return openTest(t, dir) })
}

// TestBlockPaging checks pages and counts at offsets spread over several
// type_blocks blocks, after deletions, re-creations and type changes,
// against the ids expected in creation order.
func TestBlockPaging(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 10,000 entities")
	}
	s := openTest(t, t.TempDir())
	defer s.Close()
	ctx := context.Background()
	const n = 10000
	typeOf := map[string]string{}
	var order []string // ids in creation order
	var muts []store.Mutation
	for i := range n {
		e := benchEntity(fmt.Sprintf("urn:p:%d", i), i)
		typeOf[e.ID], order = e.Types[0], append(order, e.ID)
		muts = append(muts, put(e))
	}
	mustWriteAll(t, s, muts)
	rnd := rand.New(rand.NewSource(1))
	muts = muts[:0]
	for range 1500 {
		id := order[rnd.Intn(len(order))]
		switch rnd.Intn(3) {
		case 0: // delete
			muts = append(muts, store.Mutation{ID: id, Apply: func(*ngsild.Entity) (*ngsild.Entity, error) { return nil, nil }})
			order = slices.DeleteFunc(order, func(x string) bool { return x == id })
			delete(typeOf, id)
		case 1: // delete and re-create: moves to the end
			e := benchEntity(id, 1)
			muts = append(muts,
				store.Mutation{ID: id, Apply: func(*ngsild.Entity) (*ngsild.Entity, error) { return nil, nil }}, put(e))
			order = append(slices.DeleteFunc(order, func(x string) bool { return x == id }), id)
			typeOf[id] = e.Types[0]
		default: // change the type in place
			e := benchEntity(id, 3)
			e.Types = []string{benchNS + "Other"}
			muts = append(muts, put(e))
			typeOf[id] = e.Types[0]
		}
	}
	mustWriteAll(t, s, muts)
	for _, typ := range []string{"", benchNS + "Sensor", benchNS + "Station", benchNS + "Other"} {
		var want []string
		for _, id := range order {
			if typ == "" || typeOf[id] == typ {
				want = append(want, id)
			}
		}
		for _, off := range []int{0, 1, 4095, 4096, 4097, len(want) / 2, len(want) - 3, len(want), len(want) + 5} {
			q := &store.Query{Offset: off, Limit: 7, Count: true}
			if typ != "" {
				q.Types = &qlang.TypeName{Name: typ}
			}
			res, err := s.Query(ctx, "", q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range res.Entities {
				got = append(got, e.ID)
			}
			exp := want[min(off, len(want)):min(off+7, len(want))]
			if res.Count != len(want) || !slices.Equal(got, exp) {
				t.Fatalf("type %q offset %d: count %d, page %v; want %d, %v", typ, off, res.Count, got, len(want), exp)
			}
		}
	}
}

func mustWriteAll(t *testing.T, s *Store, muts []store.Mutation) {
	t.Helper()
	errs, err := s.Write(context.Background(), "", muts)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range errs {
		if e != nil {
			t.Fatalf("mutation %d: %v", i, e)
		}
	}
}

// TestBlockPagingConcurrent pages through a sliding window of entities
// while a writer deletes the oldest and creates new ones: every read must
// see one snapshot, so a page from offset k to the end has exactly N-k
// consecutive entities and the count is N.
func TestBlockPagingConcurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 11,000 entities")
	}
	s := openTest(t, t.TempDir())
	defer s.Close()
	ctx := context.Background()
	const n, step, rounds = 5000, 250, 12
	mk := func(i int) store.Mutation { return put(benchEntity(fmt.Sprintf("urn:w:%d", i), 1)) }
	var muts []store.Mutation
	for i := range n {
		muts = append(muts, mk(i))
	}
	mustWriteAll(t, s, muts)
	done := make(chan struct{})
	var werr error
	go func() {
		defer close(done)
		for r := range rounds {
			muts := muts[:0]
			for i := r * step; i < (r+1)*step; i++ {
				id := fmt.Sprintf("urn:w:%d", i)
				muts = append(muts, store.Mutation{ID: id, Apply: func(*ngsild.Entity) (*ngsild.Entity, error) { return nil, nil }},
					mk(n+i))
			}
			errs, err := s.Write(ctx, "", muts)
			if werr = errors.Join(append(errs, err)...); werr != nil {
				return
			}
		}
	}()
	typ := &qlang.TypeName{Name: benchNS + "Sensor"}
	for reads := 0; ; reads++ {
		select {
		case <-done:
			if werr != nil {
				t.Fatal(werr)
			}
			if reads < 2 {
				t.Fatalf("only %d reads during the writes", reads)
			}
			return
		default:
		}
		off := []int{0, 1000, 4095, 4500}[reads%4]
		res, err := s.Query(ctx, "", &store.Query{Types: typ, Offset: off, Limit: n, Count: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Count != n || len(res.Entities) != n-off {
			t.Fatalf("offset %d: count %d, %d entities; want %d, %d", off, res.Count, len(res.Entities), n, n-off)
		}
		var first int
		fmt.Sscanf(res.Entities[0].ID, "urn:w:%d", &first)
		for i, e := range res.Entities {
			if want := fmt.Sprintf("urn:w:%d", first+i); e.ID != want {
				t.Fatalf("offset %d: entity %d is %s, want %s", off, i, e.ID, want)
			}
		}
	}
}

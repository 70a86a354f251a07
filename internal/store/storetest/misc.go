package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
)

// page runs q with the given limit and offset.
func page(t testing.TB, s store.Store, tenant string, q store.Query, limit, offset int) *store.Result {
	t.Helper()
	q.Limit, q.Offset, q.Count = limit, offset, true
	res, err := s.Query(context.Background(), tenant, &q)
	if err != nil {
		t.Fatalf("Query(limit %d, offset %d): %v", limit, offset, err)
	}
	return res
}

// wantPages pages through q with the given page size and fails t unless
// the pages hold want exactly once, in the order of a single full query.
func wantPages(t testing.TB, s store.Store, tenant string, q store.Query, want []string, size int) {
	t.Helper()
	var full []string
	for _, e := range page(t, s, tenant, q, len(want)+10, 0).Entities {
		full = append(full, e.ID)
	}
	var paged []string
	for off := 0; off < len(want)+size; off += size {
		res := page(t, s, tenant, q, size, off)
		if res.Count != len(want) {
			t.Fatalf("page at %d: Count = %d, want %d", off, res.Count, len(want))
		}
		if n := min(size, max(0, len(want)-off)); len(res.Entities) != n {
			t.Fatalf("page at %d has %d entities, want %d", off, len(res.Entities), n)
		}
		for _, e := range res.Entities {
			paged = append(paged, e.ID)
		}
	}
	if !slices.Equal(paged, full) {
		t.Fatalf("pages %v differ from the full result %v", paged, full)
	}
	sorted := slices.Sorted(slices.Values(paged))
	if !slices.Equal(sorted, slices.Sorted(slices.Values(want))) || len(slices.Compact(sorted)) != len(want) {
		t.Fatalf("pages hold %v, want %v each once", paged, want)
	}
}

func testPagination(t *testing.T, open Opener) {
	s := openFresh(t, open)
	all := load(t, s, store.DefaultTenant, 30)
	// Updating an entity must not move it between pages.
	mustWrite(t, s, store.DefaultTenant, Put(all[0]), Put(all[17]))
	everyone := idsOf(all, func(*ngsild.Entity) bool { return true })
	wantPages(t, s, store.DefaultTenant, store.Query{}, everyone, 7)
	stations := idsOf(all, func(e *ngsild.Entity) bool { return e.HasType(typeStation) })
	wantPages(t, s, store.DefaultTenant, store.Query{Types: typeAny(typeStation)}, stations, 3)
	and := idsOf(all, func(e *ngsild.Entity) bool { return e.HasType(typeSensor) && e.HasType(typePublic) })
	wantPages(t, s, store.DefaultTenant, store.Query{Types: typeAll(typeSensor, typePublic)}, and, 1)
	for _, c := range filterCases(t) {
		wantPages(t, s, store.DefaultTenant, c.q, idsOf(all, c.ref), 2)
	}
	// Limit 0 counts only; without Count it returns nothing.
	res := page(t, s, store.DefaultTenant, store.Query{Types: typeAny(typeStation)}, 0, 0)
	if len(res.Entities) != 0 || res.Count != len(stations) {
		t.Fatalf("Limit 0: %d entities, Count %d; want 0, %d", len(res.Entities), res.Count, len(stations))
	}
	res, err := s.Query(context.Background(), store.DefaultTenant, &store.Query{})
	if err != nil || len(res.Entities) != 0 || res.Count != -1 {
		t.Fatalf("empty Query = %+v, %v; want no entities and Count -1", res, err)
	}
	// An offset past the end returns no entities but the full count.
	res = page(t, s, store.DefaultTenant, store.Query{}, 5, 1000)
	if len(res.Entities) != 0 || res.Count != len(all) {
		t.Fatalf("offset past end: %d entities, Count %d", len(res.Entities), res.Count)
	}
}

func testSummary(t *testing.T, open Opener) {
	s := openFresh(t, open)
	all := load(t, s, "s", 30)
	mustWrite(t, s, "other", Create(richEntity(t, "urn:x")))
	sum, err := s.Summary(context.Background(), "s")
	if err != nil {
		t.Fatal(err)
	}
	wantTypes := map[string]int{}
	wantAttrs := map[store.AttrStat]int{}
	for _, e := range all {
		for _, typ := range e.Types {
			wantTypes[typ]++
			for name, list := range e.Attrs {
				kinds := map[string]bool{}
				for _, a := range list {
					kinds[a.Type] = true
				}
				for k := range kinds {
					wantAttrs[store.AttrStat{EntityType: typ, Name: name, AttrType: k}]++
				}
			}
		}
	}
	if fmt.Sprint(sum.Types) != fmt.Sprint(wantTypes) {
		t.Fatalf("Summary.Types = %v, want %v", sum.Types, wantTypes)
	}
	got := map[store.AttrStat]int{}
	for _, st := range sum.Attrs {
		n := st.Count
		st.Count = 0
		if _, dup := got[st]; dup {
			t.Fatalf("Summary.Attrs has %+v twice", st)
		}
		got[st] = n
	}
	if fmt.Sprint(got) != fmt.Sprint(wantAttrs) {
		t.Fatalf("Summary.Attrs = %v, want %v", got, wantAttrs)
	}
}

func testContexts(t *testing.T, open Opener) {
	s := openFresh(t, open)
	ctx := context.Background()
	_, err := s.GetContext(ctx, "nope")
	wantProblem(t, err, ngsild.ErrResourceNotFound)
	a := &store.StoredContext{ID: "a", URL: "http://h/a.jsonld", Kind: store.ContextHosted,
		Body: []byte(`{"@context":{"x":"http://x/"}}`), CreatedAt: baseTime}
	b := &store.StoredContext{ID: "b", URL: "http://h/b.jsonld", Kind: store.ContextCached, Body: []byte(`{}`), CreatedAt: baseTime.Add(time.Hour)}
	for _, c := range []*store.StoredContext{a, b} {
		if err := s.PutContext(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	wantContext(t, s, a)
	a2 := *a
	a2.Body = []byte(`{"@context":{"y":"http://y/"}}`)
	if err := s.PutContext(ctx, &a2); err != nil {
		t.Fatal(err)
	}
	wantContext(t, s, &a2)
	list, err := s.ListContexts(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("ListContexts = %d contexts, %v; want 2", len(list), err)
	}
	if err := s.DeleteContext(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetContext(ctx, "a")
	wantProblem(t, err, ngsild.ErrResourceNotFound)
	wantProblem(t, s.DeleteContext(ctx, "a"), ngsild.ErrResourceNotFound)
	wantContext(t, s, b)
}

// wantContext fails t unless the store holds c.
func wantContext(t testing.TB, s store.Store, c *store.StoredContext) {
	t.Helper()
	got, err := s.GetContext(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != c.ID || got.URL != c.URL || got.Kind != c.Kind || !bytes.Equal(got.Body, c.Body) || !got.CreatedAt.Equal(c.CreatedAt) {
		t.Fatalf("GetContext(%s) = %+v, want %+v", c.ID, got, c)
	}
}

func testPersistence(t *testing.T, open Opener) {
	dir := t.TempDir()
	s := open(t, dir)
	e := richEntity(t, "urn:ngsi-ld:Sensor:p")
	mustWrite(t, s, "t", Create(e), Create(richEntity(t, "urn:gone")))
	mustWrite(t, s, "t", Delete("urn:gone"))
	c := &store.StoredContext{ID: "c", URL: "u", Kind: store.ContextHosted, Body: []byte(`{}`), CreatedAt: baseTime}
	if err := s.PutContext(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	defer s.Close()
	wantEqual(t, e, mustEntity(t, s, "t", e.ID))
	_, err := s.Entity(context.Background(), "t", "urn:gone")
	wantProblem(t, err, ngsild.ErrResourceNotFound)
	wantContext(t, s, c)
	wantIDs(t, s, "t", &store.Query{Types: typeAny(typeSensor), Attrs: []string{attrTemp}, Limit: 5, Count: true}, []string{e.ID})
	// Writes after reopening work and keep the order.
	mustWrite(t, s, "t", Create(richEntity(t, "urn:after")))
	wantPages(t, s, "t", store.Query{}, []string{e.ID, "urn:after"}, 1)
}

func testConcurrent(t *testing.T, open Opener) {
	s := openFresh(t, open)
	const writers, rounds, counters = 8, 25, 4
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errc := make(chan error, 64)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				muts := []store.Mutation{counter(fmt.Sprintf("urn:c:%d", r%counters), 1), counter(fmt.Sprintf("urn:w:%d", w), 1)}
				errs, err := s.Write(context.Background(), "c", muts)
				if err == nil {
					err = errors.Join(errs...)
				}
				if err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	readers := startReaders(s, 3, stop, errc)
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	total := 0
	for c := 0; c < counters; c++ {
		var n int
		fmt.Sscan(counterValue(t, s, "c", fmt.Sprintf("urn:c:%d", c)), &n)
		total += n
	}
	if total != writers*rounds {
		t.Fatalf("shared counters sum to %d, want %d: increments were lost", total, writers*rounds)
	}
	for w := 0; w < writers; w++ {
		if got := counterValue(t, s, "c", fmt.Sprintf("urn:w:%d", w)); got != fmt.Sprint(rounds) {
			t.Fatalf("writer %d counter = %s, want %d", w, got, rounds)
		}
	}
}

// startReaders runs n goroutines that query until stop is closed,
// sending failures to errc.
func startReaders(s store.Store, n int, stop <-chan struct{}, errc chan<- error) *sync.WaitGroup {
	var wg sync.WaitGroup
	for r := 0; r < n; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := readConsistent(s); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	return &wg
}

// readConsistent queries the counters tenant; a query's count must agree
// with the entities it returns.
func readConsistent(s store.Store) error {
	res, err := s.Query(context.Background(), "c", &store.Query{Limit: 100, Count: true, Types: typeAny(typeSensor)})
	if ngsild.IsType(err, ngsild.ErrNonexistentTenant) {
		return nil
	}
	if err != nil {
		return err
	}
	if res.Count != len(res.Entities) {
		return fmt.Errorf("count %d but %d entities in one query", res.Count, len(res.Entities))
	}
	return nil
}

func testLargeWrite(t *testing.T, open Opener) {
	s := openFresh(t, open)
	const n = 10000
	all := fixture(t, n)
	muts := make([]store.Mutation, n)
	for i, e := range all {
		muts[i] = Create(e)
	}
	muts[n/2] = Create(all[0]) // fails: created earlier in the same write
	errs, err := s.Write(context.Background(), "big", muts)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range errs {
		if (e != nil) != (i == n/2) {
			t.Fatalf("errs[%d] = %v", i, e)
		}
	}
	res := page(t, s, "big", store.Query{Types: typeAny(typeSensor, typeStation)}, 0, 0)
	if res.Count != n-1 {
		t.Fatalf("Count = %d, want %d", res.Count, n-1)
	}
	wantEqual(t, all[n-1], mustEntity(t, s, "big", all[n-1].ID))
	_, err = s.Entity(context.Background(), "big", all[n/2].ID)
	wantProblem(t, err, ngsild.ErrResourceNotFound)
}

func testCanceledContext(t *testing.T, open Opener) {
	s := openFresh(t, open)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	errs, err := s.Write(ctx, "x", []store.Mutation{Create(richEntity(t, "urn:x"))})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Write with a canceled context: errs %v, err %v; want context.Canceled", errs, err)
	}
	// Nothing was written, so the tenant does not exist.
	_, err = s.Entity(context.Background(), "x", "urn:x")
	wantProblem(t, err, ngsild.ErrNonexistentTenant)
}

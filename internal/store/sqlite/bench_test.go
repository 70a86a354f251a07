package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/geo"
	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/ngsild/qlang"
	"github.com/dothi-city/dothi/internal/store"
)

// benchN is the size of the benchmark data sets: DOTHI_BENCH_N, default def.
func benchN(b *testing.B, def int) int {
	if v := os.Getenv("DOTHI_BENCH_N"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("DOTHI_BENCH_N=%q is not a positive integer", v)
		}
		return n
	}
	return def
}

const benchNS = "https://example.org/bench/"

// benchEntity is a typical sensor: two types, a few properties and a
// location on a 1000×1000 grid of about 100 m cells near Paris.
func benchEntity(id string, i int) *ngsild.Entity {
	typ := benchNS + "Sensor"
	if i%4 == 0 {
		typ = benchNS + "Station"
	}
	lon, lat := 2.0+float64(i%1000)*0.0013, 48.5+float64(i/1000%1000)*0.0009
	g, _ := geo.NewPoint(lon, lat)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
	return &ngsild.Entity{ID: id, Types: []string{typ}, CreatedAt: now, ModifiedAt: now,
		Attrs: map[string][]*ngsild.Attribute{
			benchNS + "temperature": {{Type: ngsild.TypeProperty, Value: json.Number(strconv.Itoa(i % 500)), ObservedAt: now, UnitCode: "CEL"}},
			benchNS + "name":        {{Type: ngsild.TypeProperty, Value: fmt.Sprintf("sensor %d", i)}},
			benchNS + "refStation":  {{Type: ngsild.TypeRelationship, Object: fmt.Sprintf("urn:ngsi-ld:Station:%d", i%100)}},
			ngsild.IRILocation:      {{Type: ngsild.TypeGeoProperty, Geometry: g}},
		}}
}

// put is a mutation that stores e unconditionally.
func put(e *ngsild.Entity) store.Mutation {
	return store.Mutation{ID: e.ID, Apply: func(*ngsild.Entity) (*ngsild.Entity, error) { return e, nil }}
}

// openBench opens a store in a fresh directory, closed when b ends.
func openBench(b *testing.B, opts Options) *Store {
	s, err := Open(filepath.Join(b.TempDir(), "bench.db"), opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// load writes n bench entities in batches of 1000.
func load(b *testing.B, s *Store, n int) {
	for start := 0; start < n; start += 1000 {
		muts := make([]store.Mutation, 0, 1000)
		for i := start; i < min(n, start+1000); i++ {
			muts = append(muts, put(benchEntity(fmt.Sprintf("urn:ngsi-ld:Sensor:%d", i), i)))
		}
		if _, err := s.Write(context.Background(), "", muts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteBatches writes DOTHI_BENCH_N (default 100,000) new
// entities in Writes of 1,000 into a fresh store per iteration.
func BenchmarkWriteBatches(b *testing.B) {
	n := benchN(b, 100000)
	total := 0
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		s := openBench(b, Options{})
		b.StartTimer()
		start := time.Now()
		load(b, s, n)
		elapsed += time.Since(start)
		total += n
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "entities/s")
}

// BenchmarkConcurrentUpdates runs single-entity Writes from 16 goroutines
// (each updating one of 1,000 entities), with synchronous FULL and NORMAL.
func BenchmarkConcurrentUpdates(b *testing.B) {
	for _, sync := range []string{SyncFull, SyncNormal} {
		b.Run(sync, func(b *testing.B) {
			s := openBench(b, Options{Synchronous: sync})
			load(b, s, 1000)
			var next atomic.Int64
			b.SetParallelism(max(1, 16/runtimeProcs()))
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := int(next.Add(1))
					e := benchEntity(fmt.Sprintf("urn:ngsi-ld:Sensor:%d", i%1000), i)
					if errs, err := s.Write(context.Background(), "", []store.Mutation{put(e)}); err != nil || errs[0] != nil {
						b.Fatal(err, errs)
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "updates/s")
		})
	}
}

// benchQuery loads DOTHI_BENCH_N (default 20,000) entities once and runs q.
func benchQuery(b *testing.B, q func(n int) *store.Query) {
	n := benchN(b, 20000)
	s := openBench(b, Options{})
	load(b, s, n)
	query := q(n)
	b.ResetTimer()
	for b.Loop() {
		res, err := s.Query(context.Background(), "", query)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Entities) == 0 {
			b.Fatal("query returned nothing")
		}
	}
}

func mustQ(b *testing.B, text string) qlang.Expr {
	q, err := qlang.Parse(text, func(t string) string { return benchNS + t })
	if err != nil {
		b.Fatal(err)
	}
	return q
}

// BenchmarkQueryTypeAttr selects by type and one attribute filter (a page
// of 100 with the total count).
func BenchmarkQueryTypeAttr(b *testing.B) {
	benchQuery(b, func(int) *store.Query {
		return &store.Query{Types: &qlang.TypeName{Name: benchNS + "Station"}, Q: mustQ(b, "temperature>=490"),
			Limit: 100, Count: true}
	})
}

// BenchmarkQueryNear selects the entities within 500 m of a point.
func BenchmarkQueryNear(b *testing.B) {
	benchQuery(b, func(int) *store.Query {
		gq, err := geo.ParseQuery("near;maxDistance==500", "Point", "[2.2,48.51]", "location",
			func(string) string { return ngsild.IRILocation })
		if err != nil {
			b.Fatal(err)
		}
		return &store.Query{Geo: gq, Limit: 100, Count: true}
	})
}

// BenchmarkQueryDeepOffset reads a page of 100 at offset N/2.
func BenchmarkQueryDeepOffset(b *testing.B) {
	benchQuery(b, func(n int) *store.Query {
		return &store.Query{Offset: n / 2, Limit: 100, Count: true}
	})
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

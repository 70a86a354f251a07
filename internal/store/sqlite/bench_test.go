package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/geo"
	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/ngsild/qlang"
	"github.com/dothi-city/dothi/internal/store"
)

// Benchmarks of the embedded store. Default sizes run in seconds; set
// DOTHI_BENCH_N=1000000 for the published numbers (docs/benchmarks.md):
//
//	DOTHI_BENCH_N=1000000 go test -run '^$' -bench . -benchtime 1x ./internal/store/sqlite

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

// benchEntity is a small sensor (used by the tests): two types, a few
// properties and a location on a 1000×1000 grid of about 100 m cells.
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

// Vocabulary of the AirQualityObserved-like benchmark entities.
const (
	aqNS   = "https://smartdatamodels.org/dataModel.Environment/"
	aqType = aqNS + "AirQualityObserved"
)

// aqCenter is the middle of the area (about 10 km × 10 km, around Vũng
// Tàu) over which aqEntity spreads its locations.
var aqCenter = [2]float64{107.08, 10.36}

// mix is a cheap deterministic hash of i, uniform over [0, 1).
func mix(i, salt int) float64 {
	x := uint64(i)*0x9E3779B97F4A7C15 + uint64(salt)*0xBF58476D1CE4E5B9
	x ^= x >> 31
	x *= 0x94D049BB133111EB
	x ^= x >> 29
	return float64(x>>11) / (1 << 53)
}

// aqEntity is an AirQualityObserved-like entity with 8 attributes: a
// date, six measurements with observedAt and unitCode, and a Point
// location spread over about 10 km. pm25 is uniform in [0, 100) in steps
// of 0.1, so that pm25>99.8 selects 0.1% of the entities and pm25>50 half.
func aqEntity(i int) *ngsild.Entity {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
	lon := aqCenter[0] - 0.045 + 0.09*mix(i, 1)
	lat := aqCenter[1] - 0.045 + 0.09*mix(i, 2)
	g, _ := geo.NewPoint(lon, lat)
	measure := func(v float64, unit string) []*ngsild.Attribute {
		return []*ngsild.Attribute{{Type: ngsild.TypeProperty, Value: json.Number(strconv.FormatFloat(v, 'f', 1, 64)),
			ObservedAt: now, UnitCode: unit}}
	}
	return &ngsild.Entity{ID: "urn:ngsi-ld:AirQualityObserved:" + strconv.Itoa(i), Types: []string{aqType},
		CreatedAt: now, ModifiedAt: now,
		Attrs: map[string][]*ngsild.Attribute{
			aqNS + "dateObserved":     {{Type: ngsild.TypeProperty, Value: now.Format(time.RFC3339)}},
			aqNS + "pm25":             measure(float64(int(mix(i, 3)*1000))/10, "GQ"),
			aqNS + "pm10":             measure(mix(i, 4)*150, "GQ"),
			aqNS + "no2":              measure(mix(i, 5)*80, "GQ"),
			aqNS + "o3":               measure(mix(i, 6)*120, "GQ"),
			aqNS + "temperature":      measure(24+mix(i, 7)*12, "CEL"),
			aqNS + "relativeHumidity": measure(mix(i, 8)*100, "P1"),
			ngsild.IRILocation:        {{Type: ngsild.TypeGeoProperty, Geometry: g}},
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

// loadAQ writes aqEntity(from) … aqEntity(to-1) in Writes of 1,000.
func loadAQ(tb testing.TB, s *Store, from, to int) {
	for muts := range batches(from, to, aqEntity) {
		errs, err := s.Write(context.Background(), "", muts)
		if err != nil {
			tb.Fatal(err)
		}
		for _, e := range errs {
			if e != nil {
				tb.Fatal(e)
			}
		}
	}
}

// batches sends the Writes of 1,000 entities of build(from) …
// build(to-1), built ahead by a producer goroutine (as HTTP handlers
// parse requests while the store writes).
func batches(from, to int, build func(int) *ngsild.Entity) <-chan []store.Mutation {
	ch := make(chan []store.Mutation, 4)
	go func() {
		defer close(ch)
		for start := from; start < to; start += 1000 {
			muts := make([]store.Mutation, 0, 1000)
			for i := start; i < min(to, start+1000); i++ {
				muts = append(muts, put(build(i)))
			}
			ch <- muts
		}
	}()
	return ch
}

// sensorEntity is the 4-attribute benchEntity with an AirQualityObserved-like id.
func sensorEntity(i int) *ngsild.Entity {
	return benchEntity("urn:ngsi-ld:Sensor:"+strconv.Itoa(i), i)
}

// BenchmarkWriteBatches writes DOTHI_BENCH_N (default 100,000) new
// entities in Writes of 1,000 into a fresh store per iteration, from one
// client (each Write waits for the previous one) and from 4 concurrent
// clients: AirQualityObserved-like entities (8 attributes, aq) and the
// smaller sensors of benchEntity (4 attributes).
func BenchmarkWriteBatches(b *testing.B) {
	n := benchN(b, 100000)
	kinds := []struct {
		name  string
		build func(int) *ngsild.Entity
	}{{"aq", aqEntity}, {"sensor", sensorEntity}}
	for _, kind := range kinds {
		for _, clients := range []int{1, 4} {
			b.Run(fmt.Sprintf("%s/clients=%d", kind.name, clients), func(b *testing.B) {
				total := 0
				var elapsed time.Duration
				for b.Loop() {
					b.StopTimer()
					s := openBench(b, Options{})
					b.StartTimer()
					start := time.Now()
					var wg sync.WaitGroup
					per := (n + clients - 1) / clients
					for c := range clients {
						ch := batches(c*per, min(n, (c+1)*per), kind.build)
						wg.Go(func() {
							for muts := range ch {
								if errs, err := s.Write(context.Background(), "", muts); err != nil || errors.Join(errs...) != nil {
									b.Error(err, errors.Join(errs...))
									for range ch { // let the producer finish
									}
									return
								}
							}
						})
					}
					wg.Wait()
					elapsed += time.Since(start)
					total += n
				}
				b.ReportMetric(float64(total)/elapsed.Seconds(), "entities/s")
			})
		}
	}
}

// latencies collects durations from several goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d ...time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d...)
	l.mu.Unlock()
}

// report adds the p50, p99 and max latencies to b's metrics.
func (l *latencies) report(b *testing.B) {
	if len(l.d) == 0 {
		return
	}
	slices.Sort(l.d)
	pct := func(p float64) float64 {
		return float64(l.d[min(len(l.d)-1, int(p*float64(len(l.d))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(l.d[len(l.d)-1].Microseconds())/1000, "max-ms")
}

// BenchmarkConcurrentUpdates runs single-entity Writes from 16 goroutines,
// each replacing one of 10,000 entities, with synchronous FULL and NORMAL.
func BenchmarkConcurrentUpdates(b *testing.B) {
	for _, sync := range []string{SyncFull, SyncNormal} {
		b.Run(sync, func(b *testing.B) {
			s := openBench(b, Options{Synchronous: sync})
			const entities = 10000
			loadAQ(b, s, 0, entities)
			var next atomic.Int64
			var lat latencies
			b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					i := int(next.Add(1))
					e := aqEntity(i % entities)
					e.Attrs[aqNS+"pm25"][0].Value = json.Number(strconv.Itoa(i % 100))
					t0 := time.Now()
					if errs, err := s.Write(context.Background(), "", []store.Mutation{put(e)}); err != nil || errs[0] != nil {
						b.Error(err, errs)
						return
					}
					mine = append(mine, time.Since(t0))
				}
				lat.add(mine...)
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "updates/s")
			lat.report(b)
		})
	}
}

// shared is the query benchmarks' data set: DOTHI_BENCH_N (default
// 20,000) AirQualityObserved entities, loaded once per process.
var shared struct {
	sync.Mutex
	n    int
	dir  string
	s    *Store
	load time.Duration
}

func sharedStore(b *testing.B) *Store {
	n := benchN(b, 20000)
	shared.Lock()
	defer shared.Unlock()
	if shared.s != nil && shared.n == n {
		return shared.s
	}
	dir, err := os.MkdirTemp("", "dothi-bench-")
	if err != nil {
		b.Fatal(err)
	}
	s, err := Open(filepath.Join(dir, "bench.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	loadAQ(b, s, 0, n)
	shared.n, shared.dir, shared.s, shared.load = n, dir, s, time.Since(start)
	return s
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.s != nil {
		shared.s.Close()
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

func mustQ(b *testing.B, text string) qlang.Expr {
	q, err := qlang.Parse(text, func(t string) string { return aqNS + t })
	if err != nil {
		b.Fatal(err)
	}
	return q
}

// BenchmarkQuery runs queries on the shared data set and reports their
// latency percentiles and, last, the process's resident memory.
func BenchmarkQuery(b *testing.B) {
	typ := &qlang.TypeName{Name: aqType}
	near, err := geo.ParseQuery("near;maxDistance==1000", "Point",
		fmt.Sprintf("[%g,%g]", aqCenter[0], aqCenter[1]), "location", func(string) string { return ngsild.IRILocation })
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		q    func(n int) *store.Query
	}{
		{"TypeAttrSelective", func(int) *store.Query { return &store.Query{Types: typ, Q: mustQ(b, "pm25>99.8"), Limit: 20} }},
		{"TypeAttrNonSelective", func(int) *store.Query { return &store.Query{Types: typ, Q: mustQ(b, "pm25>50"), Limit: 20} }},
		{"TypeAttrRange", func(int) *store.Query { return &store.Query{Types: typ, Q: mustQ(b, "pm25==10..12"), Limit: 20} }},
		{"Near1000m", func(int) *store.Query { return &store.Query{Types: typ, Geo: near, Limit: 20} }},
		{"DeepOffset", func(n int) *store.Query { return &store.Query{Types: typ, Offset: n / 2, Limit: 20} }},
		{"DeepOffsetCount", func(n int) *store.Query { return &store.Query{Types: typ, Offset: n / 2, Limit: 20, Count: true} }},
		{"TypeCount", func(int) *store.Query { return &store.Query{Types: typ, Count: true} }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			s := sharedStore(b)
			q := c.q(shared.n)
			var lat latencies
			b.ResetTimer()
			for b.Loop() {
				t0 := time.Now()
				res, err := s.Query(context.Background(), "", q)
				if err != nil {
					b.Fatal(err)
				}
				lat.add(time.Since(t0))
				if len(res.Entities) == 0 && res.Count <= 0 {
					b.Fatal("query returned nothing")
				}
			}
			lat.report(b)
		})
	}
	b.Run("Memory", func(b *testing.B) {
		sharedStore(b)
		for b.Loop() {
		}
		runtime.GC()
		rss, hwm := procStatus("VmRSS:"), procStatus("VmHWM:")
		b.ReportMetric(rss/1024, "rss-MiB")
		b.ReportMetric(hwm/1024, "peak-rss-MiB")
		b.ReportMetric(float64(shared.n)/shared.load.Seconds(), "load-entities/s")
	})
}

// procStatus returns a kB field of /proc/self/status (0 if unavailable).
func procStatus(field string) float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				v, _ := strconv.ParseFloat(f[0], 64)
				return v
			}
		}
	}
	return 0
}

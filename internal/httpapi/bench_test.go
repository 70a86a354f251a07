package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/bench"
	"github.com/dothi-city/dothi/internal/broker"
	"github.com/dothi-city/dothi/internal/httpapi"
	"github.com/dothi-city/dothi/internal/jsonld"
	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store/sqlite"
)

// benchServer serves the NGSI-LD API on a real embedded store (durable
// writes, as in production) over loopback HTTP.
func benchServer(b *testing.B) *httptest.Server {
	b.Helper()
	st, err := sqlite.Open(filepath.Join(b.TempDir(), "dothi.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	res, err := jsonld.NewResolver(jsonld.Config{Source: broker.NewContextSource(st), FetchTimeout: 500 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	httpapi.RegisterNGSILD(mux, broker.New(st), res, st, httpapi.Options{
		Limits:   httpapi.QueryLimits{DefaultPageSize: 20, MaxPageSize: 1000},
		MaxBatch: 10000,
	})
	srv := httptest.NewServer(httpapi.Recover(httpapi.LimitBody(32<<20, mux)))
	b.Cleanup(srv.Close)
	return srv
}

func post(b *testing.B, c *http.Client, method, url string, body []byte, want ...int) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		b.Error(err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		b.Error(err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	for _, w := range want {
		if resp.StatusCode == w {
			return
		}
	}
	b.Errorf("%s %s: status %d", method, url, resp.StatusCode)
}

// BenchmarkBatchUpsertHTTP upserts batches of 1,000 new entities of the
// shape dothi bench uses; one op is one request.
func BenchmarkBatchUpsertHTTP(b *testing.B) { benchmarkBatchUpsertHTTP(b, 1000) }

// BenchmarkBatchUpsertHTTP5000 sends 5,000 entities per request, which
// are parsed while the first of them are written.
func BenchmarkBatchUpsertHTTP5000(b *testing.B) { benchmarkBatchUpsertHTTP(b, 5000) }

func benchmarkBatchUpsertHTTP(b *testing.B, batch int) {
	srv := benchServer(b)
	bodies := make([][]byte, 8)
	next := 0
	refill := func() {
		for i := range bodies {
			bodies[i] = bench.Batch(next, batch)
			next += batch
		}
	}
	refill()
	url := srv.URL + "/ngsi-ld/v1/entityOperations/upsert"
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; b.Loop(); i++ {
		if i%len(bodies) == 0 && i > 0 {
			b.StopTimer()
			refill()
			b.StartTimer()
		}
		post(b, srv.Client(), http.MethodPost, url, bodies[i%len(bodies)], 201, 204)
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "entities/s")
	cpu.report(b, b.N*batch, "cpu-µs/entity")
}

// cpuMeter measures the CPU time (user and system) of this process, which
// is steadier than wall time on a shared machine.
type cpuMeter struct{ start time.Duration }

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuMeter { return cpuMeter{cpuTime()} }

func (m cpuMeter) report(b *testing.B, n int, unit string) {
	b.ReportMetric(float64(cpuTime()-m.start)/float64(time.Microsecond)/float64(n), unit)
}

// BenchmarkPatchAttrsHTTP runs 16 concurrent clients (on 2 CPUs) that PATCH
// one attribute of random entities among 10,000.
func BenchmarkPatchAttrsHTTP(b *testing.B) {
	srv := benchServer(b)
	const n = 10000
	for i := 0; i < n; i += 1000 {
		post(b, srv.Client(), http.MethodPost, srv.URL+"/ngsi-ld/v1/entityOperations/upsert", bench.Batch(i, 1000), 201, 204)
	}
	tr := &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64}
	c := &http.Client{Transport: tr}
	b.Cleanup(tr.CloseIdleConnections)
	var seed atomic.Uint64
	b.SetParallelism(max(1, 16/max(1, runtimeProcs())))
	b.ResetTimer()
	cpu := startCPU()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(seed.Add(1), 7))
		for pb.Next() {
			url := srv.URL + "/ngsi-ld/v1/entities/" + bench.EntityID(rng.IntN(n)) + "/attrs"
			body := fmt.Appendf(nil, `{"pm25":{"type":"Property","value":%.1f,"observedAt":"2026-11-23T09:00:00Z"}}`, rng.Float64()*200)
			post(b, c, http.MethodPatch, url, body, 204)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	cpu.report(b, b.N, "cpu-µs/req")
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

// nullWriter is a BatchWriter that stores nothing: it measures the HTTP
// layer alone (reading, decoding, parsing, answering).
type nullWriter struct{}

func (nullWriter) BatchCreate(_ context.Context, _ string, es []*ngsild.Entity) ([]error, error) {
	return make([]error, len(es)), nil
}

func (nullWriter) BatchUpsert(_ context.Context, _ string, es []*ngsild.Entity, _ bool) ([]bool, []error, error) {
	created := make([]bool, len(es))
	for i := range created {
		created[i] = true
	}
	return created, make([]error, len(es)), nil
}

func (nullWriter) BatchUpdate(_ context.Context, _ string, es []*ngsild.Entity, _ bool) ([]error, error) {
	return make([]error, len(es)), nil
}

func (nullWriter) BatchDelete(_ context.Context, _ string, ids []string) ([]error, error) {
	return make([]error, len(ids)), nil
}

// BenchmarkBatchUpsertHTTPNoStore is BenchmarkBatchUpsertHTTP on a writer
// that stores nothing: the throughput of the HTTP layer by itself.
func BenchmarkBatchUpsertHTTPNoStore(b *testing.B) {
	res, err := jsonld.NewResolver(jsonld.Config{})
	if err != nil {
		b.Fatal(err)
	}
	h := httpapi.BatchUpsert(nullWriter{}, res, func() time.Time { return time.Now().UTC() }, 10000)
	srv := httptest.NewServer(httpapi.Recover(httpapi.LimitBody(32<<20, httpapi.WithTenant(h))))
	b.Cleanup(srv.Close)
	const batch = 1000
	body := bench.Batch(0, batch)
	b.ResetTimer()
	cpu := startCPU()
	for b.Loop() {
		post(b, srv.Client(), http.MethodPost, srv.URL, body, 201)
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "entities/s")
	cpu.report(b, b.N*batch, "cpu-µs/entity")
}

// nullUpdater is an AttrUpdater that stores nothing.
type nullUpdater struct{}

func (nullUpdater) UpdateAttrs(_ context.Context, _, _ string, frag *ngsild.Entity) (ngsild.UpdateResult, error) {
	var res ngsild.UpdateResult
	for name := range frag.Attrs {
		res.Updated = append(res.Updated, name)
	}
	return res, nil
}

// BenchmarkPatchAttrsHTTPNoStore is BenchmarkPatchAttrsHTTP on an updater
// that stores nothing: the HTTP layer of PATCH by itself.
func BenchmarkPatchAttrsHTTPNoStore(b *testing.B) {
	res, err := jsonld.NewResolver(jsonld.Config{})
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("PATCH /ngsi-ld/v1/entities/{entityId}/attrs", httpapi.WithTenant(httpapi.UpdateAttrs(nullUpdater{}, res, func() time.Time { return time.Now().UTC() })))
	srv := httptest.NewServer(httpapi.Recover(httpapi.LimitBody(32<<20, mux)))
	b.Cleanup(srv.Close)
	tr := &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64}
	c := &http.Client{Transport: tr}
	b.Cleanup(tr.CloseIdleConnections)
	var seed atomic.Uint64
	b.SetParallelism(max(1, 16/max(1, runtimeProcs())))
	b.ResetTimer()
	cpu := startCPU()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(seed.Add(1), 7))
		for pb.Next() {
			url := srv.URL + "/ngsi-ld/v1/entities/" + bench.EntityID(rng.IntN(10000)) + "/attrs"
			body := fmt.Appendf(nil, `{"pm25":{"type":"Property","value":%.1f,"observedAt":"2026-11-23T09:00:00Z"}}`, rng.Float64()*200)
			post(b, c, http.MethodPatch, url, body, 204)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	cpu.report(b, b.N, "cpu-µs/req")
}

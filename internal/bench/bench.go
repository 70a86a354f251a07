// Package bench measures a running dothi over HTTP the way clients use it:
// batch upserts, concurrent PATCHes, filtered, geo and deep-offset queries,
// and the memory the server holds. It also measures a bare net/http handler
// that decodes the same JSON, so results can be read as a ratio to what
// this machine can do at all.
package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Config sets the size of a benchmark run.
type Config struct {
	// BaseURL of the server under test, e.g. http://127.0.0.1:8080.
	BaseURL string
	// N is the number of entities loaded.
	N int
	// Batch is the number of entities per upsert request.
	Batch int
	// Clients is the number of concurrent PATCH clients.
	Clients int
	// Duration of the PATCH run.
	Duration time.Duration
	// Queries is the number of requests per query scenario.
	Queries int
	// Key is the API key sent as Authorization: Bearer.
	Key string
}

// Result is one measured figure.
type Result struct {
	Name  string
	Value float64
	Unit  string
	// Detail adds percentiles or context.
	Detail string
}

func (r Result) String() string {
	return fmt.Sprintf("%-44s %12.1f %-10s %s", r.Name, r.Value, r.Unit, r.Detail)
}

// client is a tuned HTTP client for loopback load.
func client(conns int) *http.Client {
	tr := &http.Transport{MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2, IdleConnTimeout: time.Minute}
	return &http.Client{Transport: tr, Timeout: 2 * time.Minute}
}

// do sends one request and drains the answer; it fails on an unexpected status.
func do(c *http.Client, key, method, url string, body []byte, want ...int) (time.Duration, error) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	for _, w := range want {
		if resp.StatusCode == w {
			return elapsed, nil
		}
	}
	return elapsed, fmt.Errorf("%s %s: status %d", method, url, resp.StatusCode)
}

// latencies summarises request durations.
type latencies []time.Duration

func (l latencies) percentile(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := append(latencies(nil), l...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p * float64(len(s)-1))
	return s[i]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (l latencies) detail() string {
	return fmt.Sprintf("p50 %.2f ms, p99 %.2f ms, max %.2f ms", ms(l.percentile(.5)), ms(l.percentile(.99)), ms(l.percentile(1)))
}

// Load upserts cfg.N entities in batches and reports entities per second.
func Load(ctx context.Context, cfg Config) (Result, error) {
	c := client(2)
	start := time.Now()
	for i := 0; i < cfg.N; i += cfg.Batch {
		if ctx.Err() != nil {
			return Result{}, ctx.Err()
		}
		n := min(cfg.Batch, cfg.N-i)
		if _, err := do(c, cfg.Key, http.MethodPost, cfg.BaseURL+"/ngsi-ld/v1/entityOperations/upsert", Batch(i, n), 201, 204); err != nil {
			return Result{}, err
		}
	}
	rate := float64(cfg.N) / time.Since(start).Seconds()
	return Result{Name: "batch upsert (" + strconv.Itoa(cfg.Batch) + " per request)", Value: rate, Unit: "entities/s", Detail: fmt.Sprintf("%d entities", cfg.N)}, nil
}

// Patch runs cfg.Clients concurrent single-entity PATCHes for cfg.Duration.
func Patch(ctx context.Context, cfg Config, n int) (Result, error) {
	c := client(cfg.Clients)
	var mu sync.Mutex
	var all latencies
	var failed atomic.Value
	deadline := time.Now().Add(cfg.Duration)
	var wg sync.WaitGroup
	for w := 0; w < cfg.Clients; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, 7))
			var mine latencies
			for time.Now().Before(deadline) && ctx.Err() == nil {
				url := cfg.BaseURL + "/ngsi-ld/v1/entities/" + EntityID(rng.IntN(n)) + "/attrs"
				d, err := do(c, cfg.Key, http.MethodPatch, url, patchBody(rng), 204)
				if err != nil {
					failed.Store(err)
					return
				}
				mine = append(mine, d)
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}(uint64(w))
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return Result{}, err
	}
	rate := float64(len(all)) / cfg.Duration.Seconds()
	return Result{Name: fmt.Sprintf("PATCH attrs, %d clients", cfg.Clients), Value: rate, Unit: "req/s", Detail: all.detail()}, nil
}

// Latency issues cfg.Queries GETs built by url and reports their median.
func Latency(name string, cfg Config, url func(rng *rand.Rand) string) (Result, error) {
	c := client(1)
	rng := rand.New(rand.NewPCG(42, 42))
	var all latencies
	for i := 0; i < cfg.Queries; i++ {
		d, err := do(c, cfg.Key, http.MethodGet, cfg.BaseURL+url(rng), nil, 200)
		if err != nil {
			return Result{}, err
		}
		all = append(all, d)
	}
	return Result{Name: name, Value: ms(all.percentile(.5)), Unit: "ms (p50)", Detail: all.detail()}, nil
}

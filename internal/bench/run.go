package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// Run measures the server at cfg.BaseURL (whose process id is pid, for its
// memory; 0 to skip) and a bare net/http baseline, printing each figure to
// out as it is measured.
func Run(ctx context.Context, cfg Config, pid int, out io.Writer) ([]Result, error) {
	var results []Result
	add := func(r Result, err error) error {
		if err != nil {
			return err
		}
		fmt.Fprintln(out, r)
		results = append(results, r)
		return nil
	}
	base, stop, err := startBaseline()
	if err != nil {
		return nil, err
	}
	defer stop()
	bcfg := cfg
	bcfg.BaseURL = base
	bcfg.N = min(cfg.N, 100_000)
	if err := baseline(ctx, bcfg, add); err != nil {
		return results, err
	}
	if err := add(Load(ctx, cfg)); err != nil {
		return results, err
	}
	if pid > 0 {
		if err := add(RSS(pid)); err != nil {
			return results, err
		}
	}
	if err := add(Patch(ctx, cfg, cfg.N)); err != nil {
		return results, err
	}
	for _, s := range queries(cfg.N) {
		if err := add(Latency(s.name, cfg, s.url)); err != nil {
			return results, err
		}
	}
	return results, nil
}

type scenario struct {
	name string
	url  func(rng *rand.Rand) string
}

func queries(n int) []scenario {
	const entities = "/ngsi-ld/v1/entities?type=AirQualityObserved"
	return []scenario{
		{"query type + q=pm25>X (1-5% match), limit 20", func(rng *rand.Rand) string {
			return entities + "&limit=20&q=" + url.QueryEscape(fmt.Sprintf("pm25>%.1f", 190+rng.Float64()*8))
		}},
		{"query type + q=pm25<X (~50% match), limit 20", func(rng *rand.Rand) string {
			return entities + "&limit=20&q=" + url.QueryEscape(fmt.Sprintf("pm25<%.1f", 90+rng.Float64()*20))
		}},
		{"near;maxDistance==1000, limit 20", func(rng *rand.Rand) string {
			lon, lat := RandomPoint(rng)
			return entities + "&limit=20&georel=" + url.QueryEscape("near;maxDistance==1000") +
				"&geometry=Point&coordinates=" + url.QueryEscape(fmt.Sprintf("[%.5f,%.5f]", lon, lat))
		}},
		{fmt.Sprintf("page at offset %d, limit 20", n/2), func(*rand.Rand) string {
			return entities + "&limit=20&offset=" + strconv.Itoa(n/2)
		}},
		{"retrieve one entity by id", func(rng *rand.Rand) string {
			return "/ngsi-ld/v1/entities/" + url.PathEscape(EntityID(rng.IntN(n)))
		}},
	}
}

// RSS reads the resident memory of process pid.
func RSS(pid int) (Result, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return Result{}, fmt.Errorf("read memory of process %d: %w", pid, err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return Result{}, err
			}
			return Result{Name: "server resident memory (RSS) after load", Value: kb / 1024, Unit: "MiB"}, nil
		}
	}
	return Result{}, fmt.Errorf("no VmRSS for process %d", pid)
}

// startBaseline serves a bare handler that decodes JSON bodies the way the
// broker does (UseNumber into generic values) and answers 204.
func startBaseline() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// baseline runs the write scenarios against the bare handler.
func baseline(ctx context.Context, cfg Config, add func(Result, error) error) error {
	r, err := Load(ctx, cfg)
	r.Name = "baseline: bare net/http, " + r.Name
	if err := add(r, err); err != nil {
		return err
	}
	r, err = Patch(ctx, cfg, cfg.N)
	r.Name = "baseline: bare net/http, " + r.Name
	return add(r, err)
}

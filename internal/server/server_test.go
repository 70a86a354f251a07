package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/bench"
	"github.com/dothi-city/dothi/internal/server"
)

// dothiBin is the dothi binary built once for the process-level tests.
var dothiBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dothi-bin-")
	if err != nil {
		panic(err)
	}
	dothiBin = filepath.Join(dir, "dothi")
	build := exec.Command("go", "build", "-o", dothiBin, "github.com/dothi-city/dothi/cmd/dothi")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "cannot build dothi:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// start runs a server with cfg on a free port and a fresh data directory.
func start(t *testing.T, cfg server.Config) (*server.Server, context.CancelFunc, chan error) {
	t.Helper()
	return startIn(t, cfg, t.TempDir())
}

// startIn runs a server with cfg on a free port with data in dir.
func startIn(t *testing.T, cfg server.Config, dir string) (*server.Server, context.CancelFunc, chan error) {
	t.Helper()
	cfg.Data = dir
	cfg.Addr = "127.0.0.1:0"
	srv, err := server.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	return srv, cancel, done
}

func TestOperationalEndpoints(t *testing.T) {
	cfg := server.DefaultConfig()
	dir := t.TempDir()
	key := createKey(t, dir, "--role", "operator", "--tenant", "*")
	srv, cancel, done := startIn(t, cfg, dir)
	base := "http://" + srv.Addr()
	for path, want := range map[string]string{
		"/healthz":        "ok",
		"/readyz":         "ready",
		"/api/v1/version": `"goVersion"`,
	} {
		code, body := get(t, base+path)
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("GET %s: %d %q", path, code, body)
		}
	}
	do(t, key, "GET", base+"/ngsi-ld/v1/types", "")
	if code, _ := get(t, base+"/metrics"); code != http.StatusUnauthorized {
		t.Errorf("anonymous GET /metrics: %d, want 401", code)
	}
	code, metrics := do(t, key, "GET", base+"/metrics", "")
	if code != 200 || !strings.Contains(metrics, `dothi_http_requests_total{code="200",method="GET",route="GET /ngsi-ld/v1/types"}`) {
		t.Errorf("metrics lack the request counter: %d\n%s", code, metrics)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not shut down")
	}
}

func TestConfigValidation(t *testing.T) {
	cfg := server.DefaultConfig()
	cfg.Sync = "sometimes"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "sync") {
		t.Errorf("Validate accepted sync=sometimes: %v", err)
	}
	path := filepath.Join(t.TempDir(), "dothi.yaml")
	os.WriteFile(path, []byte("addr: \":9999\"\nlimits:\n  maxPageSize: 50\n"), 0o600)
	cfg = server.DefaultConfig()
	if err := server.LoadFile(&cfg, path); err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":9999" || cfg.Limits.MaxPageSize != 50 || cfg.Limits.MaxBatch != 10000 {
		t.Errorf("config from file: %+v", cfg)
	}
	cfg = server.DefaultConfig()
	if err := server.LoadFile(&cfg, "../../docs/dothi.example.yaml"); err != nil {
		t.Errorf("the example configuration: %v", err)
	} else if err := cfg.Validate(); err != nil {
		t.Errorf("the example configuration: %v", err)
	}
	os.WriteFile(path, []byte("adress: \":9999\"\n"), 0o600)
	if err := server.LoadFile(&cfg, path); err == nil {
		t.Error("LoadFile accepted an unknown key")
	}
}

// TestAcknowledgedWritesSurviveKill writes through HTTP while the server is
// killed with SIGKILL, restarts it on the same data and checks every write
// that was acknowledged.
func TestAcknowledgedWritesSurviveKill(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	srv, err := bench.StartServer(ctx, dothiBin, dir)
	if err != nil {
		t.Fatal(err)
	}
	acked := make(chan int, 10000)
	go func() {
		defer close(acked)
		c := &http.Client{Timeout: 5 * time.Second}
		for i := 0; ; i += 10 {
			req, _ := http.NewRequest("POST", srv.URL+"/ngsi-ld/v1/entityOperations/upsert", strings.NewReader(string(bench.Batch(i, 10))))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+srv.Key)
			resp, err := c.Do(req)
			if err != nil {
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				return
			}
			acked <- i
		}
	}()
	time.Sleep(700 * time.Millisecond)
	if err := syscall.Kill(srv.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	var batches []int
	for i := range acked {
		batches = append(batches, i)
	}
	if len(batches) == 0 {
		t.Fatal("no write was acknowledged before the kill")
	}
	srv, err = bench.StartServer(ctx, dothiBin, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	for _, first := range batches {
		for i := first; i < first+10; i++ {
			if code, _ := do(t, srv.Key, "GET", srv.URL+"/ngsi-ld/v1/entities/"+bench.EntityID(i), ""); code != 200 {
				t.Fatalf("acknowledged entity %s lost after kill -9 (status %d)", bench.EntityID(i), code)
			}
		}
	}
	t.Logf("%d acknowledged batches all present after kill -9", len(batches))
}

func TestDemoCityComesAlive(t *testing.T) {
	cfg := server.DefaultConfig()
	cfg.Demo = server.DemoConfig{Enabled: true, Interval: 100 * time.Millisecond}
	dir := t.TempDir()
	key := createKey(t, dir, "--role", "integrator", "--read-only")
	srv, cancel, done := startIn(t, cfg, dir)
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	base := "http://" + srv.Addr() + "/ngsi-ld/v1/entities/urn:ngsi-ld:AirQualityObserved:VT-BaiTruoc?options=sysAttrs&attrs=pm25"
	var first string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		code, body := do(t, key, "GET", base, "")
		if code == 200 && strings.Contains(body, `"pm25"`) {
			if first == "" {
				first = body
			} else if body != first {
				return // a later measurement replaced the first one
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the demo station's pm25 never appeared and changed; first answer %q", first)
}

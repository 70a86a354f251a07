package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"time"

	"github.com/dothi-city/dothi/internal/bench"
)

// benchCmd runs the HTTP benchmarks against a fresh server (or --url).
func benchCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := bench.Config{}
	fs.IntVar(&cfg.N, "n", 100_000, "entities to load")
	fs.IntVar(&cfg.Batch, "batch", 1000, "entities per upsert request")
	fs.IntVar(&cfg.Clients, "clients", 16, "concurrent PATCH clients")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "length of the PATCH run")
	fs.IntVar(&cfg.Queries, "queries", 200, "requests per query scenario")
	target := fs.String("url", "", "benchmark a running server at this URL instead of starting one")
	fs.StringVar(&cfg.Key, "key", os.Getenv("DOTHI_KEY"), "API key for --url (DOTHI_KEY); a started server gets its own")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	pid := 0
	cfg.BaseURL = *target
	if cfg.BaseURL == "" {
		srv, cleanup, err := startBenchServer(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "dothi bench:", err)
			return 1
		}
		defer cleanup()
		cfg.BaseURL, pid, cfg.Key = srv.URL, srv.PID(), srv.Key
	}
	fmt.Fprintf(stdout, "dothi bench: %d entities, batch %d, %d clients, %s, %d CPUs, %s\n", cfg.N, cfg.Batch, cfg.Clients, cfg.Duration, runtime.NumCPU(), runtime.Version())
	if _, err := bench.Run(ctx, cfg, pid, stdout); err != nil {
		fmt.Fprintln(stderr, "dothi bench:", err)
		return 1
	}
	return 0
}

func startBenchServer(ctx context.Context) (*bench.Server, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp("", "dothi-bench-")
	if err != nil {
		return nil, nil, err
	}
	srv, err := bench.StartServer(ctx, exe, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return srv, func() { srv.Stop(); os.RemoveAll(dir) }, nil
}

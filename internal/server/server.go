// Package server assembles a dothi server from its configuration: the
// store, the context broker, the HTTP API and their lifecycle.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dothi-city/dothi/internal/broker"
	"github.com/dothi-city/dothi/internal/bus"
	"github.com/dothi-city/dothi/internal/httpapi"
	"github.com/dothi-city/dothi/internal/jsonld"
	"github.com/dothi-city/dothi/internal/simulate"
	"github.com/dothi-city/dothi/internal/store"
	"github.com/dothi-city/dothi/internal/store/sqlite"
	"github.com/dothi-city/dothi/web"
)

// Server is a configured dothi platform.
type Server struct {
	cfg      Config
	log      *slog.Logger
	store    store.Store
	broker   *broker.Broker
	handler  http.Handler
	listener net.Listener
}

// NewLogger returns the structured logger the configuration asks for.
func NewLogger(c LogConfig, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Level)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(c.Format, "json") {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// New opens the store and builds the HTTP handler. Call Run to serve, or
// Close to release the store without serving.
func New(cfg Config, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	st, err := openStore(cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, store: st}
	s.handler, err = s.routes()
	if err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

func openStore(cfg Config) (store.Store, error) {
	if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	path := filepath.Join(cfg.Data, "dothi.db")
	if strings.HasPrefix(cfg.Store, "sqlite:") {
		path = strings.TrimPrefix(cfg.Store, "sqlite:")
	}
	st, err := sqlite.Open(path, sqlite.Options{Synchronous: strings.ToUpper(cfg.Sync)})
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return st, nil
}

// routes builds the whole HTTP handler.
func (s *Server) routes() (http.Handler, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	resolver, err := jsonld.NewResolver(jsonld.Config{
		Dir:          s.cfg.Contexts.Dir,
		AllowRemote:  s.cfg.Contexts.AllowRemote,
		FetchTimeout: s.cfg.Contexts.FetchTimeout,
		Source:       broker.NewContextSource(s.store),
	})
	if err != nil {
		return nil, err
	}
	changes := bus.NewLocal()
	b := broker.New(s.store, broker.WithBus(changes))
	s.broker = b
	mux := http.NewServeMux()
	httpapi.RegisterNGSILD(mux, b, resolver, s.store, httpapi.Options{
		Limits:    httpapi.QueryLimits{DefaultPageSize: 20, MaxPageSize: s.cfg.Limits.MaxPageSize},
		MaxBatch:  s.cfg.Limits.MaxBatch,
		PublicURL: s.cfg.PublicURL,
	})
	mux.Handle("GET /api/v1/stream", httpapi.WithTenant(httpapi.Stream(changes, 15*time.Second)))
	mux.HandleFunc("GET /healthz", httpapi.Healthz)
	mux.Handle("GET /readyz", httpapi.Readyz(b))
	mux.HandleFunc("GET /api/v1/version", httpapi.Version)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.Handle("GET /api/v1/ui-config", httpapi.UIConfig(httpapi.UISettings{TileURL: s.cfg.UI.TileURL, TileAttribution: s.cfg.UI.TileAttribution}))
	mux.Handle("/", web.Handler())
	m := httpapi.NewMetrics(reg)
	return httpapi.Recover(m.Wrap(httpapi.LimitBody(s.cfg.Limits.MaxBodyBytes, mux))), nil
}

// Handler returns the server's HTTP handler, for tests and embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// Listen binds the configured address; Addr then reports it.
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.cfg.Addr, err)
	}
	s.listener = ln
	return nil
}

// Addr is the bound listen address (after Listen).
func (s *Server) Addr() string {
	if s.listener == nil {
		return ""
	}
	return s.listener.Addr().String()
}

// Run serves until ctx ends, then shuts down gracefully: it stops
// accepting, waits for requests in flight (up to ShutdownTimeout) and
// closes the store.
func (s *Server) Run(ctx context.Context) error {
	if s.listener == nil {
		if err := s.Listen(); err != nil {
			s.store.Close()
			return err
		}
	}
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		// A whole request body must arrive within ReadTimeout, so a client
		// cannot hold a connection by trickling a large body.
		ReadTimeout:  time.Minute,
		WriteTimeout: 2 * time.Minute,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	stopDemo, err := s.startDemo(ctx)
	if err != nil {
		s.store.Close()
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(s.listener) }()
	s.log.Info("dothi serving", "addr", s.Addr(), "data", s.cfg.Data)
	var serveErr error
	select {
	case <-ctx.Done():
		s.log.Info("shutting down")
	case serveErr = <-errc:
	}
	stopDemo()
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		s.log.Warn("shutdown did not finish in time", "err", err)
	}
	if err := s.store.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	s.log.Info("stopped")
	return nil
}

// Close releases the store of a server that is not running.
func (s *Server) Close() error { return s.store.Close() }

// startDemo creates the demo city's entities and runs its devices until the
// returned function is called, which waits for the last step to finish.
func (s *Server) startDemo(ctx context.Context) (stop func(), err error) {
	if !s.cfg.Demo.Enabled {
		return func() {}, nil
	}
	city := simulate.New(simulate.Config{
		Devices:  s.cfg.Demo.Devices,
		Interval: s.cfg.Demo.Interval,
		Seed:     s.cfg.Demo.Seed,
		OnError:  func(err error) { s.log.Warn("demo city", "err", err) },
	})
	_, errs, err := s.broker.BatchUpsert(ctx, store.DefaultTenant, city.Entities(), false)
	if err != nil {
		return nil, fmt.Errorf("demo city: %w", err)
	}
	if err := errors.Join(errs...); err != nil {
		s.log.Warn("demo city entities", "err", err)
	}
	dctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = city.Run(dctx, simulate.NewBrokerSink(s.broker))
	}()
	s.log.Info("demo city of Vũng Tàu running", "devices", city.Len(), "interval", s.cfg.Demo.Interval)
	return func() { cancel(); <-done }, nil
}

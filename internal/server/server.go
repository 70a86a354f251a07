// Package server assembles a dothi server from its configuration: the
// store, the context broker, accounts and audit, the HTTP API and their
// lifecycle.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dothi-city/dothi/internal/audit"
	"github.com/dothi-city/dothi/internal/auth"
	"github.com/dothi-city/dothi/internal/authhttp"
	"github.com/dothi-city/dothi/internal/broker"
	"github.com/dothi-city/dothi/internal/bus"
	"github.com/dothi-city/dothi/internal/datalock"
	"github.com/dothi-city/dothi/internal/httpapi"
	"github.com/dothi-city/dothi/internal/jsonld"
	"github.com/dothi-city/dothi/internal/simulate"
	"github.com/dothi-city/dothi/internal/store"
	"github.com/dothi-city/dothi/internal/store/sqlite"
	"github.com/dothi-city/dothi/internal/subscription"
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

	authDB   *auth.DB
	audit    *audit.Log
	auth     *auth.Service
	authHTTP *authhttp.Handler
	oidc     *authhttp.OIDC // nil without auth.oidc
	// demoLogins are the demo accounts, to print at start.
	demoLogins []DemoLogin

	metrics         http.Handler
	metricsListener net.Listener

	// lock keeps other servers and `dothi restore` off the data directory.
	lock *datalock.Lock
	// notifier delivers the notifications of NGSI-LD subscriptions.
	notifier *subscription.Notifier
	// shutdown is closed when the server starts shutting down, ending the
	// live streams that would otherwise hold it up.
	shutdown     chan struct{}
	shutdownOnce sync.Once
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
	lock, err := lockData(cfg)
	if err != nil {
		return nil, err
	}
	st, err := openStore(cfg)
	if err != nil {
		lock.Release()
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, store: st, lock: lock, shutdown: make(chan struct{})}
	if err := s.openAuth(); err != nil {
		s.closeAll()
		return nil, err
	}
	if cfg.Demo.Enabled {
		s.demoLogins, err = seedDemoAccounts(context.Background(), s.auth, s.audit)
	} else {
		err = refuseDefaultPasswords(context.Background(), s.auth, cfg.Data)
	}
	if err == nil {
		s.handler, err = s.routes()
	}
	if err != nil {
		s.closeAll()
		return nil, err
	}
	return s, nil
}

// openAuth opens the accounts database and the audit log in the data
// directory and builds the authentication handler.
func (s *Server) openAuth() error {
	cfg := s.cfg
	totp, err := cfg.totpRoles()
	if err != nil {
		return err
	}
	proxies, err := cfg.trustedProxies()
	if err != nil {
		return err
	}
	if s.authDB, err = auth.OpenDB(filepath.Join(cfg.Data, auth.FileName)); err != nil {
		return fmt.Errorf("open accounts: %w", err)
	}
	if s.audit, err = audit.Open(filepath.Join(cfg.Data, audit.FileName)); err != nil {
		return fmt.Errorf("open audit log: %w", err)
	}
	s.auth, err = auth.NewService(context.Background(), s.authDB, auth.Options{
		TOTPRoles: totp, SessionTTL: cfg.Auth.SessionTTL, IdleTimeout: cfg.Auth.IdleTimeout, AccessTokenTTL: cfg.Auth.AccessTokenTTL})
	if err != nil {
		return fmt.Errorf("accounts: %w", err)
	}
	s.authHTTP = authhttp.New(s.auth, authhttp.Options{
		InsecureCookies: cfg.Auth.InsecureCookies, TrustedProxies: proxies, Audit: s.audit, Log: s.log})
	return s.setupOIDC()
}

// closeAll closes the store, the accounts database and the audit log,
// whichever are open, and returns the first error.
func (s *Server) closeAll() error {
	var errs []error
	if s.oidc != nil {
		s.oidc.Stop()
	}
	if s.store != nil {
		if err := s.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close store: %w", err))
		}
	}
	if s.authDB != nil {
		if err := s.authDB.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close accounts: %w", err))
		}
	}
	if s.audit != nil {
		if err := s.audit.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close audit log: %w", err))
		}
	}
	if s.lock != nil {
		if err := s.lock.Release(); err != nil {
			errs = append(errs, fmt.Errorf("unlock data directory: %w", err))
		}
		s.lock = nil
	}
	return errors.Join(errs...)
}

// DemoLogins returns the demo accounts (with --demo), to tell how to log in.
func (s *Server) DemoLogins() []DemoLogin { return s.demoLogins }

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

// routes builds the whole HTTP handler. Every request is authenticated
// (API key or session cookie, with CSRF protection for cookies); the
// NGSI-LD API needs a principal and the broker decides each entity.
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
	b := broker.New(s.store, broker.WithBus(changes), broker.WithAccessControl(), broker.WithReadAudit(s.auditRead))
	s.broker = b
	ngsi := http.NewServeMux()
	apiOpts := httpapi.Options{
		Limits:    httpapi.QueryLimits{DefaultPageSize: 20, MaxPageSize: s.cfg.Limits.MaxPageSize},
		MaxBatch:  s.cfg.Limits.MaxBatch,
		PublicURL: s.cfg.PublicURL,
	}
	httpapi.RegisterNGSILD(ngsi, b, resolver, s.store, apiOpts)
	httpapi.RegisterTemporal(ngsi, b, resolver, apiOpts)
	s.notifier = subscription.NewNotifier(subscription.Options{
		Log: s.store, Entities: s.store, Store: s.store, Contexts: resolver, Wake: changes, Logger: s.log,
	})
	subs := http.NewServeMux()
	httpapi.RegisterSubscriptions(subs, &subscription.Manager{Store: s.store, Notifier: s.notifier}, resolver)
	// Notifications are not yet filtered by the subscriber's access rights,
	// so only administrators manage subscriptions for now.
	ngsi.Handle("/ngsi-ld/v1/subscriptions", requireRole(subs, auth.RoleAdmin))
	ngsi.Handle("/ngsi-ld/v1/subscriptions/", requireRole(subs, auth.RoleAdmin))
	mux := http.NewServeMux()
	mux.Handle("/ngsi-ld/", s.authHTTP.AuditChanges(authhttp.GuardNGSILD(ngsi)))
	// Hosted @contexts stay public: clients and other brokers fetch them by URL.
	mux.Handle("GET /ngsi-ld/v1/jsonldContexts/{contextId}", ngsi)
	s.authHTTP.Register(mux)
	if s.oidc != nil {
		s.oidc.Register(mux)
	}
	mux.Handle("GET /api/v1/stream", authhttp.RequireAuth(httpapi.WithTenant(s.stream(changes))))
	mux.HandleFunc("GET /healthz", httpapi.Healthz)
	mux.Handle("GET /readyz", httpapi.Readyz(b))
	mux.HandleFunc("GET /api/v1/version", httpapi.Version)
	s.metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
	if s.cfg.MetricsAddr == "" {
		mux.Handle("GET /metrics", requireRole(s.metrics, auth.RoleAdmin, auth.RoleOperator))
	}
	mux.Handle("GET /api/v1/ui-config", httpapi.UIConfig(httpapi.UISettings{TileURL: s.cfg.UI.TileURL, TileAttribution: s.cfg.UI.TileAttribution}))
	mux.Handle("/", web.Handler())
	m := httpapi.NewMetrics(reg)
	// The metrics middleware sits inside Authenticate, which copies the
	// request, so that it sees the route pattern the muxes set.
	limiter, err := newRateLimiter(s.cfg)
	if err != nil {
		return nil, err
	}
	inner := s.withClientIP(s.authHTTP.Wrap(m.Wrap(s.rateLimit(limiter, mux))))
	return httpapi.Recover(securityHeaders(s.cfg, httpapi.LimitBody(s.cfg.Limits.MaxBodyBytes, inner))), nil
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
// closes the store, the accounts database and the audit log.
func (s *Server) Run(ctx context.Context) error {
	if s.listener == nil {
		if err := s.Listen(); err != nil {
			s.closeAll()
			return err
		}
	}
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		// A whole request body must arrive within ReadTimeout, so a client
		// cannot hold a connection by trickling a large body.
		ReadTimeout:    time.Minute,
		WriteTimeout:   2 * time.Minute,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: maxHeaderBytes,
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	var ms *http.Server
	if s.cfg.MetricsAddr != "" {
		ln, err := net.Listen("tcp", s.cfg.MetricsAddr)
		if err != nil {
			s.closeAll()
			return fmt.Errorf("listen %s (metricsAddr): %w", s.cfg.MetricsAddr, err)
		}
		s.metricsListener = ln
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", s.metrics)
		ms = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute}
		go func() { _ = ms.Serve(ln) }()
	}
	stopDemo, err := s.startDemo(ctx)
	if err != nil {
		s.closeAll()
		return err
	}
	if err := s.notifier.Start(ctx); err != nil {
		stopDemo()
		s.closeAll()
		return err
	}
	stopPurge := s.purgeSessions(10 * time.Minute)
	errc := make(chan error, 1)
	go func() {
		if s.cfg.TLS.Enabled() {
			hs.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
			errc <- hs.ServeTLS(s.listener, s.cfg.TLS.CertFile, s.cfg.TLS.KeyFile)
			return
		}
		errc <- hs.Serve(s.listener)
	}()
	s.log.Info("dothi serving", "addr", s.Addr(), "tls", s.cfg.TLS.Enabled(), "data", s.cfg.Data, "metricsAddr", s.cfg.MetricsAddr)
	var serveErr error
	select {
	case <-ctx.Done():
		s.log.Info("shutting down")
	case serveErr = <-errc:
	}
	stopDemo()
	stopPurge()
	s.shutdownOnce.Do(func() { close(s.shutdown) })
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		s.log.Warn("shutdown did not finish in time", "err", err)
	}
	if ms != nil {
		_ = ms.Shutdown(sctx)
	}
	s.notifier.Stop()
	if err := s.closeAll(); err != nil {
		return err
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	s.log.Info("stopped")
	return nil
}

// maxHeaderBytes bounds the request line and headers.
const maxHeaderBytes = 64 << 10

// purgeSessions deletes expired sessions every interval until the
// returned function is called. Expiry is also checked on every request.
func (s *Server) purgeSessions(every time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if n, err := s.auth.PurgeSessions(ctx); err != nil && ctx.Err() == nil {
					s.log.Warn("purge sessions", "err", err)
				} else if n > 0 {
					s.log.Debug("purged expired sessions", "count", n)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

// Close releases the store, accounts and audit log of a server that is not running.
func (s *Server) Close() error { return s.closeAll() }

// startDemo creates the demo city's entities and runs its devices until the
// returned function is called, which waits for the last step to finish.
func (s *Server) startDemo(ctx context.Context) (stop func(), err error) {
	if !s.cfg.Demo.Enabled || s.cfg.Demo.AccountsOnly {
		return func() {}, nil
	}
	city := simulate.New(simulate.Config{
		Devices:  s.cfg.Demo.Devices,
		Interval: s.cfg.Demo.Interval,
		Seed:     s.cfg.Demo.Seed,
		OnError:  func(err error) { s.log.Warn("demo city", "err", err) },
	})
	// The demo city is the platform itself writing: it runs as the system.
	_, errs, err := s.broker.BatchUpsert(broker.System(ctx), store.DefaultTenant, city.Entities(), false)
	if err != nil {
		return nil, fmt.Errorf("demo city: %w", err)
	}
	if err := errors.Join(errs...); err != nil {
		s.log.Warn("demo city entities", "err", err)
	}
	dctx, cancel := context.WithCancel(broker.System(context.Background()))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = city.Run(dctx, simulate.NewBrokerSink(s.broker))
	}()
	s.log.Info("demo city of Vũng Tàu running", "devices", city.Len(), "interval", s.cfg.Demo.Interval)
	return func() { cancel(); <-done }, nil
}

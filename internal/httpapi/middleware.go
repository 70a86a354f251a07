package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/prometheus/client_golang/prometheus"
)

type tenantKey struct{}

// tenantPattern is what an NGSILD-Tenant header may hold.
var tenantPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$`)

// Tenant returns the tenant of the request ("" for the default tenant).
func Tenant(ctx context.Context) string {
	t, _ := ctx.Value(tenantKey{}).(string)
	return t
}

// WithTenant reads the NGSILD-Tenant header into the request context,
// rejecting malformed tenant names.
func WithTenant(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := r.Header.Get("NGSILD-Tenant")
		if t != "" && !tenantPattern.MatchString(t) {
			writeProblem(w, badRequest("NGSILD-Tenant %q: a tenant name has 1 to 64 letters, digits, '_', '-' or '.'", t))
			return
		}
		if t != "" {
			w.Header().Set("NGSILD-Tenant", t)
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tenantKey{}, t)))
	})
}

// NGSILDQuery reads query strings the way NGSI-LD clients write them: ';'
// stands in values (q=a>1;b<2, georel=near;maxDistance==1000). '+' keeps
// its form-encoding meaning (a space), as URL encoders of every language
// produce it; a literal plus is %2B. A malformed query string is answered
// with a 400 instead of silently losing a parameter.
func NGSILDQuery(next http.Handler) http.Handler {
	inner := http.AllowQuerySemicolons(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.RawQuery, ";") {
			u := *r.URL
			u.RawQuery = strings.ReplaceAll(u.RawQuery, ";", "%3B")
			r2 := *r
			r2.URL = &u
			r = &r2
		}
		if _, err := url.ParseQuery(r.URL.RawQuery); err != nil {
			writeProblem(w, badRequest("the query string is malformed: %v", err))
			return
		}
		inner.ServeHTTP(w, r)
	})
}

// LimitBody caps request bodies at n bytes.
func LimitBody(n int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > n {
			writeProblem(w, ngsild.Errorf(ngsild.ErrPayloadTooLarge, "request body of %d bytes is over the limit of %d", r.ContentLength, n))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, n)
		next.ServeHTTP(w, r)
	})
}

// Recover turns a panic in a handler into a logged InternalError, so one bad
// request never takes the server down.
func Recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				slog.ErrorContext(r.Context(), "panic in handler", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				writeProblem(w, ngsild.Errorf(ngsild.ErrInternal, "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// Metrics counts requests and their latency by route pattern and status.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics registers the HTTP metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dothi_http_requests_total",
			Help: "HTTP requests by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "dothi_http_request_duration_seconds",
			Help:    "HTTP request latency by method and route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// Wrap instruments next and logs requests at debug level.
func (m *Metrics) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		elapsed := time.Since(start)
		m.requests.WithLabelValues(r.Method, route, strconv.Itoa(sw.code)).Inc()
		m.duration.WithLabelValues(r.Method, route).Observe(elapsed.Seconds())
		slog.DebugContext(r.Context(), "request", "method", r.Method, "path", r.URL.Path, "code", sw.code, "elapsed", elapsed)
	})
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

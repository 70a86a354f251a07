package server

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/dothi-city/dothi/internal/auth"
	"github.com/dothi-city/dothi/internal/authhttp"
	"github.com/dothi-city/dothi/internal/ngsild"
)

// Rate limits per client (limits.ratePerSecond, limits.burst): a token
// bucket for each user, each API key, and for anonymous requests each
// client address (the trusted-proxy aware address of authhttp; an IPv6
// client by its /64, which one host usually controls whole). A request
// over the limit is answered 429 with Retry-After. Principals of the
// exempt roles (limits.rateExemptRoles, by default integrator: the
// machine clients that feed the platform in bulk) and the health probes
// are not limited.

// defaultRateExemptRoles applies when limits.rateExemptRoles is unset.
var defaultRateExemptRoles = []auth.Role{auth.RoleIntegrator}

// Bounds on the memory of the limiter.
const (
	// maxRateClients is the most buckets kept; past it, idle buckets are
	// dropped, and if none is idle new clients share one bucket.
	maxRateClients = 100_000
	// rateSweepEvery is how often idle buckets are dropped.
	rateSweepEvery = time.Minute
)

// rateExemptRoles parses limits.rateExemptRoles.
func (c *Config) rateExemptRoles() (map[auth.Role]bool, error) {
	out := map[auth.Role]bool{}
	if c.Limits.RateExemptRoles == nil {
		for _, r := range defaultRateExemptRoles {
			out[r] = true
		}
		return out, nil
	}
	for _, name := range c.Limits.RateExemptRoles {
		r, err := auth.ParseRole(name)
		if err != nil {
			return nil, fmt.Errorf("config: limits.rateExemptRoles: %w", err)
		}
		out[r] = true
	}
	return out, nil
}

// validateRate checks the rate limit settings.
func (c *Config) validateRate() error {
	l := c.Limits
	if l.RatePerSecond < 0 || math.IsNaN(l.RatePerSecond) || math.IsInf(l.RatePerSecond, 0) || l.Burst < 0 {
		return fmt.Errorf("config: limits.ratePerSecond and limits.burst must not be negative")
	}
	if l.RatePerSecond > 0 && l.Burst < 1 {
		return fmt.Errorf("config: limits.burst must be at least 1 when limits.ratePerSecond is set")
	}
	_, err := c.rateExemptRoles()
	return err
}

// rateLimiter keeps one token bucket per client.
type rateLimiter struct {
	limit  rate.Limit
	burst  int
	exempt map[auth.Role]bool
	max    int
	// idle is how long a bucket takes to fill up again: an entry unused
	// that long is the same as a new one, so dropping it loses nothing.
	idle time.Duration
	now  func() time.Time

	mu        sync.Mutex
	clients   map[string]*rateClient
	overflow  *rate.Limiter
	lastSweep time.Time
}

type rateClient struct {
	lim  *rate.Limiter
	last time.Time
}

// newRateLimiter returns nil when rate limiting is off (ratePerSecond 0).
func newRateLimiter(cfg Config) (*rateLimiter, error) {
	if cfg.Limits.RatePerSecond <= 0 {
		return nil, nil
	}
	exempt, err := cfg.rateExemptRoles()
	if err != nil {
		return nil, err
	}
	perSec := cfg.Limits.RatePerSecond
	idle := time.Duration(float64(cfg.Limits.Burst) / perSec * float64(time.Second))
	return &rateLimiter{
		limit: rate.Limit(perSec), burst: cfg.Limits.Burst, exempt: exempt, max: maxRateClients,
		idle: max(idle, time.Second), now: time.Now, clients: map[string]*rateClient{},
		overflow: rate.NewLimiter(rate.Limit(perSec), cfg.Limits.Burst),
	}, nil
}

// reserve takes a token of key's bucket: 0 when the request may go on,
// otherwise how long the client must wait.
func (rl *rateLimiter) reserve(key string) time.Duration {
	now := rl.now()
	rl.mu.Lock()
	c := rl.clients[key]
	if c == nil {
		c = rl.add(key, now)
	}
	c.last = now
	lim := c.lim
	rl.mu.Unlock()
	r := lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d
	}
	return 0
}

// add makes the bucket of a new client, dropping idle buckets first when
// it is time or the map is full. Called with mu held.
func (rl *rateLimiter) add(key string, now time.Time) *rateClient {
	if len(rl.clients) >= rl.max || now.Sub(rl.lastSweep) >= rateSweepEvery {
		rl.sweep(now)
	}
	if len(rl.clients) >= rl.max {
		// Under a flood of distinct clients, the newcomers share a bucket
		// rather than grow memory without bound.
		return &rateClient{lim: rl.overflow}
	}
	c := &rateClient{lim: rate.NewLimiter(rl.limit, rl.burst)}
	rl.clients[key] = c
	return c
}

// sweep drops the buckets unused for rl.idle. Called with mu held.
func (rl *rateLimiter) sweep(now time.Time) {
	rl.lastSweep = now
	for k, c := range rl.clients {
		if now.Sub(c.last) >= rl.idle {
			delete(rl.clients, k)
		}
	}
}

// size is the number of buckets kept, for tests.
func (rl *rateLimiter) size() int {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	return len(rl.clients)
}

// clientKey names the bucket of a request: its principal, or for an
// anonymous request its client address.
func clientKey(p *auth.Principal, ip string) string {
	if p != nil {
		return string(p.Kind) + ":" + p.ID
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "ip:" + ip
	}
	if a.Is6() && !a.Is4In6() {
		a = netip.PrefixFrom(a, 64).Masked().Addr()
	}
	return "ip:" + a.String()
}

// contextWithClientIP is what withClientIP does, for tests.
func contextWithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, clientIPKey{}, ip)
}

// rateLimit is the middleware; it must run inside Authenticate (it reads
// the principal) and withClientIP (the client address).
func (s *Server) rateLimit(rl *rateLimiter, next http.Handler) http.Handler {
	if rl == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			next.ServeHTTP(w, r)
			return
		}
		p := auth.FromContext(r.Context())
		if p != nil && rl.exempt[p.Role] {
			next.ServeHTTP(w, r)
			return
		}
		ip, _ := r.Context().Value(clientIPKey{}).(string)
		if wait := rl.reserve(clientKey(p, ip)); wait > 0 {
			secs := max(1, int(math.Ceil(wait.Seconds())))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			t := authhttp.ErrTooManyRequests
			writeProblem(w, &ngsild.Problem{Type: t, Title: t.Title(), Status: http.StatusTooManyRequests,
				Detail: fmt.Sprintf("over the limit of %g requests per second (burst %d); retry in %d s", float64(rl.limit), rl.burst, secs)})
			return
		}
		next.ServeHTTP(w, r)
	})
}

package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/auth"
)

// testLimiter is a limiter of burst 3 and 1 request per second on a fake clock.
func testLimiter(t *testing.T) (*rateLimiter, *time.Time) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Limits.RatePerSecond, cfg.Limits.Burst = 1, 3
	rl, err := newRateLimiter(cfg)
	if err != nil || rl == nil {
		t.Fatal(rl, err)
	}
	now := time.Unix(1_800_000_000, 0)
	rl.now = func() time.Time { return now }
	return rl, &now
}

func TestRateLimiterBuckets(t *testing.T) {
	rl, now := testLimiter(t)
	for i := range 3 {
		if d := rl.reserve("user:a"); d != 0 {
			t.Fatalf("request %d within the burst waits %v", i, d)
		}
	}
	d := rl.reserve("user:a")
	if d <= 0 || d > time.Second {
		t.Fatalf("request over the burst: wait %v, want (0, 1s]", d)
	}
	if d2 := rl.reserve("user:a"); d2 != d {
		t.Errorf("a refused request took a token: wait %v then %v", d, d2)
	}
	if d := rl.reserve("user:b"); d != 0 {
		t.Errorf("another client is limited by the first: %v", d)
	}
	*now = now.Add(time.Second)
	if d := rl.reserve("user:a"); d != 0 {
		t.Errorf("after a second: wait %v", d)
	}
	if d := rl.reserve("user:a"); d == 0 {
		t.Error("one second gave more than one token")
	}
}

func TestRateLimiterMemoryIsBounded(t *testing.T) {
	rl, now := testLimiter(t)
	rl.max = 10
	for i := range 10 {
		rl.reserve(fmt.Sprint("ip:", i))
	}
	// Full, nothing idle: newcomers share the overflow bucket.
	for i := range 50 {
		rl.reserve(fmt.Sprint("ip:new", i))
	}
	if n := rl.size(); n != 10 {
		t.Fatalf("%d buckets kept, want at most 10", n)
	}
	// The overflow bucket (burst 3) is spent by the 50 newcomers.
	if d := rl.reserve("ip:another"); d == 0 {
		t.Error("the shared overflow bucket is not limited")
	}
	// Once idle (a full refill, 3 s), old buckets make room.
	*now = now.Add(3 * time.Second)
	if d := rl.reserve("ip:late"); d != 0 {
		t.Errorf("a new client after the idle buckets expired: wait %v", d)
	}
	if n := rl.size(); n != 1 {
		t.Errorf("%d buckets after the sweep, want 1", n)
	}
	// The periodic sweep drops idle buckets even below the bound.
	*now = now.Add(rateSweepEvery)
	rl.reserve("ip:later")
	if n := rl.size(); n != 1 {
		t.Errorf("%d buckets after a periodic sweep, want 1", n)
	}
}

func TestClientKey(t *testing.T) {
	for _, c := range []struct {
		p        *auth.Principal
		ip, want string
	}{
		{&auth.Principal{Kind: auth.PrincipalKey, ID: "k1"}, "10.0.0.1", "key:k1"},
		{&auth.Principal{Kind: auth.PrincipalUser, ID: "u1"}, "10.0.0.1", "user:u1"},
		{nil, "10.0.0.1", "ip:10.0.0.1"},
		{nil, "2001:db8:1:2:aaaa::1", "ip:2001:db8:1:2::"},
		{nil, "2001:db8:1:2:bbbb::9", "ip:2001:db8:1:2::"},
	} {
		if got := clientKey(c.p, c.ip); got != c.want {
			t.Errorf("clientKey(%v, %s) = %s, want %s", c.p, c.ip, got, c.want)
		}
	}
}

func TestRateLimitMiddleware(t *testing.T) {
	rl, _ := testLimiter(t)
	s := &Server{}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	h := s.rateLimit(rl, ok)
	call := func(path string, p *auth.Principal) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		ctx := r.Context()
		if p != nil {
			ctx = auth.WithPrincipal(ctx, p)
		}
		ctx = contextWithClientIP(ctx, "192.0.2.7")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r.WithContext(ctx))
		return w
	}
	for range 3 {
		if w := call("/api/v1/version", nil); w.Code != http.StatusNoContent {
			t.Fatalf("within the burst: %d", w.Code)
		}
	}
	w := call("/api/v1/version", nil)
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" ||
		!strings.Contains(w.Body.String(), "TooManyRequests") || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("over the limit: %d %q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	if w := call("/healthz", nil); w.Code != http.StatusNoContent {
		t.Errorf("health probe limited: %d", w.Code)
	}
	integrator := &auth.Principal{Kind: auth.PrincipalKey, ID: "bulk", Role: auth.RoleIntegrator}
	for range 10 {
		if w := call("/ngsi-ld/v1/entities", integrator); w.Code != http.StatusNoContent {
			t.Fatalf("integrator (exempt by default) limited: %d", w.Code)
		}
	}
	staff := &auth.Principal{Kind: auth.PrincipalUser, ID: "u1", Role: auth.RoleStaff}
	if w := call("/ngsi-ld/v1/entities", staff); w.Code != http.StatusNoContent {
		t.Errorf("a user from the same address as a limited anonymous client: %d", w.Code)
	}
}

func TestRateConfig(t *testing.T) {
	cfg := DefaultConfig()
	if cfg.Limits.RatePerSecond <= 0 || cfg.Limits.Burst <= 0 {
		t.Fatal("rate limiting is off by default")
	}
	cfg.Limits.RatePerSecond = 0
	if rl, err := newRateLimiter(cfg); rl != nil || err != nil {
		t.Errorf("ratePerSecond 0: %v %v, want off", rl, err)
	}
	for _, c := range []LimitsConfig{{RatePerSecond: -1, Burst: 1}, {RatePerSecond: 1, Burst: 0}, {RatePerSecond: 1, Burst: 1, RateExemptRoles: []string{"root"}}} {
		cfg := DefaultConfig()
		c.MaxBodyBytes, c.MaxPageSize, c.MaxBatch = 1, 1, 1
		cfg.Limits = c
		if err := cfg.Validate(); err == nil {
			t.Errorf("Validate accepted %+v", c)
		}
	}
	cfg = DefaultConfig()
	cfg.Limits.RateExemptRoles = []string{}
	if roles, _ := cfg.rateExemptRoles(); len(roles) != 0 {
		t.Errorf("an empty list exempts %v", roles)
	}
}

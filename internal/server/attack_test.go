package server_test

// Attacks on a real server, over HTTP (issue 7, item 9). Each test names
// the guard it relies on; each fails if that guard is removed.

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/server"
)

// loginAs posts a login and returns the response (body read and closed)
// and the body. cookie is sent as the request's Cookie header when not "".
func loginAs(t *testing.T, base, username, password, cookie string) (*http.Response, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	req, _ := http.NewRequest("POST", base+"/api/v1/auth/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp, b.String()
}

// sessionCookie is the session cookie a response sets, as "name=value".
func sessionCookie(resp *http.Response) string {
	for _, c := range resp.Cookies() {
		if c.Name == "dothi_session" && c.Value != "" {
			return c.Name + "=" + c.Value
		}
	}
	return ""
}

// retryAfter is the Retry-After of resp in seconds (0 if absent).
func retryAfter(resp *http.Response) int {
	n, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	return n
}

// Guard: the per-account throttle of auth.Service.Login.
func TestAttackBruteForceLogin(t *testing.T) {
	base, _, stop := startDemo(t)
	defer stop()
	// 5 failures are free; the 6th, 7th and 8th lock the account for 1,
	// 2 and 4 seconds. Wait out the short locks to reach the long one.
	var resp *http.Response
	for i := 1; i <= 8; i++ {
		resp, _ = loginAs(t, base, "staff.tnmt", "guess-"+strconv.Itoa(i), "")
		if resp.StatusCode == http.StatusTooManyRequests {
			t.Fatalf("attempt %d locked early", i)
		}
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d, want 401", i, resp.StatusCode)
		}
		if i >= 6 && i < 8 {
			time.Sleep(time.Duration(1<<(i-6))*time.Second + 100*time.Millisecond)
		}
	}
	resp, body := loginAs(t, base, "staff.tnmt", "guess-9", "")
	if resp.StatusCode != http.StatusTooManyRequests || retryAfter(resp) < 1 || !strings.Contains(body, "TooManyRequests") {
		t.Fatalf("attempt while locked: %d Retry-After %q %s, want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	resp, body = loginAs(t, base, "staff.tnmt", server.DemoPassword, "")
	if resp.StatusCode != http.StatusTooManyRequests || sessionCookie(resp) != "" {
		t.Fatalf("the right password while locked: %d %s, want 429 and no session", resp.StatusCode, body)
	}
	// The lock is per account: another account logs in from the same address.
	if resp, body := loginAs(t, base, "staff.gtvt", server.DemoPassword, ""); resp.StatusCode != http.StatusOK {
		t.Errorf("another account: %d %s", resp.StatusCode, body)
	}
	// An unknown account is throttled like a real one (no user enumeration):
	// 5 free failures, then locks that double (so a slow machine, whose
	// hashing may outlast the first 1 s lock, still meets one).
	for i := 1; ; i++ {
		resp, _ := loginAs(t, base, "nobody", "x"+strconv.Itoa(i), "")
		if resp.StatusCode == http.StatusTooManyRequests {
			if i <= 6 {
				t.Errorf("unknown account locked after %d attempts, want after 6", i-1)
			}
			break
		}
		if i == 10 {
			t.Fatalf("unknown account not locked after %d failures", i)
		}
	}
}

// Guard: Login ends the session the client presented and always starts
// a new one (auth.LoginRequest.OldToken).
func TestAttackSessionFixation(t *testing.T) {
	base, _, stop := startDemo(t)
	defer stop()
	me := func(cookie string) (int, string) {
		return send(t, http.DefaultClient, "GET", base+"/api/v1/auth/me", "", "Cookie", cookie)
	}
	// A token the attacker made up and planted is never adopted.
	planted := "dothi_session=attacker-chosen-token-0123456789"
	resp, body := loginAs(t, base, "staff.tnmt", server.DemoPassword, planted)
	if resp.StatusCode != 200 {
		t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	if got := sessionCookie(resp); got == "" || got == planted {
		t.Fatalf("login kept the planted token: %q", got)
	}
	if code, _ := me(planted); code != http.StatusUnauthorized {
		t.Errorf("the planted token after the login: %d, want 401", code)
	}
	// A real session of the attacker, planted in the victim's browser,
	// is ended by the victim's login and never becomes the victim's.
	resp, _ = loginAs(t, base, "citizen", server.DemoPassword, "")
	attacker := sessionCookie(resp)
	if code, _ := me(attacker); code != 200 {
		t.Fatalf("the attacker's own session: %d", code)
	}
	resp, _ = loginAs(t, base, "operator", server.DemoPassword, attacker)
	victim := sessionCookie(resp)
	if resp.StatusCode != 200 || victim == "" || victim == attacker {
		t.Fatalf("the victim's login: %d, cookie %q (planted %q)", resp.StatusCode, victim, attacker)
	}
	if code, body := me(attacker); code != http.StatusUnauthorized || strings.Contains(body, "operator") {
		t.Errorf("the planted session after the victim's login: %d %s, want 401", code, body)
	}
	if code, body := me(victim); code != 200 || !strings.Contains(body, `"operator"`) {
		t.Errorf("the victim's new session: %d %s", code, body)
	}
}

// Guard: authhttp.RequireCSRF (token bound to the session, same origin).
func TestAttackCSRF(t *testing.T) {
	base, _, stop := startDemo(t)
	defer stop()
	entities := base + "/ngsi-ld/v1/entities"
	victim := login(t, base, "staff.tnmt")
	other := login(t, base, "staff.tnmt") // another session of the same user
	id := "urn:ngsi-ld:WaterQualityObserved:csrf"
	body := entityJSON(id, "so-tnmt", "public")
	for name, header := range map[string][]string{
		"no token":                {},
		"another session's token": {"X-CSRF-Token", other.csrf},
		"a made-up token":         {"X-CSRF-Token", "0123456789abcdef"},
		"cross-origin":            {"X-CSRF-Token", victim.csrf, "Origin", "https://evil.example"},
		"null origin":             {"X-CSRF-Token", victim.csrf, "Origin", "null"},
	} {
		if code, resp := send(t, victim.c, "POST", entities, body, header...); code != http.StatusForbidden {
			t.Errorf("cookie write with %s: %d %s, want 403", name, code, resp)
		}
		if code, resp := send(t, victim.c, "DELETE", entities+"/urn:ngsi-ld:WaterQualityObserved:x", "", header...); code != http.StatusForbidden {
			t.Errorf("cookie delete with %s: %d %s, want 403", name, code, resp)
		}
	}
	if code, _ := victim.get(t, entities+"/"+id); code != http.StatusNotFound {
		t.Fatalf("a refused write happened: %d", code)
	}
	// Cross-origin login is refused too (login CSRF).
	if code, _ := send(t, http.DefaultClient, "POST", base+"/api/v1/auth/login",
		`{"username":"staff.tnmt","password":"`+server.DemoPassword+`"}`, "Origin", "https://evil.example"); code != http.StatusForbidden {
		t.Errorf("cross-origin login: %d, want 403", code)
	}
	// The guard, not something else, refused them: the right token works.
	if code, resp := victim.write(t, "POST", entities, body); code != http.StatusCreated {
		t.Fatalf("write with the session's token: %d %s", code, resp)
	}
}

// Guard: the broker's per-entity access control (auth.Allowed).
func TestAttackAgencyReadsRestrictedData(t *testing.T) {
	base, _, stop := startDemo(t)
	defer stop()
	entities := base + "/ngsi-ld/v1/entities"
	secret := "urn:ngsi-ld:WaterQualityObserved:citizen-health"
	tnmt := login(t, base, "staff.tnmt")
	if code, body := tnmt.write(t, "POST", entities, entityJSON(secret, "so-tnmt", "restricted")); code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	gtvt := login(t, base, "staff.gtvt")
	q := url.QueryEscape
	for _, path := range []string{
		"/" + q(secret),
		"/" + q(secret) + "?attrs=ph",
		"?type=WaterQualityObserved",
		"?id=" + q(secret),
		"?idPattern=" + q(".*citizen.*"),
		"?type=WaterQualityObserved&q=" + q("ph>0"),
		"?attrs=ph",
		"?type=WaterQualityObserved&q=" + q("accessLevel==\"restricted\""),
	} {
		code, body := gtvt.get(t, entities+path)
		if !(code == http.StatusNotFound || code == 200 && !strings.Contains(body, "citizen-health")) {
			t.Errorf("staff of Sở GTVT GET entities%s: %d %s, want 404 or 200 without the restricted entity", path, code, body)
		}
	}
	if code, body := gtvt.write(t, "POST", base+"/ngsi-ld/v1/entityOperations/query", `{"type":"Query","entities":[{"type":"WaterQualityObserved"}]}`); strings.Contains(body, "citizen-health") {
		t.Errorf("POST entityOperations/query leaks it: %d %s", code, body)
	}
	// Counts do not reveal it either.
	count := func(s *session) string {
		req, _ := http.NewRequest("GET", entities+"?type=WaterQualityObserved&count=true&limit=0", nil)
		resp, err := s.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header.Get("NGSILD-Results-Count")
	}
	if a, b := count(gtvt), count(tnmt); a == b {
		t.Errorf("the count of Sở GTVT (%s) includes the restricted entity (owner sees %s)", a, b)
	}
	for _, w := range []struct{ method, path, body string }{
		{"PATCH", "/" + q(secret) + "/attrs", `{"ph":{"type":"Property","value":1}}`},
		{"DELETE", "/" + q(secret), ""},
		{"PUT", "/" + q(secret), entityJSON(secret, "so-gtvt", "public")},
	} {
		if code, body := gtvt.write(t, w.method, entities+w.path, w.body); code != http.StatusNotFound && code != http.StatusForbidden {
			t.Errorf("staff of Sở GTVT %s on the restricted entity: %d %s, want 404 or 403", w.method, code, body)
		}
	}
	if code, body := tnmt.get(t, entities+"/"+q(secret)); code != 200 || !strings.Contains(body, `"value":7.1`) {
		t.Errorf("the entity after the attacks: %d %s", code, body)
	}
}

// Guard: auth.MayAct per tenant (GuardNGSILD) and the key's scope.
func TestAttackTenantReadsAnotherTenant(t *testing.T) {
	dir := t.TempDir()
	city2 := createKey(t, dir, "--role", "integrator", "--tenant", "city2")
	city3 := createKey(t, dir, "--role", "operator", "--tenant", "city3")
	srv, cancel, done := startIn(t, server.DefaultConfig(), dir)
	defer func() { cancel(); <-done }()
	base := "http://" + srv.Addr() + "/ngsi-ld/v1"
	id := "urn:ngsi-ld:WaterQualityObserved:city2-only"
	if code, body := do(t, city2, "POST", base+"/entities", `{"id":"`+id+`","type":"WaterQualityObserved"}`, "NGSILD-Tenant", "city2"); code != http.StatusCreated {
		t.Fatalf("create in city2: %d %s", code, body)
	}
	for _, r := range []struct{ method, path, tenant, body string }{
		{"GET", "/entities/" + id, "city2", ""},
		{"GET", "/entities?type=WaterQualityObserved", "city2", ""},
		{"GET", "/types", "city2", ""},
		{"PATCH", "/entities/" + id + "/attrs", "city2", `{"x":{"type":"Property","value":1}}`},
		{"DELETE", "/entities/" + id, "city2", ""},
		{"POST", "/entityOperations/query", "city2", `{"type":"Query","entities":[{"type":"WaterQualityObserved"}]}`},
	} {
		code, body := do(t, city3, r.method, base+r.path, r.body, "NGSILD-Tenant", r.tenant)
		if code != http.StatusForbidden || strings.Contains(body, "city2-only") {
			t.Errorf("key of city3 %s %s in %s: %d %s, want 403", r.method, r.path, r.tenant, code, body)
		}
	}
	// Without the header (the default tenant) the entity does not exist.
	if code, body := do(t, city2, "GET", base+"/entities/"+id, ""); code != http.StatusForbidden {
		t.Errorf("key of city2 in the default tenant: %d %s, want 403", code, body)
	}
	if code, _ := do(t, city2, "GET", base+"/entities/"+id, "", "NGSILD-Tenant", "city2"); code != 200 {
		t.Errorf("the owner tenant lost its entity: %d", code)
	}
}

// Guard: parameter validation and bound parameters in the store's SQL.
func TestAttackInjection(t *testing.T) {
	dir := t.TempDir()
	key := createKey(t, dir, "--role", "integrator", "--tenant", "*")
	srv, cancel, done := startIn(t, server.DefaultConfig(), dir)
	defer func() { cancel(); <-done }()
	base := "http://" + srv.Addr() + "/ngsi-ld/v1/entities"
	for i := range 3 {
		id := "urn:ngsi-ld:WaterQualityObserved:inj-" + strconv.Itoa(i)
		if code, body := do(t, key, "POST", base, `{"id":"`+id+`","type":"WaterQualityObserved","name":{"type":"Property","value":"a"}}`); code != http.StatusCreated {
			t.Fatalf("seed: %d %s", code, body)
		}
	}
	drop := "'; DROP TABLE entities; --"
	q := url.QueryEscape
	attacks := []string{
		"?type=WaterQualityObserved&q=" + q(drop),
		"?type=WaterQualityObserved&q=" + q(`name=="a' OR '1'='1"`),
		"?type=WaterQualityObserved&q=" + q(`name=="x";DROP TABLE entities`),
		"?type=WaterQualityObserved&q=" + q(`name~="(?i).*') OR 1=1 --"`),
		"?type=WaterQualityObserved&q=" + q(`name[a'b]=="x"`),
		"?type=" + q(drop),
		"?type=" + q(`WaterQualityObserved' OR '1'='1`),
		"?id=" + q("urn:ngsi-ld:X:"+drop),
		"?id=" + q(`urn:ngsi-ld:X:1' OR '1'='1`),
		"?idPattern=" + q(".*"+drop),
		"?idPattern=" + q(`.*') OR 1=1 --`),
		"?type=WaterQualityObserved&attrs=" + q(drop),
		"?type=WaterQualityObserved&attrs=" + q(`name' OR '1'='1`),
		"?type=WaterQualityObserved&georel=" + q("near;maxDistance=="+drop) + "&geometry=Point&coordinates=" + q("[107,10]"),
		"?type=WaterQualityObserved&coordinates=" + q("[107,10'); DROP TABLE entities; --]") + "&geometry=Point&georel=intersects",
		"/" + q("urn:ngsi-ld:X:"+drop),
		"/" + q(`urn:ngsi-ld:X:1' OR '1'='1`),
		"/" + q("urn:ngsi-ld:WaterQualityObserved:inj-0") + "?attrs=" + q(drop),
	}
	for _, a := range attacks {
		code, body := do(t, key, "GET", base+a, "")
		switch {
		case code == http.StatusBadRequest, code == http.StatusNotFound:
		case code == 200 && (body == "[]\n" || body == "[]" || !strings.Contains(body, "inj-1")):
		default:
			t.Errorf("GET entities%s: %d %s, want 400, 404 or an empty result", a, code, body)
		}
	}
	// Through the header and the writes.
	if code, body := do(t, key, "GET", base+"?type=WaterQualityObserved", "", "NGSILD-Tenant", drop); code >= 500 || code == 200 && body != "[]\n" && body != "[]" {
		t.Errorf("tenant %q: %d %s", drop, code, body)
	}
	for _, body := range []string{
		`{"id":"urn:ngsi-ld:X:` + strings.ReplaceAll(drop, `"`, ``) + `","type":"WaterQualityObserved"}`,
		`{"id":"urn:ngsi-ld:WaterQualityObserved:ok","type":"` + drop + `"}`,
		`{"id":"urn:ngsi-ld:WaterQualityObserved:ok2","type":"WaterQualityObserved","x');DROP TABLE entities;--":{"type":"Property","value":"` + strings.ReplaceAll(drop, `"`, ``) + `"}}`,
	} {
		if code, resp := do(t, key, "POST", base, body); code >= 500 {
			t.Errorf("POST %s: %d %s", body, code, resp)
		}
	}
	// The store is intact: the seeded entities are all there.
	code, body := do(t, key, "GET", base+"?type=WaterQualityObserved&idPattern="+q("inj-")+"&limit=100", "")
	if code != 200 || strings.Count(body, `"id":"urn:ngsi-ld:WaterQualityObserved:inj-`) != 3 {
		t.Fatalf("after the attacks: %d %s, want the 3 seeded entities", code, body)
	}
	if code, _ := do(t, key, "GET", base+"/urn:ngsi-ld:WaterQualityObserved:inj-2", ""); code != 200 {
		t.Errorf("entity inj-2 after the attacks: %d", code)
	}
}

// Guards: httpapi.LimitBody (413), the login's body bound, and the HTTP
// server's MaxHeaderBytes (431).
func TestAttackOversizedRequests(t *testing.T) {
	dir := t.TempDir()
	key := createKey(t, dir, "--role", "integrator")
	cfg := server.DefaultConfig()
	cfg.Limits.MaxBodyBytes = 1 << 20
	srv, cancel, done := startIn(t, cfg, dir)
	defer func() { cancel(); <-done }()
	base := "http://" + srv.Addr()
	big := `[` + strings.Repeat(`{"id":"urn:ngsi-ld:T:x","type":"T"},`, 40000) + `{"id":"urn:ngsi-ld:T:y","type":"T"}]`
	if code, body := do(t, key, "POST", base+"/ngsi-ld/v1/entityOperations/upsert", big); code != http.StatusRequestEntityTooLarge {
		t.Errorf("1.4 MB body with a 1 MiB limit: %d %.200s, want 413", code, body)
	}
	// Without Content-Length (chunked), the body is cut while it is read.
	req, _ := http.NewRequest("POST", base+"/ngsi-ld/v1/entityOperations/upsert", struct{ *strings.Reader }{strings.NewReader(big)})
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	req.ContentLength = -1
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked 1.4 MB body: %d, want 413", resp.StatusCode)
	}
	// The login reads at most 16 KiB, before any password hashing.
	login := `{"username":"admin","password":"` + strings.Repeat("p", 100<<10) + `"}`
	if code, body := send(t, http.DefaultClient, "POST", base+"/api/v1/auth/login", login); code != http.StatusRequestEntityTooLarge {
		t.Errorf("100 KiB login body: %d %.200s, want 413", code, body)
	}
	// Headers over the server's limit are refused before any handler.
	code := rawStatus(t, srv.Addr(), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 200<<10)+"\r\n\r\n")
	if code != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("200 KiB of headers: %d, want 431", code)
	}
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("the server after the attacks: %d", code)
	}
}

// rawStatus writes a raw request and returns the status code of the answer.
func rawStatus(t *testing.T, addr, request string) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	go c.Write([]byte(request))
	buf := make([]byte, 64)
	n, _ := c.Read(buf)
	f := strings.Fields(string(buf[:n]))
	if len(f) < 2 {
		t.Fatalf("no status line: %q", buf[:n])
	}
	code, _ := strconv.Atoi(f[1])
	return code
}

// Guard: auth.Service.KeyPrincipal (expiry, revocation, secret check).
func TestAttackExpiredAndRevokedKeys(t *testing.T) {
	dir := t.TempDir()
	expired := createKey(t, dir, "--role", "integrator", "--expires", "1ms")
	out, code := runDothi(t, "admin", "create-key", "--data", dir, "--role", "integrator")
	if code != 0 {
		t.Fatal(out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	revoked, id := lines[len(lines)-1], strings.Fields(lines[0])[2]
	srv, cancel, done := startIn(t, server.DefaultConfig(), dir)
	defer func() { cancel(); <-done }()
	base := "http://" + srv.Addr() + "/ngsi-ld/v1/entities"
	body := `{"id":"urn:ngsi-ld:WaterQualityObserved:k","type":"WaterQualityObserved"}`
	if code, _ := do(t, revoked, "GET", base+"?type=WaterQualityObserved", ""); code != 200 {
		t.Fatalf("the key before revocation: %d", code)
	}
	if out, code := runDothi(t, "admin", "revoke-key", "--data", dir, "--id", id); code != 0 {
		t.Fatalf("revoke-key: %s", out)
	}
	// A key with the right id and a wrong secret.
	forged := revoked[:len(revoked)-4] + "AAAA"
	if forged == revoked {
		forged = revoked[:len(revoked)-4] + "BBBB"
	}
	for name, key := range map[string]string{"expired": expired, "revoked": revoked, "forged": forged, "empty": " "} {
		for _, r := range []struct{ method, url, body string }{{"GET", base + "?type=WaterQualityObserved", ""}, {"POST", base, body}} {
			if code, resp := do(t, key, r.method, r.url, r.body); code != http.StatusUnauthorized {
				t.Errorf("%s key %s: %d %s, want 401", name, r.method, code, resp)
			}
		}
	}
	if code, _ := do(t, createKey(t, dir, "--role", "integrator"), "GET", base+"/urn:ngsi-ld:WaterQualityObserved:k", ""); code != http.StatusNotFound {
		t.Errorf("a refused key wrote: %d, want 404", code)
	}
}

// Guard: the per-client rate limit (ratelimit.go), with trusted proxies.
func TestAttackRequestFlood(t *testing.T) {
	dir := t.TempDir()
	integrator := createKey(t, dir, "--role", "integrator")
	operator := createKey(t, dir, "--role", "operator")
	cfg := server.DefaultConfig()
	cfg.Limits.RatePerSecond, cfg.Limits.Burst = 1, 5
	cfg.Auth.TrustedProxies = []string{"127.0.0.1/32"}
	srv, cancel, done := startIn(t, cfg, dir)
	defer func() { cancel(); <-done }()
	base := "http://" + srv.Addr()
	flood := func(key string, header ...string) *http.Response {
		t.Helper()
		var last *http.Response
		for range 8 {
			req, _ := http.NewRequest("GET", base+"/api/v1/version", nil)
			if key != "" {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			for i := 0; i+1 < len(header); i += 2 {
				req.Header.Set(header[i], header[i+1])
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			last = resp
		}
		return last
	}
	// The proxy (127.0.0.1, trusted) forwards for client 203.0.113.1.
	if resp := flood("", "X-Forwarded-For", "203.0.113.1"); resp.StatusCode != http.StatusTooManyRequests || retryAfter(resp) < 1 ||
		resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("anonymous flood: %d Retry-After %q, want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Another client behind the same proxy has its own bucket.
	if code, _ := send(t, http.DefaultClient, "GET", base+"/api/v1/version", "", "X-Forwarded-For", "203.0.113.2"); code != 200 {
		t.Errorf("another client behind the proxy: %d, want 200", code)
	}
	if resp := flood(operator); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("operator key flood: %d, want 429", resp.StatusCode)
	}
	if resp := flood(integrator); resp.StatusCode != 200 {
		t.Errorf("integrator key (exempt by default): %d, want 200", resp.StatusCode)
	}
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("health probe while limited: %d", code)
	}
}

// Guard: X-Forwarded-For is believed only from trusted proxies.
func TestAttackSpoofedForwardedForDoesNotEscapeTheLimit(t *testing.T) {
	cfg := server.DefaultConfig()
	cfg.Limits.RatePerSecond, cfg.Limits.Burst = 1, 3
	srv, cancel, done := start(t, cfg)
	defer func() { cancel(); <-done }()
	var code int
	for i := range 6 {
		code, _ = send(t, http.DefaultClient, "GET", "http://"+srv.Addr()+"/api/v1/version", "", "X-Forwarded-For", "198.51.100."+strconv.Itoa(i))
	}
	if code != http.StatusTooManyRequests {
		t.Errorf("6 requests with made-up X-Forwarded-For and no trusted proxy: last %d, want 429", code)
	}
}

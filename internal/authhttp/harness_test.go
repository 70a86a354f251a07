package authhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/audit"
	"github.com/dothi-city/dothi/internal/auth"
)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a TLS test server with the auth routes, a stand-in NGSI-LD route
// wired as WIRING.md says, accounts and an audit log.
type env struct {
	t      *testing.T
	srv    *httptest.Server
	mux    *http.ServeMux // routes may be added while the server runs
	svc    *auth.Service
	h      *Handler
	audit  *audit.Log
	clock  *clock
	dir    string
	secret string // a read/write integrator key for tenant vt, type Parking
}

const pw = "mật-khẩu-đủ-dài"

// entities are the stand-in NGSI-LD data: id → owner and level.
var entities = map[string]auth.Resource{
	"urn:ngsi-ld:Case:p1":   {Types: []string{"https://x/Case"}, Agency: "p1", Level: auth.LevelRestricted},
	"urn:ngsi-ld:Case:p2":   {Types: []string{"https://x/Case"}, Agency: "p2", Level: auth.LevelRestricted},
	"urn:ngsi-ld:Parking:1": {Types: []string{"https://x/Parking"}, Level: auth.LevelPublic},
}

// entityHandler stands in for the NGSI-LD handlers: it checks Allowed for
// the entity the request names.
func entityHandler(w http.ResponseWriter, r *http.Request) {
	res, ok := entities[r.PathValue("id")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	res.Tenant = r.Header.Get("NGSILD-Tenant")
	a := auth.ActionRead
	if r.Method != http.MethodGet {
		a = auth.ActionWrite
	}
	if !auth.Allowed(auth.FromContext(r.Context()), a, res) {
		writeProblem(w, problem("https://uri.etsi.org/ngsi-ld/errors/Forbidden", http.StatusForbidden, "not allowed"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), clock: &clock{t: time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)}}
	db, err := auth.OpenDB(filepath.Join(e.dir, "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if e.audit, err = audit.Open(filepath.Join(e.dir, "audit.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.audit.Close() })
	ctx := context.Background()
	e.svc, err = auth.NewService(ctx, db, auth.Options{Argon2: auth.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1},
		Now: e.clock.Now, TOTPRoles: map[auth.Role]bool{}})
	if err != nil {
		t.Fatal(err)
	}
	e.seed(ctx)
	e.h = New(e.svc, Options{Audit: e.audit})
	mux := http.NewServeMux()
	e.h.Register(mux)
	mux.Handle("/ngsi-ld/v1/entities/{id}", e.h.AuditChanges(GuardNGSILD(http.HandlerFunc(entityHandler))))
	e.mux = mux
	e.srv = httptest.NewTLSServer(e.h.Wrap(mux))
	t.Cleanup(e.srv.Close)
	return e
}

// seed creates the province, an admin, two ward staff and a key.
func (e *env) seed(ctx context.Context) {
	for _, a := range []auth.Agency{
		{ID: "brvt", Name: "UBND tỉnh", Kind: auth.KindProvince},
		{ID: "vungtau", ParentID: "brvt", Name: "TP Vũng Tàu", Kind: auth.KindDistrict},
		{ID: "p1", ParentID: "vungtau", Name: "Phường 1", Kind: auth.KindWard},
		{ID: "p2", ParentID: "vungtau", Name: "Phường 2", Kind: auth.KindWard},
	} {
		if err := e.svc.CreateAgency(ctx, a); err != nil {
			e.t.Fatal(err)
		}
	}
	for _, nu := range []auth.NewUser{
		{Username: "root", Name: "Admin", Password: pw, Role: auth.RoleAdmin},
		{Username: "lan", Name: "Lan", Password: pw, Role: auth.RoleStaff, Agency: "p1"},
		{Username: "minh", Name: "Minh", Password: pw, Role: auth.RoleStaff, Agency: "p2"},
	} {
		if _, _, err := e.svc.CreateUser(ctx, nu); err != nil {
			e.t.Fatal(err)
		}
	}
	var err error
	e.secret, _, err = e.svc.CreateKey(ctx, auth.NewKey{Name: "parking sensors", Role: auth.RoleIntegrator,
		Scope: auth.Scope{Tenant: "vt", Types: []string{"Parking"}, Read: true, Write: true}, TTL: 24 * time.Hour})
	if err != nil {
		e.t.Fatal(err)
	}
}

// client is a browser: a cookie jar and the CSRF token it was given.
type client struct {
	e    *env
	c    *http.Client
	csrf string
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	c := *e.srv.Client() // a copy: srv.Client() is shared
	c.Jar = jar
	return &client{e: e, c: &c}
}

// do sends a request; body is JSON-encoded unless it is a string.
func (c *client) do(method, path string, body any, header ...string) (*http.Response, []byte) {
	c.e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, _ := json.Marshal(b)
		rd = bytes.NewReader(buf)
	}
	req, _ := http.NewRequest(method, c.e.srv.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

// login logs the client in and keeps its CSRF token.
func (c *client) login(username string) {
	c.e.t.Helper()
	resp, data := c.do("POST", "/api/v1/auth/login", map[string]string{"username": username, "password": pw})
	if resp.StatusCode != http.StatusOK {
		c.e.t.Fatalf("login %s: %d %s", username, resp.StatusCode, data)
	}
	var body struct{ CSRFToken string }
	json.Unmarshal(data, &body)
	c.csrf = body.CSRFToken
}

// send is do with the client's CSRF token.
func (c *client) send(method, path string, body any, header ...string) (*http.Response, []byte) {
	c.e.t.Helper()
	return c.do(method, path, body, append([]string{CSRFHeader, c.csrf}, header...)...)
}

// problemOf decodes an RFC 7807 body and checks its shape.
func problemOf(t *testing.T, resp *http.Response, data []byte, status int) map[string]any {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, data)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q", ct)
	}
	var p map[string]any
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"type", "title", "detail"} {
		if s, _ := p[k].(string); s == "" {
			t.Errorf("problem without %s: %s", k, data)
		}
	}
	if p["status"] != float64(status) {
		t.Errorf("problem status %v, want %d", p["status"], status)
	}
	return p
}

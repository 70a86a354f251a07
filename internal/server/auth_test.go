package server_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/dothi-city/dothi/internal/server"
)

// runDothi runs the dothi binary and returns its standard output and exit code.
func runDothi(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(dothiBin, args...)
	var errb strings.Builder
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if exit, ok := err.(*exec.ExitError); ok {
		return string(out) + errb.String(), exit.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

// createKey makes an API key with `dothi admin create-key` in dir.
func createKey(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, code := runDothi(t, append([]string{"admin", "create-key", "--data", dir}, args...)...)
	if code != 0 {
		t.Fatalf("create-key: exit %d: %s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1]
}

// do sends a request with an optional API key and JSON body.
func do(t *testing.T, key, method, url, body string, header ...string) (int, string) {
	t.Helper()
	return send(t, http.DefaultClient, method, url, body, append([]string{"Authorization", bearer(key)}, header...)...)
}

func bearer(key string) string {
	if key == "" {
		return ""
	}
	return "Bearer " + key
}

// send sends a request with headers given as name, value pairs (empty values skipped).
func send(t *testing.T, c *http.Client, method, url, body string, header ...string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] != "" {
			req.Header.Set(header[i], header[i+1])
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// session is a browser-like client logged in with a cookie.
type session struct {
	c    *http.Client
	csrf string
}

func login(t *testing.T, base, username string) *session {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	s := &session{c: &http.Client{Jar: jar}}
	code, body := send(t, s.c, "POST", base+"/api/v1/auth/login", `{"username":"`+username+`","password":"`+server.DemoPassword+`"}`)
	if code != 200 {
		t.Fatalf("login %s: %d %s", username, code, body)
	}
	var res struct{ CSRFToken string }
	if err := json.Unmarshal([]byte(body), &res); err != nil || res.CSRFToken == "" {
		t.Fatalf("login %s: no CSRF token in %s", username, body)
	}
	s.csrf = res.CSRFToken
	return s
}

// write sends an unsafe request with the session's CSRF token.
func (s *session) write(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	return send(t, s.c, method, url, body, "X-CSRF-Token", s.csrf)
}

func (s *session) get(t *testing.T, url string) (int, string) {
	t.Helper()
	return send(t, s.c, "GET", url, "")
}

func entityJSON(id, owner, level string) string {
	return `{"id":"` + id + `","type":"WaterQualityObserved",
	"owningAgency":{"type":"Relationship","object":"urn:ngsi-ld:Agency:` + owner + `"},
	"accessLevel":{"type":"Property","value":"` + level + `"},
	"ph":{"type":"Property","value":7.1}}`
}

func startDemo(t *testing.T) (string, string, func()) {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Demo = server.DemoConfig{Enabled: true, Interval: time.Hour}
	cfg.Auth.InsecureCookies = true
	dir := t.TempDir()
	srv, cancel, done := startIn(t, cfg, dir)
	return "http://" + srv.Addr(), dir, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

func TestAnonymousIsRefusedAndPublicRoutesStayOpen(t *testing.T) {
	base, _, stop := startDemo(t)
	defer stop()
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/ngsi-ld/v1/entities?type=AirQualityObserved", ""},
		{"GET", "/ngsi-ld/v1/entities/urn:ngsi-ld:AirQualityObserved:VT-BaiTruoc", ""},
		{"POST", "/ngsi-ld/v1/entities", entityJSON("urn:ngsi-ld:WaterQualityObserved:anon", "so-tnmt", "public")},
		{"GET", "/ngsi-ld/v1/types", ""},
		{"GET", "/api/v1/stream", ""},
		{"GET", "/metrics", ""},
		{"GET", "/api/v1/users", ""},
	} {
		if code, body := do(t, "", r.method, base+r.path, r.body); code != http.StatusUnauthorized {
			t.Errorf("anonymous %s %s: %d %s, want 401", r.method, r.path, code, body)
		}
	}
	for _, path := range []string{"/healthz", "/readyz", "/api/v1/version", "/api/v1/ui-config"} {
		if code, _ := do(t, "", "GET", base+path, ""); code != 200 {
			t.Errorf("anonymous GET %s: %d, want 200", path, code)
		}
	}
	// The web interface is public too; whether it was built (200) or not
	// (503, a page that says how to build it) depends on `make web`.
	for _, path := range []string{"/", "/login"} {
		if code, _ := do(t, "", "GET", base+path, ""); code != 200 && code != http.StatusServiceUnavailable {
			t.Errorf("anonymous GET %s: %d, want the interface (200) or its not-built page (503)", path, code)
		}
	}
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for h, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
		"Referrer-Policy": "origin", "Content-Security-Policy": "frame-ancestors 'none'"} {
		if !strings.Contains(resp.Header.Get(h), want) {
			t.Errorf("%s: %q, want %q", h, resp.Header.Get(h), want)
		}
	}
	if resp.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS over plain HTTP")
	}
}

func TestAgencyAccessAndCSRF(t *testing.T) {
	base, _, stop := startDemo(t)
	defer stop()
	entities := base + "/ngsi-ld/v1/entities"
	secret := "urn:ngsi-ld:WaterQualityObserved:VT-secret"

	tnmt := login(t, base, "staff.tnmt")
	if code, body := send(t, tnmt.c, "POST", entities, entityJSON(secret, "so-tnmt", "restricted")); code != http.StatusForbidden {
		t.Fatalf("cookie write without CSRF token: %d %s, want 403", code, body)
	}
	if code, body := send(t, tnmt.c, "POST", entities, entityJSON(secret, "so-tnmt", "restricted"), "X-CSRF-Token", tnmt.csrf, "Origin", "http://evil.example"); code != http.StatusForbidden {
		t.Fatalf("cross-origin cookie write: %d %s, want 403", code, body)
	}
	if code, body := tnmt.write(t, "POST", entities, entityJSON(secret, "so-tnmt", "restricted")); code != http.StatusCreated {
		t.Fatalf("staff of Sở TN&MT creates its entity: %d %s", code, body)
	}
	if code, body := tnmt.write(t, "POST", entities, entityJSON("urn:ngsi-ld:WaterQualityObserved:other", "so-gtvt", "public")); code != http.StatusForbidden {
		t.Errorf("staff of Sở TN&MT creates an entity of Sở GTVT: %d %s, want 403", code, body)
	}

	gtvt := login(t, base, "staff.gtvt")
	if code, body := gtvt.get(t, entities+"/"+secret); code != http.StatusNotFound {
		t.Errorf("staff of Sở GTVT reads restricted data of Sở TN&MT: %d %s, want 404", code, body)
	}
	if code, body := gtvt.get(t, entities+"?type=WaterQualityObserved"); code != 200 || strings.Contains(body, secret) {
		t.Errorf("staff of Sở GTVT queries: %d %s, want 200 without %s", code, body, secret)
	}
	if code, body := gtvt.write(t, "PATCH", entities+"/"+secret+"/attrs", `{"ph":{"type":"Property","value":1}}`); code != http.StatusNotFound {
		t.Errorf("staff of Sở GTVT patches restricted data of Sở TN&MT: %d %s, want 404", code, body)
	}
	// Moving the entity to another agency is refused even to its owner.
	if code, body := tnmt.write(t, "PATCH", entities+"/"+secret+"/attrs", `{"owningAgency":{"type":"Relationship","object":"urn:ngsi-ld:Agency:so-gtvt"}}`); code != http.StatusForbidden {
		t.Errorf("staff of Sở TN&MT gives its entity to Sở GTVT: %d %s, want 403", code, body)
	}
	batch := `[` + entityJSON(secret, "so-tnmt", "restricted") + `,` + entityJSON("urn:ngsi-ld:WaterQualityObserved:gtvt", "so-gtvt", "public") + `]`
	if code, body := gtvt.write(t, "POST", base+"/ngsi-ld/v1/entityOperations/upsert", batch); code != http.StatusMultiStatus ||
		!strings.Contains(body, `"urn:ngsi-ld:WaterQualityObserved:gtvt"`) || !strings.Contains(body, "ResourceNotFound") {
		t.Errorf("batch upsert of staff of Sở GTVT: %d %s, want 207 with its own entity done and the other refused", code, body)
	}

	leader := login(t, base, "leader")
	if code, body := leader.get(t, entities+"/"+secret); code != 200 || !strings.Contains(body, secret) {
		t.Errorf("the leader reads restricted data: %d %s, want 200", code, body)
	}
	if code, body := leader.write(t, "DELETE", entities+"/"+secret, ""); code != http.StatusForbidden {
		t.Errorf("the leader deletes: %d %s, want 403", code, body)
	}
	if code, body := leader.write(t, "POST", base+"/api/v1/auth/logout", ""); code != http.StatusNoContent {
		t.Errorf("logout: %d %s", code, body)
	}
	if code, _ := leader.get(t, entities+"/"+secret); code != http.StatusUnauthorized {
		t.Errorf("read after logout: %d, want 401", code)
	}
}

func TestStreamDeliversOnlyReadableEntities(t *testing.T) {
	base, _, stop := startDemo(t)
	defer stop()
	gtvt := login(t, base, "staff.gtvt")
	tnmt := login(t, base, "staff.tnmt")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/stream?type=WaterQualityObserved", nil)
	resp, err := gtvt.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("stream: %d", resp.StatusCode)
	}
	lines := bufio.NewScanner(resp.Body)
	next := func() string {
		if !lines.Scan() {
			t.Fatalf("stream ended: %v", lines.Err())
		}
		return lines.Text()
	}
	for next() != "event: ready" {
	}
	hidden, open := "urn:ngsi-ld:WaterQualityObserved:hidden", "urn:ngsi-ld:WaterQualityObserved:open"
	for _, e := range []string{entityJSON(hidden, "so-tnmt", "restricted"), entityJSON(open, "so-tnmt", "public")} {
		if code, body := tnmt.write(t, "POST", base+"/ngsi-ld/v1/entities", e); code != http.StatusCreated {
			t.Fatalf("create: %d %s", code, body)
		}
	}
	for {
		l := next()
		if strings.Contains(l, hidden) {
			t.Fatalf("the stream delivered restricted data of another agency: %s", l)
		}
		if strings.Contains(l, open) {
			return
		}
	}
}

func TestKeys(t *testing.T) {
	dir := t.TempDir()
	other := createKey(t, dir, "--role", "integrator", "--tenant", "city2")
	expiring := createKey(t, dir, "--role", "integrator", "--expires", "1ms")
	out, code := runDothi(t, "admin", "create-key", "--data", dir, "--role", "integrator")
	if code != 0 {
		t.Fatal(out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	revoked := lines[len(lines)-1]
	id := strings.Fields(lines[0])[2]
	srv, cancel, done := startIn(t, server.DefaultConfig(), dir)
	defer func() {
		cancel()
		<-done
	}()
	base := "http://" + srv.Addr() + "/ngsi-ld/v1/entities?type=WaterQualityObserved"
	if code, body := do(t, other, "GET", base, ""); code != http.StatusForbidden {
		t.Errorf("key of tenant city2 in the default tenant: %d %s, want 403", code, body)
	}
	if code, body := do(t, other, "GET", base, "", "NGSILD-Tenant", "city3"); code != http.StatusForbidden {
		t.Errorf("key of tenant city2 in tenant city3: %d %s, want 403", code, body)
	}
	if code, body := do(t, other, "POST", "http://"+srv.Addr()+"/ngsi-ld/v1/entities", entityJSON("urn:ngsi-ld:WaterQualityObserved:c2", "x", "public"),
		"NGSILD-Tenant", "city2"); code != http.StatusForbidden {
		t.Errorf("unbound key creates data owned by an agency: %d %s, want 403", code, body)
	}
	if code, body := do(t, other, "POST", "http://"+srv.Addr()+"/ngsi-ld/v1/entities", `{"id":"urn:ngsi-ld:WaterQualityObserved:c2","type":"WaterQualityObserved"}`,
		"NGSILD-Tenant", "city2"); code != http.StatusCreated {
		t.Errorf("key of tenant city2 writes in its tenant: %d %s, want 201", code, body)
	}
	if code, body := do(t, other, "GET", base, "", "NGSILD-Tenant", "city2"); code != 200 {
		t.Errorf("key of tenant city2 in its tenant: %d %s, want 200", code, body)
	}
	if code, _ := do(t, revoked, "GET", base, ""); code != 200 {
		t.Errorf("fresh key: %d, want 200", code)
	}
	if out, code := runDothi(t, "admin", "revoke-key", "--data", dir, "--id", id); code != 0 {
		t.Fatalf("revoke-key: %s", out)
	}
	for name, key := range map[string]string{"revoked": revoked, "expired": expiring, "made-up": "dothi_0123456789abcdef_nope"} {
		resp := func() *http.Response {
			req, _ := http.NewRequest("GET", base, nil)
			req.Header.Set("Authorization", "Bearer "+key)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp
		}()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s key: %d %q, want 401 with a challenge", name, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}
}

func TestProductionStartRefusesDemoPassword(t *testing.T) {
	dir := t.TempDir()
	cfg := server.DefaultConfig()
	cfg.Data, cfg.Demo.Enabled = dir, true
	srv, err := server.New(cfg, discard())
	if err != nil {
		t.Fatal(err)
	}
	if len(srv.DemoLogins()) < 6 {
		t.Errorf("demo logins: %v", srv.DemoLogins())
	}
	srv.Close()
	cfg.Demo.Enabled = false
	_, err = server.New(cfg, discard())
	if err == nil || !strings.Contains(err.Error(), "admin") || !strings.Contains(err.Error(), "set-password") {
		t.Fatalf("production start with demo passwords: %v", err)
	}
	out, code := runDothi(t, "serve", "--data", dir, "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(out, "demo password") {
		t.Errorf("dothi serve without --demo: exit %d: %s", code, out)
	}
	cmd := exec.Command(dothiBin, "admin", "set-password", "--data", dir, "--username", "admin")
	cmd.Env = append(os.Environ(), "DOTHI_PASSWORD=a-real-secret-password")
	if b, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(b), "otpauth://") {
		t.Fatalf("set-password: %v %s (want the admin enrolled in TOTP)", err, b)
	}
	_, err = server.New(cfg, discard())
	if err == nil || strings.Contains(err.Error(), "admin,") || !strings.Contains(err.Error(), "operator") {
		t.Errorf("after changing the admin's password: %v", err)
	}
}

func TestAuditVerifyDetectsTampering(t *testing.T) {
	dir := t.TempDir()
	createKey(t, dir, "--role", "integrator")
	createKey(t, dir, "--role", "integrator")
	if out, code := runDothi(t, "audit", "verify", "--data", dir); code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("audit verify of an intact log: exit %d: %s", code, out)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"DROP TRIGGER IF EXISTS audit_no_update", "UPDATE audit SET actor='mallory' WHERE seq=1"} {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	db.Close()
	if out, code := runDothi(t, "audit", "verify", "--data", dir); code != 1 || !strings.Contains(out, "BROKEN") {
		t.Errorf("audit verify after tampering: exit %d: %s, want 1 and BROKEN", code, out)
	}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := selfSigned(t, dir)
	cfg := server.DefaultConfig()
	cfg.TLS = server.TLSConfig{CertFile: certFile, KeyFile: keyFile}
	srv, cancel, done := start(t, cfg)
	defer func() {
		cancel()
		<-done
	}()
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := c.Get("https://" + srv.Addr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Errorf("HTTPS /healthz: %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key in dir.
func selfSigned(t *testing.T, dir string) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "dothi test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

package server_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/dothi-city/dothi/internal/server"
)

// createClient registers an OAuth2 client with `dothi admin create-client`.
func createClient(t *testing.T, dir string, args ...string) (id, secret string) {
	t.Helper()
	out, code := runDothi(t, append([]string{"admin", "create-client", "--data", dir}, args...)...)
	if code != 0 {
		t.Fatalf("create-client: exit %d: %s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, l := range lines {
		if s, ok := strings.CutPrefix(l, "client_id: "); ok {
			id = s
		}
	}
	return id, lines[len(lines)-1]
}

func TestClientCredentialsGrant(t *testing.T) {
	dir := t.TempDir()
	id, secret := createClient(t, dir, "--role", "integrator", "--tenant", "city2", "--types", "WaterQualityObserved")
	srv, cancel, done := startIn(t, server.DefaultConfig(), dir)
	defer func() {
		cancel()
		<-done
	}()
	base := "http://" + srv.Addr()
	cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: base + "/api/v1/auth/token"}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if time.Until(tok.Expiry) > time.Hour+time.Minute {
		t.Errorf("token lives until %v", tok.Expiry)
	}
	key := tok.AccessToken
	entities := base + "/ngsi-ld/v1/entities"
	if code, body := do(t, key, "POST", entities, `{"id":"urn:ngsi-ld:WaterQualityObserved:w1","type":"WaterQualityObserved"}`,
		"NGSILD-Tenant", "city2"); code != http.StatusCreated {
		t.Fatalf("create with the token: %d %s", code, body)
	}
	if code, body := do(t, key, "GET", entities+"?type=WaterQualityObserved", "", "NGSILD-Tenant", "city2"); code != 200 || !strings.Contains(body, "w1") {
		t.Errorf("query with the token: %d %s", code, body)
	}
	// Outside the client's scope: another tenant, another type, owned data.
	if code, body := do(t, key, "GET", entities+"?type=WaterQualityObserved", ""); code != http.StatusForbidden {
		t.Errorf("default tenant: %d %s", code, body)
	}
	if code, body := do(t, key, "POST", entities, `{"id":"urn:ngsi-ld:Parking:p1","type":"Parking"}`, "NGSILD-Tenant", "city2"); code != http.StatusForbidden {
		t.Errorf("another type: %d %s", code, body)
	}
	if code, body := do(t, key, "POST", entities, entityJSON("urn:ngsi-ld:WaterQualityObserved:w2", "so-tnmt", "public"),
		"NGSILD-Tenant", "city2"); code != http.StatusForbidden {
		t.Errorf("data owned by an agency: %d %s", code, body)
	}
	if out, code := runDothi(t, "admin", "revoke-client", "--data", dir, "--id", id); code != 0 {
		t.Fatal(out)
	}
	if code, _ := do(t, key, "GET", entities+"?type=WaterQualityObserved", "", "NGSILD-Tenant", "city2"); code != http.StatusUnauthorized {
		t.Errorf("token of a revoked client: %d", code)
	}
}

func TestOIDCConfigAndUnreachableProvider(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "dothi.yaml")
	os.WriteFile(cfgPath, []byte(`
auth:
  accessTokenTTL: 15m
  oidc:
    issuer: http://127.0.0.1:1/realms/brvt
    clientID: dothi
    redirectURL: https://dothi.example.vn/api/v1/auth/oidc/callback
    scopes: [profile, email, groups]
    usernameClaim: preferred_username
    roles:
      - {claim: groups, value: /dothi/ioc, role: operator, agency: ioc}
      - {claim: groups, value: /dothi/leaders, role: leader}
    unmapped: citizen
`), 0o600)
	cfg := server.DefaultConfig()
	if err := server.LoadFile(&cfg, cfgPath); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Auth.OIDC == nil || len(cfg.Auth.OIDC.Roles) != 2 || cfg.Auth.OIDC.Roles[0].Agency != "ioc" || cfg.Auth.AccessTokenTTL != 15*time.Minute {
		t.Fatalf("loaded %+v", cfg.Auth.OIDC)
	}
	bad := cfg
	o := *cfg.Auth.OIDC
	o.Unmapped = "admin"
	bad.Auth.OIDC = &o
	if bad.Validate() == nil {
		t.Error("unmapped: admin accepted")
	}
	// The provider is down: the server starts at once and the login says so.
	start := time.Now()
	srv, cancel, done := startIn(t, cfg, dir)
	defer func() {
		cancel()
		<-done
	}()
	if time.Since(start) > 5*time.Second {
		t.Errorf("start-up took %v", time.Since(start))
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if code, body := send(t, c, "GET", "http://"+srv.Addr()+"/api/v1/auth/oidc/login", ""); code != http.StatusServiceUnavailable {
		t.Errorf("login with the provider down: %d %s", code, body)
	}
	if code, _ := send(t, c, "GET", "http://"+srv.Addr()+"/healthz", ""); code != 200 {
		t.Errorf("healthz: %d", code)
	}
}

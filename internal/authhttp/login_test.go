package authhttp

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/auth"
)

func TestLoginSetsASecureSessionCookie(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	resp, data := c.do("POST", "/api/v1/auth/login", map[string]string{"username": "lan", "password": pw})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d %s", resp.StatusCode, data)
	}
	cookies := resp.Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies %v", cookies)
	}
	ck := cookies[0]
	if ck.Name != "__Host-dothi_session" || !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" || len(ck.Value) != 43 {
		t.Errorf("session cookie %+v", ck)
	}
	var body struct {
		User      map[string]any
		Principal auth.Principal
		CSRFToken string
	}
	json.Unmarshal(data, &body)
	if body.User["username"] != "lan" || body.Principal.Agency != "p1" || body.CSRFToken != auth.CSRFToken(ck.Value) {
		t.Errorf("login body %s", data)
	}
	if bytes.Contains(data, []byte("argon2id")) || bytes.Contains(data, []byte(ck.Value)) {
		t.Error("the login body leaks the password hash or the session token")
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Error("the login answer may be cached")
	}
}

func TestLoginFailuresAreProblems(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	resp, data := c.do("POST", "/api/v1/auth/login", map[string]string{"username": "lan", "password": "wrong password"})
	p := problemOf(t, resp, data, http.StatusUnauthorized)
	if p["type"] != "https://uri.etsi.org/ngsi-ld/errors/Unauthorized" {
		t.Errorf("type %v", p["type"])
	}
	if len(resp.Cookies()) != 0 {
		t.Error("a failed login set a cookie")
	}
	resp, data = c.do("POST", "/api/v1/auth/login", `{"username": "lan", "password": `)
	problemOf(t, resp, data, http.StatusBadRequest)
	resp, data = c.do("POST", "/api/v1/auth/login", `{"username": "lan", "password": "`+strings.Repeat("a", 20000)+`"}`)
	problemOf(t, resp, data, http.StatusRequestEntityTooLarge)
	resp, data = c.do("POST", "/api/v1/auth/login", map[string]string{"username": "lan", "password": pw}, "Origin", "https://evil.example")
	problemOf(t, resp, data, http.StatusForbidden)
}

func TestBruteForceGets429(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	for range 5 {
		resp, data := c.do("POST", "/api/v1/auth/login", map[string]string{"username": "lan", "password": "guess"})
		problemOf(t, resp, data, http.StatusUnauthorized)
	}
	c.do("POST", "/api/v1/auth/login", map[string]string{"username": "lan", "password": "guess"})
	resp, data := c.do("POST", "/api/v1/auth/login", map[string]string{"username": "lan", "password": pw})
	p := problemOf(t, resp, data, http.StatusTooManyRequests)
	if resp.Header.Get("Retry-After") != "1" || p["type"] != string(ErrTooManyRequests) {
		t.Errorf("Retry-After %q, problem %v", resp.Header.Get("Retry-After"), p)
	}
	e.clock.Add(time.Second)
	c.login("lan")
}

func TestTOTPRequiredIsTold(t *testing.T) {
	e := newEnv(t)
	u, _, err := e.svc.CreateUser(t.Context(), auth.NewUser{Username: "tuan", Name: "Tuấn", Password: pw, Role: auth.RoleStaff, Agency: "p1"})
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := auth.NewTOTPSecret()
	db, _ := auth.OpenDB(filepath.Join(e.dir, "auth.db"))
	defer db.Close()
	u.TOTPSecret, u.TOTPEnabled = secret, true
	if err := db.UpdateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	resp, data := c.do("POST", "/api/v1/auth/login", map[string]string{"username": "tuan", "password": pw})
	if p := problemOf(t, resp, data, http.StatusUnauthorized); p["type"] != string(ErrTOTPRequired) {
		t.Errorf("problem %v", p)
	}
	code, _ := auth.TOTPCode(secret, e.clock.Now())
	resp, data = c.do("POST", "/api/v1/auth/login", map[string]string{"username": "tuan", "password": pw, "totp": code})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login with code: %d %s", resp.StatusCode, data)
	}
}

func TestSessionFixationIsPrevented(t *testing.T) {
	e := newEnv(t)
	attacker := e.client()
	attacker.login("minh")
	u := mustParse(t, e.srv.URL)
	planted := attacker.c.Jar.Cookies(u)[0]

	victim := e.client()
	victim.c.Jar.SetCookies(u, []*http.Cookie{planted})
	victim.login("lan")
	got := victim.c.Jar.Cookies(u)[0]
	if got.Value == planted.Value {
		t.Fatal("login kept the planted session token")
	}
	resp, _ := attacker.do("GET", "/api/v1/auth/me", nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the planted session still works: %d", resp.StatusCode)
	}
	resp, data := victim.do("GET", "/api/v1/auth/me", nil)
	if resp.StatusCode != http.StatusOK || !bytes.Contains(data, []byte(`"name":"lan"`)) {
		t.Errorf("victim's me: %d %s", resp.StatusCode, data)
	}
}

func TestMeAndLogout(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	resp, data := c.do("GET", "/api/v1/auth/me", nil)
	problemOf(t, resp, data, http.StatusUnauthorized)
	c.login("lan")
	resp, data = c.do("GET", "/api/v1/auth/me", nil)
	var me struct {
		Principal auth.Principal
		CSRFToken string
	}
	json.Unmarshal(data, &me)
	if resp.StatusCode != http.StatusOK || me.Principal.Name != "lan" || me.CSRFToken != c.csrf {
		t.Fatalf("me: %d %s", resp.StatusCode, data)
	}
	resp, data = c.do("POST", "/api/v1/auth/logout", nil)
	problemOf(t, resp, data, http.StatusForbidden) // no CSRF token
	resp, _ = c.send("POST", "/api/v1/auth/logout", nil)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if len(c.c.Jar.Cookies(mustParse(t, e.srv.URL))) != 0 {
		t.Error("logout did not clear the cookie")
	}
	resp, _ = c.do("GET", "/api/v1/auth/me", nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("me after logout: %d", resp.StatusCode)
	}
}

func TestIdleSessionEnds(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login("lan")
	e.clock.Add(31 * time.Minute)
	resp, _ := c.do("GET", "/api/v1/auth/me", nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("idle session: %d", resp.StatusCode)
	}
}

func TestSecretsNeverReachTheAuditLog(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.do("POST", "/api/v1/auth/login", map[string]string{"username": "lan", "password": "a-wrong-password"})
	c.login("lan")
	admin := e.client()
	admin.login("root")
	resp, data := admin.send("POST", "/api/v1/keys", map[string]any{"name": "k", "role": "integrator", "scope": map[string]any{"tenant": "vt", "read": true}})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create key: %d %s", resp.StatusCode, data)
	}
	var created struct{ Key string }
	json.Unmarshal(data, &created)
	e.audit.Close()
	var file []byte
	for _, s := range []string{"", "-wal"} {
		b, _ := os.ReadFile(filepath.Join(e.dir, "audit.db") + s)
		file = append(file, b...)
	}
	if !bytes.Contains(file, []byte("auth.login")) {
		t.Fatal("logins were not audited")
	}
	for _, secret := range []string{pw, "a-wrong-password", c.csrf, created.Key} {
		if bytes.Contains(file, []byte(secret)) {
			t.Errorf("the audit log holds a secret (%.6s…)", secret)
		}
	}
}

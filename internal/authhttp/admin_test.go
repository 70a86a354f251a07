package authhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/auth"
)

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestCSRFIsRequiredForCookieWrites(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login("root")
	agency := map[string]string{"id": "p3", "parentId": "vungtau", "name": "Phường 3", "kind": "ward"}
	resp, data := c.do("POST", "/api/v1/agencies", agency)
	problemOf(t, resp, data, http.StatusForbidden)
	resp, data = c.do("POST", "/api/v1/agencies", agency, CSRFHeader, auth.CSRFToken("another-session"))
	problemOf(t, resp, data, http.StatusForbidden)
	resp, data = c.send("POST", "/api/v1/agencies", agency, "Origin", "https://evil.example")
	problemOf(t, resp, data, http.StatusForbidden)
	if _, ok := e.svc.Tree().Get("p3"); ok {
		t.Fatal("a forged request created the agency")
	}
	resp, data = c.send("POST", "/api/v1/agencies", agency, "Origin", e.srv.URL)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("with the CSRF token: %d %s", resp.StatusCode, data)
	}
	resp, _ = c.do("GET", "/api/v1/agencies", nil)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("a safe method needed a CSRF token: %d", resp.StatusCode)
	}
}

func TestAdminEndpointsAreForAdmins(t *testing.T) {
	e := newEnv(t)
	staff := e.client()
	staff.login("lan")
	for _, r := range [][2]string{{"GET", "/api/v1/users"}, {"POST", "/api/v1/users"}, {"GET", "/api/v1/keys"}, {"POST", "/api/v1/keys"}, {"DELETE", "/api/v1/keys/x"}, {"POST", "/api/v1/agencies"}, {"PATCH", "/api/v1/users/x"}} {
		resp, data := staff.send(r[0], r[1], "{}")
		problemOf(t, resp, data, http.StatusForbidden)
	}
	anon := e.client()
	resp, data := anon.do("GET", "/api/v1/users", nil)
	problemOf(t, resp, data, http.StatusUnauthorized)
	key := e.client()
	resp, data = key.do("GET", "/api/v1/users", nil, "Authorization", "Bearer "+e.secret)
	problemOf(t, resp, data, http.StatusForbidden)
	recs, _ := e.audit.Records(context.Background(), 0, 100)
	denied := 0
	for _, r := range recs {
		if r.Outcome == "denied" && strings.HasPrefix(r.Action, "admin.") {
			denied++
		}
	}
	if denied != 8 {
		t.Errorf("%d denied admin requests audited, want 8", denied)
	}
}

func TestAdminManagesUsersAndKeys(t *testing.T) {
	e := newEnv(t)
	admin := e.client()
	admin.login("root")
	resp, data := admin.send("POST", "/api/v1/users", map[string]any{"username": "hoa", "name": "Hoa", "password": pw, "role": "leader", "agency": "brvt"})
	if resp.StatusCode != http.StatusCreated || bytes.Contains(data, []byte("argon2")) {
		t.Fatalf("create user: %d %s", resp.StatusCode, data)
	}
	var created struct{ User auth.User }
	json.Unmarshal(data, &created)
	resp, data = admin.send("POST", "/api/v1/users", map[string]any{"username": "hoa", "name": "Hoa", "password": pw, "role": "leader"})
	problemOf(t, resp, data, http.StatusConflict)
	resp, data = admin.send("POST", "/api/v1/users", map[string]any{"username": "x", "password": "short", "role": "staff", "agency": "p1"})
	problemOf(t, resp, data, http.StatusBadRequest)
	resp, data = admin.send("POST", "/api/v1/users", map[string]any{"username": "y", "password": pw, "role": "leader", "isAdmin": true})
	problemOf(t, resp, data, http.StatusBadRequest)

	leader := e.client()
	leader.login("hoa")
	resp, _ = admin.send("PATCH", "/api/v1/users/"+created.User.ID, map[string]any{"disabled": true})
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("disable: %d", resp.StatusCode)
	}
	if resp, _ := leader.do("GET", "/api/v1/auth/me", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a disabled user's session still works: %d", resp.StatusCode)
	}
	resp, data = admin.send("PATCH", "/api/v1/users/nope", map[string]any{"disabled": true})
	problemOf(t, resp, data, http.StatusNotFound)

	resp, data = admin.do("GET", "/api/v1/users", nil)
	if resp.StatusCode != http.StatusOK || !bytes.Contains(data, []byte(`"hoa"`)) || bytes.Contains(data, []byte("argon2")) {
		t.Errorf("list users: %d %s", resp.StatusCode, data)
	}
}

func TestAPIKeysOverHTTP(t *testing.T) {
	e := newEnv(t)
	admin := e.client()
	admin.login("root")
	resp, data := admin.send("POST", "/api/v1/keys", map[string]any{"name": "xe buýt", "role": "integrator",
		"scope": map[string]any{"tenant": "vt", "types": []string{"Parking"}, "read": true}, "expiresInDays": 1})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create key: %d %s", resp.StatusCode, data)
	}
	var created struct {
		Key    string
		Record auth.APIKey
	}
	json.Unmarshal(data, &created)
	if !strings.HasPrefix(created.Key, auth.KeyPrefix) || created.Record.CreatedBy != "root" || created.Record.ExpiresAt.IsZero() {
		t.Fatalf("created %s", data)
	}
	_, list := admin.do("GET", "/api/v1/keys", nil)
	if bytes.Contains(list, []byte(created.Key[len(created.Key)-43:])) || !bytes.Contains(list, []byte(created.Record.ID)) {
		t.Error("the key list shows the secret, or misses the key")
	}
	machine := e.client()
	get := func() int {
		resp, _ := machine.do("GET", "/ngsi-ld/v1/entities/urn:ngsi-ld:Parking:1", nil, "Authorization", "Bearer "+created.Key, "NGSILD-Tenant", "vt")
		return resp.StatusCode
	}
	if s := get(); s != http.StatusNoContent {
		t.Fatalf("read with the key: %d", s)
	}
	resp, data = admin.send("DELETE", "/api/v1/keys/"+created.Record.ID, nil)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", resp.StatusCode, data)
	}
	if s := get(); s != http.StatusUnauthorized {
		t.Errorf("read with a revoked key: %d", s)
	}
	resp, data = admin.send("DELETE", "/api/v1/keys/nope", nil)
	problemOf(t, resp, data, http.StatusNotFound)
}

func TestExpiredAndMalformedKeys(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	read := func(authz string) (*http.Response, []byte) {
		return c.do("GET", "/ngsi-ld/v1/entities/urn:ngsi-ld:Parking:1", nil, "Authorization", authz, "NGSILD-Tenant", "vt")
	}
	if resp, _ := read("Bearer " + e.secret); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("fresh key: %d", resp.StatusCode)
	}
	for _, authz := range []string{"Basic " + e.secret, "Bearer", "Bearer dothi_x", e.secret} {
		resp, data := read(authz)
		problemOf(t, resp, data, http.StatusUnauthorized)
		if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%q: no Bearer challenge", authz)
		}
	}
	e.clock.Add(24 * time.Hour)
	resp, data := read("Bearer " + e.secret)
	problemOf(t, resp, data, http.StatusUnauthorized)
}

func TestNGSILDRoutesEnforceAgencyAndTenant(t *testing.T) {
	e := newEnv(t)
	lan := e.client()
	lan.login("lan")
	get := func(c *client, id string, header ...string) int {
		resp, _ := c.do("GET", "/ngsi-ld/v1/entities/"+id, nil, header...)
		return resp.StatusCode
	}
	if s := get(lan, "urn:ngsi-ld:Case:p1"); s != http.StatusNoContent {
		t.Errorf("own agency's restricted case: %d", s)
	}
	if s := get(lan, "urn:ngsi-ld:Case:p2"); s != http.StatusForbidden {
		t.Errorf("another agency's restricted case: %d, want 403", s)
	}
	if s := get(lan, "urn:ngsi-ld:Case:p1", "NGSILD-Tenant", "other"); s != http.StatusForbidden {
		t.Errorf("another tenant: %d, want 403", s)
	}
	if s := get(e.client(), "urn:ngsi-ld:Parking:1"); s != http.StatusUnauthorized {
		t.Errorf("anonymous: %d, want 401", s)
	}
	key := e.client()
	if s := get(key, "urn:ngsi-ld:Parking:1", "Authorization", "Bearer "+e.secret); s != http.StatusForbidden {
		t.Errorf("key for tenant vt on the default tenant: %d, want 403", s)
	}
	if s := get(key, "urn:ngsi-ld:Case:p1", "Authorization", "Bearer "+e.secret, "NGSILD-Tenant", "vt"); s != http.StatusForbidden {
		t.Errorf("key outside its types: %d, want 403", s)
	}
	resp, _ := lan.send("PATCH", "/ngsi-ld/v1/entities/urn:ngsi-ld:Case:p1", "{}")
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("write to own agency's case: %d", resp.StatusCode)
	}
	recs, _ := e.audit.Records(context.Background(), 0, 100)
	if last := recs[len(recs)-1]; last.Outcome != "success" || last.Details["status"] != "204" {
		t.Errorf("audit of an allowed change: %+v", last)
	}
	resp, _ = lan.send("PATCH", "/ngsi-ld/v1/entities/urn:ngsi-ld:Case:p2", "{}")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("write to another agency's case: %d", resp.StatusCode)
	}
	recs, _ = e.audit.Records(context.Background(), 0, 100)
	last := recs[len(recs)-1]
	if last.Action != "http.patch" || last.Outcome != "denied" || last.Actor != "user:lan" || last.Resource != "/ngsi-ld/v1/entities/urn:ngsi-ld:Case:p2" {
		t.Errorf("last audit record %+v", last)
	}
	if rep, err := e.audit.Verify(context.Background()); err != nil || rep.Broken != nil {
		t.Errorf("audit chain after the requests: %+v, %v", rep, err)
	}
}

func TestClientIP(t *testing.T) {
	h := New(nil, Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	cases := []struct{ remote, xff, want string }{
		{"203.0.113.5:1234", "", "203.0.113.5"},
		{"203.0.113.5:1234", "198.51.100.1", "203.0.113.5"}, // untrusted peer: header ignored
		{"10.0.0.2:1234", "198.51.100.1", "198.51.100.1"},
		{"10.0.0.2:1234", "1.2.3.4, 198.51.100.1, 10.0.0.3", "198.51.100.1"}, // spoofed left entry ignored
		{"10.0.0.2:1234", "garbage", "10.0.0.2"},
		{"[::ffff:203.0.113.5]:1", "", "203.0.113.5"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := h.ClientIP(r); got != c.want {
			t.Errorf("%s with XFF %q: %s, want %s", c.remote, c.xff, got, c.want)
		}
	}
}

func TestInsecureCookiesForDevelopment(t *testing.T) {
	h := New(nil, Options{InsecureCookies: true})
	w := httptest.NewRecorder()
	h.setSessionCookie(w, &auth.LoginResult{Token: "t", Session: auth.Session{ExpiresAt: time.Now().Add(time.Hour)}})
	ck := w.Result().Cookies()[0]
	if ck.Name != "dothi_session" || ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
		t.Errorf("development cookie %+v", ck)
	}
	if New(nil, Options{}).CookieName() != "__Host-dothi_session" {
		t.Error("the default cookie is not __Host- prefixed")
	}
}

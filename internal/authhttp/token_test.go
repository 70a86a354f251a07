package authhttp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/dothi-city/dothi/internal/auth"
)

// newClient registers an OAuth2 client through the admin API.
func (e *env) newClient(body map[string]any) (id, secret string) {
	e.t.Helper()
	admin := e.client()
	admin.login("root")
	resp, data := admin.send("POST", "/api/v1/clients", body)
	if resp.StatusCode != http.StatusCreated {
		e.t.Fatalf("create client: %d %s", resp.StatusCode, data)
	}
	var c struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		Record       map[string]any
	}
	if err := json.Unmarshal(data, &c); err != nil || c.ClientID == "" || c.ClientSecret == "" {
		e.t.Fatalf("create client: %s", data)
	}
	if _, ok := c.Record["hash"]; ok {
		e.t.Fatal("the client record leaks its hash")
	}
	return c.ClientID, c.ClientSecret
}

// ccContext makes x/oauth2 use the test server's TLS client.
func (e *env) ccContext() context.Context {
	return context.WithValue(context.Background(), oauth2.HTTPClient, e.srv.Client())
}

func TestClientCredentialsToNGSILD(t *testing.T) {
	e := newEnv(t)
	id, secret := e.newClient(map[string]any{"name": "parking operator", "role": "integrator",
		"scope": map[string]any{"tenant": "vt", "types": []string{"Parking"}, "read": true, "write": true}})
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: e.srv.URL + TokenPath, AuthStyle: style}
		tok, err := cc.Token(e.ccContext())
		if err != nil {
			t.Fatalf("style %d: %v", style, err)
		}
		if !strings.HasPrefix(tok.AccessToken, auth.AccessTokenPrefix) || tok.TokenType != "Bearer" ||
			tok.Expiry.IsZero() || time.Until(tok.Expiry) > 2*time.Hour {
			t.Fatalf("token %+v", tok)
		}
		if got := tok.Extra("scope"); got != "read write tenant:vt type:Parking" {
			t.Errorf("scope %q", got)
		}
		// An NGSI-LD request with the token passes the access checks
		// within the scope, and is refused outside it.
		hc := cc.Client(e.ccContext())
		for _, c := range []struct {
			method, path, tenant string
			want                 int
		}{
			{"GET", "/ngsi-ld/v1/entities/urn:ngsi-ld:Parking:1", "vt", http.StatusNoContent},
			{"PATCH", "/ngsi-ld/v1/entities/urn:ngsi-ld:Parking:1", "vt", http.StatusNoContent},
			{"GET", "/ngsi-ld/v1/entities/urn:ngsi-ld:Parking:1", "other", http.StatusForbidden},
			{"GET", "/ngsi-ld/v1/entities/urn:ngsi-ld:Case:p1", "vt", http.StatusForbidden},
		} {
			req, _ := http.NewRequest(c.method, e.srv.URL+c.path, nil)
			req.Header.Set("NGSILD-Tenant", c.tenant)
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Errorf("%s %s tenant %s: %d, want %d", c.method, c.path, c.tenant, resp.StatusCode, c.want)
			}
		}
	}
	// A narrowed, read-only token cannot write.
	cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: e.srv.URL + TokenPath, Scopes: []string{"read"}}
	tok, err := cc.Token(e.ccContext())
	if err != nil {
		t.Fatal(err)
	}
	c := e.client()
	resp, _ := c.do("PATCH", "/ngsi-ld/v1/entities/urn:ngsi-ld:Parking:1", nil, "Authorization", "Bearer "+tok.AccessToken, "NGSILD-Tenant", "vt")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("write with a read token: %d", resp.StatusCode)
	}
	resp, _ = c.do("GET", "/ngsi-ld/v1/entities/urn:ngsi-ld:Parking:1", nil, "Authorization", "Bearer "+tok.AccessToken, "NGSILD-Tenant", "vt")
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("read with a read token: %d", resp.StatusCode)
	}
	// The audit log names the client.
	e.assertAudited(t, "auth.token", "client:"+id)
}

// assertAudited checks that an audit record with action and resource exists.
func (e *env) assertAudited(t *testing.T, action, resource string) {
	t.Helper()
	recs, err := e.audit.Records(context.Background(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Action == action && r.Resource == resource {
			return
		}
	}
	t.Errorf("no audit record %s %s", action, resource)
}

func TestTokenEndpointErrors(t *testing.T) {
	e := newEnv(t)
	id, secret := e.newClient(map[string]any{"name": "reader", "role": "integrator",
		"scope": map[string]any{"tenant": "vt", "read": true}})
	post := func(form url.Values, basic ...string) (int, map[string]string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest("POST", e.srv.URL+TokenPath, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if len(basic) == 2 {
			req.SetBasicAuth(url.QueryEscape(basic[0]), url.QueryEscape(basic[1]))
		}
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]string
		json.NewDecoder(resp.Body).Decode(&body)
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control %q", resp.Header.Get("Cache-Control"))
		}
		return resp.StatusCode, body, resp.Header
	}
	cases := []struct {
		name   string
		form   url.Values
		basic  []string
		status int
		code   string
	}{
		{"wrong secret", url.Values{"grant_type": {"client_credentials"}}, []string{id, secret + "x"}, 401, "invalid_client"},
		{"unknown client", url.Values{"grant_type": {"client_credentials"}, "client_id": {"nobody"}, "client_secret": {secret}}, nil, 401, "invalid_client"},
		{"no credentials", url.Values{"grant_type": {"client_credentials"}}, nil, 401, "invalid_client"},
		{"two methods", url.Values{"grant_type": {"client_credentials"}, "client_secret": {secret}}, []string{id, secret}, 400, "invalid_request"},
		{"password grant", url.Values{"grant_type": {"password"}, "username": {"root"}, "password": {pw}}, []string{id, secret}, 400, "unsupported_grant_type"},
		{"no grant", url.Values{}, []string{id, secret}, 400, "invalid_request"},
		{"write beyond scope", url.Values{"grant_type": {"client_credentials"}, "scope": {"read write"}}, []string{id, secret}, 400, "invalid_scope"},
		{"other tenant", url.Values{"grant_type": {"client_credentials"}, "scope": {"tenant:other"}}, []string{id, secret}, 400, "invalid_scope"},
		{"unknown scope", url.Values{"grant_type": {"client_credentials"}, "scope": {"admin"}}, []string{id, secret}, 400, "invalid_scope"},
	}
	for _, c := range cases {
		status, body, hdr := post(c.form, c.basic...)
		if status != c.status || body["error"] != c.code {
			t.Errorf("%s: %d %v, want %d %s", c.name, status, body, c.status, c.code)
		}
		if status == 401 && !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Basic") {
			t.Errorf("%s: WWW-Authenticate %q", c.name, hdr.Get("WWW-Authenticate"))
		}
	}
	// A bearer API key or session is no substitute for client credentials.
	req, _ := http.NewRequest("POST", e.srv.URL+TokenPath, strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+e.secret)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("bearer at the token endpoint: %d", resp.StatusCode)
	}
}

func TestAccessTokenExpiryAndRevocation(t *testing.T) {
	e := newEnv(t)
	id, secret := e.newClient(map[string]any{"name": "sensor gateway", "role": "integrator",
		"scope": map[string]any{"tenant": "*", "read": true, "write": true}})
	cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: e.srv.URL + TokenPath}
	use := func(token string) int {
		resp, _ := e.client().do("GET", "/ngsi-ld/v1/entities/urn:ngsi-ld:Parking:1", nil, "Authorization", "Bearer "+token)
		return resp.StatusCode
	}
	tok, err := cc.Token(e.ccContext())
	if err != nil {
		t.Fatal(err)
	}
	if s := use(tok.AccessToken); s != http.StatusNoContent {
		t.Fatalf("fresh token: %d", s)
	}
	// Tampered and expired tokens are refused.
	if s := use(tok.AccessToken[:len(tok.AccessToken)-1] + "A"); s != http.StatusUnauthorized {
		t.Errorf("tampered token: %d", s)
	}
	e.clock.Add(time.Hour)
	if s := use(tok.AccessToken); s != http.StatusUnauthorized {
		t.Errorf("expired token: %d", s)
	}
	// Revoking the client kills its live tokens and refuses new ones.
	tok, err = cc.Token(e.ccContext())
	if err != nil {
		t.Fatal(err)
	}
	admin := e.client()
	admin.login("root")
	if resp, data := admin.send("DELETE", "/api/v1/clients/"+id, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", resp.StatusCode, data)
	}
	if s := use(tok.AccessToken); s != http.StatusUnauthorized {
		t.Errorf("token of a revoked client: %d", s)
	}
	if _, err := cc.Token(e.ccContext()); err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("token for a revoked client: %v", err)
	}
	// Only administrators manage clients.
	staff := e.client()
	staff.login("lan")
	if resp, _ := staff.send("POST", "/api/v1/clients", map[string]any{"name": "x", "role": "integrator",
		"scope": map[string]any{"tenant": "*", "read": true}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("staff creating a client: %d", resp.StatusCode)
	}
	if resp, data := admin.send("GET", "/api/v1/clients", nil); resp.StatusCode != 200 || !strings.Contains(string(data), id) || strings.Contains(string(data), secret) {
		t.Errorf("list clients: %d %s", resp.StatusCode, data)
	}
}

package auth

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestNarrowScope(t *testing.T) {
	all := Scope{Tenant: "*", Read: true, Write: true}
	vt := Scope{Tenant: "vt", Types: []string{"Parking", "https://x/Case"}, Read: true}
	cases := []struct {
		have Scope
		req  string
		want Scope
		err  bool
	}{
		{all, "", all, false},
		{all, "read", Scope{Tenant: "*", Read: true}, false},
		{all, "write tenant:hcm", Scope{Tenant: "hcm", Write: true}, false},
		{all, "type:Parking", Scope{Tenant: "*", Types: []string{"Parking"}, Read: true, Write: true}, false},
		{vt, "read type:Parking", Scope{Tenant: "vt", Types: []string{"Parking"}, Read: true}, false},
		{vt, "type:https://x/Parking", Scope{Tenant: "vt", Types: []string{"https://x/Parking"}, Read: true}, false},
		{vt, "write", Scope{}, true},
		{vt, "tenant:hcm", Scope{}, true},
		{vt, "tenant:vt tenant:vt", Scope{}, true},
		{vt, "type:Case", Scope{}, true}, // only the expanded Case was granted
		{vt, "type:AirQuality", Scope{}, true},
		{all, "admin", Scope{}, true},
		{all, "tenant:bad/name", Scope{}, true},
	}
	for _, c := range cases {
		got, err := NarrowScope(c.have, c.req)
		if (err != nil) != c.err || (err == nil && !reflect.DeepEqual(got, c.want)) {
			t.Errorf("NarrowScope(%+v, %q) = %+v, %v; want %+v, error %v", c.have, c.req, got, err, c.want, c.err)
		}
		if err != nil && !errors.Is(err, ErrInvalidScope) {
			t.Errorf("error %v", err)
		}
	}
	// String round-trips.
	if got, err := NarrowScope(vt, vt.String()); err != nil || !reflect.DeepEqual(got, vt) {
		t.Errorf("round trip %q: %+v %v", vt.String(), got, err)
	}
}

func TestClientCredentials(t *testing.T) {
	f := newFixture(t)
	secret, c, err := f.svc.CreateClient(f.ctx, NewClient{Name: "cổng cảm biến", Role: RoleIntegrator, Agency: "stnmt",
		Scope: Scope{Tenant: "vt", Read: true, Write: true}, TTL: 90 * time.Minute, CreatedBy: "root"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.ID, ClientIDPrefix) || c.Hash != HashToken(secret) || strings.Contains(c.Hash, secret) {
		t.Fatalf("client %+v", c)
	}
	if _, err := f.svc.IssueToken(f.ctx, TokenRequest{ClientID: c.ID, ClientSecret: secret + "x", ClientIP: "10.0.0.1"}); !errors.Is(err, ErrInvalidClient) {
		t.Errorf("wrong secret: %v", err)
	}
	tok, err := f.svc.IssueToken(f.ctx, TokenRequest{ClientID: c.ID, ClientSecret: secret, Scope: "read", ClientIP: "10.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if !tok.ExpiresAt.Equal(f.clock.Now().Add(time.Hour)) || tok.Scope.Write {
		t.Errorf("token %+v", tok)
	}
	p, err := f.svc.BearerPrincipal(f.ctx, tok.Token)
	if err != nil || p.Kind != PrincipalClient || p.ID != c.ID || !p.Within["stnmt"] || p.Scope.Write {
		t.Fatalf("principal %+v %v", p, err)
	}
	if Allowed(p, ActionWrite, Resource{Tenant: "vt", Agency: "stnmt"}) || !Allowed(p, ActionRead, Resource{Tenant: "vt", Agency: "stnmt"}) {
		t.Error("the token's narrowed scope is not applied")
	}
	// The last token of a client ends with the client.
	f.clock.Add(80 * time.Minute)
	tok2, err := f.svc.IssueToken(f.ctx, TokenRequest{ClientID: c.ID, ClientSecret: secret, ClientIP: "10.0.0.1"})
	if err != nil || !tok2.ExpiresAt.Equal(c.ExpiresAt) {
		t.Fatalf("token near the client's expiry: %+v %v", tok2, err)
	}
	if _, err := f.svc.BearerPrincipal(f.ctx, tok.Token); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("expired token: %v", err)
	}
	f.clock.Add(10 * time.Minute)
	if _, err := f.svc.IssueToken(f.ctx, TokenRequest{ClientID: c.ID, ClientSecret: secret, ClientIP: "10.0.0.1"}); !errors.Is(err, ErrInvalidClient) {
		t.Errorf("expired client: %v", err)
	}
	if n, err := f.svc.PurgeSessions(f.ctx); err != nil || n != 1 { // the first token; the second expires just now
		t.Errorf("purge: %d %v", n, err)
	}
	// Revocation.
	secret, c, _ = f.svc.CreateClient(f.ctx, NewClient{Name: "c2", Role: RoleIntegrator, Scope: Scope{Tenant: "*", Read: true}})
	tok, _ = f.svc.IssueToken(f.ctx, TokenRequest{ClientID: c.ID, ClientSecret: secret})
	if err := f.svc.RevokeClient(f.ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.BearerPrincipal(f.ctx, tok.Token); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("token of a revoked client: %v", err)
	}
	if err := f.svc.RevokeClient(f.ctx, "nope"); !IsNotFound(err) {
		t.Errorf("revoke unknown: %v", err)
	}
	if _, _, err := f.svc.CreateClient(f.ctx, NewClient{Name: "c", Role: RoleCitizen, Scope: Scope{Read: true}}); err == nil {
		t.Error("a citizen client was created")
	}
	// Failed client authentication is throttled per address.
	for range 40 {
		_, err = f.svc.IssueToken(f.ctx, TokenRequest{ClientID: c.ID, ClientSecret: "guess", ClientIP: "10.9.9.9"})
	}
	var th *ThrottledError
	if !errors.As(err, &th) {
		t.Errorf("guessing is not throttled: %v", err)
	}
}

func TestMapClaims(t *testing.T) {
	rules := []ClaimRule{
		{Claim: "groups", Value: "ioc", Role: RoleOperator, Agency: "ioc"},
		{Claim: "dept", Value: "stnmt", Role: RoleStaff, Agency: "stnmt"},
		{Claim: "admin", Value: "true", Role: RoleAdmin},
	}
	cases := []struct {
		claims map[string]any
		role   Role
		ok     bool
	}{
		{map[string]any{"groups": []any{"x", "ioc"}}, RoleOperator, true},
		{map[string]any{"groups": []any{"x"}, "dept": "stnmt"}, RoleStaff, true},
		{map[string]any{"groups": "ioc"}, RoleOperator, true},
		{map[string]any{"admin": true}, RoleAdmin, true},
		{map[string]any{"groups": []any{"iocx"}, "dept": "STNMT"}, "", false},
		{map[string]any{}, "", false},
	}
	for _, c := range cases {
		role, _, ok := MapClaims(rules, c.claims)
		if role != c.role || ok != c.ok {
			t.Errorf("MapClaims(%v) = %s %v", c.claims, role, ok)
		}
	}
}

func TestOIDCLoginAccounts(t *testing.T) {
	f := newFixture(t)
	local := f.user(t, "lan", RoleStaff, "stnmt")
	id := OIDCIdentity{Issuer: "https://id.example.vn", Subject: "s1", Username: "Hoa", Name: "Hoa", Role: RoleStaff, Agency: "stnmt"}
	res, err := f.svc.OIDCLogin(f.ctx, id)
	if err != nil || res.User.Username != "hoa" || res.CSRF != CSRFToken(res.Token) {
		t.Fatalf("first login: %+v %v", res, err)
	}
	// Same subject, new username and role: the same account, updated.
	id.Username, id.Role, id.Agency = "hoa2", RoleLeader, ""
	res2, err := f.svc.OIDCLogin(f.ctx, id)
	if err != nil || res2.User.ID != res.User.ID || res2.User.Role != RoleLeader {
		t.Fatalf("second login: %+v %v", res2, err)
	}
	// Another issuer with the same subject is another person, and may not
	// take a username in use.
	if _, err := f.svc.OIDCLogin(f.ctx, OIDCIdentity{Issuer: "https://other", Subject: "s1", Username: "hoa", Role: RoleCitizen}); !errors.Is(err, ErrOIDCRefused) {
		t.Errorf("username clash: %v", err)
	}
	if _, err := f.svc.OIDCLogin(f.ctx, OIDCIdentity{Issuer: "https://other", Subject: "s2", Username: "lan", Role: RoleAdmin}); !errors.Is(err, ErrOIDCRefused) {
		t.Errorf("local account takeover: %v", err)
	}
	if u, _ := f.db.UserByID(f.ctx, local.ID); u.Role != RoleStaff {
		t.Errorf("the local account changed: %+v", u)
	}
	for _, bad := range []OIDCIdentity{
		{Issuer: "i", Subject: "s3", Username: "x y", Role: RoleCitizen},
		{Issuer: "i", Subject: "s3", Username: "ok.name", Role: "boss"},
		{Issuer: "i", Subject: "s3", Username: "ok.name", Role: RoleStaff, Agency: "nowhere"},
		{Issuer: "", Subject: "s3", Username: "ok.name", Role: RoleCitizen},
	} {
		if _, err := f.svc.OIDCLogin(f.ctx, bad); !errors.Is(err, ErrOIDCRefused) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	// A disabled account stays out.
	if err := f.svc.SetDisabled(f.ctx, res.User.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.OIDCLogin(f.ctx, id); !errors.Is(err, ErrOIDCRefused) {
		t.Errorf("disabled: %v", err)
	}
	// Flows are single-use and expire.
	secret, err := f.svc.StartOIDCFlow(f.ctx, OIDCFlow{State: "s", Nonce: "n", Verifier: "v", ReturnTo: "/"}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if fl, err := f.svc.TakeOIDCFlow(f.ctx, secret); err != nil || fl.State != "s" || fl.Nonce != "n" {
		t.Fatalf("take: %+v %v", fl, err)
	}
	if _, err := f.svc.TakeOIDCFlow(f.ctx, secret); !IsNotFound(err) {
		t.Errorf("second take: %v", err)
	}
	secret, _ = f.svc.StartOIDCFlow(f.ctx, OIDCFlow{State: "s"}, time.Minute)
	f.clock.Add(2 * time.Minute)
	if _, err := f.svc.TakeOIDCFlow(f.ctx, secret); !IsNotFound(err) {
		t.Errorf("expired flow: %v", err)
	}
}

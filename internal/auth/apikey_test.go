package auth

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestAPIKeyLifecycle(t *testing.T) {
	f := newFixture(t)
	scope := Scope{Tenant: "vt", Types: []string{"AirQualityObserved"}, Read: true, Write: true}
	secret, k, err := f.svc.CreateKey(f.ctx, NewKey{Name: "trạm quan trắc", Role: RoleIntegrator, Agency: "stnmt", Scope: scope, TTL: 24 * time.Hour, CreatedBy: "root"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, KeyPrefix+k.ID+"_") || k.Hash != HashToken(secret) || k.ExpiresAt.IsZero() {
		t.Fatalf("key %q, record %+v", secret, k)
	}
	p, err := f.svc.KeyPrincipal(f.ctx, secret)
	if err != nil || p.Kind != PrincipalKey || p.Scope.Tenant != "vt" || !p.Within["stnmt"] {
		t.Fatalf("principal %+v, %v", p, err)
	}
	if !Allowed(p, ActionWrite, Resource{Tenant: "vt", Types: []string{"https://x/AirQualityObserved"}, Agency: "stnmt"}) {
		t.Error("the key may not do what its scope grants")
	}
	stored, _ := f.db.KeyByID(f.ctx, k.ID)
	if stored.Scope.Tenant != "vt" || len(stored.Scope.Types) != 1 || stored.CreatedBy != "root" {
		t.Errorf("stored key %+v", stored)
	}
}

func TestAPIKeyRefusals(t *testing.T) {
	f := newFixture(t)
	secret, k, _ := f.svc.CreateKey(f.ctx, NewKey{Name: "k", Role: RoleIntegrator, Scope: Scope{Read: true}, TTL: time.Hour})
	other, _, _ := f.svc.CreateKey(f.ctx, NewKey{Name: "k2", Role: RoleIntegrator, Scope: Scope{Read: true}})
	forged := secret[:len(secret)-4] + "AAAA"
	if forged == secret {
		forged = secret[:len(secret)-4] + "BBBB"
	}
	for name, s := range map[string]string{
		"forged secret with a real id": forged,
		"another key's id":             KeyPrefix + k.ID + other[len(KeyPrefix)+16:],
		"malformed":                    "dothi_abc",
		"empty":                        "",
		"unknown id":                   KeyPrefix + "0000000000000000_" + strings.Repeat("A", 43),
	} {
		if _, err := f.svc.KeyPrincipal(f.ctx, s); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: %v, want ErrInvalidKey", name, err)
		}
	}
	f.clock.Add(time.Hour)
	if _, err := f.svc.KeyPrincipal(f.ctx, secret); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("expired key: %v", err)
	}
	if _, err := f.svc.KeyPrincipal(f.ctx, other); err != nil {
		t.Fatalf("a key without expiry expired: %v", err)
	}
	id := other[len(KeyPrefix) : len(KeyPrefix)+16]
	if err := f.svc.RevokeKey(f.ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.KeyPrincipal(f.ctx, other); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("revoked key: %v", err)
	}
	if err := f.svc.RevokeKey(f.ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoking an unknown key: %v", err)
	}
}

func TestCreateKeyValidates(t *testing.T) {
	f := newFixture(t)
	bad := []NewKey{
		{Role: RoleIntegrator, Scope: Scope{Read: true}},
		{Name: "k", Role: RoleCitizen, Scope: Scope{Read: true}},
		{Name: "k", Role: "robot", Scope: Scope{Read: true}},
		{Name: "k", Role: RoleIntegrator},
		{Name: "k", Role: RoleIntegrator, Scope: Scope{Tenant: "bad tenant!", Read: true}},
		{Name: "k", Role: RoleIntegrator, Agency: "nowhere", Scope: Scope{Read: true}},
		{Name: "k", Role: RoleIntegrator, Scope: Scope{Read: true}, TTL: -time.Hour},
	}
	for _, nk := range bad {
		if _, _, err := f.svc.CreateKey(f.ctx, nk); err == nil {
			t.Errorf("CreateKey(%+v) succeeded", nk)
		}
	}
}

package auth

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dothi-city/dothi/internal/audit"
)

func runAdmin(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := AdminCommand(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestAdminCommand(t *testing.T) {
	dir := t.TempDir()
	steps := [][]string{
		{"create-agency", "--data", dir, "--id", "brvt", "--name", "UBND tỉnh", "--kind", "province"},
		{"create-agency", "--data", dir, "--id", "stnmt", "--parent", "brvt", "--name", "Sở TN&MT", "--kind", "department"},
	}
	for _, args := range steps {
		if code, _, stderr := runAdmin(t, "", args...); code != 0 {
			t.Fatalf("%v: exit %d %s", args, code, stderr)
		}
	}
	code, out, stderr := runAdmin(t, pw+"\n", "create-user", "--data", dir, "--username", "lan", "--role", "staff", "--agency", "stnmt", "--password-stdin")
	if code != 0 || !strings.Contains(out, "created user lan") || !strings.Contains(out, "otpauth://totp/") || strings.Contains(out, pw) {
		t.Fatalf("create-user: exit %d, %q %q", code, out, stderr)
	}
	code, out, _ = runAdmin(t, "", "create-user", "--data", dir, "--username", "dan", "--role", "citizen")
	if code != 0 || !strings.Contains(out, "password (shown once): ") {
		t.Fatalf("create-user with a made-up password: exit %d, %q", code, out)
	}
	code, out, stderr = runAdmin(t, "", "create-key", "--data", dir, "--role", "integrator", "--tenant", "vt", "--types", "Parking", "--read-only", "--expires", "30d")
	if code != 0 {
		t.Fatalf("create-key: exit %d %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	secret := lines[len(lines)-1]

	db, err := OpenDB(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	svc, _ := NewService(context.Background(), db, Options{Argon2: cheap, TOTPRoles: map[Role]bool{}})
	p, err := svc.KeyPrincipal(context.Background(), secret)
	if err != nil || p.Scope.Tenant != "vt" || p.Scope.Write || p.Scope.Types[0] != "Parking" || p.Role != RoleIntegrator {
		t.Fatalf("the printed key: %+v, %v", p, err)
	}
	// Staff were enrolled in TOTP, so the right password asks for the code.
	if _, err := svc.Login(context.Background(), LoginRequest{Username: "lan", Password: pw}); !errors.Is(err, ErrTOTPRequired) {
		t.Errorf("login with the password given on stdin: %v, want ErrTOTPRequired", err)
	}
	db.Close()

	if code, out, _ := runAdmin(t, "", "revoke-key", "--data", dir, "--id", p.ID); code != 0 || !strings.Contains(out, "revoked") {
		t.Errorf("revoke-key: exit %d", code)
	}
	l, _ := audit.Open(filepath.Join(dir, audit.FileName))
	defer l.Close()
	rep, _ := l.Verify(context.Background())
	recs, _ := l.Records(context.Background(), 0, 10)
	if rep.Broken != nil || rep.Records != 6 || !strings.HasPrefix(recs[0].Actor, "cli") || recs[5].Action != "key.revoke" {
		t.Errorf("audit after the commands: %+v, %+v", rep, recs)
	}
}

func TestAdminCommandRefusals(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		code int
	}{
		{nil, 2},
		{[]string{"frobnicate"}, 2},
		{[]string{"create-key", "--data", dir, "--bogus"}, 2},
		{[]string{"create-key", "--data", dir, "--role", "wizard"}, 1},
		{[]string{"create-key", "--data", dir, "--role", "integrator", "--expires", "soon"}, 1},
		{[]string{"create-user", "--data", dir, "--username", "x", "--role", "staff", "--agency", "none", "--password-stdin"}, 1},
		{[]string{"create-agency", "--data", dir, "--id", "w", "--name", "W", "--kind", "ward"}, 1},
		{[]string{"revoke-key", "--data", dir, "--id", "nope"}, 1},
	}
	for _, c := range cases {
		if code, _, _ := runAdmin(t, pw+"\n", c.args...); code != c.code {
			t.Errorf("%v: exit %d, want %d", c.args, code, c.code)
		}
	}
}

func TestParseLifetime(t *testing.T) {
	for in, want := range map[string]string{"": "0s", "90d": "2160h0m0s", "36h": "36h0m0s"} {
		if d, err := parseLifetime(in); err != nil || d.String() != want {
			t.Errorf("parseLifetime(%q) = %v, %v", in, d, err)
		}
	}
	for _, bad := range []string{"0d", "-1h", "xd", "forever"} {
		if _, err := parseLifetime(bad); err == nil {
			t.Errorf("parseLifetime(%q) succeeded", bad)
		}
	}
}

func TestAdminCreateClient(t *testing.T) {
	dir := t.TempDir()
	code, out, stderr := runAdmin(t, "", "create-client", "--data", dir, "--role", "integrator", "--tenant", "vt", "--types", "Parking", "--read-only", "--expires", "30d")
	if code != 0 {
		t.Fatalf("create-client: exit %d %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	secret := lines[len(lines)-1]
	var id string
	for _, l := range lines {
		if s, ok := strings.CutPrefix(l, "client_id: "); ok {
			id = s
		}
	}
	db, err := OpenDB(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc, err := NewService(context.Background(), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := svc.IssueToken(context.Background(), TokenRequest{ClientID: id, ClientSecret: secret})
	if err != nil || tok.Scope.Write || tok.Scope.Tenant != "vt" {
		t.Fatalf("token for the new client %q: %+v %v", id, tok, err)
	}
	if code, _, stderr := runAdmin(t, "", "revoke-client", "--data", dir, "--id", id); code != 0 {
		t.Fatalf("revoke-client: %s", stderr)
	}
	if _, err := svc.BearerPrincipal(context.Background(), tok.Token); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("token after revoke-client: %v", err)
	}
	if code, _, _ := runAdmin(t, "", "create-client", "--data", dir, "--role", "citizen"); code != 1 {
		t.Errorf("citizen client: exit %d", code)
	}
}

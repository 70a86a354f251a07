package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// clock is a settable clock for tests.
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

type fixture struct {
	svc   *Service
	db    *DB
	path  string
	clock *clock
	ctx   context.Context
}

// newFixture opens a fresh database with the test province and a service
// that needs TOTP for admins only.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "auth.db")
	db, err := OpenDB(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clk := &clock{t: time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)}
	ctx := context.Background()
	svc, err := NewService(ctx, db, Options{Argon2: cheap, Now: clk.Now, TOTPRoles: map[Role]bool{RoleAdmin: true}})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range testTree(t).All() {
		if err := svc.CreateAgency(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	return &fixture{svc: svc, db: db, path: path, clock: clk, ctx: ctx}
}

const pw = "mật-khẩu-đủ-dài"

func (f *fixture) user(t *testing.T, name string, role Role, agency string) User {
	t.Helper()
	u, _, err := f.svc.CreateUser(f.ctx, NewUser{Username: name, Name: name, Password: pw, Role: role, Agency: agency})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) login(username, password, ip string) (*LoginResult, error) {
	return f.svc.Login(f.ctx, LoginRequest{Username: username, Password: password, ClientIP: ip})
}

func TestLoginAndSession(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "lan", RoleStaff, "p1")
	res, err := f.login("  LAN ", pw, "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if res.User.ID != u.ID || len(res.Token) != 43 || !CheckCSRF(res.Token, res.CSRF) {
		t.Fatalf("login result %+v", res)
	}
	p, _, err := f.svc.SessionPrincipal(f.ctx, res.Token)
	if err != nil || p.ID != u.ID || p.Role != RoleStaff || !p.Within["p1"] || p.Within["p2"] {
		t.Fatalf("principal %+v, %v", p, err)
	}
	if err := f.svc.Logout(f.ctx, res.Token); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.SessionPrincipal(f.ctx, res.Token); !errors.Is(err, ErrNoSession) {
		t.Errorf("session after logout: %v", err)
	}
}

func TestLoginFailuresLookAlike(t *testing.T) {
	f := newFixture(t)
	f.user(t, "lan", RoleStaff, "p1")
	d := f.user(t, "disabled", RoleStaff, "p1")
	if err := f.svc.SetDisabled(f.ctx, d.ID, true); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]string{{"lan", "wrong-password!"}, {"nobody", pw}, {"disabled", pw}, {"lan", ""}} {
		if _, err := f.login(c[0], c[1], "10.0.0.1"); !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("login %s: %v, want ErrInvalidCredentials", c[0], err)
		}
	}
}

func TestBruteForceLocksTheAccountWithBackoff(t *testing.T) {
	f := newFixture(t)
	f.user(t, "lan", RoleStaff, "p1")
	for i := range 5 {
		if _, err := f.login("lan", "guess", "10.0.0."+string(rune('1'+i))); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	f.login("lan", "guess", "10.0.0.9")
	_, err := f.login("lan", pw, "10.0.0.10")
	var th *ThrottledError
	if !errors.As(err, &th) || th.RetryAfter != time.Second {
		t.Fatalf("the right password during lockout: %v, want a 1s ThrottledError", err)
	}
	f.clock.Add(time.Second)
	f.login("lan", "guess", "10.0.0.11")
	if _, err := f.login("lan", pw, "10.0.0.12"); !errors.As(err, &th) || th.RetryAfter != 2*time.Second {
		t.Fatalf("second lockout: %v, want 2s", err)
	}
	f.clock.Add(2 * time.Second)
	if _, err := f.login("lan", pw, "10.0.0.13"); err != nil {
		t.Fatalf("login after the lockout: %v", err)
	}
	if _, err := f.login("lan", "guess", "10.0.0.14"); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("a success did not reset the account's failures: %v", err)
	}
	for range 6 {
		f.login("lan", "guess", "10.0.0.15")
	}
	f.svc.Unlock(" LAN")
	if _, err := f.login("lan", pw, "10.0.0.16"); err != nil {
		t.Errorf("login after Unlock: %v", err)
	}
}

func TestBruteForceFromOneClientIsThrottled(t *testing.T) {
	f := newFixture(t)
	f.user(t, "lan", RoleStaff, "p1")
	for i := range 30 {
		f.login(fmt.Sprint("user", i), "guess", "203.0.113.7")
	}
	if _, err := f.login("lan", pw, "203.0.113.7"); err != nil {
		t.Fatalf("30 free failures from one address: %v", err)
	}
	f.login("other", "guess", "203.0.113.7")
	var th *ThrottledError
	if _, err := f.login("lan", pw, "203.0.113.7"); !errors.As(err, &th) {
		t.Fatalf("31 failures from one address across usernames: %v, want throttled", err)
	}
	if _, err := f.login("lan", pw, "198.51.100.1"); err != nil {
		t.Errorf("another client is throttled too: %v", err)
	}
}

func TestLoginRotatesTheSessionAgainstFixation(t *testing.T) {
	f := newFixture(t)
	f.user(t, "lan", RoleStaff, "p1")
	first, err := f.login("lan", pw, "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	second, err := f.svc.Login(f.ctx, LoginRequest{Username: "lan", Password: pw, ClientIP: "10.0.0.1", OldToken: first.Token})
	if err != nil {
		t.Fatal(err)
	}
	if second.Token == first.Token {
		t.Fatal("login kept the presented session token")
	}
	if _, _, err := f.svc.SessionPrincipal(f.ctx, first.Token); !errors.Is(err, ErrNoSession) {
		t.Errorf("the presented session survived the login: %v", err)
	}
	if _, _, err := f.svc.SessionPrincipal(f.ctx, "attacker-chosen-token"); !errors.Is(err, ErrNoSession) {
		t.Errorf("an invented token was accepted: %v", err)
	}
}

func TestSessionExpiry(t *testing.T) {
	f := newFixture(t)
	f.user(t, "lan", RoleStaff, "p1")
	res, _ := f.login("lan", pw, "10.0.0.1")
	f.clock.Add(29 * time.Minute)
	if _, _, err := f.svc.SessionPrincipal(f.ctx, res.Token); err != nil {
		t.Fatalf("active session refused: %v", err)
	}
	f.clock.Add(29 * time.Minute) // 58 minutes in, but active 29 minutes ago
	if _, _, err := f.svc.SessionPrincipal(f.ctx, res.Token); err != nil {
		t.Fatalf("a used session idled out: %v", err)
	}
	f.clock.Add(30 * time.Minute)
	if _, _, err := f.svc.SessionPrincipal(f.ctx, res.Token); !errors.Is(err, ErrNoSession) {
		t.Errorf("idle session: %v, want ErrNoSession", err)
	}
	res, _ = f.login("lan", pw, "10.0.0.1")
	for range 25 { // keep it busy for 12.5 hours
		f.clock.Add(30*time.Minute - time.Second)
		if _, _, err := f.svc.SessionPrincipal(f.ctx, res.Token); err != nil {
			if f.clock.Now().Sub(res.Session.CreatedAt) < 12*time.Hour {
				t.Fatalf("session ended early: %v", err)
			}
			return
		}
	}
	t.Error("a busy session outlived its absolute lifetime")
}

func TestPasswordChangeAndDisableEndSessions(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "lan", RoleStaff, "p1")
	res, _ := f.login("lan", pw, "10.0.0.1")
	if err := f.svc.SetPassword(f.ctx, u.ID, "một mật khẩu mới"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.SessionPrincipal(f.ctx, res.Token); !errors.Is(err, ErrNoSession) {
		t.Errorf("session after a password change: %v", err)
	}
	if _, err := f.login("lan", pw, "10.0.0.1"); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("old password still works: %v", err)
	}
	res, err := f.login("lan", "một mật khẩu mới", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	f.svc.SetDisabled(f.ctx, u.ID, true)
	if _, _, err := f.svc.SessionPrincipal(f.ctx, res.Token); !errors.Is(err, ErrNoSession) {
		t.Errorf("session of a disabled user: %v", err)
	}
	if err := f.svc.SetPassword(f.ctx, u.ID, "short"); err == nil {
		t.Error("a short password was accepted")
	}
}

func TestTOTPLogin(t *testing.T) {
	f := newFixture(t)
	u, uri, err := f.svc.CreateUser(f.ctx, NewUser{Username: "root", Name: "Admin", Password: pw, Role: RoleAdmin})
	if err != nil || uri == "" || !u.TOTPEnabled {
		t.Fatalf("admin without TOTP enrolment: %q, %v", uri, err)
	}
	if _, err := f.login("root", pw, "10.0.0.1"); !errors.Is(err, ErrTOTPRequired) {
		t.Fatalf("no code: %v, want ErrTOTPRequired", err)
	}
	if _, err := f.login("root", "wrong-password", "10.0.0.1"); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("wrong password without code: %v", err)
	}
	code, _ := TOTPCode(u.TOTPSecret, f.clock.Now())
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	req := LoginRequest{Username: "root", Password: pw, TOTP: wrong, ClientIP: "10.0.0.1"}
	if _, err := f.svc.Login(f.ctx, req); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("wrong code: %v", err)
	}
	req.TOTP = code
	if _, err := f.svc.Login(f.ctx, req); err != nil {
		t.Fatalf("right code: %v", err)
	}
	if _, err := f.svc.Login(f.ctx, req); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("replayed code: %v, want ErrInvalidCredentials", err)
	}
	f.clock.Add(30 * time.Second)
	req.TOTP, _ = TOTPCode(u.TOTPSecret, f.clock.Now())
	if _, err := f.svc.Login(f.ctx, req); err != nil {
		t.Errorf("next step's code: %v", err)
	}
}

func TestTOTPRequiredButNotEnrolled(t *testing.T) {
	f := newFixture(t)
	f.user(t, "lan", RoleStaff, "p1")
	f.svc.opt.TOTPRoles[RoleStaff] = true
	if _, err := f.login("lan", pw, "10.0.0.1"); !errors.Is(err, ErrTOTPNotEnrolled) {
		t.Errorf("staff without TOTP: %v, want ErrTOTPNotEnrolled", err)
	}
}

func TestCSRFToken(t *testing.T) {
	a, b := newToken(), newToken()
	if CSRFToken(a) == CSRFToken(b) || !CheckCSRF(a, CSRFToken(a)) {
		t.Fatal("CSRF tokens are not bound to their session")
	}
	if CheckCSRF(a, CSRFToken(b)) || CheckCSRF(a, "") || CheckCSRF("", CSRFToken("")) {
		t.Error("a CSRF token of another session, or none, was accepted")
	}
}

func TestSecretsAreStoredHashed(t *testing.T) {
	f := newFixture(t)
	f.user(t, "lan", RoleStaff, "p1")
	res, _ := f.login("lan", pw, "10.0.0.1")
	secret, _, err := f.svc.CreateKey(f.ctx, NewKey{Name: "sensors", Role: RoleIntegrator, Scope: Scope{Read: true}})
	if err != nil {
		t.Fatal(err)
	}
	f.db.Close()
	var data []byte
	for _, suffix := range []string{"", "-wal"} {
		b, _ := os.ReadFile(f.path + suffix)
		data = append(data, b...)
	}
	for name, s := range map[string]string{"password": pw, "session token": res.Token, "API key": secret, "key secret": secret[len(KeyPrefix)+17:]} {
		if bytes.Contains(data, []byte(s)) {
			t.Errorf("the database file holds the %s in clear", name)
		}
	}
	if !bytes.Contains(data, []byte(HashToken(res.Token))) {
		t.Error("the session hash is not in the file: the test reads the wrong file")
	}
}

func TestCreateUserValidates(t *testing.T) {
	f := newFixture(t)
	f.user(t, "lan", RoleStaff, "p1")
	bad := []NewUser{
		{Username: "LAN", Password: pw, Role: RoleStaff, Agency: "p1"},
		{Username: "x y", Password: pw, Role: RoleStaff, Agency: "p1"},
		{Username: "minh", Password: pw, Role: "root"},
		{Username: "minh", Password: "short", Role: RoleCitizen},
		{Username: "minh", Password: pw, Role: RoleStaff},
		{Username: "minh", Password: pw, Role: RoleStaff, Agency: "nowhere"},
	}
	for _, nu := range bad {
		if _, _, err := f.svc.CreateUser(f.ctx, nu); err == nil {
			t.Errorf("CreateUser(%+v) succeeded", nu)
		}
	}
	if _, _, err := f.svc.CreateUser(f.ctx, bad[0]); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate username in another case: %v, want ErrExists", err)
	}
}

func TestLoginsWaitForAFreeSlot(t *testing.T) {
	f := newFixture(t)
	f.user(t, "lan", RoleStaff, "p1")
	for range cap(f.svc.logins) {
		f.svc.logins <- struct{}{}
	}
	ctx, cancel := context.WithTimeout(f.ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := f.svc.Login(ctx, LoginRequest{Username: "lan", Password: pw}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("login with every slot busy: %v, want to wait until the deadline", err)
	}
	<-f.svc.logins
	if _, err := f.login("lan", pw, "10.0.0.1"); err != nil {
		t.Fatalf("login with a free slot: %v", err)
	}
}

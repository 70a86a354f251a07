package authhttp

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/dothi-city/dothi/internal/auth"
)

// The tests of this file run a real OpenID Connect provider: zitadel's
// pkg/op with its example in-memory storage, over HTTP, wrapped only to
// put the test's users' groups into ID tokens and to misbehave on demand
// (a wrong nonce, short-lived ID tokens).

// idpUser is a person at the identity provider.
type idpUser struct {
	ID, Username, Name, Department string
	Groups                         []string
}

// testIdP is the identity provider.
type testIdP struct {
	issuer string
	srv    *httptest.Server
	st     *storage.Storage
	prov   *op.Provider

	mu    sync.Mutex
	users map[string]*idpUser
	next  string // id of the user who logs in at the next authorization

	badNonce   atomic.Bool
	idLifetime atomic.Int64 // ID token lifetime in ns; 0 for the client's default
	down       atomic.Bool  // answer 503 to everything
}

const idpClientID, idpClientSecret, idpPassword = "dothi", "dothi-secret", "idp-password"

// userStore serves the test's users to the example storage.
type userStore struct{ idp *testIdP }

func (s userStore) GetUserByID(id string) *storage.User {
	s.idp.mu.Lock()
	defer s.idp.mu.Unlock()
	if u, ok := s.idp.users[id]; ok {
		return &storage.User{ID: u.ID, Username: u.Username, Password: idpPassword, FirstName: u.Name, Email: u.Username + "@example.vn"}
	}
	return nil
}

func (s userStore) GetUserByUsername(name string) *storage.User {
	s.idp.mu.Lock()
	var id string
	for _, u := range s.idp.users {
		if u.Username == name {
			id = u.ID
		}
	}
	s.idp.mu.Unlock()
	return s.GetUserByID(id)
}

func (s userStore) ExampleClientID() string { return "service" }

// idpStorage is the example storage with the test's claims and faults.
type idpStorage struct {
	*storage.Storage
	idp *testIdP
}

// SetUserinfoFromRequest adds preferred_username, name, groups and
// department to every ID token.
func (s *idpStorage) SetUserinfoFromRequest(ctx context.Context, ui *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, ui, req, scopes); err != nil {
		return err
	}
	s.idp.mu.Lock()
	defer s.idp.mu.Unlock()
	u := s.idp.users[req.GetSubject()]
	ui.Subject, ui.PreferredUsername, ui.Name = u.ID, u.Username, u.Name
	ui.AppendClaims("groups", slices.Clone(u.Groups))
	if u.Department != "" {
		ui.AppendClaims("department", u.Department)
	}
	return nil
}

// CreateAuthRequest replaces the client's nonce when told to misbehave.
func (s *idpStorage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, userID string) (op.AuthRequest, error) {
	if s.idp.badNonce.Load() {
		req.Nonce = "a-nonce-of-another-login"
	}
	return s.Storage.CreateAuthRequest(ctx, req, userID)
}

// lifetimeClient overrides the ID token lifetime of a client.
type lifetimeClient struct {
	op.Client
	life time.Duration
}

func (c lifetimeClient) IDTokenLifetime() time.Duration { return c.life }

func (s *idpStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	if life := time.Duration(s.idp.idLifetime.Load()); life != 0 {
		return lifetimeClient{Client: c, life: life}, nil
	}
	return c, nil
}

// newIdP starts an identity provider that knows Dothi as a web client
// redirecting to redirectURI.
func newIdP(t *testing.T, redirectURI string) *testIdP {
	t.Helper()
	idp := &testIdP{users: map[string]*idpUser{}}
	idp.srv = httptest.NewUnstartedServer(nil)
	idp.issuer = "http://" + idp.srv.Listener.Addr().String()
	client := storage.WebClient(idpClientID, idpClientSecret, redirectURI)
	idp.st = storage.NewStorageWithClients(userStore{idp}, map[string]*storage.Client{idpClientID: client})
	var key [32]byte
	rand.Read(key[:])
	prov, err := op.NewProvider(&op.Config{CryptoKey: key, CodeMethodS256: true, AuthMethodPost: true},
		&idpStorage{Storage: idp.st, idp: idp}, op.StaticIssuer(idp.issuer), op.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	idp.prov = prov
	mux := http.NewServeMux()
	// The login page: the user chosen by the test logs in at once.
	mux.HandleFunc("/login/username", func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("authRequestID")
		idp.mu.Lock()
		u := idp.users[idp.next]
		idp.mu.Unlock()
		if u == nil {
			http.Error(w, "no user", http.StatusBadRequest)
			return
		}
		if err := idp.st.CheckUsernamePassword(u.Username, idpPassword, id); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, op.AuthCallbackURL(prov)(op.ContextWithIssuer(r.Context(), idp.issuer), id), http.StatusFound)
	})
	mux.Handle("/", prov)
	idp.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if idp.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	})
	idp.srv.Start()
	t.Cleanup(idp.srv.Close)
	return idp
}

// add registers a user and makes them the next to log in.
func (idp *testIdP) add(u idpUser) {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	idp.users[u.ID] = &u
	idp.next = u.ID
}

// oidcEnv is Dothi with OpenID Connect login against a testIdP.
type oidcEnv struct {
	*env
	idp  *testIdP
	oidc *OIDC
}

var testRules = []auth.ClaimRule{
	{Claim: "groups", Value: "dothi-staff-p1", Role: auth.RoleStaff, Agency: "p1"},
	{Claim: "groups", Value: "dothi-leaders", Role: auth.RoleLeader, Agency: "brvt"},
	{Claim: "department", Value: "phuong-2", Role: auth.RoleStaff, Agency: "p2"},
}

func newOIDCEnv(t *testing.T, mutate ...func(*OIDCConfig)) *oidcEnv {
	t.Helper()
	e := newEnv(t)
	e.clock.mu.Lock()
	e.clock.t = time.Now() // ID tokens carry the provider's real time
	e.clock.mu.Unlock()
	redirect := e.srv.URL + OIDCCallbackPath
	idp := newIdP(t, redirect)
	cfg := OIDCConfig{Issuer: idp.issuer, ClientID: idpClientID, ClientSecret: idpClientSecret, RedirectURL: redirect,
		Scopes: []string{"profile", "email"}, Rules: testRules, RetryMin: 20 * time.Millisecond, RetryMax: 100 * time.Millisecond}
	for _, m := range mutate {
		m(&cfg)
	}
	o, err := e.h.NewOIDC(cfg)
	if err != nil {
		t.Fatal(err)
	}
	o.Register(e.mux)
	o.Start()
	t.Cleanup(o.Stop)
	oe := &oidcEnv{env: e, idp: idp, oidc: o}
	oe.waitReady(t)
	return oe
}

func (e *oidcEnv) waitReady(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !e.oidc.Ready(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("OpenID Connect discovery never succeeded")
		}
	}
}

// browser is a cookie-keeping user agent that shows each redirect.
type browser struct {
	t  *testing.T
	c  *http.Client
	e  *oidcEnv
	jr *cookiejar.Jar
}

func (e *oidcEnv) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	c := *e.srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: t, c: &c, e: e, jr: jar}
}

// get fetches u (absolute, or a path on Dothi) without following redirects.
func (b *browser) get(u string) (*http.Response, []byte) {
	b.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.e.srv.URL + u
	}
	resp, err := b.c.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

// toCallback starts a login at Dothi and follows the redirects through the
// provider until the provider sends the browser back to Dothi's callback;
// it returns that callback URL (with code and state), unvisited.
func (b *browser) toCallback(start string) string {
	b.t.Helper()
	next := start
	for range 10 {
		resp, data := b.get(next)
		if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
			b.t.Fatalf("GET %s: %d %s", next, resp.StatusCode, data)
		}
		loc, err := resp.Location()
		if err != nil {
			b.t.Fatal(err)
		}
		if strings.HasPrefix(loc.String(), b.e.srv.URL+OIDCCallbackPath) {
			return loc.String()
		}
		next = loc.String()
	}
	b.t.Fatal("too many redirects")
	return ""
}

// login runs a whole login and returns the callback's answer.
func (b *browser) login() (*http.Response, []byte) {
	b.t.Helper()
	return b.get(b.toCallback(OIDCLoginPath))
}

// me returns the caller's principal and CSRF token, or status.
func (b *browser) me() (int, auth.Principal, string) {
	b.t.Helper()
	resp, data := b.get("/api/v1/auth/me")
	var body struct {
		Principal auth.Principal
		CSRFToken string
	}
	json.Unmarshal(data, &body)
	return resp.StatusCode, body.Principal, body.CSRFToken
}

func TestOIDCLogin(t *testing.T) {
	e := newOIDCEnv(t)
	e.idp.add(idpUser{ID: "sub-hoa", Username: "hoa.nguyen", Name: "Nguyễn Thị Hoa", Groups: []string{"everyone", "dothi-staff-p1"}})
	b := e.browser(t)
	// A session planted before the login (fixation) is ended by it.
	planted, err := e.svc.Login(context.Background(), auth.LoginRequest{Username: "lan", Password: pw, ClientIP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	srvURL, _ := url.Parse(e.srv.URL)
	b.jr.SetCookies(srvURL, []*http.Cookie{{Name: e.h.CookieName(), Value: planted.Token, Path: "/", Secure: true}})

	cb := b.toCallback(OIDCLoginPath + "?returnTo=/explorer?type=Case")
	q, _ := url.Parse(cb)
	if q.Query().Get("code") == "" || q.Query().Get("state") == "" {
		t.Fatalf("callback %s", cb)
	}
	resp, data := b.get(cb)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/explorer?type=Case" {
		t.Fatalf("callback: %d %q %s", resp.StatusCode, resp.Header.Get("Location"), data)
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == e.h.CookieName() {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || !session.Secure || session.SameSite != http.SameSiteLaxMode || session.Value == planted.Token {
		t.Fatalf("session cookie %+v", session)
	}
	if _, _, err := e.svc.SessionPrincipal(context.Background(), planted.Token); err == nil {
		t.Error("the planted session survived the login")
	}
	status, p, csrf := b.me()
	if status != 200 || p.Name != "hoa.nguyen" || p.Role != auth.RoleStaff || p.Agency != "p1" || csrf == "" {
		t.Fatalf("me: %d %+v %q", status, p, csrf)
	}
	// The session works like a local one: CSRF-protected writes within
	// the staff member's agency.
	write := func(csrf string) int {
		req, _ := http.NewRequest("PATCH", e.srv.URL+"/ngsi-ld/v1/entities/urn:ngsi-ld:Case:p1", nil)
		if csrf != "" {
			req.Header.Set(CSRFHeader, csrf)
		}
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := write(""); s != http.StatusForbidden {
		t.Errorf("write without CSRF token: %d", s)
	}
	if s := write(csrf); s != http.StatusNoContent {
		t.Errorf("write with CSRF token: %d", s)
	}
	// The local user record is linked, has no password, and follows the
	// provider: a new group changes the role at the next login.
	users, _ := e.svc.Users(context.Background())
	var hoa auth.User
	for _, u := range users {
		if u.Username == "hoa.nguyen" {
			hoa = u
		}
	}
	if hoa.ID == "" || hoa.PasswordHash != "" || hoa.Name != "Nguyễn Thị Hoa" {
		t.Fatalf("local user %+v", hoa)
	}
	if _, err := e.svc.Login(context.Background(), auth.LoginRequest{Username: "hoa.nguyen", Password: "", ClientIP: "127.0.0.2"}); err == nil {
		t.Error("an OpenID Connect account logged in with an empty local password")
	}
	e.idp.add(idpUser{ID: "sub-hoa", Username: "hoa.nguyen", Name: "Nguyễn Thị Hoa", Groups: []string{"dothi-leaders"}})
	if resp, data := b.login(); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("second login: %d %s", resp.StatusCode, data)
	}
	if _, p, _ := b.me(); p.ID != hoa.ID || p.Role != auth.RoleLeader || p.Agency != "brvt" {
		t.Errorf("after the group change: %+v", p)
	}
	// A string claim maps too.
	e.idp.add(idpUser{ID: "sub-binh", Username: "binh", Department: "phuong-2"})
	b2 := e.browser(t)
	if resp, data := b2.login(); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("department login: %d %s", resp.StatusCode, data)
	}
	if _, p, _ := b2.me(); p.Role != auth.RoleStaff || p.Agency != "p2" {
		t.Errorf("department mapping: %+v", p)
	}
	e.assertAudited(t, "auth.oidc.login", "user:"+hoa.ID)
}

func TestOIDCAttacks(t *testing.T) {
	e := newOIDCEnv(t)
	e.idp.add(idpUser{ID: "sub-hoa", Username: "hoa.nguyen", Groups: []string{"dothi-staff-p1"}})
	loggedIn := func(b *browser) bool { s, _, _ := b.me(); return s == http.StatusOK }

	t.Run("wrong state", func(t *testing.T) {
		b := e.browser(t)
		cb := b.toCallback(OIDCLoginPath)
		u, _ := url.Parse(cb)
		q := u.Query()
		q.Set("state", "forged")
		u.RawQuery = q.Encode()
		resp, data := b.get(u.String())
		problemOf(t, resp, data, http.StatusBadRequest)
		// The flow is spent: even the right state no longer works.
		resp, data = b.get(cb)
		problemOf(t, resp, data, http.StatusBadRequest)
		if loggedIn(b) {
			t.Error("logged in")
		}
	})
	t.Run("callback in another browser (login CSRF)", func(t *testing.T) {
		cb := e.browser(t).toCallback(OIDCLoginPath)
		victim := e.browser(t)
		resp, data := victim.get(cb)
		problemOf(t, resp, data, http.StatusBadRequest)
		if loggedIn(victim) {
			t.Error("the victim was logged in as the attacker")
		}
	})
	t.Run("replayed code", func(t *testing.T) {
		b := e.browser(t)
		cb := b.toCallback(OIDCLoginPath)
		if resp, data := b.get(cb); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("first use: %d %s", resp.StatusCode, data)
		}
		// The same callback again: its flow is gone.
		resp, data := b.get(cb)
		problemOf(t, resp, data, http.StatusBadRequest)
		// The old code with the state of a fresh login: the provider
		// refuses the spent code (and its PKCE verifier differs).
		resp, _ = b.get(OIDCLoginPath)
		loc, _ := resp.Location()
		u, _ := url.Parse(cb)
		q := u.Query()
		q.Set("state", loc.Query().Get("state"))
		u.RawQuery = q.Encode()
		resp, data = b.get(u.String())
		p := problemOf(t, resp, data, http.StatusUnauthorized)
		if !strings.Contains(p["detail"].(string), "authorization code") {
			t.Errorf("detail %v", p["detail"])
		}
	})
	t.Run("wrong nonce", func(t *testing.T) {
		e.idp.badNonce.Store(true)
		defer e.idp.badNonce.Store(false)
		b := e.browser(t)
		resp, data := b.login()
		p := problemOf(t, resp, data, http.StatusUnauthorized)
		if !strings.Contains(p["detail"].(string), "nonce") {
			t.Errorf("detail %v", p["detail"])
		}
		if loggedIn(b) {
			t.Error("logged in")
		}
	})
	t.Run("expired ID token", func(t *testing.T) {
		e.idp.idLifetime.Store(int64(time.Minute))
		defer e.idp.idLifetime.Store(0)
		b := e.browser(t)
		cb := b.toCallback(OIDCLoginPath)
		e.clock.Add(3 * time.Minute) // the flow (10m) lives on, the ID token (1m) does not
		defer e.clock.Add(-3 * time.Minute)
		resp, data := b.get(cb)
		p := problemOf(t, resp, data, http.StatusUnauthorized)
		if !strings.Contains(p["detail"].(string), "ID token is not valid") {
			t.Errorf("detail %v", p["detail"])
		}
		if loggedIn(b) {
			t.Error("logged in")
		}
	})
	t.Run("expired flow", func(t *testing.T) {
		b := e.browser(t)
		cb := b.toCallback(OIDCLoginPath)
		e.clock.Add(11 * time.Minute)
		defer e.clock.Add(-11 * time.Minute)
		resp, data := b.get(cb)
		problemOf(t, resp, data, http.StatusBadRequest)
	})
	t.Run("unmapped user is refused", func(t *testing.T) {
		e.idp.add(idpUser{ID: "sub-x", Username: "stranger", Groups: []string{"everyone"}})
		b := e.browser(t)
		resp, data := b.login()
		problemOf(t, resp, data, http.StatusForbidden)
		if loggedIn(b) {
			t.Error("logged in")
		}
		users, _ := e.svc.Users(context.Background())
		for _, u := range users {
			if u.Username == "stranger" {
				t.Error("an account was created for an unmapped user")
			}
		}
	})
	t.Run("provider account cannot take over a local one", func(t *testing.T) {
		e.idp.add(idpUser{ID: "sub-evil", Username: "root", Groups: []string{"dothi-staff-p1"}})
		b := e.browser(t)
		resp, data := b.login()
		problemOf(t, resp, data, http.StatusForbidden)
		if loggedIn(b) {
			t.Error("logged in")
		}
		if _, err := e.svc.Login(context.Background(), auth.LoginRequest{Username: "root", Password: pw, ClientIP: "127.0.0.3"}); err != nil {
			t.Errorf("the local root account was changed: %v", err)
		}
	})
	t.Run("provider error", func(t *testing.T) {
		b := e.browser(t)
		resp, _ := b.get(OIDCLoginPath)
		loc, _ := resp.Location()
		resp, data := b.get(OIDCCallbackPath + "?error=access_denied&state=" + url.QueryEscape(loc.Query().Get("state")))
		problemOf(t, resp, data, http.StatusUnauthorized)
	})
	t.Run("open redirect", func(t *testing.T) {
		e.idp.add(idpUser{ID: "sub-hoa", Username: "hoa.nguyen", Groups: []string{"dothi-staff-p1"}})
		b := e.browser(t)
		resp, data := b.get(b.toCallback(OIDCLoginPath + "?returnTo=//evil.example/"))
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
			t.Errorf("returnTo //evil.example: %d %q %s", resp.StatusCode, resp.Header.Get("Location"), data)
		}
	})
}

func TestOIDCUnmappedCitizen(t *testing.T) {
	e := newOIDCEnv(t, func(c *OIDCConfig) { c.Unmapped = UnmappedCitizen })
	e.idp.add(idpUser{ID: "sub-dan", Username: "nguoi.dan", Groups: []string{"everyone"}})
	b := e.browser(t)
	if resp, data := b.login(); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d %s", resp.StatusCode, data)
	}
	if _, p, _ := b.me(); p.Role != auth.RoleCitizen || p.Agency != "" {
		t.Errorf("unmapped user: %+v", p)
	}
	// A citizen reads public data only.
	for path, want := range map[string]int{"urn:ngsi-ld:Parking:1": http.StatusNoContent, "urn:ngsi-ld:Case:p1": http.StatusForbidden} {
		if resp, _ := b.get("/ngsi-ld/v1/entities/" + path); resp.StatusCode != want {
			t.Errorf("citizen GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

func TestOIDCDiscoveryRetries(t *testing.T) {
	e := newEnv(t)
	redirect := e.srv.URL + OIDCCallbackPath
	idp := newIdP(t, redirect)
	idp.down.Store(true)
	o, err := e.h.NewOIDC(OIDCConfig{Issuer: idp.issuer, ClientID: idpClientID, ClientSecret: idpClientSecret,
		RedirectURL: redirect, Rules: testRules, RetryMin: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	o.Register(e.mux)
	start := time.Now()
	o.Start()
	t.Cleanup(o.Stop)
	if time.Since(start) > time.Second {
		t.Error("Start blocked")
	}
	oe := &oidcEnv{env: e, idp: idp, oidc: o}
	b := oe.browser(t)
	resp, data := b.get(OIDCLoginPath)
	problemOf(t, resp, data, http.StatusServiceUnavailable)
	if resp.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	idp.down.Store(false)
	oe.waitReady(t)
	if resp, _ := b.get(OIDCLoginPath); resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), idp.issuer) {
		t.Errorf("login after recovery: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestOIDCConfigValidate(t *testing.T) {
	ok := OIDCConfig{Issuer: "https://id.example.vn", ClientID: "dothi", RedirectURL: "https://dothi.example.vn/api/v1/auth/oidc/callback"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*OIDCConfig){
		"no issuer":        func(c *OIDCConfig) { c.Issuer = "" },
		"bad issuer":       func(c *OIDCConfig) { c.Issuer = "id.example.vn" },
		"no client":        func(c *OIDCConfig) { c.ClientID = "" },
		"bad unmapped":     func(c *OIDCConfig) { c.Unmapped = "admin" },
		"bad role":         func(c *OIDCConfig) { c.Rules = []auth.ClaimRule{{Claim: "groups", Value: "x", Role: "boss"}} },
		"staff no agency":  func(c *OIDCConfig) { c.Rules = []auth.ClaimRule{{Claim: "groups", Value: "x", Role: auth.RoleStaff}} },
		"external landing": func(c *OIDCConfig) { c.AfterLogin = "https://evil.example" },
	} {
		c := ok
		mutate(&c)
		if c.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

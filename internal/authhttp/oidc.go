package authhttp

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/dothi-city/dothi/internal/audit"
	"github.com/dothi-city/dothi/internal/auth"
	"github.com/dothi-city/dothi/internal/ngsild"
)

// The OpenID Connect login routes.
const (
	OIDCLoginPath    = "/api/v1/auth/oidc/login"
	OIDCCallbackPath = "/api/v1/auth/oidc/callback"
)

// Unmapped policies: what happens to a person no claim rule maps.
const (
	UnmappedRefuse  = "refuse"
	UnmappedCitizen = "citizen"
)

// OIDCConfig configures login with an OpenID Connect provider.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; its discovery document is
	// fetched from Issuer/.well-known/openid-configuration.
	Issuer string
	// ClientID and ClientSecret are Dothi's registration at the provider.
	ClientID, ClientSecret string
	// RedirectURL is Dothi's callback, https://HOST/api/v1/auth/oidc/callback.
	RedirectURL string
	// Scopes asked for ("openid" is always added; default openid, profile, email).
	Scopes []string
	// UsernameClaim carries the Dothi username (preferred_username);
	// NameClaim the display name (name).
	UsernameClaim, NameClaim string
	// Rules map claims to a role and agency; the first match wins.
	Rules []auth.ClaimRule
	// Unmapped is UnmappedRefuse (the default) or UnmappedCitizen.
	Unmapped string
	// AfterLogin is where the browser goes after login when the login
	// did not name a returnTo ("/").
	AfterLogin string
	// HTTPClient talks to the provider (a client with a 15s timeout).
	HTTPClient *http.Client
	// DiscoveryTimeout bounds one discovery attempt (10s); failed attempts
	// are retried after RetryMin (2s), doubling up to RetryMax (5m).
	DiscoveryTimeout, RetryMin, RetryMax time.Duration
	// FlowTTL is how long a login may take at the provider (10m).
	FlowTTL time.Duration
}

// Validate reports a setting that cannot work.
func (c OIDCConfig) Validate() error {
	for name, v := range map[string]string{"issuer": c.Issuer, "clientID": c.ClientID, "redirectURL": c.RedirectURL} {
		if v == "" {
			return fmt.Errorf("auth.oidc.%s is required", name)
		}
	}
	for name, v := range map[string]string{"issuer": c.Issuer, "redirectURL": c.RedirectURL} {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("auth.oidc.%s %q is not an http(s) URL", name, v)
		}
	}
	if c.Unmapped != "" && c.Unmapped != UnmappedRefuse && c.Unmapped != UnmappedCitizen {
		return fmt.Errorf("auth.oidc.unmapped must be %q or %q, not %q", UnmappedRefuse, UnmappedCitizen, c.Unmapped)
	}
	for i, r := range c.Rules {
		if r.Claim == "" || r.Value == "" {
			return fmt.Errorf("auth.oidc.roles[%d]: a rule needs claim and value", i)
		}
		if _, err := auth.ParseRole(string(r.Role)); err != nil {
			return fmt.Errorf("auth.oidc.roles[%d]: %w", i, err)
		}
		if r.Agency == "" && (r.Role == auth.RoleStaff || r.Role == auth.RoleOperator) {
			return fmt.Errorf("auth.oidc.roles[%d]: a %s needs an agency", i, r.Role)
		}
	}
	if c.AfterLogin != "" && !localPath(c.AfterLogin) {
		return fmt.Errorf("auth.oidc.afterLogin must be a path on this site, such as /")
	}
	return nil
}

func (c OIDCConfig) withDefaults() OIDCConfig {
	if len(c.Scopes) == 0 {
		c.Scopes = []string{"profile", "email"}
	}
	scopes := []string{oidc.ScopeOpenID}
	for _, s := range c.Scopes {
		if s != oidc.ScopeOpenID {
			scopes = append(scopes, s)
		}
	}
	c.Scopes = scopes
	if c.UsernameClaim == "" {
		c.UsernameClaim = "preferred_username"
	}
	if c.NameClaim == "" {
		c.NameClaim = "name"
	}
	if c.Unmapped == "" {
		c.Unmapped = UnmappedRefuse
	}
	if c.AfterLogin == "" {
		c.AfterLogin = "/"
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	c.DiscoveryTimeout = orDefault(c.DiscoveryTimeout, 10*time.Second)
	c.RetryMin = orDefault(c.RetryMin, 2*time.Second)
	c.RetryMax = orDefault(c.RetryMax, 5*time.Minute)
	c.FlowTTL = orDefault(c.FlowTTL, 10*time.Minute)
	return c
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// oidcClient is what discovery yields.
type oidcClient struct {
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
}

// OIDC is the OpenID Connect login of a Handler. Discovery runs in the
// background (Start) so that an unreachable provider never holds up the
// server; until it succeeds, the login routes answer 503.
type OIDC struct {
	h      *Handler
	cfg    OIDCConfig
	client atomic.Pointer[oidcClient]

	mu   sync.Mutex
	stop context.CancelFunc
	done chan struct{}
}

// NewOIDC returns the OpenID Connect login of h, not yet started.
func (h *Handler) NewOIDC(cfg OIDCConfig) (*OIDC, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &OIDC{h: h, cfg: cfg.withDefaults()}, nil
}

// Start fetches the provider's discovery document in the background,
// retrying with backoff until it succeeds or Stop is called. It returns
// at once.
func (o *OIDC) Start() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.stop != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	o.stop, o.done = cancel, make(chan struct{})
	go func() {
		defer close(o.done)
		o.discover(ctx)
	}()
}

// Stop ends discovery, if it is still trying.
func (o *OIDC) Stop() {
	o.mu.Lock()
	stop, done := o.stop, o.done
	o.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}

// Ready reports whether discovery has succeeded.
func (o *OIDC) Ready() bool { return o.client.Load() != nil }

// discover fetches the discovery document until it succeeds.
func (o *OIDC) discover(ctx context.Context) {
	delay := o.cfg.RetryMin
	for {
		err := o.discoverOnce(ctx)
		if err == nil {
			o.h.opt.Log.Info("OpenID Connect provider ready", "issuer", o.cfg.Issuer)
			return
		}
		o.h.opt.Log.Warn("OpenID Connect discovery failed; will retry", "issuer", o.cfg.Issuer, "retryIn", delay, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, o.cfg.RetryMax)
	}
}

func (o *OIDC) discoverOnce(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, o.cfg.HTTPClient), o.cfg.DiscoveryTimeout)
	defer cancel()
	p, err := oidc.NewProvider(ctx, o.cfg.Issuer)
	if err != nil {
		return err
	}
	o.client.Store(&oidcClient{
		oauth: oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, Endpoint: p.Endpoint(),
			RedirectURL: o.cfg.RedirectURL, Scopes: o.cfg.Scopes},
		verifier: p.Verifier(&oidc.Config{ClientID: o.cfg.ClientID, Now: o.h.svc.Now}),
	})
	return nil
}

// Register adds the login and callback routes to mux.
func (o *OIDC) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+OIDCLoginPath, o.login)
	mux.HandleFunc("GET "+OIDCCallbackPath, o.callback)
}

// flowCookie is the name of the cookie that binds a login to the browser.
func (o *OIDC) flowCookie() string {
	if o.h.opt.InsecureCookies {
		return "dothi_oidc"
	}
	return "__Host-dothi_oidc"
}

func (o *OIDC) setFlowCookie(w http.ResponseWriter, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: o.flowCookie(), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: !o.h.opt.InsecureCookies, SameSite: http.SameSiteLaxMode})
}

// localPath reports whether p is a path on this site (not //host or /\host).
func localPath(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "/\\") &&
		!strings.ContainsAny(p, "\r\n") && len(p) <= 2048
}

func (o *OIDC) notReady(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "5")
	writeProblem(w, problem(ngsild.ErrorType("urn:dothi:problem:ServiceUnavailable"), http.StatusServiceUnavailable,
		"the identity provider is not reachable yet; try again shortly"))
}

// login handles GET /api/v1/auth/oidc/login[?returnTo=/path]: it starts an
// authorization code flow with PKCE, binds its state, nonce and verifier
// to a short-lived cookie and sends the browser to the provider.
func (o *OIDC) login(w http.ResponseWriter, r *http.Request) {
	c := o.client.Load()
	if c == nil {
		o.notReady(w)
		return
	}
	returnTo := r.URL.Query().Get("returnTo")
	if !localPath(returnTo) {
		returnTo = o.cfg.AfterLogin
	}
	f := auth.OIDCFlow{State: rand.Text(), Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier(), ReturnTo: returnTo}
	secret, err := o.h.svc.StartOIDCFlow(r.Context(), f, o.cfg.FlowTTL)
	if errors.Is(err, auth.ErrTooManyFlows) {
		o.h.opt.Log.WarnContext(r.Context(), "OpenID Connect: too many logins in progress")
		w.Header().Set("Retry-After", "60")
		writeProblem(w, problem(ErrTooManyRequests, http.StatusTooManyRequests, "too many logins in progress; try again later"))
		return
	}
	if err != nil {
		o.h.writeError(w, r, err)
		return
	}
	o.setFlowCookie(w, secret, int(o.cfg.FlowTTL.Seconds()))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, c.oauth.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), http.StatusFound)
}

// callback handles GET /api/v1/auth/oidc/callback: it checks the state
// against the browser's flow, redeems the code with the PKCE verifier,
// verifies the ID token (signature, issuer, audience, expiry, nonce), maps
// its claims to a role, creates or updates the linked user and starts a
// session exactly as a local login does.
func (o *OIDC) callback(w http.ResponseWriter, r *http.Request) {
	o.setFlowCookie(w, "", -1) // a flow is used once, whatever happens
	q := r.URL.Query()
	var secret string
	if ck, err := r.Cookie(o.flowCookie()); err == nil {
		secret = ck.Value
	}
	f, err := o.h.svc.TakeOIDCFlow(r.Context(), secret)
	if errors.Is(err, auth.ErrNotFound) {
		o.fail(w, r, http.StatusBadRequest, "no login in progress in this browser, or it expired; start again", "no flow")
		return
	}
	if err != nil {
		o.h.writeError(w, r, err)
		return
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
		o.fail(w, r, http.StatusBadRequest, "the state does not match the login started in this browser", "state mismatch")
		return
	}
	if e := q.Get("error"); e != "" {
		o.fail(w, r, http.StatusUnauthorized, "the identity provider refused the login: "+clip(e), "provider error")
		return
	}
	c := o.client.Load()
	if c == nil {
		o.notReady(w)
		return
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(r.Context(), o.cfg.HTTPClient), 30*time.Second)
	defer cancel()
	tok, err := c.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		o.h.opt.Log.WarnContext(r.Context(), "OpenID Connect code exchange failed", "err", err)
		o.fail(w, r, http.StatusUnauthorized, "the identity provider did not accept the authorization code", "code exchange")
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		o.fail(w, r, http.StatusUnauthorized, "the identity provider sent no ID token", "no id_token")
		return
	}
	idt, err := c.verifier.Verify(ctx, raw)
	if err != nil {
		o.h.opt.Log.WarnContext(r.Context(), "OpenID Connect ID token rejected", "err", err)
		o.fail(w, r, http.StatusUnauthorized, "the ID token is not valid", "id token")
		return
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		o.fail(w, r, http.StatusUnauthorized, "the ID token does not belong to this login (nonce)", "nonce mismatch")
		return
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		o.fail(w, r, http.StatusUnauthorized, "the ID token claims are unreadable", "claims")
		return
	}
	username, _ := claims[o.cfg.UsernameClaim].(string)
	name, _ := claims[o.cfg.NameClaim].(string)
	role, agency, ok := auth.MapClaims(o.cfg.Rules, claims)
	if !ok {
		if o.cfg.Unmapped != UnmappedCitizen {
			o.fail(w, r, http.StatusForbidden, "your account at the identity provider has no role in Dothi; ask an administrator", "unmapped:"+clip(username))
			return
		}
		role, agency = auth.RoleCitizen, ""
	}
	res, err := o.h.svc.OIDCLogin(r.Context(), auth.OIDCIdentity{Issuer: idt.Issuer, Subject: idt.Subject,
		Username: username, Name: name, Role: role, Agency: agency, ClientIP: o.h.ClientIP(r), OldToken: o.h.sessionToken(r)})
	if errors.Is(err, auth.ErrOIDCRefused) {
		o.h.opt.Log.WarnContext(r.Context(), "OpenID Connect login refused", "subject", idt.Subject, "err", err)
		o.fail(w, r, http.StatusForbidden, strings.TrimPrefix(err.Error(), auth.ErrOIDCRefused.Error()+": "), "refused")
		return
	}
	if err != nil {
		o.h.writeError(w, r, err)
		return
	}
	o.h.setSessionCookie(w, res)
	p := o.h.svc.UserPrincipal(r.Context(), res.User)
	r = r.WithContext(auth.WithPrincipal(r.Context(), p))
	o.h.Record(r, "auth.oidc.login", "user:"+res.User.ID, audit.OutcomeSuccess,
		map[string]string{"issuer": idt.Issuer, "subject": clip(idt.Subject), "role": string(role), "agency": agency})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, f.ReturnTo, http.StatusSeeOther)
}

// fail answers and audits a failed OpenID Connect login.
func (o *OIDC) fail(w http.ResponseWriter, r *http.Request, status int, detail, reason string) {
	o.h.Record(r, "auth.oidc.login", "oidc", audit.OutcomeFailure, map[string]string{"reason": reason})
	t := ngsild.ErrUnauthorized
	switch status {
	case http.StatusBadRequest:
		t = ngsild.ErrBadRequestData
	case http.StatusForbidden:
		t = ngsild.ErrForbidden
	}
	p := ngsild.Errorf(t, "%s", detail)
	p.Status = status
	writeProblem(w, p)
}

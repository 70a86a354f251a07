package authhttp

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/dothi-city/dothi/internal/audit"
	"github.com/dothi-city/dothi/internal/auth"
	"github.com/dothi-city/dothi/internal/ngsild"
)

type sessionKey struct{}

// sessionOf returns the session token a request was authenticated with
// ("" for an API key or an anonymous request).
func sessionOf(ctx context.Context) string {
	s, _ := ctx.Value(sessionKey{}).(string)
	return s
}

// Wrap applies Authenticate and then RequireCSRF to next: put it around
// the whole mux.
func (h *Handler) Wrap(next http.Handler) http.Handler {
	return h.Authenticate(h.RequireCSRF(next))
}

// Authenticate finds the principal of a request, from an
// "Authorization: Bearer <key or access token>" header or else from the
// session cookie (the token endpoint, TokenPath, is left anonymous),
// and puts it in the context (auth.FromContext). A bad key is answered
// 401 at once; a stale cookie is cleared and the request goes on anonymous.
func (h *Handler) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == TokenPath {
			// The token endpoint authenticates clients itself (HTTP Basic
			// or form), and no cookie or bearer counts there.
			next.ServeHTTP(w, r)
			return
		}
		if authz := r.Header.Get("Authorization"); authz != "" {
			h.authenticateKey(w, r, authz, next)
			return
		}
		token := h.sessionToken(r)
		if token == "" {
			next.ServeHTTP(w, r)
			return
		}
		p, _, err := h.svc.SessionPrincipal(r.Context(), token)
		if errors.Is(err, auth.ErrNoSession) {
			h.clearSessionCookie(w)
			next.ServeHTTP(w, r)
			return
		}
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		ctx := context.WithValue(auth.WithPrincipal(r.Context(), p), sessionKey{}, token)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// authenticateKey handles a request that carries an Authorization header.
func (h *Handler) authenticateKey(w http.ResponseWriter, r *http.Request, authz string, next http.Handler) {
	scheme, key, ok := strings.Cut(authz, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		unauthorized(w, "use Authorization: Bearer <API key>")
		return
	}
	p, err := h.svc.BearerPrincipal(r.Context(), strings.TrimSpace(key))
	if errors.Is(err, auth.ErrInvalidKey) {
		unauthorized(w, "the API key or access token is invalid, expired or revoked")
		return
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
}

// unauthorized answers 401 with a Bearer challenge.
func unauthorized(w http.ResponseWriter, detail string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="dothi"`)
	writeProblem(w, ngsild.Errorf(ngsild.ErrUnauthorized, "%s", detail))
}

// safeMethod reports whether m does not change state.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions || m == http.MethodTrace
}

// LoginPath is the login endpoint. RequireCSRF lets it through, because a
// browser holding a (possibly planted) session has no CSRF token for it
// yet; login checks the Origin itself and always starts a new session.
const LoginPath = "/api/v1/auth/login"

// RequireCSRF refuses an unsafe request authenticated by the session
// cookie unless it carries the session's CSRF token in X-CSRF-Token and,
// when the browser sent an Origin, comes from this same host. Requests
// with an API key carry no ambient credential and pass.
func (h *Handler) RequireCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := sessionOf(r.Context())
		if safeMethod(r.Method) || token == "" || r.URL.Path == LoginPath {
			next.ServeHTTP(w, r)
			return
		}
		if !sameOrigin(r) || !auth.CheckCSRF(token, r.Header.Get(CSRFHeader)) {
			h.Record(r, "csrf.reject", r.URL.Path, audit.OutcomeDenied, map[string]string{"method": r.Method})
			writeProblem(w, ngsild.Errorf(ngsild.ErrForbidden, "missing or wrong %s header, or cross-origin request", CSRFHeader))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sameOrigin reports whether the Origin header, if any, names this host.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// RequireAuth answers 401 to anonymous requests.
func RequireAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if auth.FromContext(r.Context()) == nil {
			unauthorized(w, "log in or send an API key")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// GuardNGSILD is the coarse check in front of the NGSI-LD API: a principal
// is required, and it must be able to read (safe methods) or write (the
// others) some data of the request's NGSILD-Tenant. The broker or handlers
// then call auth.Allowed for each entity.
func GuardNGSILD(next http.Handler) http.Handler {
	return RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := auth.ActionWrite
		if safeMethod(r.Method) {
			a = auth.ActionRead
		}
		if !auth.MayAct(auth.FromContext(r.Context()), a, r.Header.Get("NGSILD-Tenant")) {
			writeProblem(w, ngsild.Errorf(ngsild.ErrForbidden, "not allowed to %s in this tenant", a))
			return
		}
		next.ServeHTTP(w, r)
	}))
}

// statusWriter remembers the status code a handler sent.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// AuditChanges records every unsafe request (every change) after it ran:
// who, the method and path, the tenant, the source IP, and the outcome
// (success, denied for 401/403, failure otherwise). Bodies are not recorded.
func (h *Handler) AuditChanges(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if safeMethod(r.Method) {
			next.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		h.Record(r, "http."+strings.ToLower(r.Method), r.URL.Path, outcomeOf(sw.status),
			map[string]string{"status": strconv.Itoa(sw.status), "tenant": r.Header.Get("NGSILD-Tenant")})
	})
}

// outcomeOf maps an HTTP status to an audit outcome.
func outcomeOf(status int) string {
	switch {
	case status < 400:
		return audit.OutcomeSuccess
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return audit.OutcomeDenied
	}
	return audit.OutcomeFailure
}

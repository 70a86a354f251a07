package authhttp

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/dothi-city/dothi/internal/audit"
	"github.com/dothi-city/dothi/internal/auth"
	"github.com/dothi-city/dothi/internal/ngsild"
)

// Register adds the authentication and administration routes to mux. The
// mux must sit inside Wrap (Authenticate and RequireCSRF).
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST "+LoginPath, h.login)
	mux.Handle("POST /api/v1/auth/logout", RequireAuth(http.HandlerFunc(h.logout)))
	mux.Handle("GET /api/v1/auth/me", RequireAuth(http.HandlerFunc(h.me)))
	mux.HandleFunc("POST "+TokenPath, h.token)
	h.registerAdmin(mux)
}

type loginBody struct {
	Username string `json:"username"`
	Password string `json:"password"`
	TOTP     string `json:"totp,omitempty"`
}

type sessionBody struct {
	User      *auth.User      `json:"user,omitempty"`
	Principal *auth.Principal `json:"principal"`
	CSRFToken string          `json:"csrfToken,omitempty"`
	ExpiresAt time.Time       `json:"expiresAt,omitzero"`
}

// login handles POST /api/v1/auth/login.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		writeProblem(w, ngsild.Errorf(ngsild.ErrForbidden, "cross-origin login refused"))
		return
	}
	var body loginBody
	if err := decode(w, r, &body); err != nil {
		h.writeError(w, r, err)
		return
	}
	res, err := h.svc.Login(r.Context(), auth.LoginRequest{Username: body.Username, Password: body.Password,
		TOTP: body.TOTP, ClientIP: h.ClientIP(r), OldToken: h.sessionToken(r)})
	if err != nil {
		h.loginFailed(w, r, body.Username, err)
		return
	}
	h.setSessionCookie(w, res)
	p := h.svc.UserPrincipal(r.Context(), res.User)
	r = r.WithContext(auth.WithPrincipal(r.Context(), p))
	h.Record(r, "auth.login", "user:"+res.User.ID, audit.OutcomeSuccess, nil)
	writeJSON(w, http.StatusOK, sessionBody{User: &res.User, Principal: p, CSRFToken: res.CSRF, ExpiresAt: res.Session.ExpiresAt})
}

// loginFailed answers and audits a failed login.
func (h *Handler) loginFailed(w http.ResponseWriter, r *http.Request, username string, err error) {
	var th *auth.ThrottledError
	var p *ngsild.Problem
	switch {
	case errors.As(err, &th):
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(th.RetryAfter.Seconds()))))
		p = problem(ErrTooManyRequests, http.StatusTooManyRequests, "too many failed logins; try again later")
	case errors.Is(err, auth.ErrInvalidCredentials):
		p = ngsild.Errorf(ngsild.ErrUnauthorized, "wrong username, password or code")
	case errors.Is(err, auth.ErrTOTPRequired):
		p = problem(ErrTOTPRequired, http.StatusUnauthorized, "a TOTP code is required")
	case errors.Is(err, auth.ErrTOTPNotEnrolled):
		p = ngsild.Errorf(ngsild.ErrForbidden, "two-factor authentication must be set up by an administrator")
	default:
		h.writeError(w, r, err)
		return
	}
	h.Record(r, "auth.login", "username:"+username, audit.OutcomeFailure, map[string]string{"reason": p.Title})
	writeProblem(w, p)
}

// logout handles POST /api/v1/auth/logout.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	token := sessionOf(r.Context())
	if token == "" {
		writeProblem(w, ngsild.Errorf(ngsild.ErrBadRequestData, "no session to end; API keys are revoked by an administrator"))
		return
	}
	if err := h.svc.Logout(r.Context(), token); err != nil {
		h.writeError(w, r, err)
		return
	}
	h.clearSessionCookie(w)
	h.Record(r, "auth.logout", "user:"+auth.FromContext(r.Context()).ID, audit.OutcomeSuccess, nil)
	w.WriteHeader(http.StatusNoContent)
}

// me handles GET /api/v1/auth/me: who is calling, and for a session its
// CSRF token (so a reloaded web page can recover it).
func (h *Handler) me(w http.ResponseWriter, r *http.Request) {
	body := sessionBody{Principal: auth.FromContext(r.Context())}
	if token := sessionOf(r.Context()); token != "" {
		body.CSRFToken = auth.CSRFToken(token)
	}
	writeJSON(w, http.StatusOK, body)
}

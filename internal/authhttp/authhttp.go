// Package authhttp is the HTTP face of internal/auth: the Authenticate and
// RequireCSRF middleware, the login, logout and me endpoints, OpenID
// Connect login (OIDC), the OAuth2 token endpoint (client credentials), and
// the administration of agencies, users, API keys and OAuth2 clients. Errors are RFC 7807
// problems. Secrets (passwords, tokens, keys) are never logged or audited.
package authhttp

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/dothi-city/dothi/internal/audit"
	"github.com/dothi-city/dothi/internal/auth"
	"github.com/dothi-city/dothi/internal/ngsild"
)

// Auditor records audit events; *audit.Log is one.
type Auditor interface {
	Append(ctx context.Context, r audit.Record) (audit.Record, error)
}

// Options configure a Handler.
type Options struct {
	// InsecureCookies drops the Secure attribute (and the __Host- prefix)
	// from the session cookie: for plain-HTTP development only.
	InsecureCookies bool
	// TrustedProxies are reverse proxies whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// Audit receives logins, logouts and administrative changes.
	Audit Auditor
	// Log is the logger for internal errors (slog.Default()).
	Log *slog.Logger
}

// Handler serves authentication and account administration.
type Handler struct {
	svc *auth.Service
	opt Options
}

// New returns a Handler over svc.
func New(svc *auth.Service, opt Options) *Handler {
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	return &Handler{svc: svc, opt: opt}
}

// CookieName is the name of the session cookie.
func (h *Handler) CookieName() string {
	if h.opt.InsecureCookies {
		return "dothi_session"
	}
	return "__Host-dothi_session"
}

// CSRFHeader carries the CSRF token on unsafe cookie-authenticated requests.
const CSRFHeader = "X-CSRF-Token"

// setSessionCookie sends the session token as a secure, HTTP-only,
// SameSite=Lax cookie that lives as long as the session.
func (h *Handler) setSessionCookie(w http.ResponseWriter, res *auth.LoginResult) {
	http.SetCookie(w, &http.Cookie{Name: h.CookieName(), Value: res.Token, Path: "/", Expires: res.Session.ExpiresAt,
		HttpOnly: true, Secure: !h.opt.InsecureCookies, SameSite: http.SameSiteLaxMode})
}

// clearSessionCookie tells the browser to forget the session cookie.
func (h *Handler) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: h.CookieName(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: !h.opt.InsecureCookies, SameSite: http.SameSiteLaxMode})
}

// sessionToken is the session cookie of r, or "".
func (h *Handler) sessionToken(r *http.Request) string {
	c, err := r.Cookie(h.CookieName())
	if err != nil {
		return ""
	}
	return c.Value
}

// ClientIP is the address a request came from: the peer, or, when the
// peer is a trusted proxy, the nearest untrusted X-Forwarded-For entry.
func (h *Handler) ClientIP(r *http.Request) string {
	ip := peerIP(r.RemoteAddr)
	if !h.trusted(ip) {
		return ip.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		ip = hop.Unmap()
		if !h.trusted(ip) {
			break
		}
	}
	return ip.String()
}

func peerIP(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip, _ := netip.ParseAddr(host)
	return ip.Unmap()
}

func (h *Handler) trusted(ip netip.Addr) bool {
	for _, p := range h.opt.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Problem types of this package that NGSI-LD does not define.
const (
	ErrTooManyRequests ngsild.ErrorType = "urn:dothi:problem:TooManyRequests"
	ErrTOTPRequired    ngsild.ErrorType = "urn:dothi:problem:TOTPRequired"
)

// problem builds a Problem of type t with the given status.
func problem(t ngsild.ErrorType, status int, detail string) *ngsild.Problem {
	return &ngsild.Problem{Type: t, Title: t.Title(), Status: status, Detail: detail}
}

// writeProblem answers with an RFC 7807 problem.
func writeProblem(w http.ResponseWriter, p *ngsild.Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// writeError answers err: its problem for a client error, a logged
// InternalError without detail otherwise.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var p *ngsild.Problem
	var inv *auth.InvalidError
	switch {
	case errors.As(err, &p):
	case errors.As(err, &inv):
		p = ngsild.Errorf(ngsild.ErrBadRequestData, "%s", inv.Msg)
	case errors.Is(err, auth.ErrNotFound):
		p = ngsild.Errorf(ngsild.ErrResourceNotFound, "not found")
	case errors.Is(err, auth.ErrExists):
		p = ngsild.Errorf(ngsild.ErrAlreadyExists, "already exists")
	default:
		h.opt.Log.ErrorContext(r.Context(), "auth request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		p = ngsild.Errorf(ngsild.ErrInternal, "internal error")
	}
	writeProblem(w, p)
}

// writeJSON answers with v as JSON, never cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// maxJSON bounds the request bodies of this package.
const maxJSON = 16 << 10

// decode reads a JSON body of at most maxJSON bytes into v.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return ngsild.Errorf(ngsild.ErrPayloadTooLarge, "body over %d bytes", maxJSON)
		}
		return ngsild.Errorf(ngsild.ErrInvalidRequest, "body is not the expected JSON object")
	}
	return nil
}

// Record appends an audit record for request r: the actor is the
// request's principal, the source its client IP. A failure to append is
// logged, not returned. Other handlers use it to audit access to personal
// data; details must never hold secrets.
func (h *Handler) Record(r *http.Request, action, resource, outcome string, details map[string]string) {
	if h.opt.Audit == nil {
		return
	}
	actor := "anonymous"
	if p := auth.FromContext(r.Context()); p != nil {
		actor = string(p.Kind) + ":" + p.Name
	}
	rec := audit.Record{Actor: actor, Action: action, Resource: clip(resource), SourceIP: h.ClientIP(r), Outcome: outcome, Details: details}
	if _, err := h.opt.Audit.Append(r.Context(), rec); err != nil {
		h.opt.Log.ErrorContext(r.Context(), "audit append failed", "action", action, "err", err)
	}
}

// clip bounds a client-chosen string before it is audited.
func clip(s string) string {
	const limit = 256
	if len(s) <= limit {
		return s
	}
	return strings.ToValidUTF8(s[:limit], "") + "…"
}

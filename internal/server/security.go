package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/dothi-city/dothi/internal/audit"
	"github.com/dothi-city/dothi/internal/auth"
	"github.com/dothi-city/dothi/internal/bus"
	"github.com/dothi-city/dothi/internal/httpapi"
	"github.com/dothi-city/dothi/internal/ngsild"
)

// securityHeaders sets the headers every answer carries: no MIME sniffing,
// no framing, no referrer to other sites, a Content-Security-Policy that
// fits the built web interface, and HSTS when serving HTTPS.
func securityHeaders(cfg Config, next http.Handler) http.Handler {
	csp := contentSecurityPolicy(cfg.UI.TileURL)
	hsts := cfg.TLS.Enabled()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Content-Security-Policy", csp)
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy allows the web interface's own scripts, styles,
// images and API calls, the inline styles its map and chart libraries set,
// and map tiles from the configured tile server.
func contentSecurityPolicy(tileURL string) string {
	img := "'self' data: blob:"
	if u, err := url.Parse(strings.NewReplacer("{", "", "}", "").Replace(tileURL)); tileURL != "" && err == nil && u.Host != "" {
		img += " " + u.Scheme + "://" + u.Host
		// Tile templates often name sub-domains as {s}.tile.example.
		if rest, ok := strings.CutPrefix(u.Host, "s."); ok {
			img += " " + u.Scheme + "://*." + rest
		}
	}
	return "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src " + img +
		"; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
}

// writeProblem answers with an RFC 7807 problem.
func writeProblem(w http.ResponseWriter, p *ngsild.Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// requireRole lets through principals with one of roles: 401 when
// anonymous, 403 otherwise.
func requireRole(next http.Handler, roles ...auth.Role) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.FromContext(r.Context())
		if p == nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="dothi"`)
			writeProblem(w, ngsild.Errorf(ngsild.ErrUnauthorized, "log in or send an API key"))
			return
		}
		if !slices.Contains(roles, p.Role) {
			writeProblem(w, ngsild.Errorf(ngsild.ErrForbidden, "only %v may use this", roles))
			return
		}
		next.ServeHTTP(w, r)
	})
}

type clientIPKey struct{}

// withClientIP keeps the client address of a request in its context, for
// the audit records written below the HTTP layer (the broker's reads).
func (s *Server) withClientIP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), clientIPKey{}, s.authHTTP.ClientIP(r))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// auditRead records that the principal of ctx read a restricted entity:
// the audit of every access to personal data.
func (s *Server) auditRead(ctx context.Context, tenant, id string) {
	actor := "anonymous"
	if p := auth.FromContext(ctx); p != nil {
		actor = string(p.Kind) + ":" + p.Name
	}
	ip, _ := ctx.Value(clientIPKey{}).(string)
	if ip == "" {
		ip = "local"
	}
	rec := audit.Record{Actor: actor, Action: "entity.read", Resource: id, SourceIP: ip,
		Outcome: audit.OutcomeSuccess, Details: map[string]string{"tenant": tenant}}
	if _, err := s.audit.Append(context.WithoutCancel(ctx), rec); err != nil {
		s.log.ErrorContext(ctx, "audit append failed", "action", rec.Action, "err", err)
	}
}

// stream serves GET /api/v1/stream with only the changes of entities the
// request's principal may read (as the entity is after the change, or was
// before a deletion). Streams end when the server shuts down.
func (s *Server) stream(changes bus.Bus) http.Handler {
	return httpapi.Stream(changes, httpapi.StreamOptions{
		Heartbeat: streamHeartbeat,
		Done:      s.shutdown,
		Visible: func(ctx context.Context, c *bus.Change) bool {
			e := c.Entity()
			return e != nil && auth.Allowed(auth.FromContext(ctx), auth.ActionRead, auth.EntityResource(c.Tenant, e))
		},
	})
}

// streamHeartbeat is how often an idle event stream sends a comment.
const streamHeartbeat = 15 * time.Second

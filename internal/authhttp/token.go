package authhttp

import (
	"errors"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/dothi-city/dothi/internal/audit"
	"github.com/dothi-city/dothi/internal/auth"
)

// TokenPath is the OAuth2 token endpoint (client credentials grant).
const TokenPath = "/api/v1/auth/token"

// tokenResponse is a successful token response (RFC 6749 §5.1).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
}

// oauthError is an error response (RFC 6749 §5.2).
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// writeOAuthError answers an RFC 6749 §5.2 error: 401 with a Basic
// challenge for invalid_client, 400 otherwise.
func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="dothi"`)
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, status, oauthError{Error: code, Description: desc})
}

// token handles POST /api/v1/auth/token: grant_type=client_credentials,
// the client authenticated by HTTP Basic (RFC 6749 §2.3.1, form-encoded
// id and secret) or by client_id and client_secret in the form, never both.
func (h *Handler) token(w http.ResponseWriter, r *http.Request) {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "send application/x-www-form-urlencoded")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxJSON)
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "malformed or oversized form")
		return
	}
	form := r.PostForm
	for _, k := range []string{"grant_type", "scope", "client_id", "client_secret"} {
		if len(form[k]) > 1 {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", k+" given more than once")
			return
		}
	}
	id, secret, basic := r.BasicAuth()
	if basic {
		if form.Has("client_secret") || (form.Has("client_id") && form.Get("client_id") != id) {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", "use one client authentication method")
			return
		}
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "malformed client credentials")
			return
		}
	} else {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	grant := form.Get("grant_type")
	switch {
	case grant == "":
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "grant_type is missing")
		return
	case grant != "client_credentials":
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "only client_credentials is supported")
		return
	}
	res, err := h.svc.IssueToken(r.Context(), auth.TokenRequest{ClientID: id, ClientSecret: secret,
		Scope: form.Get("scope"), ClientIP: h.ClientIP(r)})
	var th *auth.ThrottledError
	switch {
	case errors.As(err, &th):
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(th.RetryAfter.Seconds()))))
		h.Record(r, "auth.token", "client:"+id, audit.OutcomeDenied, map[string]string{"reason": "throttled"})
		writeOAuthError(w, http.StatusTooManyRequests, "invalid_client", "too many failed attempts; try again later")
		return
	case errors.Is(err, auth.ErrInvalidClient):
		h.Record(r, "auth.token", "client:"+id, audit.OutcomeDenied, map[string]string{"reason": "invalid_client"})
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "unknown, revoked or expired client, or wrong secret")
		return
	case errors.Is(err, auth.ErrInvalidScope):
		h.Record(r, "auth.token", "client:"+id, audit.OutcomeDenied, map[string]string{"reason": "invalid_scope"})
		writeOAuthError(w, http.StatusBadRequest, "invalid_scope", "the scope asks for more than the client may have (values: read, write, tenant:T, type:T)")
		return
	case err != nil:
		h.opt.Log.ErrorContext(r.Context(), "token request failed", "err", err)
		writeOAuthError(w, http.StatusInternalServerError, "server_error", "internal error")
		return
	}
	h.Record(r, "auth.token", "client:"+res.Client.ID, audit.OutcomeSuccess, map[string]string{"scope": res.Scope.String()})
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, tokenResponse{AccessToken: res.Token, TokenType: "Bearer",
		ExpiresIn: int64(math.Ceil(res.ExpiresAt.Sub(h.svc.Now()).Seconds())), Scope: res.Scope.String()})
}

func (h *Handler) listClients(w http.ResponseWriter, r *http.Request) {
	clients, err := h.svc.Clients(r.Context())
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, nonNil(clients))
}

type clientRequest struct {
	auth.NewClient
	// ExpiresInDays is the client's lifetime; 0 means it does not expire.
	ExpiresInDays int `json:"expiresInDays,omitempty"`
}

type createdClient struct {
	ClientID string `json:"client_id"`
	// ClientSecret is shown this once and never again.
	ClientSecret string      `json:"client_secret"`
	Record       auth.Client `json:"record"`
}

func (h *Handler) createClient(w http.ResponseWriter, r *http.Request) {
	var req clientRequest
	if err := decode(w, r, &req); err != nil {
		h.writeError(w, r, err)
		return
	}
	req.TTL = time.Duration(req.ExpiresInDays) * 24 * time.Hour
	req.CreatedBy = auth.FromContext(r.Context()).Name
	secret, c, err := h.svc.CreateClient(r.Context(), req.NewClient)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.Record(r, "client.create", "client:"+c.ID, audit.OutcomeSuccess, map[string]string{"name": c.Name, "role": string(c.Role), "tenant": c.Scope.Tenant})
	writeJSON(w, http.StatusCreated, createdClient{ClientID: c.ID, ClientSecret: secret, Record: c})
}

func (h *Handler) revokeClient(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := h.svc.RevokeClient(r.Context(), id); err != nil {
		h.writeError(w, r, err)
		return
	}
	h.Record(r, "client.revoke", "client:"+id, audit.OutcomeSuccess, nil)
	w.WriteHeader(http.StatusNoContent)
}

package authhttp

import (
	"net/http"
	"time"

	"github.com/dothi-city/dothi/internal/audit"
	"github.com/dothi-city/dothi/internal/auth"
	"github.com/dothi-city/dothi/internal/ngsild"
)

// registerAdmin adds the routes for agencies, users and API keys.
func (h *Handler) registerAdmin(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/agencies", RequireAuth(http.HandlerFunc(h.listAgencies)))
	mux.Handle("POST /api/v1/agencies", h.manage(h.createAgency))
	mux.Handle("GET /api/v1/users", h.manage(h.listUsers))
	mux.Handle("POST /api/v1/users", h.manage(h.createUser))
	mux.Handle("PATCH /api/v1/users/{id}", h.manage(h.patchUser))
	mux.Handle("GET /api/v1/keys", h.manage(h.listKeys))
	mux.Handle("POST /api/v1/keys", h.manage(h.createKey))
	mux.Handle("DELETE /api/v1/keys/{id}", h.manage(h.revokeKey))
	mux.Handle("GET /api/v1/clients", h.manage(h.listClients))
	mux.Handle("POST /api/v1/clients", h.manage(h.createClient))
	mux.Handle("DELETE /api/v1/clients/{id}", h.manage(h.revokeClient))
}

// manage lets only principals allowed ActionManage reach f; refusals are
// audited.
func (h *Handler) manage(f http.HandlerFunc) http.Handler {
	return RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !auth.Allowed(auth.FromContext(r.Context()), auth.ActionManage, auth.Resource{}) {
			h.Record(r, "admin."+r.Method, r.URL.Path, audit.OutcomeDenied, nil)
			writeProblem(w, ngsild.Errorf(ngsild.ErrForbidden, "administrators only"))
			return
		}
		f(w, r)
	}))
}

func (h *Handler) listAgencies(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, nonNil(h.svc.Tree().All()))
}

func (h *Handler) createAgency(w http.ResponseWriter, r *http.Request) {
	var a auth.Agency
	if err := decode(w, r, &a); err != nil {
		h.writeError(w, r, err)
		return
	}
	if err := h.svc.CreateAgency(r.Context(), a); err != nil {
		h.writeError(w, r, err)
		return
	}
	h.Record(r, "agency.create", "agency:"+a.ID, audit.OutcomeSuccess, map[string]string{"parent": a.ParentID, "kind": string(a.Kind)})
	writeJSON(w, http.StatusCreated, a)
}

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request) {
	users, err := h.svc.Users(r.Context())
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, nonNil(users))
}

type createdUser struct {
	User auth.User `json:"user"`
	// TOTPURI is shown once: the user scans it into an authenticator app.
	TOTPURI string `json:"totpUri,omitempty"`
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) {
	var nu auth.NewUser
	if err := decode(w, r, &nu); err != nil {
		h.writeError(w, r, err)
		return
	}
	u, uri, err := h.svc.CreateUser(r.Context(), nu)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.Record(r, "user.create", "user:"+u.ID, audit.OutcomeSuccess, map[string]string{"username": u.Username, "role": string(u.Role), "agency": u.Agency})
	writeJSON(w, http.StatusCreated, createdUser{User: u, TOTPURI: uri})
}

type userPatch struct {
	Disabled *bool   `json:"disabled,omitempty"`
	Password *string `json:"password,omitempty"`
}

func (h *Handler) patchUser(w http.ResponseWriter, r *http.Request) {
	var p userPatch
	if err := decode(w, r, &p); err != nil {
		h.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	details := map[string]string{}
	if p.Password != nil {
		if err := h.svc.SetPassword(r.Context(), id, *p.Password); err != nil {
			h.writeError(w, r, err)
			return
		}
		details["password"] = "changed"
	}
	if p.Disabled != nil {
		if err := h.svc.SetDisabled(r.Context(), id, *p.Disabled); err != nil {
			h.writeError(w, r, err)
			return
		}
		details["disabled"] = map[bool]string{true: "true", false: "false"}[*p.Disabled]
	}
	h.Record(r, "user.update", "user:"+id, audit.OutcomeSuccess, details)
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) listKeys(w http.ResponseWriter, r *http.Request) {
	keys, err := h.svc.Keys(r.Context())
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, nonNil(keys))
}

type keyRequest struct {
	auth.NewKey
	// ExpiresInDays is the key's lifetime; 0 means it does not expire.
	ExpiresInDays int `json:"expiresInDays,omitempty"`
}

type createdKey struct {
	// Key is the secret, shown this once and never again.
	Key    string      `json:"key"`
	Record auth.APIKey `json:"record"`
}

func (h *Handler) createKey(w http.ResponseWriter, r *http.Request) {
	var req keyRequest
	if err := decode(w, r, &req); err != nil {
		h.writeError(w, r, err)
		return
	}
	req.TTL = time.Duration(req.ExpiresInDays) * 24 * time.Hour
	req.CreatedBy = auth.FromContext(r.Context()).Name
	secret, k, err := h.svc.CreateKey(r.Context(), req.NewKey)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.Record(r, "key.create", "key:"+k.ID, audit.OutcomeSuccess, map[string]string{"name": k.Name, "role": string(k.Role), "tenant": k.Scope.Tenant})
	writeJSON(w, http.StatusCreated, createdKey{Key: secret, Record: k})
}

func (h *Handler) revokeKey(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := h.svc.RevokeKey(r.Context(), id); err != nil {
		h.writeError(w, r, err)
		return
	}
	h.Record(r, "key.revoke", "key:"+id, audit.OutcomeSuccess, nil)
	w.WriteHeader(http.StatusNoContent)
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

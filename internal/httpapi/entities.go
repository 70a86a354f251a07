package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
)

// EntityCreator creates entities.
type EntityCreator interface {
	CreateEntity(ctx context.Context, tenant string, e *ngsild.Entity) error
}

// EntityReader reads one entity.
type EntityReader interface {
	Entity(ctx context.Context, tenant, id string) (*ngsild.Entity, error)
}

// EntityReplacer replaces an entity.
type EntityReplacer interface {
	ReplaceEntity(ctx context.Context, tenant string, e *ngsild.Entity) error
}

// EntityMerger merges a fragment into an entity.
type EntityMerger interface {
	MergeEntity(ctx context.Context, tenant, id string, frag *ngsild.Entity) error
}

// EntityDeleter deletes an entity.
type EntityDeleter interface {
	DeleteEntity(ctx context.Context, tenant, id string) error
}

// Clock returns the current time; tests may fix it.
type Clock func() time.Time

// entityPath is the location of an entity in the API.
func entityPath(id string) string {
	return "/ngsi-ld/v1/entities/" + url.PathEscape(id)
}

// pathID returns the validated {entityId} of the request path.
func pathID(r *http.Request) (string, error) {
	id := r.PathValue("entityId")
	if err := ngsild.ValidateURI(id); err != nil {
		return "", badRequest("entity id %q: %v", id, err)
	}
	return id, nil
}

// CreateEntity handles POST /ngsi-ld/v1/entities.
func CreateEntity(c EntityCreator, cr ContextResolver, now Clock) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		e, err := readEntity(r, cr, now)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if err := c.CreateEntity(r.Context(), Tenant(r.Context()), e); err != nil {
			writeError(w, r, err)
			return
		}
		w.Header().Set("Location", entityPath(e.ID))
		w.WriteHeader(http.StatusCreated)
	}
}

// readEntity decodes and parses a whole entity from the request body.
func readEntity(r *http.Request, cr ContextResolver, now Clock) (*ngsild.Entity, error) {
	obj, err := decodeObject(r)
	if err != nil {
		return nil, err
	}
	bc := &bodyContexts{r: r, cr: cr}
	c, err := bc.of(obj)
	if err != nil {
		return nil, err
	}
	return ngsild.ParseEntity(obj, c.ExpandTerm, now())
}

// RetrieveEntity handles GET /ngsi-ld/v1/entities/{entityId}.
func RetrieveEntity(er EntityReader, cr ContextResolver) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		c, err := linkContext(r, cr)
		if err != nil {
			writeError(w, r, err)
			return
		}
		out, err := outputFor(r, c)
		if err != nil {
			writeError(w, r, err)
			return
		}
		e, err := er.Entity(r.Context(), Tenant(r.Context()), id)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if t := r.URL.Query().Get("type"); t != "" && !e.HasType(c.ExpandTerm(t)) {
			writeError(w, r, ngsild.Errorf(ngsild.ErrResourceNotFound, "entity %s has no type %s", id, t))
			return
		}
		out.writeEntity(w, e)
	}
}

// ReplaceEntity handles PUT /ngsi-ld/v1/entities/{entityId}.
func ReplaceEntity(er EntityReplacer, cr ContextResolver, now Clock) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		obj, err := decodeObject(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if bodyID, ok := obj["id"]; !ok {
			obj["id"] = id
		} else if bodyID != id {
			writeError(w, r, badRequest("the id in the body (%v) differs from the id in the path (%s)", bodyID, id))
			return
		}
		e, err := parseWithContext(r, cr, obj, now)
		if err == nil {
			err = er.ReplaceEntity(r.Context(), Tenant(r.Context()), e)
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func parseWithContext(r *http.Request, cr ContextResolver, obj map[string]any, now Clock) (*ngsild.Entity, error) {
	bc := &bodyContexts{r: r, cr: cr}
	c, err := bc.of(obj)
	if err != nil {
		return nil, err
	}
	return ngsild.ParseEntity(obj, c.ExpandTerm, now())
}

// MergeEntity handles PATCH /ngsi-ld/v1/entities/{entityId}.
func MergeEntity(em EntityMerger, cr ContextResolver, now Clock) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		frag, _, err := readFragmentContext(r, cr, now, id, "merge")
		if err == nil {
			err = em.MergeEntity(r.Context(), Tenant(r.Context()), id, frag)
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// DeleteEntity handles DELETE /ngsi-ld/v1/entities/{entityId}.
func DeleteEntity(ed EntityDeleter) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r)
		if err == nil {
			err = ed.DeleteEntity(r.Context(), Tenant(r.Context()), id)
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

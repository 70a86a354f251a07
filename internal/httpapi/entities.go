package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/dothi-city/dothi/internal/jsonld"
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
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		e, err := readEntity(r, cr, now)
		if err != nil {
			return err
		}
		if err := c.CreateEntity(r.Context(), Tenant(r.Context()), e); err != nil {
			return err
		}
		w.Header().Set("Location", entityPath(e.ID))
		w.WriteHeader(http.StatusCreated)
		return nil
	})
}

// readEntity decodes and parses a whole entity from the request body.
func readEntity(r *http.Request, cr ContextResolver, now Clock) (*ngsild.Entity, error) {
	obj, err := decodeObject(r)
	if err != nil {
		return nil, err
	}
	return parseWithContext(r, cr, obj, now)
}

// entityOutput is outputFor without extra options, for contextOutput and
// retrieveTarget.
func entityOutput(r *http.Request, c *jsonld.Context) (output, error) {
	return outputFor(r, c)
}

// RetrieveEntity handles GET /ngsi-ld/v1/entities/{entityId}.
func RetrieveEntity(er EntityReader, cr ContextResolver) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		id, c, out, err := retrieveTarget(r, cr, entityOutput)
		if err != nil {
			return err
		}
		e, err := er.Entity(r.Context(), Tenant(r.Context()), id)
		if err != nil {
			return err
		}
		if t := r.URL.Query().Get("type"); t != "" && !e.HasType(c.ExpandTerm(t)) {
			return ngsild.Errorf(ngsild.ErrResourceNotFound, "entity %s has no type %s", id, t)
		}
		out.writeEntity(w, e)
		return nil
	})
}

// ReplaceEntity handles PUT /ngsi-ld/v1/entities/{entityId}.
func ReplaceEntity(er EntityReplacer, cr ContextResolver, now Clock) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		obj, err := decodeObject(r)
		if err != nil {
			return err
		}
		if bodyID, ok := obj["id"]; !ok {
			obj["id"] = id
		} else if bodyID != id {
			return badRequest("the id in the body (%v) differs from the id in the path (%s)", bodyID, id)
		}
		e, err := parseWithContext(r, cr, obj, now)
		if err != nil {
			return err
		}
		if err := er.ReplaceEntity(r.Context(), Tenant(r.Context()), e); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// parseWithContext parses the entity obj with the context of its body
// (or of the Link header).
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
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		frag, _, err := readFragmentContext(r, cr, now, id, "merge")
		if err != nil {
			return err
		}
		if err := em.MergeEntity(r.Context(), Tenant(r.Context()), id, frag); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// DeleteEntity handles DELETE /ngsi-ld/v1/entities/{entityId}.
func DeleteEntity(ed EntityDeleter) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		if err := ed.DeleteEntity(r.Context(), Tenant(r.Context()), id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/dothi-city/dothi/internal/jsonld"
	"github.com/dothi-city/dothi/internal/ngsild"
)

// AttrAppender appends attributes to an entity.
type AttrAppender interface {
	AppendAttrs(ctx context.Context, tenant, id string, frag *ngsild.Entity, noOverwrite bool) (ngsild.UpdateResult, error)
}

// AttrUpdater updates existing attributes of an entity.
type AttrUpdater interface {
	UpdateAttrs(ctx context.Context, tenant, id string, frag *ngsild.Entity) (ngsild.UpdateResult, error)
}

// AttrPatcher partially updates one attribute.
type AttrPatcher interface {
	PartialUpdateAttr(ctx context.Context, tenant, id, attr string, frag *ngsild.Entity) error
}

// AttrReplacer replaces one attribute.
type AttrReplacer interface {
	ReplaceAttr(ctx context.Context, tenant, id, attr string, frag *ngsild.Entity) error
}

// AttrDeleter deletes one attribute.
type AttrDeleter interface {
	DeleteAttr(ctx context.Context, tenant, id, attr, datasetID string, deleteAll bool) error
}

// AppendAttrs handles POST /ngsi-ld/v1/entities/{entityId}/attrs.
func AppendAttrs(a AttrAppender, cr ContextResolver, now Clock) http.HandlerFunc {
	return attrsHandler(cr, now, "append", []string{"noOverwrite"}, func(r *http.Request, id string, frag *ngsild.Entity, opts map[string]bool) (ngsild.UpdateResult, error) {
		return a.AppendAttrs(r.Context(), Tenant(r.Context()), id, frag, opts["noOverwrite"])
	})
}

// UpdateAttrs handles PATCH /ngsi-ld/v1/entities/{entityId}/attrs.
func UpdateAttrs(u AttrUpdater, cr ContextResolver, now Clock) http.HandlerFunc {
	return attrsHandler(cr, now, "update", nil, func(r *http.Request, id string, frag *ngsild.Entity, _ map[string]bool) (ngsild.UpdateResult, error) {
		return u.UpdateAttrs(r.Context(), Tenant(r.Context()), id, frag)
	})
}

type attrsFunc func(r *http.Request, id string, frag *ngsild.Entity, opts map[string]bool) (ngsild.UpdateResult, error)

// attrsHandler answers 204 when every attribute was applied, else 207 with
// the update result.
func attrsHandler(cr ContextResolver, now Clock, verb string, allowed []string, fn attrsFunc) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		opts, err := options(r, allowed...)
		if err != nil {
			return err
		}
		frag, c, err := readFragmentContext(r, cr, now, id, verb)
		if err != nil {
			return err
		}
		res, err := fn(r, id, frag, opts)
		if err != nil {
			return err
		}
		if len(res.NotUpdated) == 0 {
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		writeJSON(w, http.StatusMultiStatus, updateResultJSON(res, c))
		return nil
	})
}

// readFragmentContext reads the attributes of entity id from the body,
// with the context they use, for the operation verb (append, update or
// merge). A body id other than id is an error, and so is a body with
// nothing to apply: no attributes (nor types, except for update, which
// ignores them).
func readFragmentContext(r *http.Request, cr ContextResolver, now Clock, id, verb string) (*ngsild.Entity, *jsonld.Context, error) {
	obj, err := decodeObject(r)
	if err != nil {
		return nil, nil, err
	}
	if bodyID, ok := obj["id"]; ok && bodyID != id {
		return nil, nil, badRequest("the id in the body (%v) differs from the id in the path (%s)", bodyID, id)
	}
	c, err := (&bodyContexts{r: r, cr: cr}).of(obj)
	if err != nil {
		return nil, nil, err
	}
	frag, err := ngsild.ParseFragment(obj, c.ExpandTerm, now())
	if err != nil {
		return nil, nil, err
	}
	if len(frag.Attrs) == 0 && (verb == "update" || len(frag.Types) == 0) {
		return nil, nil, badRequest("no attributes to %s: the body has none", verb)
	}
	return frag, c, nil
}

// updateResultJSON renders an UpdateResult with compacted names.
func updateResultJSON(res ngsild.UpdateResult, c *jsonld.Context) []byte {
	type notUpdated struct {
		AttributeName string `json:"attributeName"`
		Reason        string `json:"reason"`
	}
	body := struct {
		Updated    []string     `json:"updated"`
		NotUpdated []notUpdated `json:"notUpdated"`
	}{Updated: []string{}, NotUpdated: []notUpdated{}}
	for _, n := range res.Updated {
		body.Updated = append(body.Updated, c.CompactIRI(n))
	}
	for _, n := range res.NotUpdated {
		body.NotUpdated = append(body.NotUpdated, notUpdated{c.CompactIRI(n.Name), n.Reason})
	}
	out, _ := json.Marshal(body)
	return out
}

// PartialUpdateAttr handles PATCH /ngsi-ld/v1/entities/{entityId}/attrs/{attrId}.
func PartialUpdateAttr(p AttrPatcher, cr ContextResolver, now Clock) http.HandlerFunc {
	return attrHandler(cr, now, p.PartialUpdateAttr)
}

// ReplaceAttr handles PUT /ngsi-ld/v1/entities/{entityId}/attrs/{attrId}.
func ReplaceAttr(p AttrReplacer, cr ContextResolver, now Clock) http.HandlerFunc {
	return attrHandler(cr, now, p.ReplaceAttr)
}

type attrFunc func(ctx context.Context, tenant, id, attr string, frag *ngsild.Entity) error

// attrHandler wraps the body of a single-attribute operation into a
// fragment named after the path's attribute.
func attrHandler(cr ContextResolver, now Clock, fn attrFunc) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		id, obj, c, err := pathIDBody(r, cr)
		if err != nil {
			return err
		}
		term := r.PathValue("attrId")
		frag, err := ngsild.ParseFragment(map[string]any{term: obj}, c.ExpandTerm, now())
		if err != nil {
			return err
		}
		if err := fn(r.Context(), Tenant(r.Context()), id, c.ExpandTerm(term), frag); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// pathIDBody is the prologue of the handlers that change one attribute:
// the validated {entityId} of the path, then the body and its context, as
// in bodyWithContext.
func pathIDBody(r *http.Request, cr ContextResolver) (string, map[string]any, *jsonld.Context, error) {
	id, err := pathID(r)
	if err != nil {
		return "", nil, nil, err
	}
	obj, c, err := bodyWithContext(r, cr)
	if err != nil {
		return "", nil, nil, err
	}
	return id, obj, c, nil
}

// bodyWithContext decodes the JSON object of the request body and
// resolves the context it uses (its @context, or the Link header).
func bodyWithContext(r *http.Request, cr ContextResolver) (map[string]any, *jsonld.Context, error) {
	obj, err := decodeObject(r)
	if err != nil {
		return nil, nil, err
	}
	c, err := (&bodyContexts{r: r, cr: cr}).of(obj)
	if err != nil {
		return nil, nil, err
	}
	return obj, c, nil
}

// DeleteAttr handles DELETE /ngsi-ld/v1/entities/{entityId}/attrs/{attrId}.
func DeleteAttr(d AttrDeleter, cr ContextResolver) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		c, err := linkContext(r, cr)
		if err != nil {
			return err
		}
		q := r.URL.Query()
		if ds := q.Get("datasetId"); ds != "" {
			if err := ngsild.ValidateURI(ds); err != nil {
				return badRequest("datasetId %q: %v", ds, err)
			}
		}
		deleteAll := false
		if s := q.Get("deleteAll"); s != "" {
			if deleteAll, err = strconv.ParseBool(s); err != nil {
				return badRequest("deleteAll must be true or false, not %q", s)
			}
		}
		attr := c.ExpandTerm(r.PathValue("attrId"))
		if err := d.DeleteAttr(r.Context(), Tenant(r.Context()), id, attr, q.Get("datasetId"), deleteAll); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

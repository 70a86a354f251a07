package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/dothi-city/dothi/internal/ngsild"
)

// BatchWriter applies batch entity operations; errs[i] is the outcome of
// item i.
type BatchWriter interface {
	BatchCreate(ctx context.Context, tenant string, entities []*ngsild.Entity) ([]error, error)
	BatchUpsert(ctx context.Context, tenant string, entities []*ngsild.Entity, replace bool) (created []bool, errs []error, err error)
	BatchUpdate(ctx context.Context, tenant string, entities []*ngsild.Entity, noOverwrite bool) ([]error, error)
	BatchDelete(ctx context.Context, tenant string, ids []string) ([]error, error)
}

// batchResult is the NGSI-LD BatchOperationResult.
type batchResult struct {
	Success []string     `json:"success"`
	Errors  []batchError `json:"errors"`
}

type batchError struct {
	EntityID string          `json:"entityId"`
	Error    *ngsild.Problem `json:"error"`
}

func (b *batchResult) add(id string, err error) {
	if err != nil {
		b.Errors = append(b.Errors, batchError{EntityID: id, Error: ngsild.AsProblem(err)})
		return
	}
	b.Success = append(b.Success, id)
}

// batchItems is a parsed batch body: entities that parsed, and the result
// entries of those that did not.
type batchItems struct {
	entities []*ngsild.Entity
	result   batchResult
}

// readBatch parses a batch body of entities, at most max of them.
func readBatch(r *http.Request, cr ContextResolver, now Clock, max int) (*batchItems, error) {
	list, err := batchArray(r, max)
	if err != nil {
		return nil, err
	}
	items := &batchItems{result: batchResult{Success: []string{}, Errors: []batchError{}}}
	bc := &bodyContexts{r: r, cr: cr}
	for i, v := range list {
		obj, ok := v.(map[string]any)
		if !ok {
			items.result.add("", badRequest("item %d of the batch is not a JSON object", i))
			continue
		}
		id, _ := obj["id"].(string)
		c, err := bc.of(obj)
		if err != nil {
			items.result.add(id, err)
			continue
		}
		e, err := ngsild.ParseEntity(obj, c.ExpandTerm, now())
		if err != nil {
			items.result.add(id, err)
			continue
		}
		items.entities = append(items.entities, e)
	}
	return items, nil
}

func batchArray(r *http.Request, max int) ([]any, error) {
	v, err := decodeBody(r)
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	switch {
	case !ok:
		return nil, ngsild.Errorf(ngsild.ErrInvalidRequest, "a batch body must be a JSON array")
	case len(list) == 0:
		return nil, badRequest("the batch is empty")
	case len(list) > max:
		return nil, ngsild.Errorf(ngsild.ErrTooManyResults, "the batch has %d items, over the limit of %d", len(list), max)
	}
	return list, nil
}

// collect adds the outcomes of the applied entities to the result.
func (b *batchItems) collect(errs []error) {
	for i, e := range b.entities {
		b.result.add(e.ID, errs[i])
	}
}

// write answers 207 with the result if anything failed; otherwise it calls ok.
func (b *batchItems) write(w http.ResponseWriter, ok func()) {
	if len(b.result.Errors) > 0 {
		body, _ := json.Marshal(b.result)
		writeJSON(w, http.StatusMultiStatus, body)
		return
	}
	ok()
}

// BatchCreate handles POST /ngsi-ld/v1/entityOperations/create.
func BatchCreate(bw BatchWriter, cr ContextResolver, now Clock, max int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		items, err := readBatch(r, cr, now, max)
		if err != nil {
			writeError(w, r, err)
			return
		}
		errs, err := bw.BatchCreate(r.Context(), Tenant(r.Context()), items.entities)
		if err != nil {
			writeError(w, r, err)
			return
		}
		items.collect(errs)
		items.write(w, func() {
			body, _ := json.Marshal(items.result.Success)
			writeJSON(w, http.StatusCreated, body)
		})
	}
}

// BatchUpsert handles POST /ngsi-ld/v1/entityOperations/upsert.
func BatchUpsert(bw BatchWriter, cr ContextResolver, now Clock, max int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		opts, err := options(r, "replace", "update")
		if err != nil {
			writeError(w, r, err)
			return
		}
		items, err := readBatch(r, cr, now, max)
		if err != nil {
			writeError(w, r, err)
			return
		}
		created, errs, err := bw.BatchUpsert(r.Context(), Tenant(r.Context()), items.entities, !opts["update"])
		if err != nil {
			writeError(w, r, err)
			return
		}
		items.collect(errs)
		items.write(w, func() {
			var ids []string
			for i, e := range items.entities {
				if created[i] {
					ids = append(ids, e.ID)
				}
			}
			if len(ids) == 0 {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			body, _ := json.Marshal(ids)
			writeJSON(w, http.StatusCreated, body)
		})
	}
}

// BatchUpdate handles POST /ngsi-ld/v1/entityOperations/update.
func BatchUpdate(bw BatchWriter, cr ContextResolver, now Clock, max int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		opts, err := options(r, "noOverwrite")
		if err != nil {
			writeError(w, r, err)
			return
		}
		items, err := readBatch(r, cr, now, max)
		if err != nil {
			writeError(w, r, err)
			return
		}
		errs, err := bw.BatchUpdate(r.Context(), Tenant(r.Context()), items.entities, opts["noOverwrite"])
		if err != nil {
			writeError(w, r, err)
			return
		}
		items.collect(errs)
		items.write(w, func() { w.WriteHeader(http.StatusNoContent) })
	}
}

// BatchDelete handles POST /ngsi-ld/v1/entityOperations/delete.
func BatchDelete(bw BatchWriter, max int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		list, err := batchArray(r, max)
		if err != nil {
			writeError(w, r, err)
			return
		}
		items := &batchItems{result: batchResult{Success: []string{}, Errors: []batchError{}}}
		var ids []string
		for i, v := range list {
			id, ok := v.(string)
			if !ok {
				items.result.add("", badRequest("item %d of the batch is not an entity id string", i))
				continue
			}
			if err := ngsild.ValidateURI(id); err != nil {
				items.result.add(id, badRequest("entity id %q: %v", id, err))
				continue
			}
			ids = append(ids, id)
		}
		errs, err := bw.BatchDelete(r.Context(), Tenant(r.Context()), ids)
		if err != nil {
			writeError(w, r, err)
			return
		}
		for i, id := range ids {
			items.result.add(id, errs[i])
		}
		items.write(w, func() { w.WriteHeader(http.StatusNoContent) })
	}
}

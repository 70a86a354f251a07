package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/dothi-city/dothi/internal/jsonld"
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
	// created[i] tells whether entities[i] was created (upsert only).
	created []bool
}

// batchOp applies parsed entities to the broker, in order; created may be
// nil for operations that do not create.
type batchOp func(ctx context.Context, entities []*ngsild.Entity) (created []bool, errs []error, err error)

// parseFromText enables parsing batch items straight from their text
// (tests turn it off to compare with the decoded path).
var parseFromText = true

// applyBatch parses a batch body of entities (at most max) and applies
// them with op in one call.
//
// Parsing overlapped with writing (the store writing a first chunk while
// the rest is parsed) was tried and measured: parsing is about a tenth of
// the time of a batch, and each extra store write costs a commit, so it
// was slower with both the old and the new store.
func applyBatch(r *http.Request, cr ContextResolver, now Clock, max int, op batchOp) (*batchItems, error) {
	if err := checkContentType(r); err != nil {
		return nil, err
	}
	buf := getBodyBuffer()
	defer putBodyBuffer(buf)
	data, readErr := readBody(r, buf)
	if err := checkUTF8(data, readErr); err != nil {
		return nil, err
	}
	var texts [][]byte
	if readErr == nil && parseFromText {
		texts, _ = ngsild.SplitJSONArray(data)
	}
	p := newBatchParser(r, cr, now, len(texts))
	if n := len(texts); n > 0 && n <= max {
		for i, text := range texts {
			p.parseText(i, text)
		}
	} else {
		// Not a valid non-empty array within the limit (or text parsing
		// is off): decode it whole, for the answer that goes with it.
		v, err := decodeData(data, readErr)
		list, err := batchList(v, err, max)
		if err != nil {
			return nil, err
		}
		for i, v := range list {
			p.parse(i, v)
			list[i] = nil // let the decoded item go once parsed
		}
	}
	created, errs, err := op(r.Context(), p.items.entities)
	if err != nil {
		return nil, err
	}
	p.items.created = created
	p.items.collect(errs)
	return p.items, nil
}

// parseText parses item i of the batch from its JSON text: directly in
// the common case, else decoded and parsed as parse does.
func (p *batchParser) parseText(i int, text []byte) {
	if c := p.bc.jsonLinkContext(); c != nil {
		if e, ok := ngsild.ParseEntityJSON(text, p.expander(c), p.now()); ok {
			p.items.entities = append(p.items.entities, e)
			return
		}
	}
	v, err := decodeData(text, nil)
	if err != nil {
		// Cannot happen: SplitJSONArray checked the text.
		p.items.result.add("", err)
		return
	}
	p.parse(i, v)
}

func batchArray(r *http.Request, max int) ([]any, error) {
	v, err := decodeBody(r)
	return batchList(v, err, max)
}

// batchList checks a decoded batch body (v, or the error decoding it) and
// returns its items, at most max.
func batchList(v any, err error, max int) ([]any, error) {
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

// batchParser parses the items of a batch body.
type batchParser struct {
	items *batchItems
	bc    *bodyContexts
	now   Clock
	memo  map[*jsonld.Context]*expandMemo
}

func newBatchParser(r *http.Request, cr ContextResolver, now Clock, n int) *batchParser {
	return &batchParser{
		items: &batchItems{
			entities: make([]*ngsild.Entity, 0, n),
			result:   batchResult{Success: []string{}, Errors: []batchError{}},
		},
		bc:   &bodyContexts{r: r, cr: cr},
		now:  now,
		memo: map[*jsonld.Context]*expandMemo{},
	}
}

// parse parses decoded item i of the batch, adding the entity or the
// error to the items.
func (p *batchParser) parse(i int, v any) {
	obj, ok := v.(map[string]any)
	if !ok {
		p.items.result.add("", badRequest("item %d of the batch is not a JSON object", i))
		return
	}
	id, _ := obj["id"].(string)
	c, err := p.bc.of(obj)
	if err != nil {
		p.items.result.add(id, err)
		return
	}
	e, err := ngsild.ParseEntity(obj, p.expander(c), p.now())
	if err != nil {
		p.items.result.add(id, err)
		return
	}
	p.items.entities = append(p.items.entities, e)
}

// expandMemo remembers the expansions of one context within a request:
// the items of a batch use the same few terms again and again.
type expandMemo struct {
	c      *jsonld.Context
	m      map[string]string
	expand func(string) string
}

// maxMemo bounds the terms remembered per context and request.
const maxMemo = 1024

func (p *batchParser) expander(c *jsonld.Context) func(string) string {
	x := p.memo[c]
	if x == nil {
		x = &expandMemo{c: c, m: make(map[string]string, 16)}
		x.expand = func(term string) string {
			if iri, ok := x.m[term]; ok {
				return iri
			}
			iri := x.c.ExpandTerm(term)
			if len(x.m) < maxMemo {
				x.m[term] = iri
			}
			return iri
		}
		p.memo[c] = x
	}
	return x.expand
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
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		tenant := Tenant(r.Context())
		items, err := applyBatch(r, cr, now, max, func(ctx context.Context, entities []*ngsild.Entity) ([]bool, []error, error) {
			errs, err := bw.BatchCreate(ctx, tenant, entities)
			return nil, errs, err
		})
		if err != nil {
			return err
		}
		items.write(w, func() {
			body, _ := json.Marshal(items.result.Success)
			writeJSON(w, http.StatusCreated, body)
		})
		return nil
	})
}

// BatchUpsert handles POST /ngsi-ld/v1/entityOperations/upsert.
func BatchUpsert(bw BatchWriter, cr ContextResolver, now Clock, max int) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		opts, err := options(r, "replace", "update")
		if err != nil {
			return err
		}
		tenant, replace := Tenant(r.Context()), !opts["update"]
		items, err := applyBatch(r, cr, now, max, func(ctx context.Context, entities []*ngsild.Entity) ([]bool, []error, error) {
			return bw.BatchUpsert(ctx, tenant, entities, replace)
		})
		if err != nil {
			return err
		}
		items.write(w, func() {
			var ids []string
			for i, e := range items.entities {
				if items.created[i] {
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
		return nil
	})
}

// BatchUpdate handles POST /ngsi-ld/v1/entityOperations/update.
func BatchUpdate(bw BatchWriter, cr ContextResolver, now Clock, max int) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		opts, err := options(r, "noOverwrite")
		if err != nil {
			return err
		}
		tenant, noOverwrite := Tenant(r.Context()), opts["noOverwrite"]
		items, err := applyBatch(r, cr, now, max, func(ctx context.Context, entities []*ngsild.Entity) ([]bool, []error, error) {
			errs, err := bw.BatchUpdate(ctx, tenant, entities, noOverwrite)
			return nil, errs, err
		})
		if err != nil {
			return err
		}
		items.write(w, func() { w.WriteHeader(http.StatusNoContent) })
		return nil
	})
}

// BatchDelete handles POST /ngsi-ld/v1/entityOperations/delete.
func BatchDelete(bw BatchWriter, max int) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		list, err := batchArray(r, max)
		if err != nil {
			return err
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
			return err
		}
		for i, id := range ids {
			items.result.add(id, errs[i])
		}
		items.write(w, func() { w.WriteHeader(http.StatusNoContent) })
		return nil
	})
}

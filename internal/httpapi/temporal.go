package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"time"

	"github.com/dothi-city/dothi/internal/geo"
	"github.com/dothi-city/dothi/internal/jsonld"
	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/ngsild/qlang"
	"github.com/dothi-city/dothi/internal/store"
	"github.com/dothi-city/dothi/internal/temporal"
)

// TemporalReader answers temporal queries.
type TemporalReader interface {
	TemporalQuery(ctx context.Context, tenant string, q *store.TemporalQuery) ([]*store.TemporalEntity, error)
	TemporalAggregate(ctx context.Context, tenant string, q *store.TemporalQuery, a *store.Aggregation) ([]*store.AggregatedEntity, error)
}

// TemporalWriter changes temporal entities.
type TemporalWriter interface {
	AddTemporal(ctx context.Context, tenant string, e *store.TemporalEntity) (bool, error)
	ModifyInstance(ctx context.Context, tenant, entityID, attr, instanceID string, a *ngsild.Attribute) error
	DeleteInstance(ctx context.Context, tenant, entityID, attr, instanceID string) error
	DeleteTemporalAttr(ctx context.Context, tenant, entityID, attr, datasetID string, all bool) error
	DeleteTemporalEntity(ctx context.Context, tenant, entityID string) error
}

// TemporalService is what the temporal API needs: the temporal store and,
// for q and geo-queries (which select on the entities' current state),
// the entity query.
type TemporalService interface {
	TemporalReader
	TemporalWriter
	EntityQuerier
}

// maxTemporalCandidates bounds the entities a q or geo-query of the
// temporal API selects.
const maxTemporalCandidates = 10000

// RegisterTemporal adds the NGSI-LD temporal API under
// /ngsi-ld/v1/temporal/entities to mux (ETSI GS CIM 009 6.18–6.22).
func RegisterTemporal(mux *http.ServeMux, ts TemporalService, cr ContextResolver, o Options) {
	if o.Now == nil {
		o.Now = func() time.Time { return time.Now().UTC() }
	}
	const base = "/ngsi-ld/v1/temporal/entities"
	routes := map[string]http.Handler{
		"GET " + base:                                            QueryTemporal(ts, cr, o.Limits),
		"POST " + base:                                           CreateTemporal(ts, cr, o.Now),
		"GET " + base + "/{entityId}":                            RetrieveTemporal(ts, cr),
		"DELETE " + base + "/{entityId}":                         DeleteTemporal(ts),
		"POST " + base + "/{entityId}/attrs":                     AddTemporalAttrs(ts, cr, o.Now),
		"DELETE " + base + "/{entityId}/attrs/{attrId}":          DeleteTemporalAttr(ts, cr),
		"PATCH " + base + "/{entityId}/attrs/{attrId}/{instId}":  ModifyTemporalInstance(ts, cr, o.Now),
		"DELETE " + base + "/{entityId}/attrs/{attrId}/{instId}": DeleteTemporalInstance(ts, cr),
	}
	registerRoutes(mux, routes)
}

// temporalOutput says how to represent temporal entities.
type temporalOutput struct {
	media    string
	context  *jsonld.Context
	values   bool // options=temporalValues (simplified)
	aggr     *store.Aggregation
	sysAttrs bool
}

func temporalOutputFor(r *http.Request, c *jsonld.Context) (*temporalOutput, error) {
	opts, err := options(r, "temporalValues", "aggregatedValues", "sysAttrs", "normalized")
	if err != nil {
		return nil, err
	}
	out := &temporalOutput{context: c, values: opts["temporalValues"], sysAttrs: opts["sysAttrs"]}
	switch f := r.URL.Query().Get("format"); f {
	case "":
	case "temporalValues", "simplified", "keyValues":
		out.values = true
	case "aggregatedValues":
		opts["aggregatedValues"] = true
	case "normalized":
	default:
		return nil, badRequest("format must be normalized, temporalValues or aggregatedValues, not %q", f)
	}
	if opts["aggregatedValues"] {
		if out.values {
			return nil, badRequest("temporalValues and aggregatedValues exclude each other")
		}
		if out.aggr, err = temporal.ParseAggregation(r.URL.Query()); err != nil {
			return nil, err
		}
	} else if r.URL.Query().Has("aggrMethods") || r.URL.Query().Has("aggrPeriodDuration") {
		return nil, badRequest("aggrMethods and aggrPeriodDuration need options=aggregatedValues")
	}
	if out.media, err = negotiate(r.Header.Get("Accept")); err != nil {
		return nil, err
	}
	if out.media == mediaGeoJSON {
		return nil, ngsild.Errorf(ngsild.ErrNotAcceptable, "the temporal API answers application/json or application/ld+json")
	}
	return out, nil
}

// temporalQueryOf reads the temporal parameters of a request into q.
func temporalQueryOf(r *http.Request, q *store.TemporalQuery) error {
	p, err := temporal.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	q.TimeRel, q.TimeAt, q.EndTimeAt, q.TimeProperty, q.LastN = p.TimeRel, p.TimeAt, p.EndTimeAt, p.TimeProperty, p.LastN
	return nil
}

// QueryTemporal handles GET /ngsi-ld/v1/temporal/entities.
func QueryTemporal(ts TemporalService, cr ContextResolver, lim QueryLimits) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		c, out, err := contextOutput(r, cr, temporalOutputFor)
		if err != nil {
			return err
		}
		q, ok, err := parseTemporalQuery(r, c, ts, lim)
		if err != nil {
			return err
		}
		if !ok {
			out.write(w, nil)
			return nil
		}
		list, err := out.results(r, ts, q)
		if err != nil {
			return err
		}
		out.write(w, list)
		return nil
	})
}

// parseTemporalQuery reads the selection of Query Temporal Evolution of
// Entities. q and geo-queries select among the current entities; ok is
// false when they select none.
func parseTemporalQuery(r *http.Request, c *jsonld.Context, eq EntityQuerier, lim QueryLimits) (q *store.TemporalQuery, ok bool, err error) {
	p := r.URL.Query()
	q = &store.TemporalQuery{}
	if q.Limit, q.Offset, _, err = page(r, lim); err != nil {
		return nil, false, err
	}
	if q.Limit == 0 {
		return nil, false, badRequest("limit must be positive")
	}
	if err := temporalQueryOf(r, q); err != nil {
		return nil, false, err
	}
	for _, id := range splitList(p.Get("id")) {
		if err := ngsild.ValidateURI(id); err != nil {
			return nil, false, badRequest("id %q: %v", id, err)
		}
		q.IDs = append(q.IDs, id)
	}
	if s := p.Get("idPattern"); s != "" {
		if q.IDPattern, err = regexp.Compile(s); err != nil {
			return nil, false, badRequest("idPattern is not a valid regular expression: %v", err)
		}
	}
	if s := p.Get("type"); s != "" {
		if q.Types, err = qlang.ParseTypes(s, c.ExpandTerm); err != nil {
			return nil, false, err
		}
	}
	for _, a := range splitList(p.Get("attrs")) {
		q.Attrs = append(q.Attrs, c.ExpandTerm(a))
	}
	var expr qlang.Expr
	var gq *geo.Query
	if s := p.Get("q"); s != "" {
		if expr, err = qlang.Parse(s, c.ExpandTerm); err != nil {
			return nil, false, err
		}
	}
	if p.Has("georel") || p.Has("geometry") || p.Has("coordinates") {
		if gq, err = geo.ParseQuery(p.Get("georel"), p.Get("geometry"), p.Get("coordinates"), p.Get("geoproperty"), c.ExpandTerm); err != nil {
			return nil, false, badRequest("%v", err)
		}
	}
	if q.IDs == nil && q.IDPattern == nil && q.Types == nil && q.Attrs == nil && expr == nil && gq == nil && p.Get("local") != "true" {
		return nil, false, badRequest("a temporal query needs at least one of type, id, idPattern, attrs, q or a geo-query")
	}
	if expr == nil && gq == nil {
		return q, true, nil
	}
	res, err := eq.Query(r.Context(), Tenant(r.Context()), &store.Query{IDs: q.IDs, IDPattern: q.IDPattern, Types: q.Types,
		Q: expr, Geo: gq, Limit: maxTemporalCandidates})
	if err != nil {
		return nil, false, err
	}
	q.IDs = q.IDs[:0]
	for _, e := range res.Entities {
		q.IDs = append(q.IDs, e.ID)
	}
	return q, len(q.IDs) > 0, nil
}

// results runs q and renders the entities.
func (o *temporalOutput) results(r *http.Request, ts TemporalReader, q *store.TemporalQuery) ([]map[string]any, error) {
	tenant := Tenant(r.Context())
	if o.aggr != nil {
		res, err := ts.TemporalAggregate(r.Context(), tenant, q, o.aggr)
		if err != nil {
			return nil, err
		}
		list := make([]map[string]any, len(res))
		for i, e := range res {
			list[i] = o.aggregated(e)
		}
		return list, nil
	}
	res, err := ts.TemporalQuery(r.Context(), tenant, q)
	if err != nil {
		return nil, err
	}
	list := make([]map[string]any, len(res))
	for i, e := range res {
		list[i] = o.entity(e)
	}
	return list, nil
}

// write answers with a list of entities.
func (o *temporalOutput) write(w http.ResponseWriter, list []map[string]any) {
	if list == nil {
		list = []map[string]any{}
	}
	if o.media == mediaLD {
		for _, m := range list {
			m["@context"] = o.context.Ref()
		}
	}
	data, err := json.Marshal(list)
	if err != nil {
		writeProblem(w, ngsild.Errorf(ngsild.ErrInternal, "render: %v", err))
		return
	}
	o.writeRaw(w, data)
}

func (o *temporalOutput) writeRaw(w http.ResponseWriter, data []byte) {
	w.Header().Set("Content-Type", o.media)
	if o.media != mediaLD {
		if url, ok := o.context.Ref().(string); ok {
			w.Header().Set("Link", linkHeader(url))
		}
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}

// head starts the JSON object of an entity.
func (o *temporalOutput) head(id string, types []string) map[string]any {
	m := map[string]any{"id": id}
	ts := make([]string, len(types))
	for i, t := range types {
		ts[i] = o.context.CompactIRI(t)
	}
	if len(ts) == 1 {
		m["type"] = ts[0]
	} else {
		m["type"] = ts
	}
	return m
}

// entity renders the temporal representation (clause 4.5.7) or, with
// temporalValues, the simplified one (4.5.9).
func (o *temporalOutput) entity(e *store.TemporalEntity) map[string]any {
	m := o.head(e.ID, e.Types)
	for name, list := range e.Attrs {
		key := o.context.CompactIRI(name)
		if o.values {
			m[key] = o.simplified(list)
			continue
		}
		insts := make([]any, len(list))
		for i, ti := range list {
			a := o.attr(ti.Attr)
			a["instanceId"] = ti.InstanceID
			insts[i] = a
		}
		m[key] = insts
	}
	return m
}

// simplified renders the temporalValues form: per datasetId, an object
// with the type and [value, time] pairs.
func (o *temporalOutput) simplified(list []store.TemporalInstance) any {
	var order []string
	byDS := map[string]map[string]any{}
	for _, ti := range list {
		a := ti.Attr
		g, ok := byDS[a.DatasetID]
		member := "values"
		switch a.Type {
		case ngsild.TypeRelationship:
			member = "objects"
		case ngsild.TypeLanguageProperty:
			member = "languageMaps"
		}
		if !ok {
			g = map[string]any{"type": a.Type, member: []any{}}
			if a.DatasetID != "" {
				g["datasetId"] = a.DatasetID
			}
			byDS[a.DatasetID] = g
			order = append(order, a.DatasetID)
		}
		at := a.ObservedAt
		if at.IsZero() {
			at = a.ModifiedAt
		}
		vals, _ := g[member].([]any)
		g[member] = append(vals, []any{o.valueOf(a), ngsild.FormatTime(at)})
	}
	if len(order) == 1 {
		return byDS[order[0]]
	}
	out := make([]any, len(order))
	for i, ds := range order {
		out[i] = byDS[ds]
	}
	return out
}

// valueOf returns the main value of an instance as JSON.
func (o *temporalOutput) valueOf(a *ngsild.Attribute) any {
	switch a.Type {
	case ngsild.TypeRelationship:
		return a.Object
	case ngsild.TypeLanguageProperty:
		return a.LanguageMap
	case ngsild.TypeGeoProperty:
		if a.Geometry != nil {
			if g, err := a.Geometry.MarshalJSON(); err == nil {
				return json.RawMessage(g)
			}
		}
		return nil
	}
	return a.Value
}

// attr renders one instance in normalized form.
func (o *temporalOutput) attr(a *ngsild.Attribute) map[string]any {
	m := map[string]any{"type": a.Type}
	switch a.Type {
	case ngsild.TypeRelationship:
		m["object"] = a.Object
	case ngsild.TypeLanguageProperty:
		m["languageMap"] = a.LanguageMap
	default:
		m["value"] = o.valueOf(a)
	}
	if a.DatasetID != "" {
		m["datasetId"] = a.DatasetID
	}
	if !a.ObservedAt.IsZero() {
		m["observedAt"] = ngsild.FormatTime(a.ObservedAt)
	}
	if a.UnitCode != "" {
		m["unitCode"] = a.UnitCode
	}
	if o.sysAttrs {
		if !a.CreatedAt.IsZero() {
			m["createdAt"] = ngsild.FormatTime(a.CreatedAt)
		}
		if !a.ModifiedAt.IsZero() {
			m["modifiedAt"] = ngsild.FormatTime(a.ModifiedAt)
		}
	}
	for name, subs := range a.Sub {
		key := o.context.CompactIRI(name)
		if len(subs) == 1 {
			m[key] = o.attr(subs[0])
			continue
		}
		list := make([]any, len(subs))
		for i, s := range subs {
			list[i] = o.attr(s)
		}
		m[key] = list
	}
	return m
}

// aggregated renders the aggregated representation (clause 4.5.19):
// per method, [value, startAt, endAt] triples.
func (o *temporalOutput) aggregated(e *store.AggregatedEntity) map[string]any {
	m := o.head(e.ID, e.Types)
	for name, list := range e.Attrs {
		out := make([]any, len(list))
		for i, a := range list {
			am := map[string]any{"type": a.Type}
			if a.DatasetID != "" {
				am["datasetId"] = a.DatasetID
			}
			for method, vals := range a.Values {
				triples := make([]any, len(vals))
				for j, v := range vals {
					triples[j] = []any{v.Value, ngsild.FormatTime(v.Start), ngsild.FormatTime(v.End)}
				}
				am[method] = triples
			}
			out[i] = am
		}
		if len(out) == 1 {
			m[o.context.CompactIRI(name)] = out[0]
		} else {
			m[o.context.CompactIRI(name)] = out
		}
	}
	return m
}

// temporalPath is the location of a temporal entity.
func temporalPath(id string) string {
	return "/ngsi-ld/v1/temporal/entities/" + url.PathEscape(id)
}

// RetrieveTemporal handles GET /ngsi-ld/v1/temporal/entities/{entityId}.
func RetrieveTemporal(ts TemporalReader, cr ContextResolver) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		id, c, out, err := retrieveTarget(r, cr, temporalOutputFor)
		if err != nil {
			return err
		}
		q := &store.TemporalQuery{IDs: []string{id}}
		if err := temporalQueryOf(r, q); err != nil {
			return err
		}
		for _, a := range splitList(r.URL.Query().Get("attrs")) {
			q.Attrs = append(q.Attrs, c.ExpandTerm(a))
		}
		if t := r.URL.Query().Get("type"); t != "" {
			if q.Types, err = qlang.ParseTypes(t, c.ExpandTerm); err != nil {
				return err
			}
		}
		list, err := out.results(r, ts, q)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return ngsild.Errorf(ngsild.ErrResourceNotFound, "temporal entity %s", id)
		}
		if out.media == mediaLD {
			list[0]["@context"] = c.Ref()
		}
		data, err := json.Marshal(list[0])
		if err != nil {
			return ngsild.Errorf(ngsild.ErrInternal, "render: %v", err)
		}
		out.writeRaw(w, data)
		return nil
	})
}

// readTemporalEntity parses a temporal entity body: attributes hold an
// array of instances (several may share a datasetId) or one instance.
func readTemporalEntity(r *http.Request, cr ContextResolver, now Clock, pathID string) (*store.TemporalEntity, error) {
	obj, c, err := bodyWithContext(r, cr)
	if err != nil {
		return nil, err
	}
	head := map[string]any{}
	for _, k := range []string{"id", "type"} {
		if v, ok := obj[k]; ok {
			head[k] = v
			delete(obj, k)
		}
	}
	e := &store.TemporalEntity{Attrs: map[string][]store.TemporalInstance{}}
	if pathID != "" {
		if id, ok := head["id"]; ok && id != pathID {
			return nil, badRequest("the id in the body (%v) differs from the id in the path (%s)", id, pathID)
		}
		e.ID = pathID
		if t, ok := head["type"]; ok {
			he, err := ngsild.ParseEntity(map[string]any{"id": pathID, "type": t}, c.ExpandTerm, now())
			if err != nil {
				return nil, err
			}
			e.Types = he.Types
		}
	} else {
		he, err := ngsild.ParseEntity(head, c.ExpandTerm, now())
		if err != nil {
			return nil, err
		}
		e.ID, e.Types = he.ID, he.Types
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		items, ok := obj[k].([]any)
		if !ok {
			items = []any{obj[k]}
		}
		for _, item := range items {
			if _, ok := item.(map[string]any); !ok {
				return nil, badRequest("attribute %q: temporal instances must be JSON objects", k)
			}
			frag, err := ngsild.ParseFragment(map[string]any{k: item}, c.ExpandTerm, now())
			if err != nil {
				return nil, err
			}
			for name, list := range frag.Attrs {
				for _, a := range list {
					e.Attrs[name] = append(e.Attrs[name], store.TemporalInstance{Attr: a})
				}
			}
		}
	}
	return e, nil
}

// CreateTemporal handles POST /ngsi-ld/v1/temporal/entities: 201 when the
// temporal entity is new, else 204 (instances added).
func CreateTemporal(tw TemporalWriter, cr ContextResolver, now Clock) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		e, err := readTemporalEntity(r, cr, now, "")
		if err != nil {
			return err
		}
		if len(e.Types) == 0 {
			return badRequest("a temporal entity needs a type")
		}
		created, err := tw.AddTemporal(r.Context(), Tenant(r.Context()), e)
		if err != nil {
			return err
		}
		if created {
			w.Header().Set("Location", temporalPath(e.ID))
			w.WriteHeader(http.StatusCreated)
			return nil
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// AddTemporalAttrs handles POST /ngsi-ld/v1/temporal/entities/{entityId}/attrs.
func AddTemporalAttrs(tw TemporalWriter, cr ContextResolver, now Clock) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		e, err := readTemporalEntity(r, cr, now, id)
		if err != nil {
			return err
		}
		if len(e.Attrs) == 0 {
			return badRequest("no attribute instances to add")
		}
		// Without types, the store adds only to an existing temporal entity.
		e.Types = nil
		if _, err := tw.AddTemporal(r.Context(), Tenant(r.Context()), e); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// DeleteTemporal handles DELETE /ngsi-ld/v1/temporal/entities/{entityId}.
func DeleteTemporal(tw TemporalWriter) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		if err := tw.DeleteTemporalEntity(r.Context(), Tenant(r.Context()), id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// pathIDAttr returns the validated {entityId} and the expanded {attrId} of
// the request path.
func pathIDAttr(r *http.Request, cr ContextResolver) (id, attr string, err error) {
	if id, err = pathID(r); err != nil {
		return "", "", err
	}
	if attr, err = pathAttr(r, cr); err != nil {
		return "", "", err
	}
	return id, attr, nil
}

// pathAttr returns the expanded {attrId} of the request path.
func pathAttr(r *http.Request, cr ContextResolver) (string, error) {
	c, err := linkContext(r, cr)
	if err != nil {
		return "", err
	}
	name := r.PathValue("attrId")
	if name == "" {
		return "", badRequest("empty attribute name")
	}
	return c.ExpandTerm(name), nil
}

// DeleteTemporalAttr handles DELETE
// /ngsi-ld/v1/temporal/entities/{entityId}/attrs/{attrId} (datasetId,
// deleteAll).
func DeleteTemporalAttr(tw TemporalWriter, cr ContextResolver) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		id, attr, err := pathIDAttr(r, cr)
		if err != nil {
			return err
		}
		all, err := strictBool(r, "deleteAll")
		if err != nil {
			return err
		}
		if err := tw.DeleteTemporalAttr(r.Context(), Tenant(r.Context()), id, attr, r.URL.Query().Get("datasetId"), all); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// ModifyTemporalInstance handles PATCH
// /ngsi-ld/v1/temporal/entities/{entityId}/attrs/{attrId}/{instanceId}.
func ModifyTemporalInstance(tw TemporalWriter, cr ContextResolver, now Clock) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		id, obj, c, err := pathIDBody(r, cr)
		if err != nil {
			return err
		}
		attr := c.ExpandTerm(r.PathValue("attrId"))
		// The body is the instance, or a fragment holding it under the attribute name.
		inst := any(obj)
		if len(obj) == 1 {
			for k, v := range obj {
				if c.ExpandTerm(k) == attr {
					inst = v
				}
			}
		}
		if list, ok := inst.([]any); ok && len(list) == 1 {
			inst = list[0]
		}
		frag, err := ngsild.ParseFragment(map[string]any{r.PathValue("attrId"): inst}, c.ExpandTerm, now())
		if err != nil {
			return err
		}
		list := frag.Attrs[attr]
		if len(list) != 1 {
			return badRequest("the body must be one attribute instance")
		}
		if err := tw.ModifyInstance(r.Context(), Tenant(r.Context()), id, attr, r.PathValue("instId"), list[0]); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// DeleteTemporalInstance handles DELETE
// /ngsi-ld/v1/temporal/entities/{entityId}/attrs/{attrId}/{instanceId}.
func DeleteTemporalInstance(tw TemporalWriter, cr ContextResolver) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		id, attr, err := pathIDAttr(r, cr)
		if err != nil {
			return err
		}
		if err := tw.DeleteInstance(r.Context(), Tenant(r.Context()), id, attr, r.PathValue("instId")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

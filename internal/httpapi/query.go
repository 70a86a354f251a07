package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"

	"github.com/dothi-city/dothi/internal/geo"
	"github.com/dothi-city/dothi/internal/jsonld"
	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/ngsild/qlang"
	"github.com/dothi-city/dothi/internal/store"
)

// EntityQuerier answers entity queries.
type EntityQuerier interface {
	Query(ctx context.Context, tenant string, q *store.Query) (*store.Result, error)
}

// QueryLimits bounds the queries clients may ask.
type QueryLimits struct {
	DefaultPageSize int
	MaxPageSize     int
}

// QueryEntities handles GET /ngsi-ld/v1/entities.
func QueryEntities(eq EntityQuerier, cr ContextResolver, lim QueryLimits) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		c, out, err := contextOutput(r, cr, entityOutput)
		if err != nil {
			return err
		}
		q, err := parseQuery(r, c, lim)
		if err != nil {
			return err
		}
		return answerQuery(w, r, eq, q, out)
	})
}

// answerQuery runs q and writes the entities it finds; it writes nothing
// when it returns an error.
func answerQuery(w http.ResponseWriter, r *http.Request, eq EntityQuerier, q *store.Query, out output) error {
	res, err := eq.Query(r.Context(), Tenant(r.Context()), q)
	if err != nil {
		return err
	}
	if q.Count {
		w.Header().Set("NGSILD-Results-Count", strconv.Itoa(res.Count))
	}
	out.writeEntities(w, res.Entities)
	return nil
}

// parseQuery reads the query parameters of Query Entities.
func parseQuery(r *http.Request, c *jsonld.Context, lim QueryLimits) (*store.Query, error) {
	p := r.URL.Query()
	q := &store.Query{}
	var err error
	if q.Limit, q.Offset, q.Count, err = page(r, lim); err != nil {
		return nil, err
	}
	for _, id := range splitList(p.Get("id")) {
		if err := ngsild.ValidateURI(id); err != nil {
			return nil, badRequest("id %q: %v", id, err)
		}
		q.IDs = append(q.IDs, id)
	}
	if s := p.Get("idPattern"); s != "" {
		if q.IDPattern, err = regexp.Compile(s); err != nil {
			return nil, badRequest("idPattern is not a valid regular expression: %v", err)
		}
	}
	if s := p.Get("type"); s != "" {
		if q.Types, err = qlang.ParseTypes(s, c.ExpandTerm); err != nil {
			return nil, err
		}
	}
	for _, a := range splitList(p.Get("attrs")) {
		q.Attrs = append(q.Attrs, c.ExpandTerm(a))
	}
	if s := p.Get("q"); s != "" {
		if q.Q, err = qlang.Parse(s, c.ExpandTerm); err != nil {
			return nil, err
		}
	}
	if p.Has("georel") || p.Has("geometry") || p.Has("coordinates") {
		if q.Geo, err = geo.ParseQuery(p.Get("georel"), p.Get("geometry"), p.Get("coordinates"), p.Get("geoproperty"), c.ExpandTerm); err != nil {
			return nil, badRequest("%v", err)
		}
	}
	if q.IDs == nil && q.IDPattern == nil && q.Types == nil && q.Attrs == nil && q.Q == nil && q.Geo == nil && p.Get("local") != "true" {
		return nil, badRequest("a query needs at least one of type, id, idPattern, attrs, q or a geo-query (or local=true to list every entity)")
	}
	return q, nil
}

// page reads limit, offset and count.
func page(r *http.Request, lim QueryLimits) (limit, offset int, count bool, err error) {
	if limit, err = queryInt(r, "limit", lim.DefaultPageSize); err != nil {
		return
	}
	if offset, err = queryInt(r, "offset", 0); err != nil {
		return
	}
	if s := r.URL.Query().Get("count"); s != "" {
		if count, err = strconv.ParseBool(s); err != nil {
			err = badRequest("count must be true or false, not %q", s)
			return
		}
	}
	switch {
	case limit > lim.MaxPageSize:
		err = ngsild.Errorf(ngsild.ErrTooManyResults, "limit %d is over the maximum page size %d: page with offset", limit, lim.MaxPageSize)
	case limit == 0 && !count:
		err = badRequest("limit=0 is only allowed with count=true")
	}
	return
}

// queryBody is the NGSI-LD Query data type of POST /entityOperations/query.
type queryBody struct {
	Type     string `json:"type"`
	Entities []struct {
		ID        string `json:"id"`
		Type      string `json:"type"`
		IDPattern string `json:"idPattern"`
	} `json:"entities"`
	Attrs []string       `json:"attrs"`
	Q     string         `json:"q"`
	GeoQ  map[string]any `json:"geoQ"`
	Lang  string         `json:"lang"`
}

// QueryPost handles POST /ngsi-ld/v1/entityOperations/query.
func QueryPost(eq EntityQuerier, cr ContextResolver, lim QueryLimits) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		obj, c, err := bodyWithContext(r, cr)
		if err != nil {
			return err
		}
		out, err := outputFor(r, c)
		if err != nil {
			return err
		}
		q, body, err := queryFromBody(r, obj, c, lim)
		if err != nil {
			return err
		}
		if len(q.Attrs) > 0 {
			out.render.Attrs = q.Attrs
		}
		if body.Lang != "" {
			out.render.Lang = body.Lang
		}
		return answerQuery(w, r, eq, q, out)
	})
}

func queryFromBody(r *http.Request, obj map[string]any, c *jsonld.Context, lim QueryLimits) (*store.Query, *queryBody, error) {
	var body queryBody
	raw, _ := json.Marshal(obj)
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil, nil, badRequest("the Query body does not have the Query structure: %v", err)
	}
	if body.Type != "Query" {
		return nil, nil, badRequest(`the Query body must have "type": "Query"`)
	}
	q, err := body.query(r, c, lim)
	return q, &body, err
}

// query turns the Query body into a store query.
func (body *queryBody) query(r *http.Request, c *jsonld.Context, lim QueryLimits) (*store.Query, error) {
	q := &store.Query{}
	var err error
	if q.Limit, q.Offset, q.Count, err = page(r, lim); err != nil {
		return nil, err
	}
	if err := selectEntities(q, *body, c); err != nil {
		return nil, err
	}
	for _, a := range body.Attrs {
		q.Attrs = append(q.Attrs, c.ExpandTerm(a))
	}
	if body.Q != "" {
		if q.Q, err = qlang.Parse(body.Q, c.ExpandTerm); err != nil {
			return nil, err
		}
	}
	if body.GeoQ != nil {
		if q.Geo, err = geo.ParseGeoQ(body.GeoQ, c.ExpandTerm); err != nil {
			return nil, badRequest("geoQ: %v", err)
		}
	}
	if q.IDs == nil && q.IDPattern == nil && q.Types == nil && q.Attrs == nil && q.Q == nil && q.Geo == nil {
		return nil, badRequest("a Query needs at least one of entities, attrs, q or geoQ")
	}
	return q, nil
}

// selectEntities reads the entities member: either one selector, or several
// selectors that each name only a type.
func selectEntities(q *store.Query, body queryBody, c *jsonld.Context) error {
	sel := body.Entities
	if len(sel) == 0 {
		return nil
	}
	if len(sel) > 1 {
		types := ""
		for i, s := range sel {
			if s.ID != "" || s.IDPattern != "" || s.Type == "" {
				return ngsild.Errorf(ngsild.ErrOperationNotSupported, "several entity selectors are supported only when each names just a type")
			}
			if i > 0 {
				types += ","
			}
			types += s.Type
		}
		var err error
		q.Types, err = qlang.ParseTypes(types, c.ExpandTerm)
		return err
	}
	s := sel[0]
	var err error
	if s.Type != "" {
		if q.Types, err = qlang.ParseTypes(s.Type, c.ExpandTerm); err != nil {
			return err
		}
	}
	if s.ID != "" {
		if err := ngsild.ValidateURI(s.ID); err != nil {
			return badRequest("entities[0].id %q: %v", s.ID, err)
		}
		q.IDs = []string{s.ID}
	}
	if s.IDPattern != "" {
		if q.IDPattern, err = regexp.Compile(s.IDPattern); err != nil {
			return badRequest("entities[0].idPattern is not a valid regular expression: %v", err)
		}
	}
	return nil
}

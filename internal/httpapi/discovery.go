package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"

	"github.com/dothi-city/dothi/internal/jsonld"
	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
)

// Summarizer describes the types and attributes of a tenant.
type Summarizer interface {
	Summary(ctx context.Context, tenant string) (*store.Summary, error)
}

// discoveryRequest is a parsed request of the discovery endpoints.
type discoveryRequest struct {
	sum   *store.Summary
	c     *jsonld.Context
	media string
}

// discovery negotiates the answer's media type, then loads the context and
// the summary of a discovery request.
func discovery(r *http.Request, s Summarizer, cr ContextResolver) (*discoveryRequest, error) {
	media, err := negotiate(r.Header.Get("Accept"))
	if err != nil {
		return nil, err
	}
	if media == mediaGeoJSON {
		return nil, ngsild.Errorf(ngsild.ErrNotAcceptable, "type and attribute descriptions are not GeoJSON: accept application/json or application/ld+json")
	}
	c, err := linkContext(r, cr)
	if err != nil {
		return nil, err
	}
	sum, err := s.Summary(r.Context(), Tenant(r.Context()))
	return &discoveryRequest{sum: sum, c: c, media: media}, err
}

// discoveryHandler is the handler of a discovery endpoint: fn answers
// with the summary that discovery loads.
func discoveryHandler(s Summarizer, cr ContextResolver, fn func(w http.ResponseWriter, r *http.Request, d *discoveryRequest) error) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		d, err := discovery(r, s, cr)
		if err != nil {
			return err
		}
		return fn(w, r, d)
	})
}

// answer writes v as JSON, with the context as a Link header
// (application/json) or as "@context" members (application/ld+json).
func (d *discoveryRequest) answer(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err == nil && d.media == mediaLD {
		body, err = withContext(body, d.c.Ref())
	}
	if err != nil {
		writeProblem(w, ngsild.Errorf(ngsild.ErrInternal, "cannot encode the response"))
		return
	}
	out := output{media: d.media, context: d.c}
	out.setContentHeaders(w)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// withContext adds "@context" to a JSON object, or to each object of an array.
func withContext(body []byte, ref any) ([]byte, error) {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case map[string]any:
		x["@context"] = ref
	case []any:
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				m["@context"] = ref
			}
		}
	}
	return json.Marshal(v)
}

type entityType struct {
	ID             string   `json:"id"`
	Type           string   `json:"type"`
	TypeName       string   `json:"typeName"`
	AttributeNames []string `json:"attributeNames"`
}

type attrDetail struct {
	ID             string   `json:"id"`
	Type           string   `json:"type"`
	AttributeName  string   `json:"attributeName"`
	AttributeTypes []string `json:"attributeTypes"`
}

type entityTypeInfo struct {
	ID               string       `json:"id"`
	Type             string       `json:"type"`
	TypeName         string       `json:"typeName"`
	EntityCount      int          `json:"entityCount"`
	AttributeDetails []attrDetail `json:"attributeDetails"`
}

type attribute struct {
	ID             string   `json:"id"`
	Type           string   `json:"type"`
	AttributeName  string   `json:"attributeName"`
	AttributeCount int      `json:"attributeCount"`
	AttributeTypes []string `json:"attributeTypes"`
	TypeNames      []string `json:"typeNames"`
}

// Types handles GET /ngsi-ld/v1/types.
func Types(s Summarizer, cr ContextResolver) http.HandlerFunc {
	return discoveryHandler(s, cr, func(w http.ResponseWriter, r *http.Request, d *discoveryRequest) error {
		sum, c := d.sum, d.c
		types := sortedKeys(sum.Types)
		if r.URL.Query().Get("details") == "true" {
			list := make([]entityType, 0, len(types))
			for _, t := range types {
				list = append(list, entityType{ID: t, Type: "EntityType", TypeName: c.CompactIRI(t), AttributeNames: attrNames(sum, t, c)})
			}
			d.answer(w, list)
			return nil
		}
		names := make([]string, 0, len(types))
		for _, t := range types {
			names = append(names, c.CompactIRI(t))
		}
		d.answer(w, map[string]any{"id": "urn:ngsi-ld:EntityTypeList:" + randomID(), "type": "EntityTypeList", "typeList": names})
		return nil
	})
}

// TypeInfo handles GET /ngsi-ld/v1/types/{type}.
func TypeInfo(s Summarizer, cr ContextResolver) http.HandlerFunc {
	return discoveryHandler(s, cr, func(w http.ResponseWriter, r *http.Request, d *discoveryRequest) error {
		sum, c := d.sum, d.c
		t := c.ExpandTerm(r.PathValue("type"))
		n, ok := sum.Types[t]
		if !ok {
			return ngsild.Errorf(ngsild.ErrResourceNotFound, "no entity has type %s", r.PathValue("type"))
		}
		info := entityTypeInfo{ID: t, Type: "EntityTypeInfo", TypeName: c.CompactIRI(t), EntityCount: n, AttributeDetails: []attrDetail{}}
		byName := map[string][]string{}
		for _, a := range sum.Attrs {
			if a.EntityType == t {
				byName[a.Name] = appendUnique(byName[a.Name], a.AttrType)
			}
		}
		for _, name := range sortedKeys(byName) {
			info.AttributeDetails = append(info.AttributeDetails, attrDetail{ID: name, Type: "Attribute", AttributeName: c.CompactIRI(name), AttributeTypes: byName[name]})
		}
		d.answer(w, info)
		return nil
	})
}

// Attributes handles GET /ngsi-ld/v1/attributes.
func Attributes(s Summarizer, cr ContextResolver) http.HandlerFunc {
	return discoveryHandler(s, cr, func(w http.ResponseWriter, r *http.Request, d *discoveryRequest) error {
		sum, c := d.sum, d.c
		attrs := attributes(sum, c)
		if r.URL.Query().Get("details") == "true" {
			d.answer(w, attrs)
			return nil
		}
		names := make([]string, 0, len(attrs))
		for _, a := range attrs {
			names = append(names, a.AttributeName)
		}
		d.answer(w, map[string]any{"id": "urn:ngsi-ld:AttributeList:" + randomID(), "type": "AttributeList", "attributeList": names})
		return nil
	})
}

// AttributeInfo handles GET /ngsi-ld/v1/attributes/{attrId}.
func AttributeInfo(s Summarizer, cr ContextResolver) http.HandlerFunc {
	return discoveryHandler(s, cr, func(w http.ResponseWriter, r *http.Request, d *discoveryRequest) error {
		sum, c := d.sum, d.c
		name := c.ExpandTerm(r.PathValue("attrId"))
		for _, a := range attributes(sum, c) {
			if a.ID == name {
				d.answer(w, a)
				return nil
			}
		}
		return ngsild.Errorf(ngsild.ErrResourceNotFound, "no entity has attribute %s", r.PathValue("attrId"))
	})
}

// attributes aggregates the summary by attribute name.
func attributes(sum *store.Summary, c *jsonld.Context) []attribute {
	byName := map[string]*attribute{}
	for _, s := range sum.Attrs {
		a := byName[s.Name]
		if a == nil {
			a = &attribute{ID: s.Name, Type: "Attribute", AttributeName: c.CompactIRI(s.Name)}
			byName[s.Name] = a
		}
		a.AttributeCount += s.Count
		a.AttributeTypes = appendUnique(a.AttributeTypes, s.AttrType)
		a.TypeNames = appendUnique(a.TypeNames, c.CompactIRI(s.EntityType))
	}
	out := make([]attribute, 0, len(byName))
	for _, a := range byName {
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].AttributeName < out[j].AttributeName })
	return out
}

func attrNames(sum *store.Summary, t string, c *jsonld.Context) []string {
	names := []string{}
	for _, a := range sum.Attrs {
		if a.EntityType == t {
			names = appendUnique(names, c.CompactIRI(a.Name))
		}
	}
	sort.Strings(names)
	return names
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// answerJSON answers 200 with v as JSON.
func answerJSON(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeProblem(w, ngsild.Errorf(ngsild.ErrInternal, "cannot encode the response"))
		return
	}
	writeJSON(w, http.StatusOK, body)
}

package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/dothi-city/dothi/internal/jsonld"
	"github.com/dothi-city/dothi/internal/ngsild"
)

// Media types of the NGSI-LD API.
const (
	mediaJSON       = "application/json"
	mediaLD         = "application/ld+json"
	mediaGeoJSON    = "application/geo+json"
	mediaMergePatch = "application/merge-patch+json"
)

// ContextResolver finds the JSON-LD context that a request uses.
type ContextResolver interface {
	// Resolve turns a context value (nil for none, a URL, an object or an
	// array) into term definitions.
	Resolve(ctx context.Context, value any) (*jsonld.Context, error)
}

func mediaType(header string) string {
	mt, _, err := mime.ParseMediaType(header)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(header))
	}
	return mt
}

// linkContext resolves the context named by the Link header, or the core
// context when there is none.
func linkContext(r *http.Request, cr ContextResolver) (*jsonld.Context, error) {
	link := r.Header.Get("Link")
	if link == "" {
		return cr.Resolve(r.Context(), nil)
	}
	url, err := jsonld.ParseLink(link)
	if err != nil {
		return nil, err
	}
	return cr.Resolve(r.Context(), url)
}

// decodeBody reads a JSON request body, keeping numbers as json.Number.
func decodeBody(r *http.Request) (any, error) {
	switch mediaType(r.Header.Get("Content-Type")) {
	case mediaJSON, mediaLD, mediaMergePatch:
	case "":
		return nil, ngsild.Errorf(ngsild.ErrUnsupportedMediaType, "Content-Type is missing: use application/json or application/ld+json")
	default:
		return nil, ngsild.Errorf(ngsild.ErrUnsupportedMediaType, "Content-Type %q is not supported: use application/json or application/ld+json", r.Header.Get("Content-Type"))
	}
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, bodyError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, ngsild.Errorf(ngsild.ErrInvalidRequest, "request body has data after the JSON value")
	}
	return v, nil
}

func bodyError(err error) error {
	var tooLarge *http.MaxBytesError
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &tooLarge):
		return ngsild.Errorf(ngsild.ErrPayloadTooLarge, "request body is over the limit of %d bytes", tooLarge.Limit)
	case errors.Is(err, io.EOF):
		return ngsild.Errorf(ngsild.ErrInvalidRequest, "request body is empty")
	case errors.As(err, &syntax):
		return ngsild.Errorf(ngsild.ErrInvalidRequest, "request body is not valid JSON: %v (at byte %d)", err, syntax.Offset)
	}
	return ngsild.Errorf(ngsild.ErrInvalidRequest, "request body is not valid JSON: %v", err)
}

// decodeObject reads a body that must be one JSON object.
func decodeObject(r *http.Request) (map[string]any, error) {
	v, err := decodeBody(r)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, ngsild.Errorf(ngsild.ErrInvalidRequest, "request body must be a JSON object")
	}
	return m, nil
}

// bodyContexts resolves the context of body objects following the
// Content-Type rules of NGSI-LD: application/ld+json carries "@context" in
// the body (and no Link header), application/json uses the Link header.
type bodyContexts struct {
	r    *http.Request
	cr   ContextResolver
	link *jsonld.Context
}

// of resolves the context of obj and removes its "@context" member.
func (b *bodyContexts) of(obj map[string]any) (*jsonld.Context, error) {
	raw, has := obj["@context"]
	delete(obj, "@context")
	if mediaType(b.r.Header.Get("Content-Type")) == mediaLD {
		if !has {
			return nil, badRequest("a body of type application/ld+json must have an @context member")
		}
		if b.r.Header.Get("Link") != "" {
			return nil, badRequest("a Link header to a context is not allowed with Content-Type application/ld+json")
		}
		return b.cr.Resolve(b.r.Context(), raw)
	}
	if has {
		return nil, badRequest("an @context member requires Content-Type application/ld+json; with application/json send the context in a Link header")
	}
	if b.link == nil {
		c, err := linkContext(b.r, b.cr)
		if err != nil {
			return nil, err
		}
		b.link = c
	}
	return b.link, nil
}

// queryInt reads a non-negative integer parameter.
func queryInt(r *http.Request, name string, def int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, badRequest("%s must be a non-negative integer, not %q", name, s)
	}
	return n, nil
}

// splitList splits a comma-separated parameter, dropping empty items.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// options parses the options parameter, accepting only the allowed values.
func options(r *http.Request, allowed ...string) (map[string]bool, error) {
	set := map[string]bool{}
	for _, o := range splitList(r.URL.Query().Get("options")) {
		ok := false
		for _, a := range allowed {
			if o == a {
				ok = true
				break
			}
		}
		if !ok {
			return nil, badRequest("options: %q is not supported here (allowed: %s)", o, strings.Join(allowed, ", "))
		}
		set[o] = true
	}
	return set, nil
}

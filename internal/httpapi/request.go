package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

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
	if err := checkContentType(r); err != nil {
		return nil, err
	}
	buf := getBodyBuffer()
	defer putBodyBuffer(buf)
	data, readErr := readBody(r, buf)
	if err := checkUTF8(data, readErr); err != nil {
		return nil, err
	}
	return decodeData(data, readErr)
}

// checkUTF8 rejects a body (read to its end: readErr is nil) that is not
// valid UTF-8, which encoding/json would silently turn into U+FFFD.
func checkUTF8(data []byte, readErr error) error {
	if readErr == nil && !utf8.Valid(data) {
		return ngsild.Errorf(ngsild.ErrInvalidRequest, "request body is not valid UTF-8")
	}
	return nil
}

// checkContentType accepts the JSON media types of request bodies.
func checkContentType(r *http.Request) error {
	switch mediaType(r.Header.Get("Content-Type")) {
	case mediaJSON, mediaLD, mediaMergePatch:
		return nil
	case "":
		return ngsild.Errorf(ngsild.ErrUnsupportedMediaType, "Content-Type is missing: use application/json or application/ld+json")
	default:
		return ngsild.Errorf(ngsild.ErrUnsupportedMediaType, "Content-Type %q is not supported: use application/json or application/ld+json", r.Header.Get("Content-Type"))
	}
}

// decodeData decodes a body read up to readErr (nil at its end) as
// decodeStd would decode it from the request stream.
func decodeData(data []byte, readErr error) (any, error) {
	if readErr == nil {
		if v, ok := ngsild.DecodeJSON(data); ok {
			return v, nil
		}
	}
	// Invalid JSON, a failed read, or input the fast decoder leaves alone:
	// decode as encoding/json does from the request stream, which also
	// gives the exact error message.
	var src io.Reader = bytes.NewReader(data)
	if readErr != nil {
		src = io.MultiReader(src, errReader{readErr})
	}
	return decodeStd(src)
}

// decodeStd decodes one JSON value with encoding/json (UseNumber) and
// rejects data after it.
func decodeStd(src io.Reader) (any, error) {
	dec := json.NewDecoder(src)
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

// errReader replays the error that ended reading a body.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// bodyBuffers keeps request body buffers for reuse.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBody is the largest buffer kept for reuse.
const maxPooledBody = 8 << 20

func getBodyBuffer() *bytes.Buffer {
	return bodyBuffers.Get().(*bytes.Buffer)
}

func putBodyBuffer(b *bytes.Buffer) {
	if b.Cap() > maxPooledBody {
		return
	}
	b.Reset()
	bodyBuffers.Put(b)
}

// readBody reads the whole request body into buf. The error is the one
// that ended reading, nil at the end of the body.
func readBody(r *http.Request, buf *bytes.Buffer) ([]byte, error) {
	buf.Reset()
	if n := r.ContentLength; n > 0 && n <= maxPooledBody {
		buf.Grow(int(n) + 1)
	}
	_, err := buf.ReadFrom(r.Body)
	return buf.Bytes(), err
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
	// linkFailed records that resolving the Link context failed.
	linkFailed bool
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
		if raw == nil {
			return nil, badRequest("@context must not be null: give a context URL, object or array")
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

// jsonLinkContext returns the context of body objects without "@context"
// in an application/json request (from the Link header, or the core
// context), or nil when that does not apply or fails; of then reports the
// error for each object.
func (b *bodyContexts) jsonLinkContext() *jsonld.Context {
	if b.link != nil {
		return b.link
	}
	if b.linkFailed || mediaType(b.r.Header.Get("Content-Type")) != mediaJSON {
		return nil
	}
	c, err := linkContext(b.r, b.cr)
	if err != nil {
		b.linkFailed = true
		return nil
	}
	b.link = c
	return c
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

// strictBool reads the query parameter name, which must be absent, "true"
// or "false".
func strictBool(r *http.Request, name string) (bool, error) {
	switch s := r.URL.Query().Get(name); s {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	default:
		return false, badRequest("%s must be true or false, not %q", name, s)
	}
}

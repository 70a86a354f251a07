package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/dothi-city/dothi/internal/jsonld"
	"github.com/dothi-city/dothi/internal/ngsild"
)

// output says how to represent entities in a response.
type output struct {
	render      ngsild.RenderOptions
	media       string
	context     *jsonld.Context
	geoProperty string
}

// outputFor reads options, format, attrs, lang and Accept of a request that
// returns entities, whose context is c.
func outputFor(r *http.Request, c *jsonld.Context, extra ...string) (output, error) {
	out := output{context: c, render: ngsild.RenderOptions{Compact: c.CompactIRI}}
	opts, err := options(r, append([]string{"keyValues", "simplified", "concise", "normalized", "sysAttrs"}, extra...)...)
	if err != nil {
		return out, err
	}
	if err := setFormat(&out.render, opts, r.URL.Query().Get("format")); err != nil {
		return out, err
	}
	out.render.SysAttrs = opts["sysAttrs"]
	out.render.Lang = r.URL.Query().Get("lang")
	for _, a := range splitList(r.URL.Query().Get("attrs")) {
		out.render.Attrs = append(out.render.Attrs, c.ExpandTerm(a))
	}
	if out.media, err = negotiate(r.Header.Get("Accept")); err != nil {
		return out, err
	}
	if r.URL.Query().Get("format") == "geojson" {
		out.media = mediaGeoJSON
	}
	out.geoProperty = ngsild.IRILocation
	if gp := r.URL.Query().Get("geometryProperty"); gp != "" {
		out.geoProperty = c.ExpandTerm(gp)
	}
	if out.media == mediaLD {
		out.render.Context = c.Ref()
	}
	return out, nil
}

func setFormat(o *ngsild.RenderOptions, opts map[string]bool, format string) error {
	switch {
	case format == "keyValues" || format == "simplified" || (format == "" && (opts["keyValues"] || opts["simplified"])):
		o.Format = ngsild.KeyValues
	case format == "concise" || (format == "" && opts["concise"]):
		o.Format = ngsild.Concise
	case format == "geojson":
		return setFormat(o, opts, "")
	case format == "" || format == "normalized":
		o.Format = ngsild.Normalized
	default:
		return badRequest("format must be normalized, concise, simplified, keyValues or geojson, not %q", format)
	}
	return nil
}

// negotiate picks the response media type from an Accept header.
func negotiate(accept string) (string, error) {
	if accept == "" {
		return mediaJSON, nil
	}
	best, bestQ := "", -1.0
	for _, part := range strings.Split(accept, ",") {
		mt, q := acceptItem(part)
		var m string
		switch mt {
		case mediaJSON, "*/*", "application/*":
			m = mediaJSON
		case mediaLD, mediaGeoJSON:
			m = mt
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = m, q
		}
	}
	if best == "" || bestQ <= 0 {
		return "", ngsild.Errorf(ngsild.ErrNotAcceptable, "Accept %q: this API answers application/json, application/ld+json or application/geo+json", accept)
	}
	return best, nil
}

func acceptItem(part string) (string, float64) {
	fields := strings.Split(part, ";")
	mt := strings.ToLower(strings.TrimSpace(fields[0]))
	q := 1.0
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(strings.TrimSpace(f), "=")
		if ok && strings.TrimSpace(k) == "q" {
			if x, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				q = x
			}
		}
	}
	return mt, q
}

// setContentHeaders sets Content-Type and, for application/json, the Link
// header naming the context used to compact the response.
func (o *output) setContentHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Type", o.media)
	if o.media != mediaLD {
		if url, ok := o.context.Ref().(string); ok {
			w.Header().Set("Link", linkHeader(url))
		}
	}
}

// writeEntity answers with one entity.
func (o *output) writeEntity(w http.ResponseWriter, e *ngsild.Entity) {
	buf := getBodyBuffer()
	defer putBodyBuffer(buf)
	if o.media == mediaGeoJSON {
		buf.Write(ngsild.RenderGeoJSONFeature(e, o.render, o.geoProperty))
	} else {
		ngsild.AppendEntity(buf, e, o.render)
	}
	o.setContentHeaders(w)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// writeEntities answers with a list of entities.
func (o *output) writeEntities(w http.ResponseWriter, entities []*ngsild.Entity) {
	buf := getBodyBuffer()
	defer putBodyBuffer(buf)
	if o.media == mediaGeoJSON {
		buf.Write(ngsild.RenderGeoJSON(entities, o.render, o.geoProperty))
	} else {
		buf.WriteByte('[')
		for i, e := range entities {
			if i > 0 {
				buf.WriteByte(',')
			}
			ngsild.AppendEntity(buf, e, o.render)
		}
		buf.WriteByte(']')
	}
	o.setContentHeaders(w)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// writeJSON answers with v encoded as JSON.
func writeJSON(w http.ResponseWriter, status int, v []byte) {
	w.Header().Set("Content-Type", mediaJSON)
	w.WriteHeader(status)
	_, _ = w.Write(v)
}

// linkHeader is the Link header value that names a JSON-LD context.
func linkHeader(url string) string {
	return "<" + url + `>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`
}

// Package httpapi serves the platform's HTTP interfaces: the NGSI-LD API
// under /ngsi-ld/v1 and the operational endpoints. Every handler is built by
// a constructor that takes only the small interface it needs; errors become
// RFC 7807 problems in one place, writeError, which handle calls for the
// error-returning handlers.
package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/dothi-city/dothi/internal/jsonld"
	"github.com/dothi-city/dothi/internal/ngsild"
)

// writeError answers with the RFC 7807 form of err. Errors that are not
// Problems are logged and answered as an InternalError without detail, so
// nothing internal leaks to clients.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var p *ngsild.Problem
	if !errors.As(err, &p) {
		slog.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		p = ngsild.AsProblem(err)
	}
	writeProblem(w, p)
}

func writeProblem(w http.ResponseWriter, p *ngsild.Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// badRequest is a shorthand for a BadRequestData problem.
func badRequest(format string, args ...any) *ngsild.Problem {
	return ngsild.Errorf(ngsild.ErrBadRequestData, format, args...)
}

// handlerFunc is an HTTP handler that reports failure by returning an
// error instead of writing it; handle turns it into an http.HandlerFunc.
// A handler that returns an error must not have written a response.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts fn to an http.HandlerFunc: an error fn returns is answered
// with its RFC 7807 form by writeError, in this one place.
func handle(fn handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			writeError(w, r, err)
		}
	}
}

// contextOutput reads what a read-style handler needs before it touches
// the store: the Link context of the request and, with it, the output
// options that outputOf parses (outputFor or temporalOutputFor).
func contextOutput[O any](r *http.Request, cr ContextResolver, outputOf func(*http.Request, *jsonld.Context) (O, error)) (*jsonld.Context, O, error) {
	var zero O
	c, err := linkContext(r, cr)
	if err != nil {
		return nil, zero, err
	}
	out, err := outputOf(r, c)
	if err != nil {
		return nil, zero, err
	}
	return c, out, nil
}

// retrieveTarget is the prologue of the retrieve handlers: the validated
// {entityId} of the path, then the Link context and output options, as in
// contextOutput.
func retrieveTarget[O any](r *http.Request, cr ContextResolver, outputOf func(*http.Request, *jsonld.Context) (O, error)) (string, *jsonld.Context, O, error) {
	var zero O
	id, err := pathID(r)
	if err != nil {
		return "", nil, zero, err
	}
	c, out, err := contextOutput(r, cr, outputOf)
	if err != nil {
		return "", nil, zero, err
	}
	return id, c, out, nil
}

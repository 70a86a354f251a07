// Package httpapi serves the platform's HTTP interfaces: the NGSI-LD API
// under /ngsi-ld/v1 and the operational endpoints. Every handler is built by
// a constructor that takes only the small interface it needs; errors become
// RFC 7807 problems in one place, writeError.
package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

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

package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/version"
)

// ReadyChecker reports whether the platform can serve requests.
type ReadyChecker interface {
	Ready(ctx context.Context) error
}

// Healthz answers 200 while the process runs.
func Healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// Readyz answers 200 when the store answers within two seconds, else 503.
func Readyz(rc ReadyChecker) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := rc.Ready(ctx); err != nil {
			writeProblem(w, &ngsild.Problem{Type: ngsild.ErrInternal, Title: "NotReady", Status: http.StatusServiceUnavailable, Detail: "the store does not answer"})
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ready\n"))
	}
}

// Version answers with the build information.
func Version(w http.ResponseWriter, _ *http.Request) {
	body, _ := json.Marshal(version.Get())
	writeJSON(w, http.StatusOK, body)
}

// UISettings is what the web interface reads at start.
type UISettings struct {
	TileURL         string `json:"tileUrl,omitempty"`
	TileAttribution string `json:"tileAttribution,omitempty"`
}

// UIConfig answers GET /api/v1/ui-config.
func UIConfig(s UISettings) http.HandlerFunc {
	body, _ := json.Marshal(s)
	return func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, body)
	}
}

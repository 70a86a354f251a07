package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/dothi-city/dothi/internal/jsonld"
	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
)

// ContextForgetter drops a context URL from the resolver's caches.
type ContextForgetter interface {
	Forget(url string)
}

// contextsPath is where hosted contexts are served.
const contextsPath = "/ngsi-ld/v1/jsonldContexts/"

// AddContext handles POST /ngsi-ld/v1/jsonldContexts. Hosted contexts get
// URLs under publicURL, or under the URL the client used when it is empty.
func AddContext(cs store.ContextStore, f ContextForgetter, publicURL string) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		if mt := mediaType(r.Header.Get("Content-Type")); mt != mediaJSON && mt != mediaLD {
			return ngsild.Errorf(ngsild.ErrUnsupportedMediaType, "Content-Type must be application/json or application/ld+json")
		}
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			return bodyError(err)
		}
		if err := checkUTF8(raw, nil); err != nil {
			return err
		}
		if _, err := jsonld.Validate(raw); err != nil {
			return err
		}
		id := randomID()
		base := publicURL
		if base == "" {
			base = baseURL(r)
		}
		c := &store.StoredContext{ID: id, URL: strings.TrimSuffix(base, "/") + contextsPath + id, Kind: store.ContextHosted, Body: raw, CreatedAt: time.Now().UTC()}
		if err := cs.PutContext(r.Context(), c); err != nil {
			return err
		}
		f.Forget(c.URL)
		w.Header().Set("Location", contextsPath+id)
		w.WriteHeader(http.StatusCreated)
		return nil
	})
}

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// baseURL is the scheme and host the client used to reach the server.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + r.Host
}

type contextInfo struct {
	URL       string `json:"URL"`
	LocalID   string `json:"localId"`
	Kind      string `json:"kind"`
	Timestamp string `json:"timestamp"`
}

// ListContexts handles GET /ngsi-ld/v1/jsonldContexts.
func ListContexts(cs store.ContextStore) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		all, err := cs.ListContexts(r.Context())
		if err != nil {
			return err
		}
		kind := r.URL.Query().Get("kind")
		if kind != "" && kind != store.ContextHosted && kind != store.ContextCached && kind != "ImplicitlyCreated" {
			return badRequest("kind must be Hosted, Cached or ImplicitlyCreated, not %q", kind)
		}
		details := r.URL.Query().Get("details") == "true"
		urls := []string{}
		infos := []contextInfo{}
		for _, c := range all {
			if kind != "" && c.Kind != kind {
				continue
			}
			urls = append(urls, c.URL)
			infos = append(infos, contextInfo{URL: c.URL, LocalID: c.ID, Kind: c.Kind, Timestamp: c.CreatedAt.Format(time.RFC3339Nano)})
		}
		if details {
			answerJSON(w, infos)
			return nil
		}
		answerJSON(w, urls)
		return nil
	})
}

// findContext looks a context up by local id or by URL.
func findContext(r *http.Request, cs store.ContextStore) (*store.StoredContext, error) {
	key := r.PathValue("contextId")
	c, err := cs.GetContext(r.Context(), key)
	if err == nil || !ngsild.IsType(err, ngsild.ErrResourceNotFound) {
		return c, err
	}
	all, lerr := cs.ListContexts(r.Context())
	if lerr != nil {
		return nil, lerr
	}
	for _, c := range all {
		if c.URL == key {
			return c, nil
		}
	}
	return nil, err
}

// GetContext handles GET /ngsi-ld/v1/jsonldContexts/{contextId}.
func GetContext(cs store.ContextStore) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		c, err := findContext(r, cs)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", mediaLD)
		if !json.Valid(c.Body) {
			return ngsild.Errorf(ngsild.ErrInternal, "stored context %s is damaged", c.ID)
		}
		_, _ = w.Write(c.Body)
		return nil
	})
}

// DeleteContext handles DELETE /ngsi-ld/v1/jsonldContexts/{contextId}.
func DeleteContext(cs store.ContextStore, f ContextForgetter) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		c, err := findContext(r, cs)
		if err != nil {
			return err
		}
		if c.Kind == store.ContextHosted && r.URL.Query().Get("reload") == "true" {
			return badRequest("reload applies to cached contexts; %s is hosted by this broker", c.URL)
		}
		if err := cs.DeleteContext(r.Context(), c.ID); err != nil {
			return err
		}
		f.Forget(c.URL)
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

package broker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
)

// contextsPath is the path under which the broker hosts contexts.
const contextsPath = "/ngsi-ld/v1/jsonldContexts/"

// ContextSource lets the JSON-LD resolver find contexts that clients
// uploaded to this broker (by their URL, whatever host name was used) and
// keep the contexts it fetched.
type ContextSource struct{ cs store.ContextStore }

// NewContextSource returns a ContextSource over cs.
func NewContextSource(cs store.ContextStore) *ContextSource {
	return &ContextSource{cs: cs}
}

// Get returns the body of a hosted or cached context.
func (s *ContextSource) Get(ctx context.Context, url string) ([]byte, bool, error) {
	id := cachedID(url)
	if i := strings.Index(url, contextsPath); i >= 0 {
		id = url[i+len(contextsPath):]
	}
	c, err := s.cs.GetContext(ctx, id)
	if ngsild.IsType(err, ngsild.ErrResourceNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return c.Body, true, nil
}

// Put keeps a context fetched from url.
func (s *ContextSource) Put(ctx context.Context, url string, body []byte) error {
	return s.cs.PutContext(ctx, &store.StoredContext{ID: cachedID(url), URL: url, Kind: store.ContextCached, Body: body, CreatedAt: time.Now().UTC()})
}

// cachedID is the local id of a cached remote context.
func cachedID(url string) string {
	sum := sha256.Sum256([]byte(url))
	return "cached-" + hex.EncodeToString(sum[:12])
}

package jsonld

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
)

// Defaults of Config.
const (
	DefaultTimeout     = 3 * time.Second
	DefaultMaxSize     = 1 << 20
	DefaultNegativeTTL = 30 * time.Second
	DefaultCacheSize   = 1024
	defaultMaxDepth    = 8
	maxFailures        = 4096
)

// Source gives access to the contexts the broker keeps: those clients
// uploaded and those fetched earlier. The broker implements it over its
// store.
type Source interface {
	// Get returns the body of the context document stored for url;
	// found is false when there is none.
	Get(ctx context.Context, url string) (body []byte, found bool, err error)
	// Put keeps a context document the resolver fetched from url.
	Put(ctx context.Context, url string, body []byte) error
}

// Config configures a Resolver. The zero value fetches nothing remote and
// uses the defaults.
type Config struct {
	// Source gives the contexts the broker keeps (uploaded or fetched
	// earlier); nil: none.
	Source Source
	// Dir is a folder of .jsonld context documents, listed by URL in its
	// index.json ({"https://…/context.jsonld": "file.jsonld"}), for
	// deployments without internet access. Empty: none.
	Dir string
	// AllowRemote lists the hosts contexts may be fetched from over HTTP(S):
	// host names, "*.example.org" for its subdomains, "*" for any.
	AllowRemote []string
	// FetchTimeout bounds the loading of the contexts of one request,
	// remote fetches included (DefaultTimeout when zero).
	FetchTimeout time.Duration
	// MaxSize caps the size of a fetched document (DefaultMaxSize when zero).
	MaxSize int64
	// NegativeTTL is how long a context that could not be had is answered
	// with LdContextNotAvailable without trying again (DefaultNegativeTTL).
	NegativeTTL time.Duration
	// CacheSize is the number of resolved contexts and of documents kept in
	// memory (DefaultCacheSize).
	CacheSize int
	// MaxDepth limits the nesting of contexts that include contexts by URL.
	MaxDepth int
	// Client fetches remote contexts (a client without timeout when nil;
	// the resolver applies FetchTimeout itself).
	Client *http.Client
	// Logger receives failures to keep fetched contexts (slog.Default when nil).
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.FetchTimeout <= 0 {
		c.FetchTimeout = DefaultTimeout
	}
	if c.MaxSize <= 0 {
		c.MaxSize = DefaultMaxSize
	}
	if c.NegativeTTL <= 0 {
		c.NegativeTTL = DefaultNegativeTTL
	}
	if c.CacheSize <= 0 {
		c.CacheSize = DefaultCacheSize
	}
	if c.MaxDepth <= 0 {
		c.MaxDepth = defaultMaxDepth
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Resolver turns the @context of requests into Contexts. It caches resolved
// contexts and context documents. One per server; safe for concurrent use.
type Resolver struct {
	cfg      Config
	src      Source
	index    map[string]string // URL → file in cfg.Dir
	client   *http.Client
	resolved *lru[*Context]
	docs     *lru[any] // URL → @context value of the document
	now      func() time.Time

	mu       sync.Mutex
	failures map[string]failure
	flights  map[string]*flight
}

type failure struct {
	err   error
	until time.Time
}

// NewResolver returns a Resolver. It reads the index of cfg.Dir, if any.
func NewResolver(cfg Config) (*Resolver, error) {
	cfg = cfg.withDefaults()
	index, err := readIndex(cfg.Dir)
	if err != nil {
		return nil, err
	}
	r := &Resolver{
		cfg: cfg, src: cfg.Source, index: index,
		resolved: newLRU[*Context](cfg.CacheSize),
		docs:     newLRU[any](cfg.CacheSize),
		now:      time.Now,
		failures: map[string]failure{},
		flights:  map[string]*flight{},
	}
	r.client = r.httpClient(cfg.Client)
	return r, nil
}

// Resolve returns the Context for a decoded @context value: nil (the core
// context), a URL, an inline object or an array of them. Errors are
// *ngsild.Problem: BadRequestData for an invalid context,
// LdContextNotAvailable for a URL that cannot be had.
func (r *Resolver) Resolve(ctx context.Context, v any) (*Context, error) {
	switch x := v.(type) {
	case nil:
		return core, nil
	case string:
		return r.ResolveURL(ctx, x)
	}
	key, err := json.Marshal(v)
	if err != nil {
		return nil, badContext("%v", err)
	}
	return r.resolveKey(ctx, string(key), v)
}

// ResolveURL is Resolve for a context URL, as from a Link header; ""
// (no context link) gives the core context.
func (r *Resolver) ResolveURL(ctx context.Context, url string) (*Context, error) {
	if url == "" || url == CoreContextURL {
		return core, nil
	}
	if c, ok := r.resolved.get(url); ok {
		return c, nil
	}
	return r.resolveMiss(ctx, url, url)
}

// ResolveJSON is Resolve for the raw JSON text of an @context member. A
// text seen before is answered from the cache without decoding.
func (r *Resolver) ResolveJSON(ctx context.Context, raw []byte) (*Context, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return core, nil
	}
	if c, ok := r.resolved.getBytes(raw); ok {
		return c, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, badContext("not valid JSON: %v", err)
	}
	c, err := r.Resolve(ctx, v)
	if err == nil {
		r.resolved.add(string(raw), c)
	}
	return c, err
}

// resolveKey returns the cached Context for key or builds it from v.
func (r *Resolver) resolveKey(ctx context.Context, key string, v any) (*Context, error) {
	if c, ok := r.resolved.get(key); ok {
		return c, nil
	}
	return r.resolveMiss(ctx, key, v)
}

// resolveMiss builds the Context for v and caches it under key.
func (r *Resolver) resolveMiss(ctx context.Context, key string, v any) (*Context, error) {
	c, err := r.build(ctx, v)
	if err != nil {
		return nil, err
	}
	r.resolved.add(key, c)
	return c, nil
}

// build processes v, loading the documents it refers to within cfg.FetchTimeout.
func (r *Resolver) build(ctx context.Context, v any) (*Context, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.FetchTimeout)
	defer cancel()
	b := newBuilder(core)
	b.ctx, b.load, b.maxDepth = ctx, r.load, r.cfg.MaxDepth
	if err := b.apply(v, "", 0); err != nil {
		return nil, err
	}
	return b.finish(v), nil
}

// Forget drops what the resolver remembers about url (its document, a past
// failure) and every resolved context, which may include it. The broker
// calls it when a stored context is created, replaced or deleted.
func (r *Resolver) Forget(url string) {
	r.docs.remove(url)
	r.mu.Lock()
	delete(r.failures, url)
	r.mu.Unlock()
	r.resolved.purge()
}

// load returns the @context value of the document at url: from memory,
// the Source, the local folder or, when allowed, the network.
func (r *Resolver) load(ctx context.Context, url string) (any, error) {
	if v, ok := r.docs.get(url); ok {
		return v, nil
	}
	if err := r.failed(url); err != nil {
		return nil, err
	}
	v, found, err := r.loadLocal(ctx, url)
	if err != nil || found {
		if err == nil {
			r.docs.add(url, v)
		}
		return v, err
	}
	if err := r.checkRemote(url); err != nil {
		r.fail(url, err)
		return nil, err
	}
	return r.fetchShared(ctx, url)
}

// failed returns the remembered failure to load url, if still fresh.
func (r *Resolver) failed(url string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	f, ok := r.failures[url]
	if !ok {
		return nil
	}
	if r.now().After(f.until) {
		delete(r.failures, url)
		return nil
	}
	return f.err
}

// fail remembers that url could not be loaded.
func (r *Resolver) fail(url string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if len(r.failures) >= maxFailures {
		for u, f := range r.failures {
			if now.After(f.until) {
				delete(r.failures, u)
			}
		}
		if len(r.failures) >= maxFailures {
			clear(r.failures)
		}
	}
	r.failures[url] = failure{err: err, until: now.Add(r.cfg.NegativeTTL)}
}

// notAvailable returns an LdContextNotAvailable problem.
func notAvailable(format string, args ...any) error {
	return ngsild.Errorf(ngsild.ErrLdContextNotAvailable, format, args...)
}

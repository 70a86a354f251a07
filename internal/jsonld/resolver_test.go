package jsonld

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
)

// server serves context documents by path and counts requests per path.
type server struct {
	*httptest.Server
	mu    sync.Mutex
	docs  map[string]string
	hits  map[string]int
	block chan struct{} // requests for /hang wait on it
}

func newServer(t *testing.T, docs map[string]string) *server {
	t.Helper()
	s := &server{docs: docs, hits: map[string]int{}, block: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		close(s.block)
		s.Close()
	})
	return s
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	doc, ok := s.docs[r.URL.Path]
	s.mu.Unlock()
	switch {
	case r.URL.Path == "/hang":
		select {
		case <-s.block:
		case <-r.Context().Done():
		}
	case r.URL.Path == "/slow":
		time.Sleep(100 * time.Millisecond)
		fmt.Fprint(w, `{"@context": {"slow": "https://example.org/slow"}}`)
	case r.URL.Path == "/chunked":
		w.(http.Flusher).Flush() // no Content-Length
		fmt.Fprint(w, doc)
	case ok:
		w.Header().Set("Content-Type", "application/ld+json")
		fmt.Fprint(w, doc)
	default:
		http.NotFound(w, r)
	}
}

func (s *server) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// memSource is a Source over a map.
type memSource struct {
	mu   sync.Mutex
	docs map[string][]byte
	puts int
}

func (m *memSource) Get(_ context.Context, url string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.docs[url]
	return b, ok, nil
}

func (m *memSource) Put(_ context.Context, url string, body []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.docs[url] = body
	m.puts++
	return nil
}

func newResolver(t *testing.T, cfg Config, src Source) *Resolver {
	t.Helper()
	if src != nil {
		cfg.Source = src
	}
	r, err := NewResolver(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func allowLocal(cfg Config) Config {
	cfg.AllowRemote = []string{"127.0.0.1"}
	return cfg
}

func wantProblem(t *testing.T, err error, typ ngsild.ErrorType, parts ...string) {
	t.Helper()
	if !ngsild.IsType(err, typ) {
		t.Fatalf("err = %v, want %s", err, typ.Title())
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

func TestNestedRemoteContexts(t *testing.T) {
	srv := newServer(t, map[string]string{
		"/a.jsonld": `{"@context": ["b.jsonld", {"x": "ex:x", "over": "https://a.example/over"}]}`,
		"/b.jsonld": `{"@context": {"ex": "https://example.org/", "y": "ex:y", "over": "https://b.example/over"}}`,
	})
	src := &memSource{docs: map[string][]byte{}}
	r := newResolver(t, allowLocal(Config{}), src)
	ctx := context.Background()
	v := []any{srv.URL + "/a.jsonld", CoreContextURL}
	c, err := r.Resolve(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	checkExpand(t, c, map[string]string{
		"x":        "https://example.org/x",
		"y":        "https://example.org/y",
		"over":     "https://a.example/over",
		"location": ngsild.IRILocation,
	})
	if !reflect.DeepEqual(c.Ref(), v) {
		t.Errorf("Ref() = %v, want %v", c.Ref(), v)
	}
	if src.puts != 2 || src.docs[srv.URL+"/b.jsonld"] == nil {
		t.Errorf("fetched documents not kept through the Source: %d puts", src.puts)
	}
	// Another context that includes a.jsonld reuses the documents.
	if _, err := r.Resolve(ctx, []any{srv.URL + "/a.jsonld", map[string]any{"z": "ex:z"}}); err != nil {
		t.Fatal(err)
	}
	if srv.count("/a.jsonld") != 1 || srv.count("/b.jsonld") != 1 {
		t.Errorf("documents fetched %d and %d times, want once", srv.count("/a.jsonld"), srv.count("/b.jsonld"))
	}
}

func TestResolveCachesContexts(t *testing.T) {
	srv := newServer(t, map[string]string{"/c.jsonld": `{"@context": {"t": "https://example.org/t"}}`})
	r := newResolver(t, allowLocal(Config{}), nil)
	ctx := context.Background()
	u := srv.URL + "/c.jsonld"
	c1, err := r.Resolve(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := r.Resolve(ctx, u)
	if c1 != c2 || c1.Ref() != u {
		t.Errorf("second Resolve built a new context or Ref() = %v", c1.Ref())
	}
	raw := []byte(`[ "` + u + `", {"k": "https://example.org/k"} ]`)
	c3, err := r.ResolveJSON(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	c4, _ := r.ResolveJSON(ctx, raw)
	if c3 != c4 || c3.ExpandTerm("t") != "https://example.org/t" || c3.ExpandTerm("k") != "https://example.org/k" {
		t.Error("ResolveJSON did not cache or resolve the context")
	}
	if c, _ := r.ResolveJSON(ctx, []byte(" null ")); c != Core() {
		t.Error("a null @context is not the core context")
	}
	if c, _ := r.Resolve(ctx, ""); c != Core() {
		t.Error("an empty Link URL is not the core context")
	}
	if c, _ := r.Resolve(ctx, nil); c != Core() {
		t.Error("no @context is not the core context")
	}
	if srv.count("/c.jsonld") != 1 {
		t.Errorf("fetched %d times", srv.count("/c.jsonld"))
	}
	_, err = r.ResolveJSON(ctx, []byte(`{"a": `))
	wantProblem(t, err, ngsild.ErrBadRequestData, "JSON")
}

func TestCoreURLsNeedNoFetch(t *testing.T) {
	r := newResolver(t, Config{}, nil)
	u := "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld"
	c, err := r.Resolve(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	if c.ExpandTerm("location") != ngsild.IRILocation || c.Ref() != u {
		t.Errorf("core v1.6 resolved to %q, Ref %v", c.ExpandTerm("location"), c.Ref())
	}
	if c, _ := r.Resolve(context.Background(), CoreContextURL); c != Core() {
		t.Error("the core URL does not give the core context")
	}
}

func TestSourceContexts(t *testing.T) {
	u := "https://broker.example/ngsi-ld/v1/jsonldContexts/abc"
	src := &memSource{docs: map[string][]byte{u: []byte(`{"@context": {"hosted": "https://example.org/hosted"}}`)}}
	r := newResolver(t, Config{}, src) // no remote fetching at all
	c, err := r.Resolve(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.ExpandTerm("hosted"); got != "https://example.org/hosted" {
		t.Errorf("hosted = %q", got)
	}
}

func TestLocalFolder(t *testing.T) {
	dir := t.TempDir()
	u := "https://smartdatamodels.org/context.jsonld"
	writeFile(t, dir, IndexFile, `{"`+u+`": "sdm.jsonld", "https://x.example/missing.jsonld": "missing.jsonld"}`)
	writeFile(t, dir, "sdm.jsonld", `{"@context": {"sdm": "https://smartdatamodels.org/", "Building": "sdm:Building"}}`)
	r := newResolver(t, Config{Dir: dir}, nil)
	c, err := r.Resolve(context.Background(), []any{u})
	if err != nil {
		t.Fatal(err)
	}
	checkExpand(t, c, map[string]string{"Building": "https://smartdatamodels.org/Building"})
	_, err = r.Resolve(context.Background(), "https://x.example/missing.jsonld")
	wantProblem(t, err, ngsild.ErrLdContextNotAvailable, "missing.jsonld")

	writeFile(t, dir, IndexFile, `{"`+u+`": "../etc/passwd"}`)
	if _, err := NewResolver(Config{Dir: dir}); err == nil {
		t.Error("an index entry outside the folder is accepted")
	}
	if _, err := NewResolver(Config{Dir: t.TempDir()}); err == nil {
		t.Error("a folder without index.json is accepted")
	}
}

func writeFile(t *testing.T, dir, name, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRemoteNotAllowed(t *testing.T) {
	srv := newServer(t, map[string]string{"/c.jsonld": `{"@context": {}}`})
	dir := t.TempDir()
	writeFile(t, dir, IndexFile, `{}`)
	r := newResolver(t, Config{Dir: dir, AllowRemote: []string{"contexts.example.org"}}, nil)
	u := srv.URL + "/c.jsonld"
	start := time.Now()
	_, err := r.Resolve(context.Background(), u)
	wantProblem(t, err, ngsild.ErrLdContextNotAvailable, u, dir, IndexFile)
	if time.Since(start) > time.Second || srv.count("/c.jsonld") != 0 {
		t.Errorf("refusal took %v and %d requests", time.Since(start), srv.count("/c.jsonld"))
	}
	_, err = r.Resolve(context.Background(), "ftp://contexts.example.org/c.jsonld")
	wantProblem(t, err, ngsild.ErrLdContextNotAvailable)
}

func TestHostAllowed(t *testing.T) {
	r := newResolver(t, Config{AllowRemote: []string{"a.example", "*.b.example"}}, nil)
	cases := map[string]bool{
		"a.example": true, "A.Example": true, "x.a.example": false,
		"x.b.example": true, "b.example": false, "xb.example": false, "other": false,
	}
	for host, want := range cases {
		if got := r.hostAllowed(host); got != want {
			t.Errorf("hostAllowed(%q) = %v", host, got)
		}
	}
	if !newResolver(t, Config{AllowRemote: []string{"*"}}, nil).hostAllowed("any.where") {
		t.Error("* does not allow every host")
	}
}

func TestTimeoutAndNegativeCache(t *testing.T) {
	srv := newServer(t, nil)
	timeout := 200 * time.Millisecond
	r := newResolver(t, allowLocal(Config{FetchTimeout: timeout}), nil)
	u := srv.URL + "/hang"
	start := time.Now()
	_, err := r.Resolve(context.Background(), u)
	elapsed := time.Since(start)
	wantProblem(t, err, ngsild.ErrLdContextNotAvailable, u)
	if elapsed < timeout || elapsed > timeout+500*time.Millisecond {
		t.Errorf("first answer after %v, want about %v", elapsed, timeout)
	}
	time.Sleep(20 * time.Millisecond) // let the abandoned fetch record its failure
	start = time.Now()
	_, err = r.Resolve(context.Background(), u)
	wantProblem(t, err, ngsild.ErrLdContextNotAvailable, u)
	if time.Since(start) > 100*time.Millisecond {
		t.Errorf("second answer after %v, want at once from the negative cache", time.Since(start))
	}
	if n := srv.count("/hang"); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestNegativeCacheExpires(t *testing.T) {
	srv := newServer(t, map[string]string{})
	r := newResolver(t, allowLocal(Config{NegativeTTL: time.Minute}), nil)
	now := time.Now()
	r.now = func() time.Time { return now }
	u := srv.URL + "/later.jsonld"
	_, err := r.Resolve(context.Background(), u)
	wantProblem(t, err, ngsild.ErrLdContextNotAvailable, "404")
	srv.mu.Lock()
	srv.docs["/later.jsonld"] = `{"@context": {"later": "https://example.org/later"}}`
	srv.mu.Unlock()
	if _, err := r.Resolve(context.Background(), u); err == nil {
		t.Fatal("failure not remembered")
	}
	now = now.Add(2 * time.Minute)
	c, err := r.Resolve(context.Background(), u)
	if err != nil || c.ExpandTerm("later") != "https://example.org/later" {
		t.Fatalf("after expiry: %v", err)
	}
	if srv.count("/later.jsonld") != 2 {
		t.Errorf("%d requests, want 2", srv.count("/later.jsonld"))
	}
}

func TestForget(t *testing.T) {
	u := "https://broker.example/ctx"
	src := &memSource{docs: map[string][]byte{u: []byte(`{"@context": {"t": "https://one.example/t"}}`)}}
	r := newResolver(t, Config{}, src)
	c, _ := r.Resolve(context.Background(), u)
	src.docs[u] = []byte(`{"@context": {"t": "https://two.example/t"}}`)
	if c2, _ := r.Resolve(context.Background(), u); c2 != c {
		t.Error("context not cached")
	}
	r.Forget(u)
	c3, err := r.Resolve(context.Background(), u)
	if err != nil || c3.ExpandTerm("t") != "https://two.example/t" {
		t.Errorf("after Forget: %v, t = %q", err, c3.ExpandTerm("t"))
	}
}

func TestSingleFetchPerURL(t *testing.T) {
	srv := newServer(t, nil)
	r := newResolver(t, allowLocal(Config{}), nil)
	var wg sync.WaitGroup
	var failures atomic.Int32
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Different contexts, same document: all miss the context cache.
			v := []any{srv.URL + "/slow", map[string]any{"n": fmt.Sprint("https://example.org/", i)}}
			c, err := r.Resolve(context.Background(), v)
			if err != nil || c.ExpandTerm("slow") != "https://example.org/slow" {
				failures.Add(1)
			}
		}()
	}
	wg.Wait()
	if failures.Load() != 0 {
		t.Errorf("%d resolutions failed", failures.Load())
	}
	if n := srv.count("/slow"); n != 1 {
		t.Errorf("%d fetches, want 1", n)
	}
}

func TestSizeCap(t *testing.T) {
	big := `{"@context": {"a": "https://example.org/` + strings.Repeat("a", 2048) + `"}}`
	srv := newServer(t, map[string]string{"/big.jsonld": big, "/chunked": big})
	r := newResolver(t, allowLocal(Config{MaxSize: 1024}), nil)
	for _, p := range []string{"/big.jsonld", "/chunked"} {
		_, err := r.Resolve(context.Background(), srv.URL+p)
		wantProblem(t, err, ngsild.ErrLdContextNotAvailable, "larger than 1024 bytes")
	}
}

func TestBadRemoteDocuments(t *testing.T) {
	srv := newServer(t, map[string]string{
		"/bad.jsonld":     `{"@context": {`,
		"/noctx.jsonld":   `{"name": "not a context"}`,
		"/array.jsonld":   `[1, 2]`,
		"/badterm.jsonld": `{"@context": {"a": 1}}`,
	})
	r := newResolver(t, allowLocal(Config{}), nil)
	ctx := context.Background()
	_, err := r.Resolve(ctx, srv.URL+"/bad.jsonld")
	wantProblem(t, err, ngsild.ErrLdContextNotAvailable, "not a JSON object")
	_, err = r.Resolve(ctx, srv.URL+"/noctx.jsonld")
	wantProblem(t, err, ngsild.ErrLdContextNotAvailable, "no @context")
	_, err = r.Resolve(ctx, srv.URL+"/array.jsonld")
	wantProblem(t, err, ngsild.ErrLdContextNotAvailable)
	_, err = r.Resolve(ctx, srv.URL+"/badterm.jsonld")
	wantProblem(t, err, ngsild.ErrBadRequestData, `"a"`)
	_, err = r.Resolve(ctx, srv.URL+"/missing.jsonld")
	wantProblem(t, err, ngsild.ErrLdContextNotAvailable, "404")
}

func TestContextCycles(t *testing.T) {
	srv := newServer(t, map[string]string{
		"/a.jsonld":     `{"@context": ["b.jsonld", {"a": "https://example.org/a"}]}`,
		"/b.jsonld":     `{"@context": ["c.jsonld"]}`,
		"/c.jsonld":     `{"@context": ["a.jsonld"]}`,
		"/self.jsonld":  `{"@context": "self.jsonld"}`,
		"/twice.jsonld": `{"@context": ["d.jsonld", "d.jsonld"]}`,
		"/d.jsonld":     `{"@context": {"d": "https://example.org/d"}}`,
	})
	r := newResolver(t, allowLocal(Config{}), nil)
	ctx := context.Background()
	_, err := r.Resolve(ctx, srv.URL+"/a.jsonld")
	wantProblem(t, err, ngsild.ErrBadRequestData, "includes itself", srv.URL+"/c.jsonld")
	_, err = r.Resolve(ctx, srv.URL+"/self.jsonld")
	wantProblem(t, err, ngsild.ErrBadRequestData, "includes itself")
	// Including the same context twice is no cycle.
	c, err := r.Resolve(ctx, srv.URL+"/twice.jsonld")
	if err != nil || c.ExpandTerm("d") != "https://example.org/d" {
		t.Errorf("twice: %v", err)
	}
}

func TestDepthLimit(t *testing.T) {
	docs := map[string]string{}
	for i := range 10 {
		docs[fmt.Sprintf("/%d.jsonld", i)] = fmt.Sprintf(`{"@context": "%d.jsonld"}`, i+1)
	}
	docs["/10.jsonld"] = `{"@context": {}}`
	srv := newServer(t, docs)
	r := newResolver(t, allowLocal(Config{MaxDepth: 3}), nil)
	_, err := r.Resolve(context.Background(), srv.URL+"/0.jsonld")
	wantProblem(t, err, ngsild.ErrBadRequestData, "deeper than 3")
	r = newResolver(t, allowLocal(Config{MaxDepth: 11}), nil)
	if _, err := r.Resolve(context.Background(), srv.URL+"/0.jsonld"); err != nil {
		t.Errorf("depth 11: %v", err)
	}
}

// errSource fails every Get.
type errSource struct{}

func (errSource) Get(context.Context, string) ([]byte, bool, error) {
	return nil, false, errors.New("database is down")
}
func (errSource) Put(context.Context, string, []byte) error { return nil }

func TestSourceErrorIsInternal(t *testing.T) {
	r := newResolver(t, Config{}, errSource{})
	_, err := r.Resolve(context.Background(), "https://x.example/c.jsonld")
	if err == nil || ngsild.AsProblem(err).Type != ngsild.ErrInternal {
		t.Errorf("err = %v, want an internal error", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	srv := newServer(t, map[string]string{"/c.jsonld": `{"@context": {"t": "https://example.org/t"}}`})
	r := newResolver(t, allowLocal(Config{CacheSize: 4}), nil)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				v := []any{srv.URL + "/c.jsonld", map[string]any{"k": fmt.Sprint("https://example.org/", (i+j)%8)}}
				c, err := r.Resolve(context.Background(), v)
				if err != nil || c.ExpandTerm("t") != "https://example.org/t" || c.CompactIRI("https://example.org/t") != "t" {
					t.Errorf("resolve: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := r.resolved.len(); n > 4 {
		t.Errorf("%d cached contexts, want at most CacheSize", n)
	}
}

func TestResolveHitDoesNotAllocate(t *testing.T) {
	u := "https://broker.example/ctx"
	src := &memSource{docs: map[string][]byte{u: []byte(`{"@context": {"t": "https://example.org/t"}}`)}}
	r := newResolver(t, Config{}, src)
	ctx := context.Background()
	raw := []byte(`{"a": "https://example.org/a"}`)
	_, _ = r.ResolveURL(ctx, u)
	_, _ = r.ResolveJSON(ctx, raw)
	n := testing.AllocsPerRun(100, func() {
		_, _ = r.ResolveURL(ctx, u)
		_, _ = r.ResolveJSON(ctx, raw)
	})
	if n != 0 {
		t.Errorf("%v allocations per cached Resolve, want 0", n)
	}
}

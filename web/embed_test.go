package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

const indexHTML = `<!doctype html><html lang="vi"><body><div id="root"></div><script type="module" src="/assets/index-abc123.js"></script></body></html>`

func builtFS() fstest.MapFS {
	return fstest.MapFS{
		".gitkeep":               {Data: []byte{}},
		"index.html":             {Data: []byte(indexHTML)},
		"assets/index-abc123.js": {Data: []byte("console.log('dothi')")},
		"assets/index-def456.css": {
			Data: []byte("body{margin:0}"),
		},
		"geo/vungtau.geojson": {Data: []byte(`{"type":"FeatureCollection","features":[]}`)},
		"favicon.svg":         {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
	}
}

func get(t *testing.T, h http.Handler, method, target string, hdr map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestNotBuiltPage(t *testing.T) {
	h := NewHandler(fstest.MapFS{".gitkeep": {Data: []byte{}}})
	for _, target := range []string{"/", "/index.html", "/entities"} {
		res := get(t, h, http.MethodGet, target, nil)
		if res.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("GET %s: status %d, want 503", target, res.StatusCode)
		}
		if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", target, ct)
		}
		b := body(t, res)
		for _, want := range []string{"Giao diện chưa được build", "UI not built", "make web"} {
			if !strings.Contains(b, want) {
				t.Errorf("GET %s: page lacks %q", target, want)
			}
		}
	}
	if res := get(t, h, http.MethodGet, "/.gitkeep", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /.gitkeep: status %d, want 404", res.StatusCode)
	}
}

// The real embedded build either is the placeholder or a full build; both
// must answer the root page.
func TestEmbeddedHandler(t *testing.T) {
	res := get(t, Handler(), http.MethodGet, "/", nil)
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("GET /: status %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET /: Content-Type %q", ct)
	}
}

func TestServesFilesWithTypesAndCaching(t *testing.T) {
	h := NewHandler(builtFS())
	cases := []struct {
		target, ctype, cache, contains string
	}{
		{"/", "text/html; charset=utf-8", "no-cache", `<div id="root">`},
		{"/index.html", "text/html; charset=utf-8", "no-cache", `<div id="root">`},
		{"/assets/index-abc123.js", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", "dothi"},
		{"/assets/index-def456.css", "text/css; charset=utf-8", "public, max-age=31536000, immutable", "margin"},
		{"/geo/vungtau.geojson", "application/geo+json", "public, max-age=3600", "FeatureCollection"},
		{"/favicon.svg", "image/svg+xml", "public, max-age=3600", "<svg"},
	}
	for _, c := range cases {
		res := get(t, h, http.MethodGet, c.target, nil)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d", c.target, res.StatusCode)
			continue
		}
		if got := res.Header.Get("Content-Type"); got != c.ctype {
			t.Errorf("GET %s: Content-Type %q, want %q", c.target, got, c.ctype)
		}
		if got := res.Header.Get("Cache-Control"); got != c.cache {
			t.Errorf("GET %s: Cache-Control %q, want %q", c.target, got, c.cache)
		}
		if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q", c.target, got)
		}
		if b := body(t, res); !strings.Contains(b, c.contains) {
			t.Errorf("GET %s: body %q lacks %q", c.target, b, c.contains)
		}
	}
}

func TestSPAFallback(t *testing.T) {
	h := NewHandler(builtFS())
	for _, target := range []string{"/entities", "/entities?type=AirQualityObserved", "/some/deep/route", "/../entities"} {
		res := get(t, h, http.MethodGet, target, nil)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d, want 200", target, res.StatusCode)
			continue
		}
		if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", target, ct)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q", target, cc)
		}
		if b := body(t, res); !strings.Contains(b, `<div id="root">`) {
			t.Errorf("GET %s: not the index page", target)
		}
	}
}

func TestNoFallbackForAssetsAPIAndHiddenFiles(t *testing.T) {
	h := NewHandler(builtFS())
	for _, target := range []string{
		"/assets/missing-000.js", "/assets/", "/missing.png", "/geo/other.geojson",
		"/.gitkeep", "/api/v1/ui-config", "/ngsi-ld/v1/unknown", "/api",
	} {
		res := get(t, h, http.MethodGet, target, nil)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", target, res.StatusCode)
		}
		if b := body(t, res); strings.Contains(b, `<div id="root">`) {
			t.Errorf("GET %s: answered the index page", target)
		}
	}
}

func TestMethodsHeadAndConditional(t *testing.T) {
	h := NewHandler(builtFS())
	res := get(t, h, http.MethodPost, "/entities", nil)
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /entities: status %d Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
	res = get(t, h, http.MethodHead, "/assets/index-abc123.js", nil)
	if res.StatusCode != http.StatusOK || body(t, res) != "" {
		t.Errorf("HEAD asset: status %d", res.StatusCode)
	}
	first := get(t, h, http.MethodGet, "/", nil)
	tag := first.Header.Get("ETag")
	if tag == "" {
		t.Fatal("index.html has no ETag")
	}
	again := get(t, h, http.MethodGet, "/", map[string]string{"If-None-Match": tag})
	if again.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET /: status %d, want 304", again.StatusCode)
	}
}

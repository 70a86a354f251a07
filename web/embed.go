// Package web holds the operations centre's browser interface: a Vite +
// React application whose build output (web/dist) is embedded in the dothi
// binary and served by Handler.
//
// Build the interface with `make web` (or `cd web && npm ci && npm run
// build`). Before it is built, dist holds only .gitkeep and Handler answers
// every page with a short notice saying so.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed all:dist
var dist embed.FS

// Handler serves the built interface. Files are served from the embedded
// web/dist; any other GET of a path that does not look like a file (no
// extension, not under /assets/) answers index.html so the client-side
// router can handle it. Paths under /api/ and /ngsi-ld/ are never answered
// with the page: they are 404 here, so an API route that is missing is not
// mistaken for the interface.
func Handler() http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil { // cannot happen: "dist" is a valid path
		panic(err)
	}
	return NewHandler(sub)
}

// NewHandler serves the interface from fsys, whose root holds index.html
// and the assets folder. Handler uses it with the embedded build; tests and
// development servers may pass another file system.
func NewHandler(fsys fs.FS) http.Handler {
	h := &handler{fsys: fsys, etags: map[string]string{}}
	// Entity tags are computed once: the embedded files never change while
	// the binary runs, and the build is a few megabytes at most.
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil
		}
		sum := sha256.Sum256(b)
		h.etags[p] = `"` + hex.EncodeToString(sum[:12]) + `"`
		return nil
	})
	_, h.built = h.etags["index.html"]
	return h
}

type handler struct {
	fsys  fs.FS
	etags map[string]string // file path → strong ETag
	built bool              // whether index.html exists
}

// Cache lifetimes: hashed assets never change under their name; the page
// itself must be revalidated on every load so a new release is picked up.
const (
	cacheImmutable = "public, max-age=31536000, immutable"
	cacheRevalid   = "no-cache"
	cacheShort     = "public, max-age=3600"
)

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	urlPath := path.Clean("/" + r.URL.Path)
	if isAPIPath(urlPath) {
		http.NotFound(w, r)
		return
	}
	name := strings.TrimPrefix(urlPath, "/")
	if name == "" || name == "index.html" {
		h.serveIndex(w, r)
		return
	}
	if h.servable(name) {
		h.serveFile(w, r, name)
		return
	}
	if name == "assets" || strings.HasPrefix(name, "assets/") || path.Ext(name) != "" || hasHiddenSegment(name) {
		http.NotFound(w, r)
		return
	}
	// An application route such as /entities: the client router takes it.
	h.serveIndex(w, r)
}

// servable reports whether name is a regular file that may be served:
// hidden files (.gitkeep) stay private.
func (h *handler) servable(name string) bool {
	if _, ok := h.etags[name]; !ok || hasHiddenSegment(name) {
		return false
	}
	return fs.ValidPath(name)
}

func (h *handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	if !h.built {
		serveNotBuilt(w, r)
		return
	}
	h.serveFile(w, r, "index.html")
}

func (h *handler) serveFile(w http.ResponseWriter, r *http.Request, name string) {
	b, err := fs.ReadFile(h.fsys, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", contentType(name))
	hd.Set("X-Content-Type-Options", "nosniff")
	switch {
	case strings.HasPrefix(name, "assets/"):
		hd.Set("Cache-Control", cacheImmutable)
	case name == "index.html":
		hd.Set("Cache-Control", cacheRevalid)
		hd.Set("Referrer-Policy", "same-origin")
	default:
		hd.Set("Cache-Control", cacheShort)
	}
	if tag, ok := h.etags[name]; ok {
		hd.Set("ETag", tag)
	}
	// ServeContent answers HEAD, Range and If-None-Match; the zero time
	// leaves Last-Modified out (embedded files have none).
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
}

// contentTypes covers the extensions a Vite build emits that the standard
// library does not know on every system.
var contentTypes = map[string]string{
	".geojson":     "application/geo+json",
	".webmanifest": "application/manifest+json",
	".woff2":       "font/woff2",
	".woff":        "font/woff",
	".ttf":         "font/ttf",
	".ico":         "image/x-icon",
	".map":         "application/json",
	".txt":         "text/plain; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".html":        "text/html; charset=utf-8",
	".json":        "application/json",
	".svg":         "image/svg+xml",
}

func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if ct, ok := contentTypes[ext]; ok {
		return ct
	}
	if ct := mime.TypeByExtension(ext); ct != "" {
		return ct
	}
	return "application/octet-stream"
}

func isAPIPath(p string) bool {
	for _, prefix := range []string{"/api", "/ngsi-ld"} {
		if p == prefix || strings.HasPrefix(p, prefix+"/") {
			return true
		}
	}
	return false
}

func hasHiddenSegment(name string) bool {
	for _, seg := range strings.Split(name, "/") {
		if strings.HasPrefix(seg, ".") {
			return true
		}
	}
	return false
}

const notBuiltPage = `<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dothi — giao diện chưa được build / UI not built</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;min-height:100vh;display:grid;place-items:center;background:#0f1722;color:#e8eef6}
main{max-width:40rem;padding:2rem;line-height:1.5}
h1{font-size:1.5rem;margin:0 0 1rem}
code{background:#1f2b3a;padding:.1em .35em;border-radius:.25em}
a{color:#8cc8ff}
</style>
</head>
<body>
<main>
<h1>Dothi</h1>
<p>Giao diện chưa được build — chạy <code>make web</code>.</p>
<p lang="en">UI not built — run <code>make web</code>.</p>
<p>API NGSI-LD: <a href="/ngsi-ld/v1/types">/ngsi-ld/v1/types</a> · <a href="/readyz">/readyz</a></p>
</main>
</body>
</html>
`

func serveNotBuilt(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusServiceUnavailable)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(notBuiltPage))
	}
}

package httpapi

import (
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
)

// Service is what the NGSI-LD routes need from the context broker.
type Service interface {
	EntityCreator
	EntityReader
	EntityReplacer
	EntityMerger
	EntityDeleter
	AttrAppender
	AttrUpdater
	AttrPatcher
	AttrReplacer
	AttrDeleter
	EntityQuerier
	BatchWriter
	Summarizer
}

// Contexts resolves request contexts and forgets changed ones.
type Contexts interface {
	ContextResolver
	ContextForgetter
}

// Options bound and configure the NGSI-LD routes.
type Options struct {
	Limits   QueryLimits
	MaxBatch int
	Now      Clock
	// PublicURL is the base URL clients reach the server at, used in the
	// URLs of hosted contexts; empty to use the request's Host.
	PublicURL string
}

// RegisterNGSILD adds the NGSI-LD API under /ngsi-ld/v1/ to mux.
func RegisterNGSILD(mux *http.ServeMux, svc Service, cr Contexts, cs store.ContextStore, o Options) {
	if o.Now == nil {
		o.Now = func() time.Time { return time.Now().UTC() }
	}
	const v1 = "/ngsi-ld/v1"
	routes := map[string]http.Handler{
		"POST " + v1 + "/entities":                             CreateEntity(svc, cr, o.Now),
		"GET " + v1 + "/entities":                              QueryEntities(svc, cr, o.Limits),
		"GET " + v1 + "/entities/{entityId}":                   RetrieveEntity(svc, cr),
		"PUT " + v1 + "/entities/{entityId}":                   ReplaceEntity(svc, cr, o.Now),
		"PATCH " + v1 + "/entities/{entityId}":                 MergeEntity(svc, cr, o.Now),
		"DELETE " + v1 + "/entities/{entityId}":                DeleteEntity(svc),
		"POST " + v1 + "/entities/{entityId}/attrs":            AppendAttrs(svc, cr, o.Now),
		"PATCH " + v1 + "/entities/{entityId}/attrs":           UpdateAttrs(svc, cr, o.Now),
		"PATCH " + v1 + "/entities/{entityId}/attrs/{attrId}":  PartialUpdateAttr(svc, cr, o.Now),
		"PUT " + v1 + "/entities/{entityId}/attrs/{attrId}":    ReplaceAttr(svc, cr, o.Now),
		"DELETE " + v1 + "/entities/{entityId}/attrs/{attrId}": DeleteAttr(svc, cr),
		"POST " + v1 + "/entityOperations/create":              BatchCreate(svc, cr, o.Now, o.MaxBatch),
		"POST " + v1 + "/entityOperations/upsert":              BatchUpsert(svc, cr, o.Now, o.MaxBatch),
		"POST " + v1 + "/entityOperations/update":              BatchUpdate(svc, cr, o.Now, o.MaxBatch),
		"POST " + v1 + "/entityOperations/delete":              BatchDelete(svc, o.MaxBatch),
		"POST " + v1 + "/entityOperations/query":               QueryPost(svc, cr, o.Limits),
		"GET " + v1 + "/types":                                 Types(svc, cr),
		"GET " + v1 + "/types/{type}":                          TypeInfo(svc, cr),
		"GET " + v1 + "/attributes":                            Attributes(svc, cr),
		"GET " + v1 + "/attributes/{attrId}":                   AttributeInfo(svc, cr),
		"POST " + v1 + "/jsonldContexts":                       AddContext(cs, cr, o.PublicURL),
		"GET " + v1 + "/jsonldContexts":                        ListContexts(cs),
		"GET " + v1 + "/jsonldContexts/{contextId}":            GetContext(cs),
		"DELETE " + v1 + "/jsonldContexts/{contextId}":         DeleteContext(cs, cr),
	}
	registerRoutes(mux, routes)
	mux.Handle(v1+"/", http.HandlerFunc(notFoundRoute))
}

// registerRoutes adds routes ("METHOD /path" to handler) to mux, each
// behind NGSILDQuery and WithTenant, and answers 405 with the allowed
// methods on their paths otherwise.
func registerRoutes(mux *http.ServeMux, routes map[string]http.Handler) {
	allowed := map[string][]string{}
	for pattern, h := range routes {
		mux.Handle(pattern, NGSILDQuery(WithTenant(h)))
		method, path, _ := strings.Cut(pattern, " ")
		allowed[path] = append(allowed[path], method)
	}
	for path, methods := range allowed {
		sort.Strings(methods)
		mux.Handle(path, methodNotAllowed(strings.Join(methods, ", ")))
	}
}

// methodNotAllowed answers 405 with the methods the path supports.
func methodNotAllowed(allow string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeProblem(w, &ngsild.Problem{Type: ngsild.ErrInvalidRequest, Title: "MethodNotAllowed", Status: http.StatusMethodNotAllowed,
			Detail: r.Method + " is not allowed on " + r.URL.Path + "; allowed: " + allow})
	})
}

func notFoundRoute(w http.ResponseWriter, r *http.Request) {
	writeError(w, r, ngsild.Errorf(ngsild.ErrResourceNotFound, "%s %s is not an operation of this API", r.Method, r.URL.Path))
}

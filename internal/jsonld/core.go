// Package jsonld handles JSON-LD @context for NGSI-LD the way NGSI-LD
// brokers do: it turns the short names of entity types and attributes into
// IRIs and back, using the request's @context and the NGSI-LD core context.
// It is not a general JSON-LD processor: only term definitions are
// interpreted (no expansion of values, no scoped contexts, no @import).
package jsonld

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/dothi-city/dothi/internal/ngsild"
)

// CoreContextURL is the URL of the NGSI-LD core context the broker embeds
// (ETSI GS CIM 009 v1.8, Annex B).
const CoreContextURL = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"

// DefaultVocab is the default vocabulary: names the contexts do not define
// expand to DefaultVocab + name.
const DefaultVocab = ngsild.IRIDefaultCtx

//go:embed ngsi-ld-core-context-v1.8.jsonld
var coreJSON []byte

// coreURLs are the URLs that resolve to the embedded core context.
var coreURLs = map[string]bool{
	"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld":      true,
	"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.3.jsonld": true,
	"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.4.jsonld": true,
	"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.5.jsonld": true,
	"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld": true,
	"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.7.jsonld": true,
	CoreContextURL: true,
}

// core is the core context on its own; every Context includes its terms.
var core = mustBuildCore()

// IsCoreURL reports whether u names the NGSI-LD core context (any version
// from v1.3 on, or the unversioned URL).
func IsCoreURL(u string) bool {
	return coreURLs[u]
}

// CoreContextJSON returns the text of the embedded core context document.
func CoreContextJSON() []byte {
	return append([]byte(nil), coreJSON...)
}

// Core returns the context of requests that bring none: the core context.
func Core() *Context {
	return core
}

func mustBuildCore() *Context {
	var doc map[string]any
	if err := json.Unmarshal(coreJSON, &doc); err != nil {
		panic(fmt.Sprintf("jsonld: embedded core context: %v", err))
	}
	obj, ok := doc["@context"].(map[string]any)
	if !ok {
		panic("jsonld: embedded core context has no @context object")
	}
	b := newBuilder(nil)
	b.vocab = DefaultVocab
	if err := b.applyObject(obj); err != nil {
		panic(fmt.Sprintf("jsonld: embedded core context: %v", err))
	}
	return b.finish(CoreContextURL)
}

package jsonld

import (
	"context"
	"testing"

	"github.com/dothi-city/dothi/internal/ngsild"
)

func benchContext(b *testing.B) (*Resolver, *Context, string) {
	b.Helper()
	u := "https://broker.example/ngsi-ld/v1/jsonldContexts/sdm"
	src := &memSource{docs: map[string][]byte{u: []byte(`{"@context": {
		"sdm": "https://smartdatamodels.org/",
		"Building": "sdm:dataModel.Building/Building",
		"temperature": "sdm:temperature",
		"category": {"@id": "sdm:category", "@type": "@vocab"}}}`)}}
	r, err := NewResolver(Config{Source: src})
	if err != nil {
		b.Fatal(err)
	}
	c, err := r.ResolveURL(context.Background(), u)
	if err != nil {
		b.Fatal(err)
	}
	return r, c, u
}

func BenchmarkResolveHit(b *testing.B) {
	r, _, u := benchContext(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.ResolveURL(ctx, u); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResolveJSONHit(b *testing.B) {
	r, _, _ := benchContext(b)
	ctx := context.Background()
	raw := []byte(`[{"temperature": "https://example.org/temperature"}, "` + CoreContextURL + `"]`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.ResolveJSON(ctx, raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExpandTerm(b *testing.B) {
	_, c, _ := benchContext(b)
	terms := []string{"temperature", "location", "Building", "observedAt", "https://example.org/x"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = c.ExpandTerm(terms[i%len(terms)])
	}
}

func BenchmarkCompactIRI(b *testing.B) {
	_, c, _ := benchContext(b)
	iris := []string{"https://smartdatamodels.org/temperature", ngsild.IRILocation,
		"https://smartdatamodels.org/dataModel.Building/Building", DefaultVocab + "speed"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = c.CompactIRI(iris[i%len(iris)])
	}
}

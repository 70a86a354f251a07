package jsonld

import (
	"sort"
	"strings"
)

// Context is a resolved JSON-LD context: the term definitions of the
// contexts a request brought, followed by the (protected) core context.
// It is immutable and safe for concurrent use.
type Context struct {
	terms    map[string]string // term → IRI (or keyword)
	prefixes map[string]string // prefix term → IRI
	reverse  map[string]string // IRI → preferred term
	byIRI    []prefixDef       // prefixes, longest IRI first
	vocab    string
	ref      any
}

type prefixDef struct {
	term, iri string
}

// ExpandTerm returns the IRI of a type or attribute name: absolute IRIs
// unchanged, compact IRIs (prefix:suffix) through the context's prefixes,
// defined terms through their definition, anything else appended to the
// vocabulary (@vocab, by default DefaultVocab). It does not allocate for
// defined terms and absolute IRIs.
func (c *Context) ExpandTerm(term string) string {
	if iri, ok := c.terms[term]; ok {
		return iri
	}
	if term == "" || term[0] == '@' {
		return term
	}
	if i := strings.IndexByte(term, ':'); i >= 0 {
		return c.expandCompact(term, i)
	}
	return c.vocab + term
}

// expandCompact expands term, which has a colon at i.
func (c *Context) expandCompact(term string, i int) string {
	suffix := term[i+1:]
	if strings.HasPrefix(suffix, "//") {
		return term
	}
	if iri, ok := c.prefixes[term[:i]]; ok {
		return iri + suffix
	}
	return term // an absolute IRI such as urn:ngsi-ld:x
}

// CompactIRI returns the short name of an IRI: the term defined for it,
// else the IRI without the vocabulary prefix, else a compact IRI
// prefix:suffix, else the IRI itself. The result expands back to iri.
// It does not allocate when a term is defined for iri.
func (c *Context) CompactIRI(iri string) string {
	if t, ok := c.reverse[iri]; ok {
		return t
	}
	if s, ok := c.vocabRelative(iri); ok {
		return s
	}
	for _, p := range c.byIRI {
		if len(iri) > len(p.iri) && strings.HasPrefix(iri, p.iri) {
			suffix := iri[len(p.iri):]
			if strings.HasPrefix(suffix, "//") {
				continue
			}
			ci := p.term + ":" + suffix
			if _, taken := c.terms[ci]; !taken {
				return ci
			}
		}
	}
	return iri
}

// vocabRelative returns iri without the vocabulary prefix when the rest
// would expand back to iri.
func (c *Context) vocabRelative(iri string) (string, bool) {
	if len(iri) <= len(c.vocab) || !strings.HasPrefix(iri, c.vocab) {
		return "", false
	}
	s := iri[len(c.vocab):]
	if s[0] == '@' || strings.IndexByte(s, ':') >= 0 {
		return "", false
	}
	if _, taken := c.terms[s]; taken {
		return "", false
	}
	return s, true
}

// Ref returns the context as the request gave it (a URL, an inline object
// or an array of them), for the @context member or Link header of the
// response; CoreContextURL when the request brought none. Callers must not
// modify it.
func (c *Context) Ref() any {
	return c.ref
}

// Vocab returns the vocabulary undefined names expand against.
func (c *Context) Vocab() string {
	return c.vocab
}

// newContext freezes the builder's definitions into a Context.
func newContext(terms, prefixes map[string]string, vocab string, ref any) *Context {
	c := &Context{terms: terms, prefixes: prefixes, vocab: vocab, ref: ref}
	if c.vocab == "" {
		c.vocab = DefaultVocab
	}
	c.reverse = make(map[string]string, len(terms))
	for t, iri := range terms {
		if old, ok := c.reverse[iri]; !ok || preferTerm(t, old) {
			c.reverse[iri] = t
		}
	}
	for t, iri := range prefixes {
		c.byIRI = append(c.byIRI, prefixDef{term: t, iri: iri})
	}
	sort.Slice(c.byIRI, func(i, j int) bool {
		a, b := c.byIRI[i], c.byIRI[j]
		if len(a.iri) != len(b.iri) {
			return len(a.iri) > len(b.iri)
		}
		return a.term < b.term
	})
	return c
}

// preferTerm reports whether term a is a better compaction than b: the
// shortest, then the lexicographically least (as JSON-LD term selection).
func preferTerm(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

package jsonld

import (
	"context"
	"maps"
	"net/url"
	"sort"
	"strings"

	"github.com/dothi-city/dothi/internal/ngsild"
)

// loadFunc returns the @context value of the context document at an
// absolute URL.
type loadFunc func(ctx context.Context, url string) (any, error)

// builder accumulates term definitions while a context value is processed
// (a simplified JSON-LD 1.1 context processing algorithm).
type builder struct {
	base     *Context // protected definitions (the core); nil for the core itself
	terms    map[string]string
	prefixes map[string]string
	vocab    string // "" means DefaultVocab

	ctx      context.Context
	load     loadFunc // nil: URLs are checked but not loaded
	maxDepth int
	chain    []string // URLs being processed, to detect cycles
}

// Term-definition states while a context object is processed.
const (
	defining = 1
	defined  = 2
)

func newBuilder(base *Context) *builder {
	b := &builder{base: base, maxDepth: defaultMaxDepth}
	b.reset()
	return b
}

// reset returns to the initial context: the protected definitions only.
func (b *builder) reset() {
	b.terms, b.prefixes, b.vocab = map[string]string{}, map[string]string{}, ""
	if b.base != nil {
		b.terms = maps.Clone(b.base.terms)
		b.prefixes = maps.Clone(b.base.prefixes)
	}
}

// finish returns the resolved Context; ref is what the request gave.
func (b *builder) finish(ref any) *Context {
	return newContext(b.terms, b.prefixes, b.vocab, ref)
}

func badContext(format string, args ...any) error {
	return ngsild.Errorf(ngsild.ErrBadRequestData, "invalid @context: "+format, args...)
}

// apply processes a context value: a URL, an object, null or an array of
// them. base is the URL of the document v comes from ("" when inline).
func (b *builder) apply(v any, base string, depth int) error {
	switch x := v.(type) {
	case nil:
		b.reset()
		return nil
	case string:
		return b.applyURL(x, base, depth)
	case map[string]any:
		return b.applyObject(x)
	case []any:
		for _, e := range x {
			if _, nested := e.([]any); nested {
				return badContext("an array of contexts cannot contain an array")
			}
			if err := b.apply(e, base, depth); err != nil {
				return err
			}
		}
		return nil
	}
	return badContext("a context must be a URL, an object or an array of them, not %T", v)
}

// applyURL loads the context document at u (relative to base) and applies
// its @context.
func (b *builder) applyURL(u, base string, depth int) error {
	abs, err := absURL(u, base)
	if err != nil {
		return err
	}
	if IsCoreURL(abs) {
		return nil // the core is always applied, and last
	}
	for _, seen := range b.chain {
		if seen == abs {
			return badContext("the context %q includes itself (%s → %s)", abs, strings.Join(b.chain, " → "), abs)
		}
	}
	if depth >= b.maxDepth {
		return badContext("contexts nested deeper than %d levels at %q", b.maxDepth, abs)
	}
	if b.load == nil {
		return nil
	}
	v, err := b.load(b.ctx, abs)
	if err != nil {
		return err
	}
	b.chain = append(b.chain, abs)
	defer func() { b.chain = b.chain[:len(b.chain)-1] }()
	return b.apply(v, abs, depth+1)
}

// absURL resolves u against base; the result must be an absolute URL.
func absURL(u, base string) (string, error) {
	p, err := url.Parse(u)
	if err != nil {
		return "", badContext("%q is not a valid URL", u)
	}
	if !p.IsAbs() && base != "" {
		if bp, err := url.Parse(base); err == nil {
			p = bp.ResolveReference(p)
		}
	}
	if !p.IsAbs() || p.Host == "" {
		return "", badContext("%q is not an absolute URL", u)
	}
	return p.String(), nil
}

// applyObject processes an inline context object.
func (b *builder) applyObject(obj map[string]any) error {
	state := make(map[string]uint8, len(obj))
	if err := b.applyVocab(obj, state); err != nil {
		return err
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic error messages
	for _, term := range keys {
		if strings.HasPrefix(term, "@") {
			continue // @version, @protected, @base, @language, …
		}
		if err := b.define(obj, term, state); err != nil {
			return err
		}
	}
	return nil
}

// applyVocab processes the @vocab member of obj, which may use a prefix
// that obj defines.
func (b *builder) applyVocab(obj map[string]any, state map[string]uint8) error {
	raw, ok := obj["@vocab"]
	if !ok {
		return nil
	}
	if raw == nil {
		b.vocab = ""
		return nil
	}
	s, ok := raw.(string)
	if !ok {
		return badContext("@vocab must be a string or null")
	}
	iri, err := b.expandIRI(obj, s, state, "@vocab")
	if err != nil {
		return err
	}
	if !strings.Contains(iri, ":") {
		return badContext("@vocab %q is not an absolute IRI", s)
	}
	b.vocab = iri
	return nil
}

// termDef is a parsed term definition.
type termDef struct {
	id     string
	null   bool // the term is explicitly undefined
	hasID  bool
	prefix int8 // -1: @prefix false, 1: @prefix true, 0: absent
}

// define creates the definition of term from the context object local,
// first defining the terms its IRI depends on.
func (b *builder) define(local map[string]any, term string, state map[string]uint8) error {
	switch state[term] {
	case defined:
		return nil
	case defining:
		return badContext("cyclic definition of term %q", term)
	}
	state[term] = defining
	defer func() { state[term] = defined }()
	if b.protected(term) {
		return nil // core terms cannot be redefined
	}
	d, err := parseDef(term, local[term])
	if err != nil {
		return err
	}
	if d.null {
		delete(b.terms, term)
		delete(b.prefixes, term)
		return nil
	}
	id := term
	if d.hasID {
		id = d.id
	}
	iri, err := b.expandIRI(local, id, state, term)
	if err != nil {
		return err
	}
	b.setTerm(term, iri, d)
	return nil
}

func (b *builder) protected(term string) bool {
	if b.base == nil {
		return false
	}
	_, ok := b.base.terms[term]
	return ok
}

// setTerm records term → iri and whether term can serve as a prefix.
func (b *builder) setTerm(term, iri string, d termDef) {
	b.terms[term] = iri
	usable := d.prefix == 1 || (d.prefix == 0 && endsWithGenDelim(iri))
	if usable && !strings.ContainsAny(term, ":/") && !isKeyword(iri) {
		b.prefixes[term] = iri
	} else {
		delete(b.prefixes, term)
	}
}

// expandIRI expands value, which is in the definition of self (or of
// @vocab when local is nil), against the definitions made so far.
func (b *builder) expandIRI(local map[string]any, value string, state map[string]uint8, self string) (string, error) {
	if isKeyword(value) {
		return value, nil
	}
	if i := strings.IndexByte(value, ':'); i >= 0 {
		return b.expandCompactIRI(local, value, i, state)
	}
	if value != self {
		if _, ok := local[value]; ok {
			if err := b.define(local, value, state); err != nil {
				return "", err
			}
		}
		if iri, ok := b.terms[value]; ok {
			return iri, nil
		}
	}
	return b.vocabIRI() + value, nil
}

// expandCompactIRI expands value, which has a colon at i.
func (b *builder) expandCompactIRI(local map[string]any, value string, i int, state map[string]uint8) (string, error) {
	prefix, suffix := value[:i], value[i+1:]
	if prefix == "_" || strings.HasPrefix(suffix, "//") {
		return value, nil
	}
	if _, ok := local[prefix]; ok {
		if err := b.define(local, prefix, state); err != nil {
			return "", err
		}
	}
	if iri, ok := b.prefixes[prefix]; ok {
		return iri + suffix, nil
	}
	return value, nil
}

func (b *builder) vocabIRI() string {
	if b.vocab == "" {
		return DefaultVocab
	}
	return b.vocab
}

// parseDef parses the definition of term: a string, an object or null.
func parseDef(term string, raw any) (termDef, error) {
	if term == "" {
		return termDef{}, badContext("a term cannot be empty")
	}
	switch v := raw.(type) {
	case nil:
		return termDef{null: true}, nil
	case string:
		return termDef{id: v, hasID: true}, nil
	case map[string]any:
		return parseExpandedDef(term, v)
	}
	return termDef{}, badContext("the definition of term %q must be a string, an object or null", term)
}

// parseExpandedDef parses an expanded term definition {"@id": …, …}.
func parseExpandedDef(term string, m map[string]any) (termDef, error) {
	var d termDef
	if id, ok := m["@id"]; ok {
		switch x := id.(type) {
		case nil:
			d.null = true
		case string:
			d.id, d.hasID = x, true
		default:
			return d, badContext("@id of term %q must be a string", term)
		}
	}
	if p, ok := m["@prefix"]; ok {
		flag, isBool := p.(bool)
		if !isBool {
			return d, badContext("@prefix of term %q must be true or false", term)
		}
		d.prefix = -1
		if flag {
			d.prefix = 1
		}
	}
	if t, ok := m["@type"]; ok {
		if _, isString := t.(string); !isString {
			return d, badContext("@type of term %q must be a string", term)
		}
	}
	return d, nil
}

// isKeyword reports whether s looks like a JSON-LD keyword (@ and letters).
func isKeyword(s string) bool {
	if len(s) < 2 || s[0] != '@' {
		return false
	}
	for _, r := range s[1:] {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') {
			return false
		}
	}
	return true
}

// endsWithGenDelim reports whether iri ends with an RFC 3986 gen-delim,
// which makes a simple term usable as a prefix.
func endsWithGenDelim(iri string) bool {
	return iri != "" && strings.IndexByte(":/?#[]@", iri[len(iri)-1]) >= 0
}

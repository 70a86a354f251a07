package qlang

import (
	"strings"
	"unicode"
)

// TypeName selects entities that have the type Name (expanded).
type TypeName struct {
	Name string
}

// Match reports whether types contains the name.
func (t *TypeName) Match(types []string) bool {
	for _, x := range types {
		if x == t.Name {
			return true
		}
	}
	return false
}

// String returns the name.
func (t *TypeName) String() string { return t.Name }

// TypeAnd selects entities selected by all its terms.
type TypeAnd struct {
	Terms []TypeExpr
}

// Match reports whether every term matches.
func (t *TypeAnd) Match(types []string) bool {
	for _, x := range t.Terms {
		if !x.Match(types) {
			return false
		}
	}
	return true
}

// String returns the selection as text, with ";" between terms.
func (t *TypeAnd) String() string {
	parts := make([]string, len(t.Terms))
	for i, x := range t.Terms {
		parts[i] = x.String()
		if _, ok := x.(*TypeOr); ok {
			parts[i] = "(" + parts[i] + ")"
		}
	}
	return strings.Join(parts, ";")
}

// TypeOr selects entities selected by any of its terms.
type TypeOr struct {
	Terms []TypeExpr
}

// Match reports whether any term matches.
func (t *TypeOr) Match(types []string) bool {
	for _, x := range t.Terms {
		if x.Match(types) {
			return true
		}
	}
	return false
}

// String returns the selection as text, with "|" between terms.
func (t *TypeOr) String() string {
	parts := make([]string, len(t.Terms))
	for i, x := range t.Terms {
		parts[i] = x.String()
	}
	return strings.Join(parts, "|")
}

// TypeNames returns the type names of a selection that is a single name or
// an OR of names, and true; otherwise nil and false.
func TypeNames(t TypeExpr) ([]string, bool) {
	switch x := t.(type) {
	case *TypeName:
		return []string{x.Name}, true
	case *TypeOr:
		names := make([]string, 0, len(x.Terms))
		for _, term := range x.Terms {
			n, ok := term.(*TypeName)
			if !ok {
				return nil, false
			}
			names = append(names, n.Name)
		}
		return names, true
	}
	return nil, false
}

// ParseTypes parses an entity type selection: names joined by "," or "|"
// (OR) and ";" (AND, binding tighter), with parentheses. Names are
// expanded through expand (nil leaves them as written); a name may be a
// term, a prefixed name or an IRI. Errors are as for Parse.
func ParseTypes(s string, expand func(string) string) (TypeExpr, error) {
	if expand == nil {
		expand = func(t string) string { return t }
	}
	p := &tparser{scanner: scanner{param: "type", src: s}, expand: expand}
	if err := p.check(); err != nil {
		return nil, err
	}
	t, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if !p.atEnd() {
		return nil, p.unexpected(`",", "|", ";" or end of input`)
	}
	return t, nil
}

type tparser struct {
	scanner
	expand func(string) string
}

// parseOr parses terms joined by "," or "|".
func (p *tparser) parseOr() (TypeExpr, error) {
	return joined(p.parseAnd, func() bool { return p.accept('|') || p.accept(',') },
		func(e TypeExpr) []TypeExpr { return flat[*TypeOr](e, func(o *TypeOr) []TypeExpr { return o.Terms }) },
		func(terms []TypeExpr) TypeExpr { return &TypeOr{Terms: terms} })
}

// parseAnd parses terms joined by ";".
func (p *tparser) parseAnd() (TypeExpr, error) {
	return joined(p.parsePrimary, func() bool { return p.accept(';') },
		func(e TypeExpr) []TypeExpr { return flat[*TypeAnd](e, func(a *TypeAnd) []TypeExpr { return a.Terms }) },
		func(terms []TypeExpr) TypeExpr { return &TypeAnd{Terms: terms} })
}

// parsePrimary parses a parenthesised selection or a type name.
func (p *tparser) parsePrimary() (TypeExpr, error) {
	if p.accept('(') {
		if err := p.enter(); err != nil {
			return nil, err
		}
		t, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if !p.accept(')') {
			return nil, p.unexpected(`",", "|", ";" or ")"`)
		}
		p.depth--
		return t, nil
	}
	if err := p.countTerm(); err != nil {
		return nil, err
	}
	name := p.scanWhile(isTypeRune)
	if name == "" {
		return nil, p.unexpected("a type name")
	}
	return &TypeName{Name: p.expand(name)}, nil
}

// isTypeRune reports whether r may appear in a type name or IRI.
func isTypeRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || strings.ContainsRune("_-.~:/?#@!$&*+=%", r)
}

package qlang

import (
	"regexp"

	"github.com/dothi-city/dothi/internal/ngsild"
)

// Parse parses a q expression. Attribute and sub-attribute names are
// expanded through expand (nil leaves them as written); bracketed key names
// are not. Errors are BadRequestData problems giving the position (1-based,
// in bytes) and what was expected, or TooComplexQuery problems when the
// query exceeds MaxLength, MaxDepth or MaxTerms.
//
// The String of the result parses again to the same expression when expand
// is nil; expanded IRIs are not valid names in q text.
func Parse(s string, expand func(term string) string) (Expr, error) {
	if expand == nil {
		expand = func(t string) string { return t }
	}
	p := &qparser{scanner: scanner{param: "q", src: s}, expand: expand}
	if err := p.check(); err != nil {
		return nil, err
	}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if !p.atEnd() {
		return nil, p.unexpected(`";", "|" or end of input`)
	}
	return e, nil
}

type qparser struct {
	scanner
	expand func(string) string
}

// parseOr parses terms joined by "|".
func (p *qparser) parseOr() (Expr, error) {
	return joined(p.parseAnd, func() bool { return p.accept('|') },
		func(e Expr) []Expr { return flat[*Or](e, func(o *Or) []Expr { return o.Terms }) },
		func(terms []Expr) Expr { return &Or{Terms: terms} })
}

// parseAnd parses terms joined by ";".
func (p *qparser) parseAnd() (Expr, error) {
	return joined(p.parsePrimary, func() bool { return p.accept(';') },
		func(e Expr) []Expr { return flat[*And](e, func(a *And) []Expr { return a.Terms }) },
		func(terms []Expr) Expr { return &And{Terms: terms} })
}

// joined parses items separated by what sep accepts, flattening items
// that are groups of the same kind; one item stands alone, several form a
// group.
func joined[T any](item func() (T, error), sep func() bool, flatten func(T) []T, group func([]T) T) (T, error) {
	var terms []T
	for {
		t, err := item()
		if err != nil {
			var zero T
			return zero, err
		}
		terms = append(terms, flatten(t)...)
		if !sep() {
			break
		}
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return group(terms), nil
}

// flat returns the terms of e when it is a group G, else e alone.
func flat[G any, T any](e T, terms func(G) []T) []T {
	if g, ok := any(e).(G); ok {
		return terms(g)
	}
	return []T{e}
}

// parsePrimary parses a parenthesised expression or a single term.
func (p *qparser) parsePrimary() (Expr, error) {
	if !p.accept('(') {
		return p.parseTerm()
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if !p.accept(')') {
		return nil, p.unexpected(`";", "|" or ")"`)
	}
	p.depth--
	return e, nil
}

// parseTerm parses an existence test or a comparison.
func (p *qparser) parseTerm() (Expr, error) {
	if err := p.countTerm(); err != nil {
		return nil, err
	}
	not := p.accept('!')
	sel, err := p.parseSelector()
	if err != nil {
		return nil, err
	}
	opPos := p.pos
	op := p.parseOp()
	if op == 0 || not {
		if op != 0 {
			p.pos = opPos
			return nil, p.unexpected(`";", "|", ")" or end of input after a negated attribute`)
		}
		if c := p.peek(); !p.atEnd() && c != ';' && c != '|' && c != ')' {
			return nil, p.unexpected(`an operator, ";", "|", ")" or end of input`)
		}
		return &Exists{Selector: sel, Not: not}, nil
	}
	c := &Compare{Selector: sel, Op: op}
	switch op {
	case OpMatch, OpNotMatch:
		err = p.parsePattern(c)
	case OpEq, OpNe:
		err = p.parseEquality(c)
	default:
		err = p.parseOrdering(c)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// parseSelector parses attr.sub.sub2[key1.key2][key3].
func (p *qparser) parseSelector() (Selector, error) {
	var sel Selector
	attr, err := p.parseName("an attribute name")
	if err != nil {
		return sel, err
	}
	for p.peek() == '.' {
		if meta := sel.Metadata(); meta != "" {
			return sel, p.errorf("metadata %q at position %d cannot have sub-attributes", metaShort[meta], p.pos+1)
		}
		p.pos++
		name, err := p.parseName("a sub-attribute or metadata name")
		if err != nil {
			return sel, err
		}
		sel.Path = append(sel.Path, p.expandPath(name))
	}
	for p.accept('[') {
		if sel.Metadata() != "" {
			return sel, p.errorf("metadata at position %d has no keys", p.pos)
		}
		if err := p.parseKeys(&sel); err != nil {
			return sel, err
		}
	}
	sel.Attr = p.expandAttr(attr, len(sel.Path) == 0 && len(sel.Keys) == 0)
	return sel, nil
}

// parseKeys parses key1.key2] after "[".
func (p *qparser) parseKeys(sel *Selector) error {
	for {
		key, err := p.parseName("a key name")
		if err != nil {
			return err
		}
		sel.Keys = append(sel.Keys, key)
		if p.accept(']') {
			return nil
		}
		if !p.accept('.') {
			return p.unexpected(`"." or "]"`)
		}
	}
}

func (p *qparser) parseName(expected string) (string, error) {
	name := p.scanWhile(isNameRune)
	if name == "" {
		return "", p.unexpected(expected)
	}
	return name, nil
}

// expandAttr expands an attribute name; createdAt and modifiedAt standing
// alone designate the entity's timestamps.
func (p *qparser) expandAttr(name string, alone bool) string {
	x := p.expand(name)
	switch {
	case !alone:
	case name == "createdAt" || name == ngsild.IRICreatedAt || x == ngsild.IRICreatedAt:
		return ngsild.IRICreatedAt
	case name == "modifiedAt" || name == ngsild.IRIModifiedAt || x == ngsild.IRIModifiedAt:
		return ngsild.IRIModifiedAt
	}
	return x
}

// expandPath expands a sub-attribute name; a metadata name (short, or
// expanding to the metadata IRI) becomes the metadata IRI.
func (p *qparser) expandPath(name string) string {
	x := p.expand(name)
	for iri, short := range metaShort {
		if name == short || name == iri || x == iri {
			return iri
		}
	}
	return x
}

var ops = []struct {
	text string
	op   Op
}{
	{"==", OpEq}, {"!~=", OpNotMatch}, {"!=", OpNe}, {">=", OpGe},
	{"<=", OpLe}, {">", OpGt}, {"<", OpLt}, {"~=", OpMatch},
}

// parseOp consumes an operator; 0 when there is none.
func (p *qparser) parseOp() Op {
	for _, o := range ops {
		if p.acceptString(o.text) {
			return o.op
		}
	}
	return 0
}

// parseEquality parses the value, value list or range after == or !=.
func (p *qparser) parseEquality(c *Compare) error {
	start := p.pos
	v, err := p.parseValue()
	if err != nil {
		return err
	}
	if p.acceptString("..") {
		return p.parseRange(c, v, start)
	}
	c.Values = append(c.Values, v)
	for p.accept(',') {
		v, err := p.parseValue()
		if err != nil {
			return err
		}
		c.Values = append(c.Values, v)
	}
	return nil
}

// parseRange parses the upper bound of a range whose lower bound lo started
// at position start.
func (p *qparser) parseRange(c *Compare, lo Value, start int) error {
	if !lo.Comparable() {
		return p.errorf("%s %s at position %d cannot bound a range", lo.Kind, lo, start+1)
	}
	hi, err := p.parseValue()
	if err != nil {
		return err
	}
	if hi.Kind != lo.Kind {
		return p.errorf("range bounds at position %d have different types (%s and %s)", start+1, lo.Kind, hi.Kind)
	}
	if c := p.peek(); c == ',' || c == '.' {
		return p.unexpectedAt(p.pos, `";", "|", ")" or end of input after a range`)
	}
	c.Range = &Range{Lo: lo, Hi: hi}
	return nil
}

// parseOrdering parses the single comparable value after > >= < <=.
func (p *qparser) parseOrdering(c *Compare) error {
	start := p.pos
	v, err := p.parseValue()
	if err != nil {
		return err
	}
	if !v.Comparable() {
		return p.errorf("%s %s at position %d cannot be used with %q", v.Kind, v, start+1, c.Op.String())
	}
	if next := p.peek(); next == ',' || next == '.' {
		return p.unexpected(`";", "|", ")" or end of input (lists and ranges need == or !=)`)
	}
	c.Values = []Value{v}
	return nil
}

// parsePattern parses the regular expression after ~= or !~=: a quoted
// string, or raw text up to a ";", "|" or ")" outside parentheses and
// character classes. It is compiled once, here.
func (p *qparser) parsePattern(c *Compare) error {
	start := p.pos
	var expr string
	if p.peek() == '"' {
		s, err := p.parseQuoted()
		if err != nil {
			return err
		}
		expr = s
	} else {
		expr = p.scanPattern()
		if expr == "" {
			return p.unexpected("a regular expression")
		}
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return p.errorf("invalid regular expression at position %d: %v", start+1, err)
	}
	c.Pattern = re
	return nil
}

// scanPattern consumes an unquoted regular expression.
func (p *qparser) scanPattern() string {
	start, depth, class := p.pos, 0, false
	for ; p.pos < len(p.src); p.pos++ {
		switch c := p.src[p.pos]; {
		case c == ' ':
			return p.src[start:p.pos]
		case c == '\\' && p.pos+1 < len(p.src):
			p.pos++
		case class:
			class = c != ']'
		case c == '[':
			class = true
		case c == '(':
			depth++
		case c == ')' && depth == 0, (c == ';' || c == '|') && depth == 0:
			return p.src[start:p.pos]
		case c == ')':
			depth--
		}
	}
	return p.src[start:]
}

package qlang

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
)

// Op is a comparison operator of a query term.
type Op int

// The comparison operators.
const (
	OpEq       Op = iota + 1 // ==
	OpNe                     // !=
	OpGt                     // >
	OpGe                     // >=
	OpLt                     // <
	OpLe                     // <=
	OpMatch                  // ~=  (regular expression)
	OpNotMatch               // !~= (regular expression)
)

var opText = [...]string{
	OpEq: "==", OpNe: "!=", OpGt: ">", OpGe: ">=", OpLt: "<", OpLe: "<=",
	OpMatch: "~=", OpNotMatch: "!~=",
}

// String returns the operator as written in q.
func (o Op) String() string {
	if o < OpEq || o > OpNotMatch {
		return "Op(" + strconv.Itoa(int(o)) + ")"
	}
	return opText[o]
}

// Kind is the type of a literal value.
type Kind int

// The kinds of literal values.
const (
	KindNumber   Kind = iota + 1 // Num holds the value
	KindString                   // Str holds the unquoted text
	KindBool                     // Bool holds the value
	KindDateTime                 // Time holds the instant, Str the literal
	KindDate                     // Time holds midnight UTC of the day, Str the literal
	KindTime                     // Time holds the time of day (UTC) on a zero date, Str the literal
	KindURI                      // Str holds the unquoted URI
)

var kindText = [...]string{
	KindNumber: "number", KindString: "string", KindBool: "boolean",
	KindDateTime: "date-time", KindDate: "date", KindTime: "time", KindURI: "URI",
}

// String returns the name of the kind.
func (k Kind) String() string {
	if k < KindNumber || k > KindURI {
		return "Kind(" + strconv.Itoa(int(k)) + ")"
	}
	return kindText[k]
}

// Value is a literal of a query term. For a KindString value whose text is
// an ISO 8601 date-time, Time also holds that instant (zero otherwise), so
// that quoted date-times compare with time metadata.
type Value struct {
	Kind Kind
	Num  float64
	Str  string
	Bool bool
	Time time.Time
}

// Comparable reports whether the value may be used with an ordering
// operator or in a range (a number, string, date-time, date or time).
func (v Value) Comparable() bool {
	return v.Kind != KindBool && v.Kind != KindURI
}

// String returns the value as a q literal.
func (v Value) String() string {
	switch v.Kind {
	case KindNumber:
		return formatNumber(v.Num)
	case KindString:
		return quote(v.Str)
	case KindBool:
		return strconv.FormatBool(v.Bool)
	}
	return v.Str
}

func formatNumber(f float64) string {
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// quote returns s as a quoted string literal: double quotes and backslashes
// are escaped with a backslash.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// Range is an inclusive range of values (lo..hi in q).
type Range struct {
	Lo, Hi Value
}

// String returns the range as q text.
func (r *Range) String() string {
	return r.Lo.String() + ".." + r.Hi.String()
}

// Selector designates what a query term looks at: an attribute, optionally
// a path of sub-attributes ending possibly with a metadata name, and
// optionally a path of keys into the JSON object value.
type Selector struct {
	// Attr is the expanded attribute name. IRICreatedAt and IRIModifiedAt
	// with no Path and no Keys select the entity's own timestamps.
	Attr string
	// Path holds expanded sub-attribute names. Its last element may be a
	// metadata IRI: ngsild.IRIObservedAt, IRIUnitCode, IRICreatedAt,
	// IRIModifiedAt or IRIDatasetID.
	Path []string
	// Keys is the path into the value (attr[k1.k2]); names are not expanded.
	Keys []string
}

// Metadata returns the metadata IRI the selector ends with, or "".
func (s *Selector) Metadata() string {
	if len(s.Path) == 0 {
		return ""
	}
	if last := s.Path[len(s.Path)-1]; metaShort[last] != "" {
		return last
	}
	return ""
}

// EntityTime reports whether the selector designates the entity's own
// createdAt or modifiedAt timestamp.
func (s *Selector) EntityTime() bool {
	return len(s.Path) == 0 && len(s.Keys) == 0 &&
		(s.Attr == ngsild.IRICreatedAt || s.Attr == ngsild.IRIModifiedAt)
}

// String returns the selector as q text; metadata and entity timestamps
// are written with their short names.
func (s *Selector) String() string {
	var b strings.Builder
	if s.EntityTime() {
		b.WriteString(metaShort[s.Attr])
	} else {
		b.WriteString(s.Attr)
	}
	for _, p := range s.Path {
		b.WriteByte('.')
		if short := metaShort[p]; short != "" {
			p = short
		}
		b.WriteString(p)
	}
	if len(s.Keys) > 0 {
		b.WriteByte('[')
		b.WriteString(strings.Join(s.Keys, "."))
		b.WriteByte(']')
	}
	return b.String()
}

// metaShort maps the metadata IRIs to their short names.
var metaShort = map[string]string{
	ngsild.IRIObservedAt: "observedAt",
	ngsild.IRIUnitCode:   "unitCode",
	ngsild.IRICreatedAt:  "createdAt",
	ngsild.IRIModifiedAt: "modifiedAt",
	ngsild.IRIDatasetID:  "datasetId",
}

// And is satisfied when all its terms are.
type And struct {
	Terms []Expr
}

// String returns the conjunction as q text.
func (a *And) String() string {
	parts := make([]string, len(a.Terms))
	for i, t := range a.Terms {
		parts[i] = t.String()
		if _, ok := t.(*Or); ok {
			parts[i] = "(" + parts[i] + ")"
		}
	}
	return strings.Join(parts, ";")
}

// Or is satisfied when any of its terms is.
type Or struct {
	Terms []Expr
}

// String returns the disjunction as q text.
func (o *Or) String() string {
	parts := make([]string, len(o.Terms))
	for i, t := range o.Terms {
		parts[i] = t.String()
	}
	return strings.Join(parts, "|")
}

// Exists tests whether the selected attribute, metadata or key is present
// (or, with Not, absent).
type Exists struct {
	Selector
	Not bool
}

// String returns the term as q text.
func (x *Exists) String() string {
	if x.Not {
		return "!" + x.Selector.String()
	}
	return x.Selector.String()
}

// Compare compares the selected values with literals. Exactly one of
// Values, Range and Pattern is set: Values for ==, != (one or more values,
// any of which may match) and the ordering operators (exactly one value);
// Range for == and != with a range; Pattern for ~= and !~=.
type Compare struct {
	Selector
	Op      Op
	Values  []Value
	Range   *Range
	Pattern *regexp.Regexp
}

// String returns the term as q text.
func (c *Compare) String() string {
	s := c.Selector.String() + c.Op.String()
	switch {
	case c.Pattern != nil:
		return s + quote(c.Pattern.String())
	case c.Range != nil:
		return s + c.Range.String()
	}
	parts := make([]string, len(c.Values))
	for i, v := range c.Values {
		parts[i] = v.String()
	}
	return s + strings.Join(parts, ",")
}

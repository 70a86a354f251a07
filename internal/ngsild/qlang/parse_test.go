package qlang

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
)

const ns = "https://example.org/"

// expandEx expands every term into the example namespace.
// The prefix ngsi-ld: expands into the core namespace.
func expandEx(t string) string {
	if rest, ok := strings.CutPrefix(t, "ngsi-ld:"); ok {
		return ngsild.CoreNS + rest
	}
	return ns + t
}

func TestParseCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a", "a"},
		{"!a", "!a"},
		{"a==1", "a==1"},
		{"a!=1", "a!=1"},
		{"a>1", "a>1"},
		{"a>=1", "a>=1"},
		{"a<1", "a<1"},
		{"a<=1", "a<=1"},
		{"a==-1.50", "a==-1.5"},
		{"a==1e3", "a==1000"},
		{"a==2.5E-10", "a==2.5e-10"},
		{"a==1e21", "a==1e+21"},
		{"a==-0", "a==-0"},
		{"a==true", "a==true"},
		{"a==false", "a==false"},
		{`a=="x"`, `a=="x"`},
		{`a=="say \"hi\""`, `a=="say \"hi\""`},
		{`a=="back\\slash"`, `a=="back\\slash"`},
		{`a=="semi;colon|pipe(paren)"`, `a=="semi;colon|pipe(paren)"`},
		{`a=="with space"`, `a=="with space"`},
		{"a==1,2,3", "a==1,2,3"},
		{`a=="x",true,2`, `a=="x",true,2`},
		{"a==1..5", "a==1..5"},
		{"a!=-5..-1", "a!=-5..-1"},
		{"a==1.5..2.5", "a==1.5..2.5"},
		{`a=="a".."m"`, `a=="a".."m"`},
		{"a==2020-01-01T00:00:00Z..2020-12-31T23:59:59Z", "a==2020-01-01T00:00:00Z..2020-12-31T23:59:59Z"},
		{"a>=2018-12-04T12:00:00.5+01:00", "a>=2018-12-04T12:00:00.5+01:00"},
		{"a==2018-12-04", "a==2018-12-04"},
		{"a<12:00:00Z", "a<12:00:00Z"},
		{"a==urn:ngsi-ld:Building:1", "a==urn:ngsi-ld:Building:1"},
		{"a==http://example.org/x?y=1#z", "a==http://example.org/x?y=1#z"},
		{"a==urn:x:1,urn:x:2", "a==urn:x:1,urn:x:2"},
		{"a~=^Ab.*", `a~="^Ab.*"`},
		{"a!~=x", `a!~="x"`},
		{`a~="(?i)foo|bar"`, `a~="(?i)foo|bar"`},
		{`a~=(foo|bar)\d+;b`, `a~="(foo|bar)\\d+";b`},
		{`a~=[;|)]x|b`, `a~="[;|)]x"|b`},
		{"a;b|c", "a;b|c"},
		{"a|b;c", "a|b;c"},
		{"(a|b);c", "(a|b);c"},
		{"((a))", "a"},
		{"(a;b);(c;d)", "a;b;c;d"},
		{"(a|b)|(c|d)", "a|b|c|d"},
		{"a;(b|(c;d))", "a;(b|c;d)"},
		{"a.b", "a.b"},
		{"a.b.c==1", "a.b.c==1"},
		{"a.observedAt>=2020-01-01T00:00:00Z", "a.observedAt>=2020-01-01T00:00:00Z"},
		{"a.b.unitCode==\"CEL\"", "a.b.unitCode==\"CEL\""},
		{"a[k]", "a[k]"},
		{"a[k1.k2]==1", "a[k1.k2]==1"},
		{"a[k1][k2]==1", "a[k1.k2]==1"},
		{"a.b[k]==1", "a.b[k]==1"},
		{"createdAt>2020-01-01T00:00:00Z", "createdAt>2020-01-01T00:00:00Z"},
		{"ns:attr==1", "ns:attr==1"},
		{"température==1", "température==1"},
		{`a=="€ ünïcödé"`, `a=="€ ünïcödé"`},
	}
	for _, tt := range tests {
		e, err := Parse(tt.in, nil)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got := e.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
		again, err := Parse(e.String(), nil)
		if err != nil || again.String() != e.String() {
			t.Errorf("re-parse of %q: %v, %v", e.String(), again, err)
		}
	}
}

func TestParseAST(t *testing.T) {
	tests := []struct {
		in   string
		want Expr
	}{
		{"a.b.c[k1.k2]==1", &Compare{
			Selector: Selector{Attr: ns + "a", Path: []string{ns + "b", ns + "c"}, Keys: []string{"k1", "k2"}},
			Op:       OpEq, Values: []Value{{Kind: KindNumber, Num: 1}},
		}},
		{"a.observedAt", &Exists{Selector: Selector{Attr: ns + "a", Path: []string{ngsild.IRIObservedAt}}}},
		{"a.b.ngsi-ld:unitCode", &Exists{Selector: Selector{Attr: ns + "a", Path: []string{ns + "b", ngsild.IRIUnitCode}}}},
		{"a.datasetId", &Exists{Selector: Selector{Attr: ns + "a", Path: []string{ngsild.IRIDatasetID}}}},
		{"a.createdAt", &Exists{Selector: Selector{Attr: ns + "a", Path: []string{ngsild.IRICreatedAt}}}},
		{"a.modifiedAt", &Exists{Selector: Selector{Attr: ns + "a", Path: []string{ngsild.IRIModifiedAt}}}},
		{"a.unitCode", &Exists{Selector: Selector{Attr: ns + "a", Path: []string{ngsild.IRIUnitCode}}}},
		{"modifiedAt", &Exists{Selector: Selector{Attr: ngsild.IRIModifiedAt}}},
		{"createdAt.x", &Exists{Selector: Selector{Attr: ns + "createdAt", Path: []string{ns + "x"}}}},
		{"!a", &Exists{Selector: Selector{Attr: ns + "a"}, Not: true}},
		{"a==1..2", &Compare{
			Selector: Selector{Attr: ns + "a"}, Op: OpEq,
			Range: &Range{Lo: Value{Kind: KindNumber, Num: 1}, Hi: Value{Kind: KindNumber, Num: 2}},
		}},
		{`a!="x",true,urn:a:b`, &Compare{
			Selector: Selector{Attr: ns + "a"}, Op: OpNe,
			Values: []Value{{Kind: KindString, Str: "x"}, {Kind: KindBool, Bool: true}, {Kind: KindURI, Str: "urn:a:b"}},
		}},
		{"a;b|c", &Or{Terms: []Expr{
			&And{Terms: []Expr{&Exists{Selector: Selector{Attr: ns + "a"}}, &Exists{Selector: Selector{Attr: ns + "b"}}}},
			&Exists{Selector: Selector{Attr: ns + "c"}},
		}}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, expandEx)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestParseLiterals(t *testing.T) {
	day := time.Date(2018, 12, 4, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want Value
	}{
		{"42", Value{Kind: KindNumber, Num: 42}},
		{"-3.25e2", Value{Kind: KindNumber, Num: -325}},
		{`"hello"`, Value{Kind: KindString, Str: "hello"}},
		{`"2018-12-04T10:00:00Z"`, Value{Kind: KindString, Str: "2018-12-04T10:00:00Z", Time: day.Add(10 * time.Hour)}},
		{"2018-12-04T12:00:00+02:00", Value{Kind: KindDateTime, Str: "2018-12-04T12:00:00+02:00"}},
		{"2018-12-04T10:00:00", Value{Kind: KindDateTime, Str: "2018-12-04T10:00:00", Time: day.Add(10 * time.Hour)}},
		{"2018-12-04", Value{Kind: KindDate, Str: "2018-12-04", Time: day}},
		{"10:30:00+01:00", Value{Kind: KindTime, Str: "10:30:00+01:00", Time: time.Time{}.Add(9*time.Hour + 30*time.Minute)}},
		{"10:30:00.250", Value{Kind: KindTime, Str: "10:30:00.250", Time: time.Time{}.Add(10*time.Hour + 30*time.Minute + 250*time.Millisecond)}},
		{"urn:ngsi-ld:Person:Bob", Value{Kind: KindURI, Str: "urn:ngsi-ld:Person:Bob"}},
	}
	for _, tt := range tests {
		e, err := Parse("a=="+tt.in, nil)
		if err != nil {
			t.Errorf("Parse(a==%s): %v", tt.in, err)
			continue
		}
		got := e.(*Compare).Values[0]
		if tt.want.Kind == KindDateTime && tt.want.Time.IsZero() {
			if !got.Time.Equal(day.Add(10*time.Hour)) || got.Kind != KindDateTime || got.Str != tt.want.Str {
				t.Errorf("a==%s: got %#v, want date-time 2018-12-04T10:00:00Z", tt.in, got)
			}
			continue
		}
		if got.Kind != tt.want.Kind || got.Num != tt.want.Num || got.Str != tt.want.Str ||
			got.Bool != tt.want.Bool || !got.Time.Equal(tt.want.Time) {
			t.Errorf("a==%s: got %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestParsePatternCompiledOnce(t *testing.T) {
	e, err := Parse(`name~="^Bâ"`, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := e.(*Compare)
	if c.Pattern == nil || c.Pattern.String() != "^Bâ" || c.Values != nil || c.Range != nil {
		t.Fatalf("got %#v", c)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `q: unexpected end of input at position 1, expected an attribute name`},
		{"a==", `q: unexpected end of input at position 4, expected a value`},
		{"(a==1;b==)", `q: unexpected ")" at position 10, expected a value`},
		{"a==1)", `q: unexpected ")" at position 5, expected ";", "|" or end of input`},
		{"(a==1", `q: unexpected end of input at position 6, expected ";", "|" or ")"`},
		{"a;", `q: unexpected end of input at position 3, expected an attribute name`},
		{"|a", `q: unexpected "|" at position 1, expected an attribute name`},
		{"a=1", `q: unexpected "=" at position 2, expected an operator, ";", "|", ")" or end of input`},
		{"a == 1", `q: unexpected " " at position 2, expected an operator, ";", "|", ")" or end of input`},
		{"a==1 ", `q: unexpected " " at position 5, expected ";", "|" or end of input`},
		{"a.", `q: unexpected end of input at position 3, expected a sub-attribute or metadata name`},
		{"a[", `q: unexpected end of input at position 3, expected a key name`},
		{"a[k", `q: unexpected end of input at position 4, expected "." or "]"`},
		{"a[k].b", `q: unexpected "." at position 5, expected an operator, ";", "|", ")" or end of input`},
		{"a.observedAt.x", `q: metadata "observedAt" at position 13 cannot have sub-attributes`},
		{"a.unitCode[k]", `q: metadata at position 11 has no keys`},
		{"a==hello", `q: invalid value "hello" at position 4, expected a number, a quoted string, true, false, a date-time, a date, a time or a URI`},
		{"a==1e999", `q: number 1e999 at position 4 is out of range`},
		{"a==01:02", `q: invalid value "01:02" at position 4, expected a number, a quoted string, true, false, a date-time, a date, a time or a URI`},
		{"a==2020-13-01", `q: invalid value "2020-13-01" at position 4, expected a number, a quoted string, true, false, a date-time, a date, a time or a URI`},
		{`a=="open`, `q: unterminated string starting at position 4`},
		{`a=="x\"`, `q: unterminated string starting at position 4`},
		{"a>true", `q: boolean true at position 3 cannot be used with ">"`},
		{"a<=urn:x:y", `q: URI urn:x:y at position 4 cannot be used with "<="`},
		{"a>1,2", `q: unexpected "," at position 4, expected ";", "|", ")" or end of input (lists and ranges need == or !=)`},
		{"a<1..2", `q: unexpected "." at position 4, expected ";", "|", ")" or end of input (lists and ranges need == or !=)`},
		{"a==true..false", `q: boolean true at position 4 cannot bound a range`},
		{`a==1.."5"`, `q: range bounds at position 4 have different types (number and string)`},
		{"a==1..5,6", `q: unexpected "," at position 8, expected ";", "|", ")" or end of input after a range`},
		{"a==1..", `q: unexpected end of input at position 7, expected a value`},
		{"a==1,", `q: unexpected end of input at position 6, expected a value`},
		{"a~=", `q: unexpected end of input at position 4, expected a regular expression`},
		{"a~=(x", "q: invalid regular expression at position 4: error parsing regexp: missing closing ): `(x`"},
		{`a!~="[z-a]"`, "q: invalid regular expression at position 5: error parsing regexp: invalid character class range: `z-a`"},
		{"!a==1", `q: unexpected "=" at position 3, expected ";", "|", ")" or end of input after a negated attribute`},
		{"a==<script>", `q: unexpected "<" at position 4, expected a value`},
		{"a=='x'", `q: unexpected "'" at position 4, expected a value`},
		{"a==\"x\ny\"", `q: forbidden control character '\n' at position 6`},
		{"a==\x00", `q: forbidden control character '\x00' at position 4`},
		{"a==\"\xff\"", `q: invalid UTF-8 at position 5`},
		{"a==\"x\"y", `q: unexpected "y" at position 7, expected ";", "|" or end of input`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in, nil)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want error %q", tt.in, tt.want)
			continue
		}
		if !ngsild.IsType(err, ngsild.ErrBadRequestData) {
			t.Errorf("Parse(%q): error type of %v is not BadRequestData", tt.in, err)
		}
		if got := ngsild.AsProblem(err).Detail; got != tt.want {
			t.Errorf("Parse(%q) error\n got %s\nwant %s", tt.in, got, tt.want)
		}
	}
}

func TestParseLimits(t *testing.T) {
	terms := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = "a"
		}
		return strings.Join(parts, ";")
	}
	nest := func(n int) string { return strings.Repeat("(", n) + "a" + strings.Repeat(")", n) }
	tests := []struct {
		name, in string
		ok       bool
		detail   string
	}{
		{"max terms", terms(MaxTerms), true, ""},
		{"too many terms", terms(MaxTerms + 1), false, "q: more than 256 terms"},
		{"max depth", nest(MaxDepth), true, ""},
		{"too deep", nest(MaxDepth + 1), false, "q: parentheses nested deeper than 32 at position 33"},
		{"max length", `a=="` + strings.Repeat("x", MaxLength-5) + `"`, true, ""},
		{"too long", `a=="` + strings.Repeat("x", MaxLength-4) + `"`, false, "q: longer than 8192 bytes"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in, nil)
		if tt.ok {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if !ngsild.IsType(err, ngsild.ErrTooComplexQuery) || ngsild.AsProblem(err).Detail != tt.detail {
			t.Errorf("%s: got %v, want TooComplexQuery %q", tt.name, err, tt.detail)
		}
	}
}

func TestOpAndKindString(t *testing.T) {
	if OpNotMatch.String() != "!~=" || Op(0).String() != "Op(0)" {
		t.Errorf("Op.String: %q %q", OpNotMatch.String(), Op(0).String())
	}
	if KindDateTime.String() != "date-time" || Kind(99).String() != "Kind(99)" {
		t.Errorf("Kind.String: %q %q", KindDateTime.String(), Kind(99).String())
	}
}

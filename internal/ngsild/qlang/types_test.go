package qlang

import (
	"reflect"
	"strings"
	"testing"

	"github.com/dothi-city/dothi/internal/ngsild"
)

func TestParseTypes(t *testing.T) {
	tests := []struct {
		in, canonical string
		names         []string // TypeNames result; nil when not a plain OR
		match         map[string]bool
	}{
		{"A", "A", []string{"A"}, map[string]bool{"A": true, "B": false, "A B": true}},
		{"A,B", "A|B", []string{"A", "B"}, map[string]bool{"A": true, "B": true, "C": false}},
		{"A|B,C", "A|B|C", []string{"A", "B", "C"}, map[string]bool{"C": true, "D": false}},
		{"A;B", "A;B", nil, map[string]bool{"A": false, "B": false, "A B": true}},
		{"A;B|C", "A;B|C", nil, map[string]bool{"A": false, "C": true, "A B": true}},
		{"A;(B|C)", "A;(B|C)", nil, map[string]bool{"A": false, "C": false, "A C": true, "B C": false}},
		{"(A|B)|(C)", "A|B|C", []string{"A", "B", "C"}, map[string]bool{"B": true}},
		{"((A;B);C)", "A;B;C", nil, map[string]bool{"A B": false, "A B C": true}},
		{"https://example.org/T#x,ns:Building", "https://example.org/T#x|ns:Building", []string{"https://example.org/T#x", "ns:Building"},
			map[string]bool{"ns:Building": true}},
	}
	for _, tt := range tests {
		te, err := ParseTypes(tt.in, nil)
		if err != nil {
			t.Errorf("ParseTypes(%q): %v", tt.in, err)
			continue
		}
		if got := te.String(); got != tt.canonical {
			t.Errorf("ParseTypes(%q).String() = %q, want %q", tt.in, got, tt.canonical)
		}
		names, ok := TypeNames(te)
		if ok != (tt.names != nil) || !reflect.DeepEqual(names, tt.names) {
			t.Errorf("TypeNames(%q) = %v, %v; want %v", tt.in, names, ok, tt.names)
		}
		for types, want := range tt.match {
			if got := te.Match(strings.Fields(types)); got != want {
				t.Errorf("%q.Match(%q) = %v, want %v", tt.in, types, got, want)
			}
		}
	}
}

func TestParseTypesExpands(t *testing.T) {
	te, err := ParseTypes("Building;(Store|ngsi-ld:Thing)", expandEx)
	if err != nil {
		t.Fatal(err)
	}
	want := &TypeAnd{Terms: []TypeExpr{
		&TypeName{Name: ns + "Building"},
		&TypeOr{Terms: []TypeExpr{&TypeName{Name: ns + "Store"}, &TypeName{Name: ngsild.CoreNS + "Thing"}}},
	}}
	if !reflect.DeepEqual(te, want) {
		t.Errorf("got %#v, want %#v", te, want)
	}
	if !te.Match([]string{ns + "Store", ns + "Building"}) {
		t.Error("expanded types do not match")
	}
}

func TestParseTypesErrors(t *testing.T) {
	tests := []struct {
		in   string
		typ  ngsild.ErrorType
		want string
	}{
		{"", ngsild.ErrBadRequestData, `type: unexpected end of input at position 1, expected a type name`},
		{"A,", ngsild.ErrBadRequestData, `type: unexpected end of input at position 3, expected a type name`},
		{"A;;B", ngsild.ErrBadRequestData, `type: unexpected ";" at position 3, expected a type name`},
		{"(A|B", ngsild.ErrBadRequestData, `type: unexpected end of input at position 5, expected ",", "|", ";" or ")"`},
		{"A)", ngsild.ErrBadRequestData, `type: unexpected ")" at position 2, expected ",", "|", ";" or end of input`},
		{"A B", ngsild.ErrBadRequestData, `type: unexpected " " at position 2, expected ",", "|", ";" or end of input`},
		{"A<B>", ngsild.ErrBadRequestData, `type: unexpected "<" at position 2, expected ",", "|", ";" or end of input`},
		{"A\tB", ngsild.ErrBadRequestData, `type: forbidden control character '\t' at position 2`},
		{strings.Repeat("(", 33) + "A" + strings.Repeat(")", 33), ngsild.ErrTooComplexQuery, "type: parentheses nested deeper than 32 at position 33"},
		{strings.Repeat("A,", 256) + "A", ngsild.ErrTooComplexQuery, "type: more than 256 terms"},
		{strings.Repeat("A", MaxLength+1), ngsild.ErrTooComplexQuery, "type: longer than 8192 bytes"},
	}
	for _, tt := range tests {
		_, err := ParseTypes(tt.in, nil)
		if !ngsild.IsType(err, tt.typ) {
			t.Errorf("ParseTypes(%.40q): got %v, want %s", tt.in, err, tt.typ.Title())
			continue
		}
		if got := ngsild.AsProblem(err).Detail; got != tt.want {
			t.Errorf("ParseTypes(%.40q) error\n got %s\nwant %s", tt.in, got, tt.want)
		}
	}
}

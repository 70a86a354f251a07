package qlang

import (
	"errors"
	"testing"

	"github.com/dothi-city/dothi/internal/ngsild"
)

var fuzzSeeds = []string{
	"a", "!a", "a==1", "a!=1,2,3", "a==1..5", `a=="x\"y"`, "a~=^x(y|z)", `a!~="[;)]"`,
	"a;b|c", "(a|b);(c|d)", "a.b.observedAt>=2020-01-01T00:00:00Z", "a[k1.k2]==urn:x:y",
	"a==2020-01-01", "a<12:00:00Z", "a==true", "a==-1.5e-3", "createdAt>2020-01-01T00:00:00Z",
	"((a==1))", "a==", "a==1..", `a=="`, "(((", "a.observedAt.x", "ns:a==1",
}

// FuzzParse checks that Parse never panics, that every error is a Problem
// and that the canonical text of a parsed query parses to the same text.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	e := fixture(f)
	f.Fuzz(func(t *testing.T, s string) {
		x, err := Parse(s, nil)
		if err != nil {
			var p *ngsild.Problem
			if !errors.As(err, &p) || (p.Type != ngsild.ErrBadRequestData && p.Type != ngsild.ErrTooComplexQuery) {
				t.Fatalf("Parse(%q): error %v is not a BadRequestData or TooComplexQuery problem", s, err)
			}
			return
		}
		canon := x.String()
		y, err := Parse(canon, nil)
		if err != nil {
			t.Fatalf("Parse(%q) = %q, which does not parse: %v", s, canon, err)
		}
		if again := y.String(); again != canon {
			t.Fatalf("Parse(%q) = %q, re-parsed as %q", s, canon, again)
		}
		x.Match(e)
		if _, err := Parse(s, expandEx); err != nil {
			t.Fatalf("Parse(%q) fails only with expansion: %v", s, err)
		}
	})
}

// FuzzParseTypes checks the same properties for type selections.
func FuzzParseTypes(f *testing.F) {
	for _, s := range []string{"A", "A,B", "A|B;C", "(A;B)|C", "ns:T,https://x.org/T#1", "(", "A;", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		x, err := ParseTypes(s, nil)
		if err != nil {
			if !ngsild.IsType(err, ngsild.ErrBadRequestData) && !ngsild.IsType(err, ngsild.ErrTooComplexQuery) {
				t.Fatalf("ParseTypes(%q): unexpected error %v", s, err)
			}
			return
		}
		canon := x.String()
		y, err := ParseTypes(canon, nil)
		if err != nil || y.String() != canon {
			t.Fatalf("ParseTypes(%q) = %q, re-parsed as %v, %v", s, canon, y, err)
		}
		x.Match([]string{"A", "B"})
	})
}

package qlang

import "testing"

var benchQueries = map[string]string{
	"simple":  "count==42",
	"complex": `(temperature>20;temperature.observedAt>=2020-01-01T00:00:00Z)|((status=="open"|isOpen==true);address[street.number]==1..20)|name~="(?i)^bât"`,
	"list":    "count==1,2,3,4,5,6,7,8,9,10,42",
}

func BenchmarkParse(b *testing.B) {
	for name, q := range benchQueries {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(q, expandEx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMatch(b *testing.B) {
	e := fixture(b)
	for name, q := range benchQueries {
		x, err := Parse(q, expandEx)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				x.Match(e)
			}
		})
	}
}

func BenchmarkParseTypes(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseTypes("Building;(Store|Office),Vehicle", expandEx); err != nil {
			b.Fatal(err)
		}
	}
}

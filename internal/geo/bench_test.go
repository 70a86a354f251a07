package geo

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// circle returns the coordinates of an n-gon of radius r degrees around the
// Vũng Tàu centre, as a Polygon coordinates array.
func circle(n int, r float64) string {
	parts := make([]string, 0, n+1)
	for i := 0; i <= n; i++ {
		a := 2 * math.Pi * float64(i%n) / float64(n)
		parts = append(parts, fmt.Sprintf("[%.6f,%.6f]", 107.084+r*math.Cos(a), 10.346+r*math.Sin(a)))
	}
	return "[[" + strings.Join(parts, ",") + "]]"
}

func benchmarkMatch(b *testing.B, q *Query, g *Geometry, want bool) {
	if q.Match(g) != want {
		b.Fatalf("Match = %v, want %v", !want, want)
	}
	b.ReportAllocs()
	for b.Loop() {
		q.Match(g)
	}
}

func BenchmarkMatch(b *testing.B) {
	pt := mustParse(b, `{"type":"Point","coordinates":[107.09,10.35]}`)
	b.Run("point/near", func(b *testing.B) {
		benchmarkMatch(b, mustQuery(b, "near;maxDistance==2000", "Point", "[107.084,10.346]"), pt, true)
	})
	b.Run("point/within-polygon-5", func(b *testing.B) {
		benchmarkMatch(b, mustQuery(b, "within", "Polygon", districtCoords), pt, true)
	})
	b.Run("point/within-polygon-256", func(b *testing.B) {
		benchmarkMatch(b, mustQuery(b, "within", "Polygon", circle(256, 0.05)), pt, true)
	})
	b.Run("point/near-polygon-256", func(b *testing.B) {
		benchmarkMatch(b, mustQuery(b, "near;maxDistance==500", "Polygon", circle(256, 0.05)), pt, true)
	})
	poly := mustParse(b, `{"type":"Polygon","coordinates":`+circle(64, 0.02)+`}`)
	b.Run("polygon/intersects-polygon-256", func(b *testing.B) {
		benchmarkMatch(b, mustQuery(b, "intersects", "Polygon", circle(256, 0.05)), poly, true)
	})
	b.Run("polygon/within-polygon-256", func(b *testing.B) {
		benchmarkMatch(b, mustQuery(b, "within", "Polygon", circle(256, 0.05)), poly, true)
	})
	b.Run("polygon/bbox-reject", func(b *testing.B) {
		benchmarkMatch(b, mustQuery(b, "intersects", "Polygon", districtCoords), mustParse(b, vtFar), false)
	})
}

func BenchmarkParse(b *testing.B) {
	for _, tc := range []struct{ name, in string }{
		{"point", vtCentre},
		{"polygon-256", `{"type":"Polygon","coordinates":` + circle(256, 0.05) + `}`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			data := []byte(tc.in)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDistance(b *testing.B) {
	for b.Loop() {
		Distance(107.084, 10.346, 106.698, 10.7725)
	}
}

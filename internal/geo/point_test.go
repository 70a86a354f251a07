package geo

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/peterstace/simplefeatures/geom"
)

// checkPointFast fails when the Point fast path accepts data and the
// general path rejects it or gives another geometry.
func checkPointFast(t *testing.T, data []byte) bool {
	t.Helper()
	fast, ok := parsePoint(data)
	if !ok {
		return false
	}
	slow, err := parseGeneral(data)
	if err != nil {
		t.Fatalf("parsePoint accepted %s, which the general path rejects: %v", data, err)
	}
	if fast.String() != slow.String() || fast.typ != slow.typ || fast.bbox != slow.bbox ||
		fast.lon != slow.lon || fast.lat != slow.lat || fast.isPoint != slow.isPoint ||
		!geom.ExactEquals(fast.g, slow.g) || fast.g.CoordinatesType() != slow.g.CoordinatesType() {
		t.Fatalf("parsePoint(%s) = %s %v, general path %s %v", data, fast, fast.bbox, slow, slow.bbox)
	}
	return true
}

func pointSeeds() []string {
	return []string{
		vtCentre,
		` { "coordinates" : [ -180 , 90, 12.5 ] , "type" : "Point" } `,
		`{"type":"Point","coordinates":[0.0000001,-0E+2]}`,
		`{"type":"Point","coordinates":[1e-7,1.5E1]}`,
		`{"type":"Point","coordinates":[-0,0]}`,
		`{"type":"Point","coordinates":[123456789e-7,-89.99999999999999]}`,
		`{"type":"Point","coordinates":[1,2,1e21]}`,
		`{"type":"Point","coordinates":[1,2,-1e300]}`,
	}
}

func TestParsePointMatchesGeneralPath(t *testing.T) {
	fast := 0
	for _, s := range pointSeeds() {
		if !checkPointFast(t, []byte(s)) {
			t.Errorf("seed did not take the fast path: %s", s)
		}
	}
	rng := rand.New(rand.NewPCG(7, 8))
	alphabet := []string{`{`, `}`, `[`, `]`, `"`, `:`, `,`, ` `, `0`, `1`, `9`, `-`, `+`, `.`, `e`, `E`, `\`,
		`"type"`, `"Point"`, `"coordinates"`, `"bbox"`, `181`, `-91`, `1e400`, `NaN`, `null`, `"Type"`, "\xff"}
	for _, s := range pointSeeds() {
		for i := 0; i < 5000; i++ {
			b := []byte(s)
			for k := 0; k < 1+rng.IntN(2); k++ {
				tok := []byte(alphabet[rng.IntN(len(alphabet))])
				j := rng.IntN(len(b) + 1)
				switch rng.IntN(3) {
				case 0:
					b = append(b[:j:j], append(tok, b[j:]...)...)
				case 1:
					end := min(len(b), j+1+rng.IntN(8))
					b = append(b[:j:j], append(tok, b[end:]...)...)
				default:
					end := min(len(b), j+1+rng.IntN(4))
					b = append(b[:j:j], b[end:]...)
				}
			}
			if checkPointFast(t, b) {
				fast++
			}
		}
	}
	for i := 0; i < 20000; i++ {
		lon := (rng.Float64()*2 - 1) * 180 * pow10(-rng.IntN(12))
		lat := (rng.Float64()*2 - 1) * 90 * pow10(-rng.IntN(12))
		s := fmt.Sprintf(`{"type":"Point","coordinates":[%v,%v]}`, lon, lat)
		if i%2 == 0 {
			s = fmt.Sprintf(`{"coordinates":[%g,%e,%v],"type":"Point"}`, lon, lat, rng.NormFloat64()*1e25)
		}
		if checkPointFast(t, []byte(s)) {
			fast++
		}
	}
	if fast < 20000 {
		t.Errorf("only %d texts took the fast path", fast)
	}
}

func pow10(n int) float64 {
	f := 1.0
	for ; n < 0; n++ {
		f /= 10
	}
	return f
}

func TestParsePointRejectsWhatParseRejects(t *testing.T) {
	for _, s := range []string{
		`{"type":"Point","coordinates":[181,0]}`,
		`{"type":"Point","coordinates":[0,-90.5]}`,
		`{"type":"Point","coordinates":[0]}`,
		`{"type":"Point","coordinates":[0,0,0,0]}`,
		`{"type":"Point","coordinates":[1e400,0]}`,
	} {
		if _, ok := parsePoint([]byte(s)); ok {
			t.Errorf("parsePoint accepted %s", s)
		}
		if _, err := Parse([]byte(s)); err == nil {
			t.Errorf("Parse accepted %s", s)
		}
	}
}

func FuzzParsePoint(f *testing.F) {
	for _, s := range pointSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkPointFast(t, data) })
}

package ngsild

import (
	"bytes"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/bench"
)

// benchBody is the AirQualityObserved entity that dothi bench upserts.
func benchBody(b *testing.B) []byte {
	var buf bytes.Buffer
	bench.Entity(&buf, 42)
	return buf.Bytes()
}

// BenchmarkParseEntity parses one entity already decoded to a map (the
// map is decoded again outside the timer, since parsing may consume it).
func BenchmarkParseBenchEntity(b *testing.B) {
	body := string(benchBody(b))
	maps := make([]map[string]any, 1024)
	for i := range maps {
		maps[i] = decode(b, body)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := ParseEntity(maps[i%len(maps)], testExpand, t0); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkParseFragment(b *testing.B) {
	m := decode(b, `{"pm25":{"type":"Property","value":38.5,"observedAt":"2026-11-23T09:00:00Z"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseFragment(m, testExpand, t0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewEntity(b *testing.B) {
	e, err := ParseEntity(decode(b, string(benchBody(b))), testExpand, t0)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		NewEntity(e, t0)
	}
}

func TestAppendTimestamp(t *testing.T) {
	for _, tm := range []time.Time{
		t0, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2026, 11, 23, 8, 7, 6, 5e6, time.FixedZone("x", 7*3600)), time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(999, 3, 4, 5, 6, 7, 123456789, time.UTC), {},
	} {
		want := `"` + tm.UTC().Format(timeLayout) + `"`
		if got := string(appendTimestamp(nil, tm)); got != want {
			t.Errorf("appendTimestamp(%v) = %s, want %s", tm, got, want)
		}
	}
}

package simulate

import (
	"testing"
	"time"
)

func BenchmarkStep(b *testing.B) {
	c := New(Config{Devices: MaxDevices, Seed: 1})
	now := at(0, 8)
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(10 * time.Second)
		_ = c.Step(now)
	}
	b.ReportMetric(float64(MaxDevices), "measurements/op")
}

func BenchmarkFragments(b *testing.B) {
	c := New(Config{Devices: 1000, Seed: 1})
	ms := c.Step(at(0, 8))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fragments(ms); err != nil {
			b.Fatal(err)
		}
	}
}

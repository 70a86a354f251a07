package sqlite

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/ngsild/qlang"
	"github.com/dothi-city/dothi/internal/store"
)

// Temporal benchmarks (docs/benchmarks.md, "Temporal"):
//
//	go test -run '^$' -bench 'Temporal' -benchtime 20x ./internal/store/sqlite

var temporalStart = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

// minuteSeries returns n 1-minute pm25 instances from temporalStart.
func minuteSeries(n, salt int) []store.TemporalInstance {
	out := make([]store.TemporalInstance, n)
	for i := range out {
		v := float64(int(mix(i, salt)*1000)) / 10
		out[i] = store.TemporalInstance{Attr: &ngsild.Attribute{Type: ngsild.TypeProperty,
			Value: json.Number(strconv.FormatFloat(v, 'f', -1, 64)), UnitCode: "GQ",
			ObservedAt: temporalStart.Add(time.Duration(i) * time.Minute)}}
	}
	return out
}

// addSeries stores series of attribute pm25 of entity id, in chunks of 1,440.
func addSeries(b *testing.B, s *Store, id string, series []store.TemporalInstance) {
	for len(series) > 0 {
		n := min(len(series), 1440)
		_, err := s.AddTemporal(context.Background(), "", &store.TemporalEntity{ID: id, Types: []string{aqType},
			Attrs: map[string][]store.TemporalInstance{aqNS + "pm25": series[:n]}})
		if err != nil {
			b.Fatal(err)
		}
		series = series[n:]
	}
}

// BenchmarkTemporalAggregateMonth aggregates one month of 1-minute data of
// one attribute (43,200 values) by hour with every method.
func BenchmarkTemporalAggregateMonth(b *testing.B) {
	s := openBench(b, Options{})
	const id = "urn:ngsi-ld:AirQualityObserved:month"
	addSeries(b, s, id, minuteSeries(43200, 1))
	q := &store.TemporalQuery{IDs: []string{id}, Attrs: []string{aqNS + "pm25"},
		TimeRel: store.TimeRelBetween, TimeAt: temporalStart, EndTimeAt: temporalStart.AddDate(0, 0, 30)}
	ag := &store.Aggregation{Methods: store.AggrMethods, Period: store.Period{D: time.Hour}}
	var lat latencies
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		res, err := s.TemporalAggregate(context.Background(), "", q, ag)
		lat.add(time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		if n := len(res[0].Attrs[aqNS+"pm25"][0].Values[store.AggrAvg]); n != 720 {
			b.Fatalf("%d hours, want 720", n)
		}
	}
	lat.report(b)
}

// BenchmarkTemporalQueryDay reads one day of 1-minute data of 1,000
// sensors (1,440,000 instances) by type, with timerel between.
func BenchmarkTemporalQueryDay(b *testing.B) {
	s := openBench(b, Options{})
	const sensors = 1000
	for i := range sensors {
		addSeries(b, s, "urn:ngsi-ld:AirQualityObserved:day-"+strconv.Itoa(i), minuteSeries(1440, i))
	}
	q := &store.TemporalQuery{Types: &qlang.TypeName{Name: aqType}, Attrs: []string{aqNS + "pm25"},
		TimeRel: store.TimeRelBetween, TimeAt: temporalStart, EndTimeAt: temporalStart.AddDate(0, 0, 1)}
	var lat latencies
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		res, err := s.TemporalQuery(context.Background(), "", q)
		lat.add(time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		if len(res) != sensors || len(res[sensors-1].Attrs[aqNS+"pm25"]) != 1440 {
			b.Fatalf("%d entities", len(res))
		}
	}
	lat.report(b)
	b.ReportMetric(float64(sensors*1440)*float64(b.N)/b.Elapsed().Seconds(), "instances/s")
}

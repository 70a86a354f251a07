package broker_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/bench"
	"github.com/dothi-city/dothi/internal/broker"
	"github.com/dothi-city/dothi/internal/jsonld"
	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store/sqlite"
)

func openBroker(b *testing.B) *broker.Broker {
	st, err := sqlite.Open(filepath.Join(b.TempDir(), "dothi.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return broker.New(st)
}

// benchEntities parses n bench entities starting at first, as the HTTP
// layer would.
func benchEntities(b *testing.B, first, n int) []*ngsild.Entity {
	out := make([]*ngsild.Entity, n)
	c := jsonld.Core()
	for i := range out {
		var buf bytes.Buffer
		bench.Entity(&buf, first+i)
		e, ok := ngsild.ParseEntityJSON(buf.Bytes(), c.ExpandTerm, time.Now())
		if !ok {
			b.Fatal("bench entity does not parse")
		}
		out[i] = e
	}
	return out
}

// BenchmarkBatchUpsert upserts batches of 1,000 new, already parsed
// entities: the broker and store without HTTP. One op is one batch.
func BenchmarkBatchUpsert(b *testing.B) {
	br := openBroker(b)
	next := 0
	for b.Loop() {
		b.StopTimer()
		es := benchEntities(b, next, 1000)
		next += 1000
		b.StartTimer()
		_, errs, err := br.BatchUpsert(context.Background(), "", es, true)
		if err != nil || errs[0] != nil {
			b.Fatal(err, errs[0])
		}
	}
	b.ReportMetric(float64(next)/b.Elapsed().Seconds(), "entities/s")
}

// BenchmarkUpdateAttrs is the broker side of PATCH /entities/{id}/attrs:
// 16 concurrent callers (on 2 CPUs) update one attribute of random
// entities among 10,000.
func BenchmarkUpdateAttrs(b *testing.B) {
	br := openBroker(b)
	const n = 10000
	for i := 0; i < n; i += 1000 {
		if _, _, err := br.BatchUpsert(context.Background(), "", benchEntities(b, i, 1000), true); err != nil {
			b.Fatal(err)
		}
	}
	c := jsonld.Core()
	var seed atomic.Uint64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(seed.Add(1), 9))
		for pb.Next() {
			body := fmt.Appendf(nil, `{"pm25":{"type":"Property","value":%.1f,"observedAt":"2026-11-23T09:00:00Z"}}`, rng.Float64()*200)
			v, _ := ngsild.DecodeJSON(body)
			frag, err := ngsild.ParseFragment(v.(map[string]any), c.ExpandTerm, time.Now())
			if err != nil {
				b.Error(err)
				return
			}
			res, err := br.UpdateAttrs(context.Background(), "", bench.EntityID(rng.IntN(n)), frag)
			if err != nil || len(res.NotUpdated) > 0 {
				b.Error(err, res)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

package subscription

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/jsonld"
	"github.com/dothi-city/dothi/internal/store"
)

// BenchmarkNotifications measures notifications delivered per second to a
// local HTTP receiver by 100 active subscriptions that all match every
// change: each iteration is one entity change, which owes 100
// notifications.
func BenchmarkNotifications(b *testing.B) {
	var got atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		got.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()
	dir := b.TempDir()
	st, err := openStore(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	subs := benchSubscriptionStore(st)
	o := Options{Log: st, Entities: st, Store: subs, Poll: 5 * time.Millisecond}
	n := NewNotifier(o)
	if err := n.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer n.Stop()
	m := &Manager{Store: subs, Notifier: n}
	const nsubs = 100
	for i := range nsubs {
		s, err := Parse(decode(b, fmt.Sprintf(`{"type":"Subscription","entities":[{"type":"Sensor"}],"q":"pm25>=0",
			"notification":{"format":"keyValues","endpoint":{"uri":"%s/n%d"}}}`, recv.URL, i)), jsonld.Core(), nil, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		if err := m.Create(context.Background(), "", s); err != nil {
			b.Fatal(err)
		}
	}
	const entities = 200
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i += 50 {
		var muts []store.Mutation
		for j := i; j < min(i+50, b.N); j++ {
			id := fmt.Sprintf("urn:ngsi-ld:Sensor:%d", j%entities)
			muts = append(muts, store.Mutation{ID: id, Apply: sensor(id, j)})
		}
		if _, err := st.Write(context.Background(), "", muts); err != nil {
			b.Fatal(err)
		}
	}
	want := int64(b.N) * nsubs
	deadline := time.Now().Add(5 * time.Minute)
	for got.Load() < want && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if got.Load() < want {
		b.Fatalf("delivered %d of %d notifications", got.Load(), want)
	}
	b.ReportMetric(float64(want)/elapsed.Seconds(), "notifications/s")
}

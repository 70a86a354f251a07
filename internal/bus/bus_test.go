package bus

import (
	"context"
	"sync"
	"testing"

	"github.com/dothi-city/dothi/internal/ngsild"
)

func TestLocalDeliversToEverySubscriber(t *testing.T) {
	b := NewLocal()
	s1, s2 := b.Subscribe(4), b.Subscribe(4)
	defer s1.Close()
	defer s2.Close()
	e := &ngsild.Entity{ID: "urn:x:1"}
	if err := b.Publish(context.Background(), []Change{{ID: "urn:x:1", New: e}}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Subscription{s1, s2} {
		got := <-s.C()
		if len(got) != 1 || got[0].Entity() != e {
			t.Errorf("received %v", got)
		}
	}
}

func TestSlowSubscriberDoesNotBlock(t *testing.T) {
	b := NewLocal()
	slow := b.Subscribe(1)
	defer slow.Close()
	for i := 0; i < 10; i++ {
		b.Publish(context.Background(), []Change{{ID: "urn:x:1"}})
	}
	if slow.Dropped() != 9 {
		t.Errorf("dropped %d batches, want 9", slow.Dropped())
	}
}

func TestCloseStopsDelivery(t *testing.T) {
	b := NewLocal()
	s := b.Subscribe(1)
	s.Close()
	s.Close()
	b.Publish(context.Background(), []Change{{ID: "urn:x:1"}})
	if _, open := <-s.C(); open {
		t.Error("channel still open after Close")
	}
	var c Change
	c.Old = &ngsild.Entity{ID: "old"}
	if c.Entity().ID != "old" {
		t.Error("Entity of a deletion is not the old entity")
	}
}

func TestConcurrentPublishAndClose(t *testing.T) {
	b := NewLocal()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				b.Publish(context.Background(), []Change{{ID: "urn:x:1"}})
			}
		}()
		go func() {
			defer wg.Done()
			s := b.Subscribe(2)
			s.Close()
		}()
	}
	wg.Wait()
	// Every closed subscription left the bus; a new one still receives.
	if n := len(b.subs); n != 0 {
		t.Errorf("%d closed subscriptions still registered", n)
	}
	s := b.Subscribe(1)
	defer s.Close()
	b.Publish(context.Background(), []Change{{ID: "urn:x:2"}})
	if got := <-s.C(); got[0].ID != "urn:x:2" {
		t.Errorf("received %v", got)
	}
}

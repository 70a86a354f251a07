package auth

import (
	"testing"
	"time"
)

func TestThrottleBackoff(t *testing.T) {
	th := NewThrottle(ThrottleConfig{Free: 3, Base: time.Second, Max: 10 * time.Second, Window: time.Hour})
	t0 := time.Unix(1000, 0)
	for i := range 3 {
		th.Fail("k", t0)
		if w := th.Blocked("k", t0); w != 0 {
			t.Fatalf("blocked after %d free failures", i+1)
		}
	}
	for i, want := range []time.Duration{1, 2, 4, 8, 10, 10} {
		th.Fail("k", t0)
		if w := th.Blocked("k", t0); w != want*time.Second {
			t.Errorf("failure %d: blocked %v, want %v", 4+i, w, want*time.Second)
		}
	}
	if th.Blocked("k", t0.Add(10*time.Second)) != 0 {
		t.Error("still blocked after the delay")
	}
	if th.Blocked("other", t0) != 0 {
		t.Error("another key is blocked")
	}
	th.Reset("k")
	th.Fail("k", t0)
	if th.Blocked("k", t0) != 0 {
		t.Error("Reset did not forget the failures")
	}
}

func TestThrottleForgetsOldFailures(t *testing.T) {
	th := NewThrottle(ThrottleConfig{Free: 1, Base: time.Second, Max: time.Minute, Window: time.Minute})
	t0 := time.Unix(1000, 0)
	th.Fail("k", t0)
	th.Fail("k", t0.Add(2*time.Minute))
	if th.Blocked("k", t0.Add(2*time.Minute)) != 0 {
		t.Error("a failure outside the window still counts")
	}
}

func TestThrottleBoundsMemory(t *testing.T) {
	th := NewThrottle(ThrottleConfig{Free: 0, Base: time.Second, Max: time.Second, Window: time.Minute, MaxKeys: 2})
	t0 := time.Unix(1000, 0)
	th.Fail("a", t0)
	th.Fail("b", t0)
	th.Fail("c", t0)
	if th.Blocked("c", t0) != 0 || len(th.entries) != 2 {
		t.Errorf("a full throttle tracked a new key (%d entries)", len(th.entries))
	}
	later := t0.Add(2 * time.Minute)
	th.Fail("c", later)
	if th.Blocked("c", later) == 0 {
		t.Error("expired entries were not pruned to make room")
	}
}

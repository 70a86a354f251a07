package simulate

import (
	"context"
	"errors"
	"math"
	"reflect"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
)

// day0 is a Monday in the dry season, local midnight.
var day0 = time.Date(2026, 11, 23, 0, 0, 0, 0, vnZone)

// at returns local hour h of the d-th day after day0.
func at(d int, h float64) time.Time {
	return day0.AddDate(0, 0, d).Add(time.Duration(h * float64(time.Hour)))
}

// ofKind returns the indexes of c's devices of kind k.
func ofKind(c *City, k kind) []int {
	var out []int
	for i, d := range c.devices {
		if d.kind == k {
			out = append(out, i)
		}
	}
	return out
}

func TestDeterministic(t *testing.T) {
	a, b := New(Config{Devices: 3000, Seed: 7}), New(Config{Devices: 3000, Seed: 7})
	ea, eb := a.Entities(), b.Entities()
	for i := range ea {
		la, lb := ea[i].Attr(ngsild.IRILocation).Geometry, eb[i].Attr(ngsild.IRILocation).Geometry
		if ea[i].ID != eb[i].ID || la.String() != lb.String() {
			t.Fatalf("same seed, different entities: %s at %v, %s at %v", ea[i].ID, la, eb[i].ID, lb)
		}
	}
	for _, now := range []time.Time{at(0, 8), at(3, 17.25), at(40, 2.5)} {
		ma := a.Step(now)
		if !reflect.DeepEqual(ma, b.Step(now)) || !reflect.DeepEqual(ma, a.Step(now)) {
			t.Fatalf("Step(%v) is not deterministic", now)
		}
	}
	other := New(Config{Devices: 3000, Seed: 8})
	if reflect.DeepEqual(a.Step(at(0, 8)), other.Step(at(0, 8))) {
		t.Fatal("another seed gives the same measurements")
	}
}

func TestDeviceCounts(t *testing.T) {
	named := len(catalogue())
	for _, tc := range []struct{ ask, want int }{
		{0, named}, {3, MinDevices}, {10, 10}, {named + 5, named + 5}, {MaxDevices + 1, MaxDevices},
	} {
		c := New(Config{Devices: tc.ask})
		if c.Len() != tc.want || len(c.Step(day0)) != tc.want {
			t.Errorf("Devices %d: got %d devices, want %d", tc.ask, c.Len(), tc.want)
		}
	}
	small := New(Config{Devices: 10})
	seen := map[kind]bool{}
	for _, d := range small.devices {
		seen[d.kind] = true
	}
	if len(seen) != int(numKinds) {
		t.Errorf("10 devices show %d kinds, want all %d", len(seen), numKinds)
	}
}

var idPattern = regexp.MustCompile(`^urn:ngsi-ld:[A-Za-z]+:VT-[A-Za-z0-9-]+$`)

func TestEntities(t *testing.T) {
	c := New(Config{Devices: 5000, Seed: 3})
	ids, devs := map[string]bool{}, map[string]bool{}
	infos := c.Devices()
	for i, e := range c.Entities() {
		if infos[i].EntityID != e.ID || infos[i].Location != c.devices[i].pos {
			t.Fatalf("Devices()[%d] = %+v does not describe %s", i, infos[i], e.ID)
		}
		d := c.devices[i]
		if !idPattern.MatchString(e.ID) || ids[e.ID] || devs[d.deviceID] {
			t.Fatalf("bad or duplicate id %q / %q", e.ID, d.deviceID)
		}
		ids[e.ID], devs[d.deviceID] = true, true
		if e.Types[0] != expand(d.kind.entityType()) || e.Attr(expand("name")) == nil {
			t.Fatalf("%s: type %v, no name", e.ID, e.Types)
		}
		loc := e.Attr(ngsild.IRILocation)
		if lon, lat, ok := loc.Geometry.Point(); !ok || !onLand(Point{lon, lat}) {
			t.Fatalf("%s: location %v is not on land", e.ID, loc.Geometry)
		}
	}
	if got := expand("pm25"); got != "https://uri.etsi.org/ngsi-ld/default-context/pm25" {
		t.Errorf("pm25 expands to %s", got)
	}
}

func TestGeneratedDevicesOnLand(t *testing.T) {
	c := New(Config{Devices: MaxDevices, Seed: 11})
	count := map[kind]int{}
	for _, d := range c.devices {
		count[d.kind]++
		if !onLand(d.pos) {
			t.Fatalf("%s at %v is in the sea", d.deviceID, d.pos)
		}
		if d.kind == kindLight && d.road != nil && d.road.line.distTo(d.pos) > 26 {
			t.Fatalf("%s is %.0f m from %s", d.deviceID, d.road.line.distTo(d.pos), d.road.name)
		}
	}
	for k := kind(0); k < numKinds; k++ {
		if count[k] < 1000 {
			t.Errorf("only %d devices of kind %s", count[k], k.entityType())
		}
	}
	if count[kindLight] < count[kindAir] {
		t.Error("fewer street lights than air sensors")
	}
	for i, d := range catalogue() {
		if c.devices[i].name != d.name {
			t.Fatalf("device %d is %q, want the catalogue's %q first", i, c.devices[i].name, d.name)
		}
	}
}

func TestCatalogueOnLand(t *testing.T) {
	for _, d := range catalogue() {
		if !onLand(d.pos) {
			t.Errorf("%s %v is not on land", d.name, d.pos)
		}
	}
	for _, r := range roads {
		for _, p := range r.line.pts {
			if !onLand(p) {
				t.Errorf("road %s passes through the sea at %v", r.name, p)
			}
		}
	}
}

type countingSink struct {
	mu    sync.Mutex
	steps [][]Measurement
	err   error
}

func (s *countingSink) Send(_ context.Context, ms []Measurement) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.steps = append(s.steps, ms)
	return s.err
}

func TestRun(t *testing.T) {
	var mu sync.Mutex
	var errs []error
	start := at(2, 8)
	sink := &countingSink{err: errors.New("sink down")}
	c := New(Config{Devices: 20, Interval: 10 * time.Millisecond, Start: start,
		OnError: func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() }})
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Millisecond)
	defer cancel()
	if err := c.Run(ctx, sink); err != nil {
		t.Fatalf("Run: %v", err)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.steps) < 3 {
		t.Fatalf("%d ticks in 80 ms at 10 ms", len(sink.steps))
	}
	first := sink.steps[0][0].ObservedAt
	if d := first.Sub(start); d < 0 || d > time.Second {
		t.Errorf("first tick observed at %v, want about %v", first, start)
	}
	if !sink.steps[len(sink.steps)-1][0].ObservedAt.After(first) {
		t.Error("simulated clock does not advance")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(errs) == 0 {
		t.Error("sink errors were not reported to OnError")
	}
}

func TestSunAndTide(t *testing.T) {
	for m := 0; m < 12; m++ {
		day := time.Date(2026, time.Month(m+1), 15, 0, 0, 0, 0, vnZone)
		var sunrise, sunset float64
		for h := 0.0; h < 24; h += 1.0 / 60 {
			e := sunElevation(day.Add(time.Duration(h*float64(time.Hour))), centreLat, centreLon)
			if e > 0 && sunrise == 0 {
				sunrise = h
			}
			if e < 0 && sunrise > 0 && sunset == 0 {
				sunset = h
			}
		}
		if sunrise < 5.3 || sunrise > 6.3 || sunset < 17.2 || sunset > 18.3 {
			t.Errorf("month %d: sunrise %.2f h, sunset %.2f h", m+1, sunrise, sunset)
		}
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for h := 0; h < 24*30; h++ {
		v := tideAt(at(0, float64(h)))
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if lo < 0 || hi > 5 || hi-lo < 2.5 {
		t.Errorf("tide between %.2f and %.2f m", lo, hi)
	}
}

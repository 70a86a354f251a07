package simulate

import (
	"math"
	"testing"
	"time"
)

// ranges are the physically plausible bounds of every numeric attribute.
var ranges = map[string][2]float64{
	"pm25": {0, 300}, "pm10": {0, 500}, "no2": {0, 400}, "o3": {0, 400}, "so2": {0, 350},
	"co": {0, 15000}, "temperature": {18, 42}, "relativeHumidity": {0.3, 1},
	"pH": {6, 9}, "o2": {1, 12}, "conductivity": {500, 60000}, "turbidity": {0, 400},
	"tss": {0, 500}, "nh4": {0, 5}, "no3": {0, 10}, "po4": {0, 4}, "bod5": {0, 25}, "cod": {0, 60},
	"intensity": {0, 5000}, "averageVehicleSpeed": {5, 80}, "occupancy": {0, 1},
	"currentLevel": {0, 5.5}, "measuredDistance": {0, 5.5}, "illuminanceLevel": {0, 1},
	"fillingLevel": {0, 1}, "speed": {0, 50}, "heading": {0, 360},
}

var allowedStrings = map[string]map[string]bool{
	"powerState":    {"on": true, "off": true},
	"status":        {"ok": true, "defectiveLamp": true},
	"serviceStatus": {"onRoute": true, "parked": true},
}

func TestValueRanges(t *testing.T) {
	c := New(Config{Devices: 400, Seed: 5})
	for _, start := range []time.Time{day0, time.Date(2026, 7, 1, 0, 0, 0, 0, vnZone)} {
		for now := start; now.Before(start.AddDate(0, 0, 30)); now = now.Add(47 * time.Minute) {
			for _, m := range c.Step(now) {
				checkMeasurement(t, m, now)
			}
		}
	}
}

// checkMeasurement fails t when m has an implausible value.
func checkMeasurement(t *testing.T, m Measurement, now time.Time) {
	t.Helper()
	if !m.ObservedAt.Equal(now) || m.EntityID == "" || m.DeviceID == "" {
		t.Fatalf("%+v: bad identity or time", m)
	}
	for k, v := range m.Values {
		r, ok := ranges[k]
		if !ok || math.IsNaN(v) || v < r[0] || v > r[1] {
			t.Fatalf("%s %s = %v at %v, want within %v", m.EntityID, k, v, now, r)
		}
	}
	for k, v := range m.Strings {
		if !allowedStrings[k][v] {
			t.Fatalf("%s %s = %q", m.EntityID, k, v)
		}
	}
	if m.Location != nil && !onLand(*m.Location) {
		t.Fatalf("%s at %v is in the sea", m.EntityID, m.Location)
	}
}

// meanAt averages attr over the devices of kind k at local hour h of days
// 0..days-1.
func meanAt(c *City, k kind, attr string, h float64, days int) float64 {
	sum, n := 0.0, 0
	for d := range days {
		ms := c.Step(at(d, h))
		for _, i := range ofKind(c, k) {
			sum += ms[i].Values[attr]
			n++
		}
	}
	return sum / float64(n)
}

func TestDailyCycles(t *testing.T) {
	c := New(Config{Seed: 2})
	if pm8, pm3 := meanAt(c, kindAir, "pm25", 8, 28), meanAt(c, kindAir, "pm25", 3, 28); pm8 < 1.3*pm3 {
		t.Errorf("PM2.5 at 8 h %.1f, at 3 h %.1f: no morning peak", pm8, pm3)
	}
	if no18, no12 := meanAt(c, kindAir, "no2", 18, 28), meanAt(c, kindAir, "no2", 12, 28); no18 < 1.2*no12 {
		t.Errorf("NO2 at 18 h %.1f, at 12 h %.1f: no evening peak", no18, no12)
	}
	if o14, o5 := meanAt(c, kindAir, "o3", 13.5, 28), meanAt(c, kindAir, "o3", 5, 28); o14 < 2*o5 {
		t.Errorf("O3 at 13:30 %.1f, at 5 h %.1f: no photochemical peak", o14, o5)
	}
	if v8, v2 := meanAt(c, kindTraffic, "intensity", 8, 28), meanAt(c, kindTraffic, "intensity", 2, 28); v8 < 5*v2 {
		t.Errorf("traffic at 8 h %.0f veh/h, at 2 h %.0f: no rush hour", v8, v2)
	}
	if s18, s11 := meanAt(c, kindTraffic, "averageVehicleSpeed", 18, 28), meanAt(c, kindTraffic, "averageVehicleSpeed", 11, 28); s18 >= s11 {
		t.Errorf("speed at 18 h %.1f not below 11 h %.1f", s18, s11)
	}
	if t14, t5 := meanAt(c, kindAir, "temperature", 14, 28), meanAt(c, kindAir, "temperature", 5, 28); t14 < t5+3 {
		t.Errorf("temperature at 14 h %.1f, at 5 h %.1f", t14, t5)
	}
}

func TestCongestionAtRushHour(t *testing.T) {
	c := New(Config{Seed: 2})
	count := func(h float64) (n int) {
		for d := range 10 {
			ms := c.Step(at(d, h))
			for _, i := range ofKind(c, kindTraffic) {
				if ms[i].Bools["congested"] {
					n++
				}
			}
		}
		return n
	}
	if rush, night := count(18), count(3); rush == 0 || night != 0 {
		t.Errorf("congested counters: %d at 18 h, %d at 3 h", rush, night)
	}
}

func TestPollutionEpisodes(t *testing.T) {
	c := New(Config{Seed: 4})
	in, total := 0, 0
	for _, i := range ofKind(c, kindAir) {
		for h := 0; h < 24*90; h++ {
			if c.episodeFactor(&c.devices[i], at(0, float64(h))) > 1.3 {
				in++
			}
			total++
		}
	}
	if share := float64(in) / float64(total); share == 0 || share > 0.25 {
		t.Errorf("episodes cover %.1f%% of station hours, want occasional", 100*share)
	}
}

func TestBinsFillAndGetEmptied(t *testing.T) {
	c := New(Config{Devices: 300, Seed: 9})
	bins := ofKind(c, kindWaste)
	prev := make([]float64, len(c.devices))
	empties, rising, days := 0, 0, 14
	for now := at(0, 0); now.Before(at(days, 0)); now = now.Add(10 * time.Minute) {
		ms := c.Step(now)
		for _, i := range bins {
			f := ms[i].Values["fillingLevel"]
			if prev[i]-f > 0.15 {
				empties++
			}
			prev[i] = f
		}
	}
	for d := range days {
		morning, noon := c.Step(at(d, 6)), c.Step(at(d, 13.5))
		for _, i := range bins {
			if noon[i].Values["fillingLevel"] > morning[i].Values["fillingLevel"]+0.2 {
				rising++
			}
		}
	}
	perBinDay := float64(empties) / float64(len(bins)*days)
	if perBinDay < 1.5 || perBinDay > 2.05 {
		t.Errorf("%.2f collections per bin and day, want about 2", perBinDay)
	}
	if share := float64(rising) / float64(len(bins)*days); share < 0.9 {
		t.Errorf("bins fill between 6 h and 13:30 on only %.0f%% of days", 100*share)
	}
}

func TestStreetlights(t *testing.T) {
	c := New(Config{Devices: 1000, Seed: 6})
	lights := ofKind(c, kindLight)
	defective := 0
	for d := range 30 {
		for _, h := range []float64{12, 23, 3} {
			ms := c.Step(at(d, h))
			for _, i := range lights {
				s := ms[i].Strings
				want := map[bool]string{true: "off", false: "on"}[h == 12]
				if s["status"] != "ok" {
					want = "off"
					defective++
				}
				if s["powerState"] != want {
					t.Fatalf("%s at %v h: %v", ms[i].EntityID, h, s)
				}
			}
		}
	}
	if share := float64(defective) / float64(90*len(lights)); share == 0 || share > 0.1 {
		t.Errorf("%.1f%% of lamp readings defective, want a few", 100*share)
	}
}

func TestBusesStayOnRouteAndMove(t *testing.T) {
	c := New(Config{Devices: 2000, Seed: 8})
	buses := ofKind(c, kindBus)
	last, parked := map[int]Point{}, map[int]bool{}
	moved := 0
	for now := at(1, 0); now.Before(at(2, 0)); now = now.Add(3 * time.Minute) {
		ms := c.Step(now)
		for _, i := range buses {
			d, m := &c.devices[i], ms[i]
			if off := d.route.line.distTo(*m.Location); off > 1 {
				t.Fatalf("%s is %.1f m off route %s", d.deviceID, off, d.route.id)
			}
			if p, ok := last[i]; ok {
				step := dist(p, *m.Location)
				if step > 3*60*50/3.6 {
					t.Fatalf("%s jumped %.0f m in 3 min", d.deviceID, step)
				}
				if parked[i] && m.Strings["serviceStatus"] == "parked" && step > 0.5 {
					t.Fatalf("%s moved %.0f m while parked at %v", d.deviceID, step, now)
				}
				if step > 100 {
					moved++
				}
			}
			last[i], parked[i] = *m.Location, m.Strings["serviceStatus"] == "parked"
		}
	}
	if moved < len(buses)*200 {
		t.Errorf("buses moved in only %d of their 3-minute steps", moved)
	}
}

func TestFloodsFollowRain(t *testing.T) {
	c := New(Config{Seed: 12})
	sensors := ofKind(c, kindFlood)
	wet, dry, flooded := 0, 0, 0
	start := time.Date(2026, 7, 1, 0, 0, 0, 0, vnZone)
	for now := start; now.Before(start.AddDate(0, 0, 30)); now = now.Add(20 * time.Minute) {
		ms, e := c.Step(now), c.environment(now)
		for _, i := range sensors {
			if c.devices[i].river {
				continue
			}
			lvl := ms[i].Values["currentLevel"]
			switch {
			case lvl > streetAlert:
				flooded++
			case e.runoff < 1 && lvl > 0.01:
				t.Fatalf("street flooded %.2f m without rain at %v", lvl, now)
			}
			if e.rain > 0 {
				wet++
			} else {
				dry++
			}
		}
	}
	if flooded == 0 || wet == 0 || wet > dry {
		t.Errorf("rainy season month: %d wet, %d dry readings, %d above alert level", wet, dry, flooded)
	}
}

package simulate

import (
	"math"
	"time"
)

// Flood sensors: ultrasonic gauges looking down from a fixed height.
const (
	streetSensorHeight = 3.0 // m above the road
	streetAlert        = 0.15
	streetDanger       = 0.30
	riverSensorHeight  = 5.5 // m above chart datum
	riverAlert         = 3.9
	riverDanger        = 4.3
)

// floodLevels returns the reference (sensor height), alert and danger
// levels of a flood sensor in metres.
func floodLevels(d *device) (ref, alert, danger float64) {
	if d.river {
		return riverSensorHeight, riverAlert, riverDanger
	}
	return streetSensorHeight, streetAlert, streetDanger
}

// flood fills m with a water level: on a street, the water standing on the
// road when rain exceeds the drains (worse at high tide, which backs them
// up); on the river, the tide plus runoff.
func (c *City) flood(d *device, e *env, m *Measurement) {
	ref, _, _ := floodLevels(d)
	jitter := 0.005 * smoothNoise(c.cfg.Seed, d.key, chFlood, e.t, 5*time.Minute)
	var level float64
	if d.river {
		level = e.tide + 0.015*e.runoff + jitter
	} else {
		drains := 9*d.scale - 2.5*math.Max(0, e.tide-3.2)
		level = math.Max(0, (e.runoff-drains)*0.014*d.scale+jitter)
	}
	m.Values["currentLevel"] = round(level, 3)
	m.Values["measuredDistance"] = round(ref-level, 3)
}

// Street lights switch on when the sun is lower than lightOnElevation
// (their photocells react in the dusk), and dim in the dead of night.
const lightOnElevation = 1.0

// lampFailure: a lamp fails on about one day in seventy and is repaired
// within six hours to three days.
var lampFailure = eventSpec{Win: 24 * time.Hour, P: 0.015, MinDur: 6 * time.Hour, MaxDur: 72 * time.Hour}

// light fills m with a street light's state.
func (c *City) light(d *device, e *env, m *Measurement) {
	failed, _ := event(c.cfg.Seed, d.key, chFail, e.t, lampFailure)
	state, status, level := "off", "ok", 0.0
	switch {
	case failed > 0:
		status = "defectiveLamp"
	case e.sunElev < lightOnElevation:
		state, level = "on", 1.0
		if e.hour >= 23 || e.hour < 4.5 {
			level = 0.6
		}
	}
	m.Values["illuminanceLevel"] = level
	m.Strings = map[string]string{"powerState": state, "status": status}
}

// Collection rounds (local hours): before dawn and in the afternoon, each
// bin's truck passing within ±40 minutes; 4% of passes are missed.
var collectionRounds = []float64{14.5, 4.5}

// wasteActivity is how fast people fill bins at local hour h, relative to
// the daytime rate.
func wasteActivity(h float64) float64 {
	return 0.1 + 0.9/(1+math.Exp(-(h-6)*2))/(1+math.Exp((h-22)*2)) + 0.4*gauss(h, 19.5, 1.2)
}

// wasteProgress[i] is the cumulative activity by minute i of the day.
var wasteProgress, wasteDay = buildWasteProgress()

// buildWasteProgress integrates wasteActivity minute by minute (in hours).
func buildWasteProgress() ([]float64, float64) {
	p := make([]float64, 24*60+1)
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] + wasteActivity((float64(i)-0.5)/60)/60
	}
	return p, p[len(p)-1]
}

// wasteAt returns the cumulative activity at t.
func wasteAt(t time.Time) float64 {
	day := localDay(t)
	return float64(day)*wasteDay + wasteProgress[int(t.Sub(dayStart(day)).Minutes())]
}

// lastEmptied returns when d's bin was last emptied at or before t.
func (c *City) lastEmptied(d *device, t time.Time) time.Time {
	today := localDay(t)
	for day := today; day > today-4; day-- {
		for i, h := range collectionRounds {
			r := hash(c.cfg.Seed, d.key, chRound, uint64(day), uint64(i))
			at := dayStart(day).Add(time.Duration((h + between(r, -2.0/3, 2.0/3)) * float64(time.Hour)))
			if !at.After(t) && unit(mix(r)) >= 0.04 {
				return at
			}
		}
	}
	return dayStart(today - 4)
}

// waste fills m with a bin's filling level (0..1): it rises with the
// activity since the last collection, faster by the beaches at weekends.
func (c *City) waste(d *device, e *env, m *Measurement) {
	rate := 0.07 * d.scale
	if e.weekend {
		rate *= 1.25
	}
	fill := rate * (wasteAt(e.t) - wasteAt(c.lastEmptied(d, e.t)))
	fill *= 1 + 0.03*smoothNoise(c.cfg.Seed, d.key, chFill, e.t, 30*time.Minute)
	m.Values["fillingLevel"] = round(clamp(fill, 0, 1), 2)
	m.Values["temperature"] = round(e.airTemp+1.5*d.scale, 1)
}

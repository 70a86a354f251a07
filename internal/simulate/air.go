package simulate

import (
	"math"
	"time"
)

// Pollution episodes: a station sees one in about 5% of 12-hour windows,
// lasting 2 to 10 hours (smoke from burning, construction dust, a ship in
// port); a city-wide haze comes more rarely and lasts longer.
var (
	stationEpisode = eventSpec{Win: 12 * time.Hour, P: 0.05, MinDur: 2 * time.Hour, MaxDur: 10 * time.Hour}
	hazeEpisode    = eventSpec{Win: 24 * time.Hour, P: 0.06, MinDur: 8 * time.Hour, MaxDur: 30 * time.Hour}
)

// episodeFactor multiplies pollutant levels during episodes (1 outside).
func (c *City) episodeFactor(d *device, t time.Time) float64 {
	l1, m1 := event(c.cfg.Seed, d.key, chEpisode, t, stationEpisode)
	l2, m2 := event(c.cfg.Seed, 0, chEpisode, t, hazeEpisode)
	if !rainySeason(t) {
		l2 *= 1.5
	}
	return 1 + l1*(0.8+2.2*m1) + l2*(0.4+0.8*m2)
}

// mixingFactor models the shallow night-time boundary layer: the same
// emissions give higher concentrations at night than in the afternoon.
func mixingFactor(h float64) float64 {
	return 1 + 0.18*math.Cos(2*math.Pi*(h-3)/24)
}

// air fills m with an air-quality observation: traffic-driven PM, NO2 and
// CO with rush-hour peaks, photochemical O3 in the afternoon, SO2 from the
// port and industry, and episodes.
func (c *City) air(d *device, e *env, m *Measurement) {
	n := func(ch uint64, amp float64) float64 {
		return 1 + amp*smoothNoise(c.cfg.Seed, d.key, ch, e.t, 40*time.Minute)
	}
	ep := c.episodeFactor(d, e.t)
	mix := mixingFactor(e.hour) * d.scale
	washout := 1 / (1 + 0.03*e.rain)
	traffic := d.traffic * e.traffic
	pm25 := (9 + 30*traffic) * mix * ep * washout * n(chPM, 0.15)
	pm10 := pm25*(1.5+0.2*n(chPM10, 1)) + 6*e.humidity*washout
	no2 := (7 + 48*traffic) * mix * math.Sqrt(ep) * n(chNO2, 0.2)
	co := (280 + 1300*traffic) * mix * math.Sqrt(ep) * n(chCO, 0.15)
	sun := math.Max(0, math.Sin(math.Pi*(e.hour-7)/11))
	o3 := math.Max(4, (18+95*sun*sun)*n(chO3, 0.15)*(1+0.1*(ep-1))-0.25*no2)
	so2 := (4 + 14*d.industry*(1+0.5*math.Max(0, math.Sin(math.Pi*(e.hour-6)/12)))) * math.Sqrt(ep) * n(chSO2, 0.25)
	v := m.Values
	v["pm25"], v["pm10"] = round(pm25, 1), round(pm10, 1)
	v["no2"], v["o3"], v["so2"] = round(no2, 1), round(o3, 1), round(so2, 1)
	v["co"] = round(co, 0)
	v["temperature"] = round(e.airTemp+0.3*d.scale, 1)
	v["relativeHumidity"] = round(e.humidity, 2)
}

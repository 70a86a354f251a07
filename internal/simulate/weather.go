package simulate

import (
	"math"
	"time"
)

// env is the state of the whole city at one time, shared by all devices.
type env struct {
	t        time.Time
	hour     float64 // local time of day in hours
	day      int64   // local day number
	weekend  bool
	airTemp  float64 // °C
	humidity float64 // relative, 0..1
	rain     float64 // mm/h now
	runoff   float64 // recent rain still draining, mm
	tide     float64 // sea level above chart datum, m
	sunElev  float64 // degrees above the horizon
	traffic  float64 // city traffic level, about 0.05 at night to 1 at rush hour
}

// environment computes the city-wide conditions at t.
func (c *City) environment(t time.Time) *env {
	l := t.In(vnZone)
	e := &env{t: t, hour: localHour(t), day: localDay(t),
		weekend: l.Weekday() == time.Saturday || l.Weekday() == time.Sunday}
	e.traffic = trafficLevel(e.hour, e.weekend)
	e.rain = c.rainAt(t)
	e.runoff = c.runoffAt(t)
	e.airTemp = c.airTempAt(t, e.hour, e.rain)
	e.humidity = clamp(0.78-0.13*math.Cos(2*math.Pi*(e.hour-14)/24)+0.012*e.rain+
		0.04*smoothNoise(c.cfg.Seed, 0, chHumid, t, 3*time.Hour), 0.45, 1)
	e.tide = tideAt(t)
	e.sunElev = sunElevation(t, centreLat, centreLon)
	return e
}

// trafficLevel is the share of the roads' capacity in use at local hour h:
// quiet nights, a busy day and peaks at 7–9 h and 17–19 h (the morning one
// weaker at weekends).
func trafficLevel(h float64, weekend bool) float64 {
	day := 1 / (1 + math.Exp(-(h-6)*2)) / (1 + math.Exp((h-21.5)*1.5))
	morning := 0.55
	if weekend {
		morning = 0.25
	}
	return 0.05 + 0.42*day + morning*gauss(h, 8, 0.75) + 0.55*gauss(h, 18, 0.8)
}

// airTempAt is the air temperature: warmest at 14 h, coolest before dawn,
// a little warmer in April–May, cooled by rain.
func (c *City) airTempAt(t time.Time, h, rain float64) float64 {
	season := 1.2 * math.Sin(2*math.Pi*float64(t.YearDay()-40)/365)
	v := 27.5 + season + 3.3*math.Cos(2*math.Pi*(h-14)/24) - 0.08*math.Min(rain, 30) +
		0.6*smoothNoise(c.cfg.Seed, 0, chTemp, t, 2*time.Hour)
	return v
}

// rainySeason reports whether t falls in the south-west monsoon (May–October).
func rainySeason(t time.Time) bool {
	m := t.In(vnZone).Month()
	return m >= time.May && m <= time.October
}

// rainAt is the rain intensity over the city in mm/h: showers of half an
// hour to three hours, frequent in the rainy season and rare otherwise.
func (c *City) rainAt(t time.Time) float64 {
	spec := eventSpec{Win: 6 * time.Hour, P: 0.06, MinDur: 30 * time.Minute, MaxDur: 3 * time.Hour}
	if rainySeason(t) {
		spec.P = 0.4
	}
	level, mag := event(c.cfg.Seed, 0, chRain, t, spec)
	if level == 0 {
		return 0
	}
	return level * (3 + 57*mag*mag)
}

// runoffAt is the rain of the last four hours still on the ground, in mm:
// each 10 minutes of rain adds its depth, which drains with a time
// constant of one hour.
func (c *City) runoffAt(t time.Time) float64 {
	const step = 10 * time.Minute
	sum := 0.0
	for i := range 24 {
		age := time.Duration(i) * step
		sum += c.rainAt(t.Add(-age)) / 6 * math.Exp(-age.Hours())
	}
	return sum
}

// tideAt is the sea level at Vũng Tàu above chart datum in metres: a mixed,
// mainly semi-diurnal tide (M2, K1, O1, S2) with a range of about 3 m.
func tideAt(t time.Time) float64 {
	h := float64(t.Unix()) / 3600
	wave := func(amp, period, phase float64) float64 {
		return amp * math.Cos(2*math.Pi*h/period+phase)
	}
	return 2.6 + wave(0.78, 12.4206, 0.3) + wave(0.55, 23.9345, 1.1) +
		wave(0.42, 25.8193, 2.0) + wave(0.3, 12, 0.7)
}

// sunElevation returns the elevation of the sun in degrees at t seen from
// lat, lon (NOAA's simplified formulas, accurate to a fraction of a degree).
func sunElevation(t time.Time, lat, lon float64) float64 {
	u := t.UTC()
	g := 2 * math.Pi / 365 * (float64(u.YearDay()-1) + (float64(u.Hour())-12)/24)
	eqTime := 229.18 * (0.000075 + 0.001868*math.Cos(g) - 0.032077*math.Sin(g) -
		0.014615*math.Cos(2*g) - 0.040849*math.Sin(2*g))
	decl := 0.006918 - 0.399912*math.Cos(g) + 0.070257*math.Sin(g) - 0.006758*math.Cos(2*g) +
		0.000907*math.Sin(2*g) - 0.002697*math.Cos(3*g) + 0.00148*math.Sin(3*g)
	minutes := float64(u.Hour()*60+u.Minute()) + float64(u.Second())/60
	ha := ((minutes+eqTime+4*lon)/4 - 180) * math.Pi / 180
	phi := lat * math.Pi / 180
	cosZen := math.Sin(phi)*math.Sin(decl) + math.Cos(phi)*math.Cos(decl)*math.Cos(ha)
	return 90 - math.Acos(clamp(cosZen, -1, 1))*180/math.Pi
}

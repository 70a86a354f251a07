package simulate

import (
	"math"
	"time"
)

// trafficFlow fills m with a traffic count: the road's share of the city
// traffic level (busier seaside roads at weekends), the speed that traffic
// allows, lane occupancy and congestion.
func (c *City) trafficFlow(d *device, e *env, m *Measurement) {
	r := d.road
	level := e.traffic * (1 + 0.08*smoothNoise(c.cfg.Seed, d.key, chTraffic, e.t, 15*time.Minute))
	if r.beach && e.weekend {
		level *= 1.25
	}
	ratio := clamp(level*d.scale, 0.01, 1.2)
	speed := r.freeFlow * (1 - 0.7*math.Pow(math.Min(ratio, 1.1), 4)) * (1 - 0.012*math.Min(e.rain, 25))
	speed = math.Max(5, speed*(1+0.05*smoothNoise(c.cfg.Seed, d.key, chSpeed, e.t, 10*time.Minute)))
	occupancy := clamp(0.02+0.32*ratio*ratio, 0, 0.95)
	m.Values["intensity"] = math.Round(r.capacity * ratio)
	m.Values["averageVehicleSpeed"] = round(speed, 1)
	m.Values["occupancy"] = round(occupancy, 3)
	m.Bools = map[string]bool{"congested": speed < 0.6*r.freeFlow || occupancy > 0.25}
}

// Bus service hours (local time) and the bus timetable's speed table.
const (
	serviceFrom = 5.0
	serviceTo   = 21.0
)

// busProgress[i] is the distance in metres a bus has driven by minute i of
// the day; busDay is a whole day's distance.
var busProgress, busDay = buildBusProgress()

// busSpeed is the average speed of a bus in km/h at local hour h (0 out of
// service): slower in rush hours, stops included.
func busSpeed(h float64) float64 {
	if h < serviceFrom || h >= serviceTo {
		return 0
	}
	return 24 * (1 - 0.45*(trafficLevel(h, false)-0.05))
}

// buildBusProgress integrates busSpeed minute by minute.
func buildBusProgress() ([]float64, float64) {
	p := make([]float64, 24*60+1)
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] + busSpeed((float64(i)-0.5)/60)*1000/60
	}
	return p, p[len(p)-1]
}

// busOdometer returns the distance a bus at speed factor f has driven at t.
func busOdometer(t time.Time, f float64) float64 {
	day := localDay(t)
	sec := t.Sub(dayStart(day)).Seconds()
	i := int(sec / 60)
	within := busSpeed(float64(i)/60+1.0/120) * 1000 / 3600 * (sec - float64(i)*60)
	return f * (float64(day)*busDay + busProgress[i] + within)
}

// busPosition places a bus that has driven s metres on its route, driving
// back and forth between the termini; it returns the position and heading.
func busPosition(r *route, s float64) (Point, float64) {
	l := r.line.length()
	u := math.Mod(s, 2*l)
	if u <= l {
		return r.line.at(u)
	}
	p, b := r.line.at(2*l - u)
	return p, math.Mod(b+180, 360)
}

// bus fills m with a bus's GPS fix: its position along its route, heading,
// speed and service status.
func (c *City) bus(d *device, e *env, m *Measurement) {
	f := 0.92 + 0.16*unit(hash(c.cfg.Seed, d.key, chBus))
	phase := unit(hash(c.cfg.Seed, d.key, chBus+1)) * 2 * d.route.line.length()
	p, heading := busPosition(d.route, busOdometer(e.t, f)+phase)
	m.Location = &Point{Lon: round(p.Lon, 6), Lat: round(p.Lat, 6)}
	speed, status := 0.0, "parked"
	if v := busSpeed(e.hour); v > 0 {
		speed = v * f * (1 + 0.15*smoothNoise(c.cfg.Seed, d.key, chSpeed, e.t, 2*time.Minute))
		status = "onRoute"
	}
	m.Values["speed"] = round(speed, 1)
	m.Values["heading"] = math.Mod(round(heading, 0), 360)
	m.Strings = map[string]string{"serviceStatus": status}
}

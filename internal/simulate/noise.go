package simulate

import (
	"math"
	"time"
)

// vnZone is Vietnam's time zone (UTC+7, no daylight saving time).
var vnZone = time.FixedZone("ICT", 7*3600)

// Noise channels: each independent random quantity of a device has its own.
const (
	chPlace uint64 = iota + 1
	chKind
	chScale
	chPM
	chPM10
	chNO2
	chO3
	chSO2
	chCO
	chEpisode
	chRain
	chTemp
	chHumid
	chWater
	chTurb
	chNutrient
	chTraffic
	chSpeed
	chFlood
	chFail
	chRound
	chMissed
	chFill
	chBus
	chName
)

// mix is the SplitMix64 finaliser: a fast, well-distributed 64-bit hash.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// hash combines a seed and keys into one well-mixed value.
func hash(seed uint64, keys ...uint64) uint64 {
	h := mix(seed)
	for _, k := range keys {
		h = mix(h ^ k)
	}
	return h
}

// unit maps a hash to a number in [0, 1).
func unit(h uint64) float64 {
	return float64(h>>11) / (1 << 53)
}

// between maps a hash to a number in [lo, hi).
func between(h uint64, lo, hi float64) float64 {
	return lo + (hi-lo)*unit(h)
}

// smoothNoise is value noise in [-1, 1] that changes smoothly over period:
// random knots every period, interpolated with a smoothstep.
func smoothNoise(seed, key, ch uint64, t time.Time, period time.Duration) float64 {
	x := float64(t.UnixNano()) / float64(period)
	k := math.Floor(x)
	f := x - k
	f = f * f * (3 - 2*f)
	a := unit(hash(seed, key, ch, uint64(int64(k))))
	b := unit(hash(seed, key, ch, uint64(int64(k)+1)))
	return 2*(a+(b-a)*f) - 1
}

// eventSpec describes a recurring random event: each window of length Win
// holds one event with probability P, starting at a random offset inside the
// window and lasting between MinDur and MaxDur.
type eventSpec struct {
	Win            time.Duration
	P              float64
	MinDur, MaxDur time.Duration
}

// event returns the strength in [0, 1] of the event of spec active at t (a
// smooth bump over its duration, 0 when none) and its magnitude draw in
// [0, 1).
func event(seed, key, ch uint64, t time.Time, spec eventSpec) (level, mag float64) {
	k := t.UnixNano() / int64(spec.Win)
	back := int64(spec.MaxDur/spec.Win) + 1
	for w := k - back; w <= k; w++ {
		h := hash(seed, key, ch, uint64(w))
		if unit(h) >= spec.P {
			continue
		}
		start := w*int64(spec.Win) + int64(between(mix(h^1), 0, float64(spec.Win)))
		dur := between(mix(h^2), float64(spec.MinDur), float64(spec.MaxDur))
		x := (float64(t.UnixNano()) - float64(start)) / dur
		if x < 0 || x >= 1 {
			continue
		}
		if l := math.Min(1, 1.6*math.Sin(math.Pi*x)); l > level {
			level, mag = l, unit(mix(h^3))
		}
	}
	return level, mag
}

// gauss is a bell curve of height 1 centred on mu.
func gauss(x, mu, sigma float64) float64 {
	d := (x - mu) / sigma
	return math.Exp(-d * d / 2)
}

// clamp limits x to [lo, hi].
func clamp(x, lo, hi float64) float64 {
	return math.Max(lo, math.Min(hi, x))
}

// round rounds x to n decimals.
func round(x float64, n int) float64 {
	p := math.Pow(10, float64(n))
	return math.Round(x*p) / p
}

// localHour returns the time of day in Vũng Tàu in hours, [0, 24).
func localHour(t time.Time) float64 {
	l := t.In(vnZone)
	return float64(l.Hour()) + float64(l.Minute())/60 + float64(l.Second())/3600
}

// localDay numbers the days of Vũng Tàu's calendar (days since 1970-01-01 local).
func localDay(t time.Time) int64 {
	l := t.In(vnZone)
	y, m, d := l.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// dayStart returns local midnight of local day n.
func dayStart(n int64) time.Time {
	return time.Unix(n*86400, 0).Add(-7 * time.Hour)
}

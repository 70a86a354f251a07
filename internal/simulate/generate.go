package simulate

import (
	"fmt"
	"math"
)

// kindWeights is the share of each kind among generated devices: a city has
// many more street lights and bins than monitoring stations.
var kindWeights = [numKinds]float64{
	kindAir: 0.06, kindWater: 0.03, kindTraffic: 0.08, kindFlood: 0.06,
	kindLight: 0.42, kindWaste: 0.30, kindBus: 0.05,
}

// generate returns the i-th device beyond the catalogue, placed where such
// a device would stand: on roads, in the town, on the river or the shore.
func generate(seed uint64, i int) device {
	r := newRand(seed, uint64(i), chKind)
	d := device{kind: pickKind(r.next())}
	d.slug = fmt.Sprintf("G%06d", i)
	d.name = fmt.Sprintf("%s số %d", kindInfo[d.kind].noun, i)
	d.traffic, d.industry = r.between(0.2, 1.4), r.between(0.1, 0.8)
	switch d.kind {
	case kindTraffic, kindLight:
		d.road = pickRoad(r.next())
		d.pos = nearRoad(r, d.road, 0, 25)
	case kindWaste, kindFlood:
		d.pos = inTown(r)
		if r.next() < 0.5 {
			d.road = pickRoad(r.next())
			d.pos = nearRoad(r, d.road, 5, 20)
		}
	case kindWater:
		d.river = r.next() < 0.4
		d.pos = waterSite(r, d.river)
	case kindBus:
		d.route = routes[int(r.next()*float64(len(routes)))]
		d.pos = d.route.line.pts[0]
		d.name = fmt.Sprintf("Xe buýt tuyến %s số %d", d.route.id, i)
	default:
		d.pos = inTown(r)
	}
	if d.road != nil && d.kind != kindFlood {
		d.name = fmt.Sprintf("%s %s số %d", kindInfo[d.kind].noun, d.road.name, i)
	}
	return d
}

// pickKind chooses a kind by kindWeights from u in [0, 1).
func pickKind(u float64) kind {
	for k := kind(0); k < numKinds; k++ {
		if u < kindWeights[k] {
			return k
		}
		u -= kindWeights[k]
	}
	return kindLight
}

// pickRoad chooses a road with a probability proportional to its length.
func pickRoad(u float64) *road {
	total := 0.0
	for _, r := range roads {
		total += r.line.length()
	}
	u *= total
	for _, r := range roads {
		if u < r.line.length() {
			return r
		}
		u -= r.line.length()
	}
	return roads[len(roads)-1]
}

// nearRoad returns a point on land along rd, between minOff and maxOff
// metres to either side of it.
func nearRoad(r *rnd, rd *road, minOff, maxOff float64) Point {
	for range 50 {
		p, b := rd.line.at(r.next() * rd.line.length())
		off := r.between(minOff, maxOff)
		if r.next() < 0.5 {
			off = -off
		}
		rad := (b + 90) * math.Pi / 180
		if q := offset(p, off*math.Sin(rad), off*math.Cos(rad)); onLand(q) {
			return q
		}
	}
	return rd.line.pts[len(rd.line.pts)/2]
}

// inTown returns a random point on the peninsula, kept off the wooded
// summits of Núi Lớn and Núi Nhỏ.
func inTown(r *rnd) Point {
	lo, hi := landBounds()
	for {
		p := Point{Lon: r.between(lo.Lon, hi.Lon), Lat: r.between(lo.Lat, hi.Lat)}
		if onLand(p) && dist(p, nuiLon) > 700 && dist(p, nuiNho) > 250 {
			return p
		}
	}
}

// Where water stations stand: the bank of Sông Dinh in the north of the
// peninsula, or the shore.
var (
	riverFrom = Point{107.095, 10.419}
	riverTo   = Point{107.137, 10.404}
)

// waterSite returns a point on the river bank or 60 to 150 m inland from
// the shore.
func waterSite(r *rnd, river bool) Point {
	for {
		var p Point
		if river {
			f := r.next()
			p = Point{Lon: riverFrom.Lon + f*(riverTo.Lon-riverFrom.Lon), Lat: riverFrom.Lat + f*(riverTo.Lat-riverFrom.Lat)}
			p = offset(p, 0, -r.between(0, 300))
		} else {
			p = towardCentre(shorePoint(r), r.between(60, 150))
		}
		if onLand(p) {
			return p
		}
	}
}

// shorePoint returns a random point of the southern half of the outline,
// where the beaches are.
func shorePoint(r *rnd) Point {
	for {
		i := int(r.next() * float64(len(land)-1))
		a, b := land[i], land[i+1]
		f := r.next()
		p := Point{Lon: a.Lon + f*(b.Lon-a.Lon), Lat: a.Lat + f*(b.Lat-a.Lat)}
		if p.Lat < 10.39 {
			return p
		}
	}
}

// towardCentre moves p by m metres toward the middle of the peninsula.
func towardCentre(p Point, m float64) Point {
	cx, cy := Point{107.095, 10.375}.xy()
	px, py := p.xy()
	l := math.Hypot(cx-px, cy-py)
	return fromXY(px+(cx-px)/l*m, py+(cy-py)/l*m)
}

// rnd is a small deterministic random stream for placing one device.
type rnd struct {
	seed, key, ch, n uint64
}

// newRand returns the stream of key and channel ch under seed.
func newRand(seed, key, ch uint64) *rnd { return &rnd{seed: seed, key: key, ch: ch} }

// next returns the next number in [0, 1).
func (r *rnd) next() float64 {
	r.n++
	return unit(hash(r.seed, r.key, r.ch, r.n))
}

// between returns the next number in [lo, hi).
func (r *rnd) between(lo, hi float64) float64 { return lo + (hi-lo)*r.next() }

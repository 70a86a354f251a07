package simulate

import "math"

// Point is a WGS84 position in degrees.
type Point struct {
	Lon, Lat float64
}

// Metres per degree around the city centre (10.346 N), for the short
// distances of a city an equirectangular projection is accurate enough.
const (
	centreLat   = 10.346
	centreLon   = 107.084
	mPerDegLat  = 110574.0
	earthEquatM = 111320.0
)

var mPerDegLon = earthEquatM * math.Cos(centreLat*math.Pi/180)

// xy projects p to metres east and north of the city centre.
func (p Point) xy() (x, y float64) {
	return (p.Lon - centreLon) * mPerDegLon, (p.Lat - centreLat) * mPerDegLat
}

// fromXY is the inverse of xy.
func fromXY(x, y float64) Point {
	return Point{Lon: centreLon + x/mPerDegLon, Lat: centreLat + y/mPerDegLat}
}

// dist returns the distance between a and b in metres.
func dist(a, b Point) float64 {
	ax, ay := a.xy()
	bx, by := b.xy()
	return math.Hypot(ax-bx, ay-by)
}

// land is the outline of the Vũng Tàu peninsula, the same approximation as
// the offline base map (web/public/geo/vungtau.geojson).
var land = []Point{
	{107.083, 10.3168}, {107.0868, 10.3222}, {107.0905, 10.329}, {107.096, 10.3355},
	{107.101, 10.341}, {107.108, 10.348}, {107.115, 10.356}, {107.122, 10.366},
	{107.13, 10.378}, {107.137, 10.389}, {107.142, 10.4}, {107.1395, 10.411},
	{107.129, 10.4225}, {107.114, 10.429}, {107.0985, 10.4245}, {107.085, 10.416},
	{107.0735, 10.4065}, {107.064, 10.396}, {107.0578, 10.3868}, {107.0538, 10.378},
	{107.0525, 10.369}, {107.0555, 10.3612}, {107.061, 10.3565}, {107.0672, 10.3512},
	{107.07, 10.3455}, {107.0708, 10.34}, {107.0722, 10.333}, {107.0742, 10.3262},
	{107.0785, 10.3205}, {107.083, 10.3168},
}

// onLand reports whether p lies inside the peninsula (ray casting).
func onLand(p Point) bool {
	in := false
	for i, j := 0, len(land)-1; i < len(land); j, i = i, i+1 {
		a, b := land[i], land[j]
		if (a.Lat > p.Lat) != (b.Lat > p.Lat) &&
			p.Lon < (b.Lon-a.Lon)*(p.Lat-a.Lat)/(b.Lat-a.Lat)+a.Lon {
			in = !in
		}
	}
	return in
}

// landBounds returns the bounding box of the peninsula.
func landBounds() (lo, hi Point) {
	lo, hi = land[0], land[0]
	for _, p := range land {
		lo.Lon, lo.Lat = math.Min(lo.Lon, p.Lon), math.Min(lo.Lat, p.Lat)
		hi.Lon, hi.Lat = math.Max(hi.Lon, p.Lon), math.Max(hi.Lat, p.Lat)
	}
	return lo, hi
}

// polyline is a path with cumulative lengths in metres.
type polyline struct {
	pts []Point
	cum []float64 // cum[i] is the length from pts[0] to pts[i]
}

// newPolyline measures pts.
func newPolyline(pts ...[]Point) *polyline {
	pl := &polyline{}
	for _, part := range pts {
		pl.pts = append(pl.pts, part...)
	}
	pl.cum = make([]float64, len(pl.pts))
	for i := 1; i < len(pl.pts); i++ {
		pl.cum[i] = pl.cum[i-1] + dist(pl.pts[i-1], pl.pts[i])
	}
	return pl
}

// length returns the total length in metres.
func (pl *polyline) length() float64 { return pl.cum[len(pl.cum)-1] }

// at returns the point at distance s (metres) from the start, clamped to
// the path, and the bearing of the segment there (degrees from north).
func (pl *polyline) at(s float64) (Point, float64) {
	s = clamp(s, 0, pl.length())
	i := 1
	for i < len(pl.pts)-1 && pl.cum[i] < s {
		i++
	}
	a, b := pl.pts[i-1], pl.pts[i]
	seg := pl.cum[i] - pl.cum[i-1]
	f := 0.0
	if seg > 0 {
		f = (s - pl.cum[i-1]) / seg
	}
	p := Point{Lon: a.Lon + f*(b.Lon-a.Lon), Lat: a.Lat + f*(b.Lat-a.Lat)}
	return p, bearing(a, b)
}

// bearing returns the direction from a to b in degrees clockwise from north.
func bearing(a, b Point) float64 {
	ax, ay := a.xy()
	bx, by := b.xy()
	d := math.Atan2(bx-ax, by-ay) * 180 / math.Pi
	return math.Mod(d+360, 360)
}

// distTo returns the distance in metres from p to the nearest point of pl.
func (pl *polyline) distTo(p Point) float64 {
	px, py := p.xy()
	best := math.Inf(1)
	for i := 1; i < len(pl.pts); i++ {
		ax, ay := pl.pts[i-1].xy()
		bx, by := pl.pts[i].xy()
		dx, dy := bx-ax, by-ay
		f := 0.0
		if l2 := dx*dx + dy*dy; l2 > 0 {
			f = clamp(((px-ax)*dx+(py-ay)*dy)/l2, 0, 1)
		}
		best = math.Min(best, math.Hypot(px-ax-f*dx, py-ay-f*dy))
	}
	return best
}

// offset returns p moved by east and north metres.
func offset(p Point, east, north float64) Point {
	x, y := p.xy()
	return fromXY(x+east, y+north)
}

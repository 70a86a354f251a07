package geo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// More fixtures around Vũng Tàu, relative to vtDistrict (lon 107.07–107.10,
// lat 10.33–10.36).
const (
	vtOutside  = `{"type":"Point","coordinates":[107.12,10.4]}`
	vtOnEdge   = `{"type":"Point","coordinates":[107.07,10.346]}`
	vtRoadEnd  = `{"type":"Point","coordinates":[107.06,10.34]}`
	vtInner    = `{"type":"Polygon","coordinates":[[[107.08,10.34],[107.09,10.34],[107.09,10.35],[107.08,10.35],[107.08,10.34]]]}`
	vtOverlap  = `{"type":"Polygon","coordinates":[[[107.09,10.35],[107.12,10.35],[107.12,10.38],[107.09,10.38],[107.09,10.35]]]}`
	vtTouching = `{"type":"Polygon","coordinates":[[[107.1,10.33],[107.13,10.33],[107.13,10.36],[107.1,10.36],[107.1,10.33]]]}`
	vtFar      = `{"type":"Polygon","coordinates":[[[107.2,10.4],[107.3,10.4],[107.3,10.5],[107.2,10.4]]]}`
	// vtReordered is vtDistrict with another start vertex and orientation.
	vtReordered = `{"type":"Polygon","coordinates":[[[107.1,10.33],[107.07,10.33],[107.07,10.36],[107.1,10.36],[107.1,10.33]]]}`
	// vtProvince covers vtDistrict with a margin.
	vtProvince    = `{"type":"Polygon","coordinates":[[[107,10.3],[107.2,10.3],[107.2,10.45],[107,10.45],[107,10.3]]]}`
	vtRoadReverse = `{"type":"LineString","coordinates":[[107.11,10.35],[107.06,10.34]]}`
	vtTwoPoints   = `{"type":"MultiPoint","coordinates":[[107.084,10.346],[107.12,10.4]]}`
	vtOtherPoints = `{"type":"MultiPoint","coordinates":[[107.084,10.346],[107.0,10.3]]}`
)

func TestMatchRelations(t *testing.T) {
	tests := []struct {
		rel, ref, entity string
		want             bool
	}{
		{RelWithin, vtDistrict, vtCentre, true},
		{RelWithin, vtDistrict, vtOutside, false},
		{RelWithin, vtDistrict, vtOnEdge, false}, // boundary only: not within
		{RelWithin, vtDistrict, vtInner, true},
		{RelWithin, vtDistrict, vtDistrict, true},
		{RelWithin, vtDistrict, vtRoad, false},
		{RelWithin, vtDistrict, vtOverlap, false},
		{RelWithin, vtDistrict, vtProvince, false},
		{RelWithin, vtDistrict, vtTwoPoints, false},
		{RelWithin, vtRoad, vtRoadEnd, false}, // end point is the line's boundary
		{RelWithin, vtCentre, vtCentre, true},
		{RelWithin, vtCentre, vtOutside, false},
		{RelWithin, vtTwoPoints, vtCentre, true},

		{RelContains, vtCentre, vtDistrict, true},
		{RelContains, vtCentre, vtInner, true},
		{RelContains, vtCentre, vtFar, false},
		{RelContains, vtCentre, vtCentre, true},
		{RelContains, vtOnEdge, vtDistrict, false},
		{RelContains, vtDistrict, vtProvince, true},
		{RelContains, vtDistrict, vtDistrict, true},
		{RelContains, vtDistrict, vtInner, false},
		{RelContains, vtCentre, vtTwoPoints, true},

		{RelIntersects, vtDistrict, vtCentre, true},
		{RelIntersects, vtDistrict, vtOnEdge, true},
		{RelIntersects, vtDistrict, vtRoad, true},
		{RelIntersects, vtDistrict, vtTouching, true},
		{RelIntersects, vtDistrict, vtFar, false},
		{RelIntersects, vtDistrict, vtOutside, false},
		{RelIntersects, vtCentre, vtCentre, true},
		{RelIntersects, vtCentre, vtOutside, false},
		{RelIntersects, vtRoad, vtRoadEnd, true},

		{RelDisjoint, vtDistrict, vtCentre, false},
		{RelDisjoint, vtDistrict, vtOnEdge, false},
		{RelDisjoint, vtDistrict, vtTouching, false},
		{RelDisjoint, vtDistrict, vtFar, true},
		{RelDisjoint, vtDistrict, vtOutside, true},
		{RelDisjoint, vtCentre, vtOutside, true},
		{RelDisjoint, vtCentre, vtCentre, false},

		{RelOverlaps, vtDistrict, vtOverlap, true},
		{RelOverlaps, vtDistrict, vtInner, false},
		{RelOverlaps, vtDistrict, vtTouching, false},
		{RelOverlaps, vtDistrict, vtDistrict, false},
		{RelOverlaps, vtDistrict, vtRoad, false}, // different dimensions
		{RelOverlaps, vtDistrict, vtFar, false},
		{RelOverlaps, vtOtherPoints, vtTwoPoints, true},
		{RelOverlaps, vtCentre, vtCentre, false},

		{RelEquals, vtDistrict, vtReordered, true},
		{RelEquals, vtDistrict, vtDistrict, true},
		{RelEquals, vtDistrict, vtInner, false},
		{RelEquals, vtRoad, vtRoadReverse, true},
		{RelEquals, vtCentre, vtCentre, true},
		{RelEquals, vtCentre, vtOutside, false},
		{RelEquals, vtCentre, `{"type":"MultiPoint","coordinates":[[107.084,10.346],[107.084,10.346]]}`, true},
	}
	for _, tt := range tests {
		ref, entity := mustParse(t, tt.ref), mustParse(t, tt.entity)
		name := fmt.Sprintf("%s %s %s", entity, tt.rel, ref)
		t.Run(name, func(t *testing.T) {
			q := &Query{Rel: tt.rel, Geometry: ref}
			q.prep = prepare(q, distances{})
			if got := q.Match(entity); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
			literal := &Query{Rel: tt.rel, Geometry: ref}
			if got := literal.Match(entity); got != tt.want {
				t.Errorf("Match of a Query literal = %v, want %v", got, tt.want)
			}
		})
	}
}

// eastOf returns a point d metres east of lon, lat.
func eastOf(t *testing.T, lon, lat, d float64) *Geometry {
	g, err := NewPoint(lon+d/(metresPerDegree*math.Cos(lat*rad)), lat)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestMatchNear(t *testing.T) {
	centre := mustParse(t, vtCentre)
	exact := eastOf(t, 107.084, 10.346, 2000)
	exactD := Distance(107.084, 10.346, mustLon(exact), 10.346)
	tests := []struct {
		name, georel string
		ref, entity  *Geometry
		want         bool
	}{
		{"1 km within 2 km", "near;maxDistance==2000", centre, eastOf(t, 107.084, 10.346, 1000), true},
		{"3 km not within 2 km", "near;maxDistance==2000", centre, eastOf(t, 107.084, 10.346, 3000), false},
		{"exactly maxDistance", fmt.Sprintf("near;maxDistance==%v", exactD), centre, exact, true},
		{"exactly minDistance", fmt.Sprintf("near;minDistance==%v", exactD), centre, exact, true},
		{"3 km beyond 2 km", "near;minDistance==2000", centre, eastOf(t, 107.084, 10.346, 3000), true},
		{"1 km not beyond 2 km", "near;minDistance==2000", centre, eastOf(t, 107.084, 10.346, 1000), false},
		{"ring inside", "near;minDistance==500;maxDistance==2000", centre, eastOf(t, 107.084, 10.346, 1000), true},
		{"ring hole", "near;minDistance==1500;maxDistance==2000", centre, eastOf(t, 107.084, 10.346, 1000), false},
		{"same point at 0", "near;maxDistance==0", centre, centre, true},
		{"1945 m north", "near;maxDistance==2000", centre, mustParse(t, `{"type":"Point","coordinates":[107.084,10.3635]}`), true},
		{"2001 m north", "near;maxDistance==2000", centre, mustParse(t, `{"type":"Point","coordinates":[107.084,10.364]}`), false},
		{"point 900 m east of polygon", "near;maxDistance==1000", mustParse(t, vtDistrict), eastOf(t, 107.1, 10.346, 900), true},
		{"point 1100 m east of polygon", "near;maxDistance==1000", mustParse(t, vtDistrict), eastOf(t, 107.1, 10.346, 1100), false},
		{"point 1100 m east of polygon, min", "near;minDistance==1000", mustParse(t, vtDistrict), eastOf(t, 107.1, 10.346, 1100), true},
		{"point inside polygon at 0", "near;maxDistance==0", mustParse(t, vtDistrict), centre, true},
		{"polygon containing point at 0", "near;maxDistance==0", centre, mustParse(t, vtDistrict), true},
		{"polygon containing point, min", "near;minDistance==1", centre, mustParse(t, vtDistrict), false},
		{"polygon 1 km east of point", "near;maxDistance==1100", eastOf(t, 107.07, 10.346, -1000), mustParse(t, vtDistrict), true},
		{"polygon 1 km east of point, 900", "near;maxDistance==900", eastOf(t, 107.07, 10.346, -1000), mustParse(t, vtDistrict), false},
		{"road 5 km south", "near;maxDistance==10000", mustParse(t, `{"type":"Point","coordinates":[107.084,10.4]}`), mustParse(t, vtRoad), true},
		{"road too far", "near;maxDistance==1000", mustParse(t, `{"type":"Point","coordinates":[107.084,10.4]}`), mustParse(t, vtRoad), false},
		{"ho chi minh city", "near;maxDistance==50000", centre, mustParse(t, `{"type":"Point","coordinates":[106.698,10.7725]}`), false},
		{"ho chi minh city, min", "near;minDistance==50000", centre, mustParse(t, `{"type":"Point","coordinates":[106.698,10.7725]}`), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &Query{Geometry: tt.ref}
			d, err := q.parseGeorel(tt.georel)
			if err != nil {
				t.Fatal(err)
			}
			q.prep = prepare(q, d)
			if got := q.Match(tt.entity); got != tt.want {
				t.Errorf("%s %s of %s = %v, want %v", tt.entity, tt.georel, tt.ref, got, tt.want)
			}
		})
	}
}

func mustLon(g *Geometry) float64 {
	lon, _, _ := g.Point()
	return lon
}

func TestMatchNil(t *testing.T) {
	centre := mustParse(t, vtCentre)
	for _, rel := range relations {
		q := &Query{Rel: rel, MaxDistance: 100, Geometry: centre}
		if q.Match(nil) {
			t.Errorf("%s: Match(nil) = true", rel)
		}
		if (&Query{Rel: rel}).Match(centre) {
			t.Errorf("%s: Match without reference geometry = true", rel)
		}
	}
	if (&Query{Rel: RelIntersects, Geometry: centre}).Match(&Geometry{}) {
		t.Error("zero Geometry matched")
	}
	var q *Query
	if q.Match(centre) {
		t.Error("nil Query matched")
	}
}

func TestQueryLiteralNear(t *testing.T) {
	centre := mustParse(t, vtCentre)
	near, far := eastOf(t, 107.084, 10.346, 1000), eastOf(t, 107.084, 10.346, 3000)
	maxQ := &Query{Rel: RelNear, MaxDistance: 2000, Geometry: centre}
	minQ := &Query{Rel: RelNear, MinDistance: 2000, Geometry: centre}
	if !maxQ.Match(near) || maxQ.Match(far) || minQ.Match(near) || !minQ.Match(far) {
		t.Error("literal near queries do not apply MaxDistance/MinDistance")
	}
	if maxQ.Georel() != "near;maxDistance==2000" || minQ.Georel() != "near;minDistance==2000" {
		t.Errorf("Georel() = %q, %q", maxQ.Georel(), minQ.Georel())
	}
}

func TestDistance(t *testing.T) {
	// Spherical law of cosines, an independent formula.
	cosines := func(lon1, lat1, lon2, lat2 float64) float64 {
		c := math.Sin(lat1*rad)*math.Sin(lat2*rad) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Cos((lon2-lon1)*rad)
		return EarthRadius * math.Acos(c)
	}
	tests := []struct {
		name                   string
		lon1, lat1, lon2, lat2 float64
		want                   float64
	}{
		{"one degree on the equator", 0, 0, 1, 0, 111195.08},
		{"one degree of latitude", 107.084, 10, 107.084, 11, 111195.08},
		{"same point", 107.084, 10.346, 107.084, 10.346, 0},
		{"antipodes", 0, 0, 180, 0, math.Pi * EarthRadius},
		{"Vũng Tàu to Ho Chi Minh City", 107.084, 10.346, 106.698, 10.7725, cosines(107.084, 10.346, 106.698, 10.7725)},
		{"Vũng Tàu to Hà Nội", 107.084, 10.346, 105.834, 21.028, cosines(107.084, 10.346, 105.834, 21.028)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Distance(tt.lon1, tt.lat1, tt.lon2, tt.lat2)
			if math.Abs(got-tt.want) > 0.01 {
				t.Errorf("Distance = %.3f, want %.3f", got, tt.want)
			}
			if back := Distance(tt.lon2, tt.lat2, tt.lon1, tt.lat1); math.Abs(back-got) > 1e-6 {
				t.Errorf("not symmetric: %v vs %v", got, back)
			}
		})
	}
	if d := Distance(107.084, 10.346, 106.698, 10.7725); d < 60000 || d > 66000 {
		t.Errorf("Vũng Tàu to Ho Chi Minh City = %.0f m, want about 63 km", d)
	}
}

func mustQuery(t testing.TB, georel, geometry, coords string) *Query {
	t.Helper()
	q, err := ParseQuery(georel, geometry, coords, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestSearchBounds(t *testing.T) {
	for _, rel := range []string{RelWithin, RelContains, RelIntersects, RelOverlaps, RelEquals} {
		q := mustQuery(t, rel, "Polygon", districtCoords)
		a, b, c, d, ok := q.SearchBounds()
		if !ok || [4]float64{a, b, c, d} != [4]float64{107.07, 10.33, 107.1, 10.36} {
			t.Errorf("%s: SearchBounds = %v %v %v %v %v; want the polygon's box", rel, a, b, c, d, ok)
		}
	}
	for _, georel := range []string{"disjoint", "near;minDistance==100"} {
		if _, _, _, _, ok := mustQuery(t, georel, "Point", "[107.084,10.346]").SearchBounds(); ok {
			t.Errorf("%s: SearchBounds ok = true, want false", georel)
		}
	}
	_, minLat, _, maxLat, ok := mustQuery(t, "near;maxDistance==2000", "Point", "[107.084,10.346]").SearchBounds()
	if !ok || maxLat-10.346 < 2000/metresPerDegree || maxLat-10.346 > 0.02 || minLat > 10.346-2000/metresPerDegree {
		t.Errorf("near 2 km: latitude bounds %v..%v not a tight superset", minLat, maxLat)
	}
	if a, b, c, d, ok := mustQuery(t, "near;maxDistance==20000", "Point", "[0,89.9]").SearchBounds(); !ok || a != -180 || c != 180 || d != 90 {
		t.Errorf("near the pole: SearchBounds = %v %v %v %v %v; want all longitudes up to 90", a, b, c, d, ok)
	}
}

// destination returns the point d metres from lon, lat on bearing theta
// (radians).
func destination(lon, lat, d, theta float64) (float64, float64) {
	phi1, delta := lat*rad, d/EarthRadius
	phi2 := math.Asin(math.Sin(phi1)*math.Cos(delta) + math.Cos(phi1)*math.Sin(delta)*math.Cos(theta))
	dLon := math.Atan2(math.Sin(theta)*math.Sin(delta)*math.Cos(phi1), math.Cos(delta)-math.Sin(phi1)*math.Sin(phi2))
	return lon + dLon/rad, phi2 / rad
}

// TestSearchBoundsNearPointIsSafe checks that every position within
// maxDistance of a point reference lies in SearchBounds.
func TestSearchBoundsNearPointIsSafe(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, lat := range []float64{10.346, -33.9, 60, 80, -85} {
		for _, d := range []float64{10, 2000, 50000, 500000} {
			q := mustQuery(t, fmt.Sprintf("near;maxDistance==%v", d), "Point", fmt.Sprintf("[107.084,%v]", lat))
			a, b, c, e, _ := q.SearchBounds()
			for i := 0; i < 2000; i++ {
				lon2, lat2 := destination(107.084, lat, d*math.Sqrt(rnd.Float64()), rnd.Float64()*2*math.Pi)
				if i < 8 { // the circle itself, on the 8 main bearings
					lon2, lat2 = destination(107.084, lat, d, float64(i)*math.Pi/4)
				}
				if lon2 < a || lon2 > c || lat2 < b || lat2 > e {
					t.Fatalf("lat %v d %v: (%v, %v) at %.1f m outside %v %v %v %v", lat, d, lon2, lat2,
						Distance(107.084, lat, lon2, lat2), a, b, c, e)
				}
			}
		}
	}
}

// TestSearchBoundsNearPolygonIsSafe checks that every geometry matching a
// near query with a polygon reference intersects SearchBounds.
func TestSearchBoundsNearPolygonIsSafe(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	q := mustQuery(t, "near;maxDistance==3000", "Polygon", districtCoords)
	a, b, c, e, _ := q.SearchBounds()
	matched := 0
	for i := 0; i < 5000; i++ {
		lon, lat := 107.0+rnd.Float64()*0.17, 10.26+rnd.Float64()*0.17
		g, err := NewPoint(lon, lat)
		if err != nil {
			t.Fatal(err)
		}
		if !q.Match(g) {
			continue
		}
		matched++
		if lon < a || lon > c || lat < b || lat > e {
			t.Fatalf("matching point (%v, %v) outside %v %v %v %v", lon, lat, a, b, c, e)
		}
	}
	if matched == 0 {
		t.Fatal("no point matched; the test checks nothing")
	}
}

func TestMatchNearPointDoesNotAllocate(t *testing.T) {
	q := mustQuery(t, "near;maxDistance==2000", "Point", "[107.084,10.346]")
	g := eastOf(t, 107.084, 10.346, 1000)
	if n := testing.AllocsPerRun(100, func() { q.Match(g) }); n != 0 {
		t.Errorf("near point/point Match allocates %v times", n)
	}
	w := mustQuery(t, "within", "Polygon", districtCoords)
	if n := testing.AllocsPerRun(100, func() { w.Match(g) }); n != 0 {
		t.Errorf("point within polygon Match allocates %v times", n)
	}
}

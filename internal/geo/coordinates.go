package geo

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/peterstace/simplefeatures/geom"
)

// Nesting depths of the "coordinates" member of each geometry type.
type (
	position  = []float64
	positions = [][]float64
	rings     = [][][]float64
	polygons  = [][][][]float64
)

// shapes describes the expected "coordinates" array of each simple type.
var shapes = map[string]string{
	TypePoint:           "a position [lon, lat]",
	TypeMultiPoint:      "an array of positions",
	TypeLineString:      "an array of positions",
	TypeMultiLineString: "an array of arrays of positions",
	TypePolygon:         "an array of linear rings (arrays of positions)",
	TypeMultiPolygon:    "an array of polygons (arrays of linear rings)",
}

func isSimpleType(t string) bool {
	_, ok := shapes[t]
	return ok
}

// decodeCoordinates checks the "coordinates" of a geometry of type typ and
// returns them (with altitude, for re-encoding) and as a 2D geometry.
func decodeCoordinates(typ string, data json.RawMessage) (any, geom.Geometry, error) {
	switch typ {
	case TypePoint:
		var p position
		return decodeAs(typ, data, &p, pointGeometry)
	case TypeMultiPoint:
		var ps positions
		return decodeAs(typ, data, &ps, multiPointGeometry)
	case TypeLineString:
		var ps positions
		return decodeAs(typ, data, &ps, lineStringGeometry)
	case TypeMultiLineString:
		var ls rings
		return decodeAs(typ, data, &ls, multiLineStringGeometry)
	case TypePolygon:
		var rs rings
		return decodeAs(typ, data, &rs, polygonGeometry)
	default: // TypeMultiPolygon
		var ps polygons
		return decodeAs(typ, data, &ps, multiPolygonGeometry)
	}
}

// decodeAs unmarshals data into *dst and converts it with build.
func decodeAs[T any](typ string, data json.RawMessage, dst *T, build func(T) (geom.Geometry, error)) (any, geom.Geometry, error) {
	if err := json.Unmarshal(data, dst); err != nil {
		return nil, geom.Geometry{}, errorf("%s coordinates must be %s of numbers", typ, shapes[typ])
	}
	g, err := build(*dst)
	if err != nil {
		return nil, geom.Geometry{}, err
	}
	return *dst, g, nil
}

// checkPosition returns what is wrong with p, or "" when it is valid.
func checkPosition(p position) string {
	switch {
	case len(p) < 2 || len(p) > 3:
		return fmt.Sprintf("has %s; want 2 or 3 (longitude, latitude[, altitude])", count(len(p), "value"))
	case !finite(p[0]) || !finite(p[1]) || (len(p) == 3 && !finite(p[2])):
		return "has a value that is not a finite number"
	case p[0] < -180 || p[0] > 180:
		return fmt.Sprintf("has longitude %v outside [-180, 180]", p[0])
	case p[1] < -90 || p[1] > 90:
		return fmt.Sprintf("has latitude %v outside [-90, 90]", p[1])
	}
	return ""
}

// count returns "1 noun" or "n nouns".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func pointGeometry(p position) (geom.Geometry, error) {
	if msg := checkPosition(p); msg != "" {
		return geom.Geometry{}, errorf("Point position %s", msg)
	}
	return newPoint(p).AsGeometry(), nil
}

func newPoint(p position) geom.Point {
	return geom.NewPoint(geom.Coordinates{XY: geom.XY{X: p[0], Y: p[1]}, Type: geom.DimXY})
}

func multiPointGeometry(ps positions) (geom.Geometry, error) {
	if len(ps) == 0 {
		return geom.Geometry{}, errorf("MultiPoint has no positions")
	}
	pts := make([]geom.Point, len(ps))
	for i, p := range ps {
		if msg := checkPosition(p); msg != "" {
			return geom.Geometry{}, errorf("MultiPoint position %d %s", i, msg)
		}
		pts[i] = newPoint(p)
	}
	return geom.NewMultiPoint(pts).AsGeometry(), nil
}

// sequence checks the positions of one line or ring named what and returns
// their 2D sequence.
func sequence(what string, ps positions) (geom.Sequence, error) {
	flat := make([]float64, 0, 2*len(ps))
	for i, p := range ps {
		if msg := checkPosition(p); msg != "" {
			return geom.Sequence{}, errorf("%s position %d %s", what, i, msg)
		}
		flat = append(flat, p[0], p[1])
	}
	return geom.NewSequence(flat, geom.DimXY), nil
}

func lineString(what string, ps positions) (geom.LineString, error) {
	if len(ps) < 2 {
		return geom.LineString{}, errorf("%s has %s; want at least 2", what, count(len(ps), "position"))
	}
	seq, err := sequence(what, ps)
	return geom.NewLineString(seq), err
}

func lineStringGeometry(ps positions) (geom.Geometry, error) {
	ls, err := lineString(TypeLineString, ps)
	return ls.AsGeometry(), err
}

func multiLineStringGeometry(ls rings) (geom.Geometry, error) {
	if len(ls) == 0 {
		return geom.Geometry{}, errorf("MultiLineString has no lines")
	}
	lines := make([]geom.LineString, len(ls))
	for i, ps := range ls {
		var err error
		if lines[i], err = lineString(fmt.Sprintf("MultiLineString line %d", i), ps); err != nil {
			return geom.Geometry{}, err
		}
	}
	return geom.NewMultiLineString(lines).AsGeometry(), nil
}

// ring checks one linear ring: at least 4 positions, closed.
func ring(what string, ps positions) (geom.LineString, error) {
	if len(ps) < 4 {
		return geom.LineString{}, errorf("%s has %s; want at least 4", what, count(len(ps), "position"))
	}
	seq, err := sequence(what, ps)
	if err != nil {
		return geom.LineString{}, err
	}
	if seq.GetXY(0) != seq.GetXY(seq.Length()-1) {
		return geom.LineString{}, errorf("%s is not closed (its first and last positions differ)", what)
	}
	return geom.NewLineString(seq), nil
}

func polygon(what string, rs rings) (geom.Polygon, error) {
	if len(rs) == 0 {
		return geom.Polygon{}, errorf("%s has no rings", what)
	}
	lines := make([]geom.LineString, len(rs))
	for i, ps := range rs {
		var err error
		if lines[i], err = ring(fmt.Sprintf("%s ring %d", what, i), ps); err != nil {
			return geom.Polygon{}, err
		}
	}
	return geom.NewPolygon(lines), nil
}

func polygonGeometry(rs rings) (geom.Geometry, error) {
	p, err := polygon(TypePolygon, rs)
	return p.AsGeometry(), err
}

func multiPolygonGeometry(ps polygons) (geom.Geometry, error) {
	if len(ps) == 0 {
		return geom.Geometry{}, errorf("MultiPolygon has no polygons")
	}
	polys := make([]geom.Polygon, len(ps))
	for i, rs := range ps {
		var err error
		if polys[i], err = polygon(fmt.Sprintf("MultiPolygon polygon %d", i), rs); err != nil {
			return geom.Geometry{}, err
		}
	}
	return geom.NewMultiPolygon(polys).AsGeometry(), nil
}

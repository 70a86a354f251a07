// Package geo holds GeoJSON geometries and NGSI-LD geo-queries: parsing with
// validation, bounding boxes, distances and the spatial relations (near,
// within, contains, intersects, disjoint, overlaps, equals). It does no I/O.
//
// Spatial relations other than near follow the OGC Simple Features (DE-9IM)
// definitions, computed in the plane of longitude/latitude degrees as
// RFC 7946 prescribes, by github.com/peterstace/simplefeatures. Distances are
// geodesic on a sphere (see Distance and Query.Match).
//
// Geometry and Query values are immutable once parsed and safe for concurrent
// use. Every error returned by this package is an *Error whose message says
// what is wrong; callers turn it into an NGSI-LD BadRequestData problem.
package geo

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/peterstace/simplefeatures/geom"
)

// GeoJSON geometry type names (RFC 7946 section 1.4).
const (
	TypePoint              = "Point"
	TypeMultiPoint         = "MultiPoint"
	TypeLineString         = "LineString"
	TypeMultiLineString    = "MultiLineString"
	TypePolygon            = "Polygon"
	TypeMultiPolygon       = "MultiPolygon"
	TypeGeometryCollection = "GeometryCollection"
)

// Error is an invalid geometry or geo-query. Msg says what is wrong, e.g.
// "Polygon ring 0 is not closed".
type Error struct {
	Msg string
}

// Error returns the message.
func (e *Error) Error() string { return e.Msg }

func errorf(format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}

// Geometry is a validated GeoJSON geometry (RFC 7946) in WGS 84 lon/lat.
// The zero value is not a valid geometry; obtain one with Parse or
// UnmarshalJSON.
type Geometry struct {
	typ  string
	json []byte        // canonical GeoJSON (type and coordinates/geometries)
	g    geom.Geometry // 2D form used for the spatial relations
	// bbox: minLon, minLat, maxLon, maxLat.
	bbox [4]float64
	// lon and lat hold the position of a Point; isPoint says it is one.
	lon, lat float64
	isPoint  bool
}

// rawGeometry is the JSON shape of a GeoJSON geometry object.
type rawGeometry struct {
	Type        string            `json:"type"`
	Coordinates json.RawMessage   `json:"coordinates"`
	Geometries  []json.RawMessage `json:"geometries"`
}

// Parse validates a GeoJSON geometry object: Point, MultiPoint, LineString,
// MultiLineString, Polygon, MultiPolygon or a GeometryCollection of those
// (not nested). Positions must have 2 or 3 finite numbers with longitude in
// [-180, 180] and latitude in [-90, 90]; the geometry must also be valid in
// the OGC Simple Features sense (e.g. no self-intersecting polygon rings).
// Foreign members and "bbox" are accepted and dropped.
func Parse(data []byte) (*Geometry, error) {
	if g, ok := parsePoint(data); ok {
		return g, nil
	}
	return parseGeneral(data)
}

// parseGeneral is Parse without the fast path for Points.
func parseGeneral(data []byte) (*Geometry, error) {
	raw, err := decodeRaw(data)
	if err != nil {
		return nil, err
	}
	if raw.Type == TypeGeometryCollection {
		return parseCollection(raw)
	}
	return parseSimple(raw)
}

func decodeRaw(data []byte) (*rawGeometry, error) {
	var raw rawGeometry
	if err := json.Unmarshal(data, &raw); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, errorf("geometry is not valid JSON: %v", err)
		}
		return nil, errorf("geometry must be a JSON object with members type and coordinates")
	}
	if raw.Type == "" {
		return nil, errorf("geometry has no type")
	}
	return &raw, nil
}

// parseSimple parses every geometry type except GeometryCollection.
func parseSimple(raw *rawGeometry) (*Geometry, error) {
	if !isSimpleType(raw.Type) {
		return nil, errorf("unsupported geometry type %q; want one of Point, MultiPoint, LineString, MultiLineString, Polygon, MultiPolygon, GeometryCollection", raw.Type)
	}
	if len(raw.Coordinates) == 0 {
		return nil, errorf("%s has no coordinates", raw.Type)
	}
	coords, sg, err := decodeCoordinates(raw.Type, raw.Coordinates)
	if err != nil {
		return nil, err
	}
	if err := sg.Validate(); err != nil {
		return nil, errorf("%s is not a valid geometry: %v", raw.Type, err)
	}
	js, err := json.Marshal(struct {
		Type        string `json:"type"`
		Coordinates any    `json:"coordinates"`
	}{raw.Type, coords})
	if err != nil {
		return nil, errorf("%s cannot be encoded: %v", raw.Type, err)
	}
	return newGeometry(raw.Type, js, sg), nil
}

// parseCollection parses a GeometryCollection whose members are not
// themselves collections.
func parseCollection(raw *rawGeometry) (*Geometry, error) {
	if len(raw.Geometries) == 0 {
		return nil, errorf("GeometryCollection has no geometries")
	}
	members := make([]geom.Geometry, len(raw.Geometries))
	encoded := make([]json.RawMessage, len(raw.Geometries))
	for i, data := range raw.Geometries {
		mraw, err := decodeRaw(data)
		if err != nil {
			return nil, errorf("GeometryCollection member %d: %v", i, err)
		}
		if mraw.Type == TypeGeometryCollection {
			return nil, errorf("GeometryCollection member %d is a GeometryCollection; nested collections are not supported", i)
		}
		m, err := parseSimple(mraw)
		if err != nil {
			return nil, errorf("GeometryCollection member %d: %v", i, err)
		}
		members[i], encoded[i] = m.g, m.json
	}
	js, err := json.Marshal(struct {
		Type       string            `json:"type"`
		Geometries []json.RawMessage `json:"geometries"`
	}{TypeGeometryCollection, encoded})
	if err != nil {
		return nil, errorf("GeometryCollection cannot be encoded: %v", err)
	}
	gc := geom.NewGeometryCollection(members).AsGeometry()
	return newGeometry(TypeGeometryCollection, js, gc), nil
}

func newGeometry(typ string, js []byte, sg geom.Geometry) *Geometry {
	g := &Geometry{typ: typ, json: js, g: sg}
	lo, hi, _ := sg.Envelope().MinMaxXYs()
	g.bbox = [4]float64{lo.X, lo.Y, hi.X, hi.Y}
	if pt, ok := sg.AsPoint(); ok {
		xy, _ := pt.XY()
		g.lon, g.lat, g.isPoint = xy.X, xy.Y, true
	}
	return g
}

// NewPoint returns a Point geometry at lon, lat (degrees), validated as Parse
// would.
func NewPoint(lon, lat float64) (*Geometry, error) {
	js, err := json.Marshal(map[string]any{"type": TypePoint, "coordinates": []float64{lon, lat}})
	if err != nil {
		return nil, errorf("Point position is not a finite number pair: %v", err)
	}
	return Parse(js)
}

// MarshalJSON returns the GeoJSON form of g ("null" for a nil g).
func (g *Geometry) MarshalJSON() ([]byte, error) {
	if g == nil {
		return []byte("null"), nil
	}
	return append([]byte(nil), g.json...), nil
}

// UnmarshalJSON parses and validates data as Parse does.
func (g *Geometry) UnmarshalJSON(data []byte) error {
	p, err := Parse(data)
	if err != nil {
		return err
	}
	*g = *p
	return nil
}

// String returns the GeoJSON form of g.
func (g *Geometry) String() string {
	if g == nil {
		return "null"
	}
	return string(g.json)
}

// Type returns the GeoJSON type name, e.g. "Point".
func (g *Geometry) Type() string { return g.typ }

// Bounds returns the bounding box of g in degrees.
func (g *Geometry) Bounds() (minLon, minLat, maxLon, maxLat float64) {
	return g.bbox[0], g.bbox[1], g.bbox[2], g.bbox[3]
}

// Point returns the position of a Point geometry; ok is false for any other
// type.
func (g *Geometry) Point() (lon, lat float64, ok bool) {
	return g.lon, g.lat, g.isPoint
}

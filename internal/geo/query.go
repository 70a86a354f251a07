package geo

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Geo-relationships of NGSI-LD geo-queries (ETSI GS CIM 009, clause 4.10).
const (
	RelNear       = "near"
	RelWithin     = "within"
	RelContains   = "contains"
	RelIntersects = "intersects"
	RelDisjoint   = "disjoint"
	RelOverlaps   = "overlaps"
	RelEquals     = "equals"
)

// DefaultProperty is the GeoProperty queried when geoproperty is absent,
// before expansion.
const DefaultProperty = "location"

var relations = []string{RelNear, RelWithin, RelContains, RelIntersects, RelDisjoint, RelOverlaps, RelEquals}

// queryTypes are the geometry types a geo-query may use.
var queryTypes = []string{TypePoint, TypeMultiPoint, TypeLineString, TypeMultiLineString, TypePolygon, TypeMultiPolygon}

// Query is a parsed NGSI-LD geo-query. Build it with ParseQuery or ParseGeoQ,
// which validate it and pre-compute what Match needs; do not modify it
// afterwards. A Query literal also works but is prepared on every Match.
type Query struct {
	// Rel is one of the Rel* constants.
	Rel string
	// MaxDistance and MinDistance are the near distances in metres. A
	// parsed query records which were given; for a literal, MinDistance > 0
	// sets a minimum and MaxDistance sets a maximum unless only a minimum is
	// set.
	MaxDistance, MinDistance float64
	// Geometry is the reference geometry.
	Geometry *Geometry
	// Property is the expanded name of the GeoProperty queried (default: location).
	Property string

	prep *prepared
}

// ParseQuery parses the geo-query HTTP parameters georel, geometry,
// coordinates and geoproperty. It returns nil, nil when georel, geometry and
// coordinates are all empty (no geo-query). coordinates is the JSON text of
// the GeoJSON coordinates, e.g. "[107.084,10.346]". geoproperty defaults to
// "location" and is passed through expand unless expand is nil. The geometry
// type and georel names are matched case-insensitively (they are ABNF
// literals in the specification).
func ParseQuery(georel, geometry, coordinates, geoproperty string, expand func(string) string) (*Query, error) {
	if georel == "" && geometry == "" && coordinates == "" {
		return nil, nil
	}
	if err := requireAll(georel, geometry, coordinates); err != nil {
		return nil, err
	}
	q := &Query{}
	d, err := q.parseGeorel(georel)
	if err != nil {
		return nil, err
	}
	g, err := parseReference(geometry, coordinates)
	if err != nil {
		return nil, err
	}
	q.Geometry = g
	q.Property = property(geoproperty, expand)
	q.prep = prepare(q, d)
	return q, nil
}

func requireAll(georel, geometry, coordinates string) error {
	switch {
	case georel == "":
		return errorf("georel is required when geometry or coordinates is given")
	case geometry == "":
		return errorf("geometry is required with georel")
	case coordinates == "":
		return errorf("coordinates is required with georel")
	}
	return nil
}

func property(name string, expand func(string) string) string {
	if name == "" {
		name = DefaultProperty
	}
	if expand != nil {
		return expand(name)
	}
	return name
}

// parseReference parses the query geometry from its type name and the JSON
// text of its coordinates.
func parseReference(typ, coordinates string) (*Geometry, error) {
	canon := lookup(queryTypes, typ)
	if canon == "" {
		return nil, errorf("geometry %q is not supported; want one of %s", typ, strings.Join(queryTypes, ", "))
	}
	if !json.Valid([]byte(coordinates)) {
		return nil, errorf("coordinates %q is not a JSON array", coordinates)
	}
	data, err := json.Marshal(struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	}{canon, json.RawMessage(coordinates)})
	if err != nil {
		return nil, errorf("coordinates %q is not a JSON array", coordinates)
	}
	g, err := Parse(data)
	if err != nil {
		return nil, errorf("invalid geo-query geometry: %v", err)
	}
	return g, nil
}

// lookup returns the element of list equal to s ignoring case, or "".
func lookup(list []string, s string) string {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return x
		}
	}
	return ""
}

// parseGeorel sets Rel and the near distances from a georel such as
// "within" or "near;maxDistance==2000" and returns which distances were given.
func (q *Query) parseGeorel(georel string) (distances, error) {
	name, mods, _ := strings.Cut(georel, ";")
	q.Rel = lookup(relations, name)
	switch {
	case q.Rel == "":
		return distances{}, errorf("georel %q is not supported; want one of %s", name, strings.Join(relations, ", "))
	case q.Rel != RelNear && mods != "":
		return distances{}, errorf("georel %s takes no modifiers, got %q", q.Rel, georel)
	case q.Rel == RelNear && mods == "":
		return distances{}, errorf("georel near requires maxDistance or minDistance, e.g. near;maxDistance==2000")
	case q.Rel != RelNear:
		return distances{}, nil
	}
	return q.parseDistances(strings.Split(mods, ";"))
}

// parseDistances parses the near modifiers maxDistance==N and minDistance==N
// (each at most once).
func (q *Query) parseDistances(mods []string) (distances, error) {
	var d distances
	for _, m := range mods {
		if err := d.parse(m); err != nil {
			return d, err
		}
	}
	if d.hasMin && d.hasMax && d.min > d.max {
		return d, errorf("georel near: minDistance %v is greater than maxDistance %v", d.min, d.max)
	}
	q.MaxDistance, q.MinDistance = d.max, d.min
	return d, nil
}

// distances are the near constraints of a query.
type distances struct {
	hasMax, hasMin bool
	max, min       float64
}

func (d *distances) parse(mod string) error {
	name, val, ok := strings.Cut(mod, "==")
	if !ok {
		return errorf("georel near modifier %q must be maxDistance==N or minDistance==N", mod)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
	if err != nil || !finite(v) {
		return errorf("georel near: %s %q is not a number", name, val)
	}
	if v < 0 {
		return errorf("georel near: %s must not be negative, got %v", name, v)
	}
	switch {
	case strings.EqualFold(name, "maxDistance") && !d.hasMax:
		d.hasMax, d.max = true, v
	case strings.EqualFold(name, "minDistance") && !d.hasMin:
		d.hasMin, d.min = true, v
	case strings.EqualFold(name, "maxDistance") || strings.EqualFold(name, "minDistance"):
		return errorf("georel near: %s is given twice", name)
	default:
		return errorf("georel near modifier %q is not supported; want maxDistance or minDistance", name)
	}
	return nil
}

// Georel returns the georel parameter text of q, e.g. "near;maxDistance==2000".
func (q *Query) Georel() string {
	if q.Rel != RelNear {
		return q.Rel
	}
	d := q.distances()
	s := RelNear
	if d.hasMax {
		s += ";maxDistance==" + strconv.FormatFloat(d.max, 'f', -1, 64)
	}
	if d.hasMin {
		s += ";minDistance==" + strconv.FormatFloat(d.min, 'f', -1, 64)
	}
	return s
}

// distances returns the near constraints recorded at parse time or, for a
// Query literal, derived from its fields.
func (q *Query) distances() distances {
	if q.prep != nil {
		return q.prep.distances
	}
	hasMin := q.MinDistance > 0
	return distances{hasMax: q.MaxDistance > 0 || !hasMin, hasMin: hasMin, max: q.MaxDistance, min: q.MinDistance}
}

// ParseGeoQ parses the JSON form of a geo-query used by subscriptions, e.g.
// {"geometry":"Point","coordinates":[107.084,10.346],
// "georel":"near;maxDistance==2000","geoproperty":"location"}. coordinates
// may be a JSON array or a string holding one. A nil obj gives nil, nil;
// otherwise georel, geometry and coordinates are required. geoproperty is
// treated as in ParseQuery.
func ParseGeoQ(obj map[string]any, expand func(string) string) (*Query, error) {
	if obj == nil {
		return nil, nil
	}
	georel, err := stringMember(obj, "georel", true)
	if err != nil {
		return nil, err
	}
	geometry, err := stringMember(obj, "geometry", true)
	if err != nil {
		return nil, err
	}
	geoproperty, err := stringMember(obj, "geoproperty", false)
	if err != nil {
		return nil, err
	}
	coordinates, err := coordinatesMember(obj)
	if err != nil {
		return nil, err
	}
	q, err := ParseQuery(georel, geometry, coordinates, geoproperty, expand)
	if err != nil {
		return nil, errorf("geoQ: %v", err)
	}
	return q, nil
}

func stringMember(obj map[string]any, name string, required bool) (string, error) {
	v, ok := obj[name]
	if !ok || v == nil {
		if required {
			return "", errorf("geoQ.%s is required", name)
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok || (required && s == "") {
		return "", errorf("geoQ.%s must be a non-empty string", name)
	}
	return s, nil
}

func coordinatesMember(obj map[string]any) (string, error) {
	switch v := obj["coordinates"].(type) {
	case nil:
		return "", errorf("geoQ.coordinates is required")
	case string:
		if v == "" {
			return "", errorf("geoQ.coordinates is required")
		}
		return v, nil
	case []any:
		data, err := json.Marshal(v)
		if err != nil {
			return "", errorf("geoQ.coordinates must be an array of numbers: %v", err)
		}
		return string(data), nil
	default:
		return "", errorf("geoQ.coordinates must be an array or a string holding one")
	}
}

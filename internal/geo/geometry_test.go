package geo

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// Test fixtures around Vũng Tàu (10.346 N, 107.084 E).
const (
	// vtCentre is a point in the city centre.
	vtCentre = `{"type":"Point","coordinates":[107.084,10.346]}`
	// vtDistrict is a square of about 3.3 km by 3.3 km around the centre.
	vtDistrict = `{"type":"Polygon","coordinates":[[[107.07,10.33],[107.1,10.33],[107.1,10.36],[107.07,10.36],[107.07,10.33]]]}`
	// vtRoad crosses the district from west to east.
	vtRoad = `{"type":"LineString","coordinates":[[107.06,10.34],[107.11,10.35]]}`
)

func mustParse(t testing.TB, s string) *Geometry {
	t.Helper()
	g, err := Parse([]byte(s))
	if err != nil {
		t.Fatalf("Parse(%s): %v", s, err)
	}
	return g
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name, in, typ, out string
		bounds             [4]float64
	}{
		{"point", vtCentre, TypePoint, vtCentre, [4]float64{107.084, 10.346, 107.084, 10.346}},
		{"point with altitude and foreign members", `{"type":"Point","coordinates":[107.084,10.346,12.5],"bbox":[1,2,3,4],"x":1}`,
			TypePoint, `{"type":"Point","coordinates":[107.084,10.346,12.5]}`, [4]float64{107.084, 10.346, 107.084, 10.346}},
		{"multipoint", `{"type":"MultiPoint","coordinates":[[107.08,10.34],[107.09,10.35]]}`, TypeMultiPoint,
			`{"type":"MultiPoint","coordinates":[[107.08,10.34],[107.09,10.35]]}`, [4]float64{107.08, 10.34, 107.09, 10.35}},
		{"linestring", vtRoad, TypeLineString, vtRoad, [4]float64{107.06, 10.34, 107.11, 10.35}},
		{"multilinestring", `{"type":"MultiLineString","coordinates":[[[107.06,10.34],[107.11,10.35]],[[107.07,10.3],[107.08,10.31]]]}`,
			TypeMultiLineString, `{"type":"MultiLineString","coordinates":[[[107.06,10.34],[107.11,10.35]],[[107.07,10.3],[107.08,10.31]]]}`,
			[4]float64{107.06, 10.3, 107.11, 10.35}},
		{"polygon", vtDistrict, TypePolygon, vtDistrict, [4]float64{107.07, 10.33, 107.1, 10.36}},
		{"polygon with hole", `{"type":"Polygon","coordinates":[[[107.07,10.33],[107.1,10.33],[107.1,10.36],[107.07,10.36],[107.07,10.33]],[[107.08,10.34],[107.09,10.34],[107.09,10.35],[107.08,10.34]]]}`,
			TypePolygon, "", [4]float64{107.07, 10.33, 107.1, 10.36}},
		{"multipolygon", `{"type":"MultiPolygon","coordinates":[[[[107.07,10.33],[107.1,10.33],[107.1,10.36],[107.07,10.33]]],[[[107.2,10.4],[107.3,10.4],[107.3,10.5],[107.2,10.4]]]]}`,
			TypeMultiPolygon, "", [4]float64{107.07, 10.33, 107.3, 10.5}},
		{"geometrycollection", `{"type":"GeometryCollection","geometries":[` + vtCentre + `,` + vtRoad + `]}`,
			TypeGeometryCollection, `{"type":"GeometryCollection","geometries":[` + vtCentre + `,` + vtRoad + `]}`,
			[4]float64{107.06, 10.34, 107.11, 10.35}},
		{"extreme ranges", `{"type":"LineString","coordinates":[[-180,-90],[180,90]]}`, TypeLineString, "", [4]float64{-180, -90, 180, 90}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := mustParse(t, tt.in)
			if g.Type() != tt.typ {
				t.Errorf("Type() = %q, want %q", g.Type(), tt.typ)
			}
			if a, b, c, d := g.Bounds(); [4]float64{a, b, c, d} != tt.bounds {
				t.Errorf("Bounds() = %v, want %v", [4]float64{a, b, c, d}, tt.bounds)
			}
			out, err := json.Marshal(g)
			if err != nil {
				t.Fatal(err)
			}
			if tt.out != "" && string(out) != tt.out {
				t.Errorf("MarshalJSON = %s, want %s", out, tt.out)
			}
			if again := mustParse(t, string(out)); again.String() != string(out) {
				t.Errorf("round trip changed %s to %s", out, again)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	ring := func(coords string) string { return `{"type":"Polygon","coordinates":[` + coords + `]}` }
	tests := []struct{ name, in, want string }{
		{"not json", `{"type":`, "not valid JSON"},
		{"array", `[1,2]`, "must be a JSON object"},
		{"no type", `{"coordinates":[1,2]}`, "geometry has no type"},
		{"unknown type", `{"type":"Circle","coordinates":[1,2]}`, `unsupported geometry type "Circle"`},
		{"lower-case type", `{"type":"point","coordinates":[1,2]}`, `unsupported geometry type "point"`},
		{"no coordinates", `{"type":"Point"}`, "Point has no coordinates"},
		{"null coordinates", `{"type":"Point","coordinates":null}`, "Point position has 0 values; want 2 or 3"},
		{"one value", `{"type":"Point","coordinates":[107.08]}`, "Point position has 1 value; want 2 or 3"},
		{"four values", `{"type":"Point","coordinates":[1,2,3,4]}`, "Point position has 4 values"},
		{"string value", `{"type":"Point","coordinates":["107.08",10.3]}`, "Point coordinates must be a position [lon, lat] of numbers"},
		{"huge number", `{"type":"Point","coordinates":[1e400,10]}`, "Point coordinates must be"},
		{"longitude range", `{"type":"Point","coordinates":[180.5,10.3]}`, "Point position has longitude 180.5 outside [-180, 180]"},
		{"latitude range", `{"type":"Point","coordinates":[107.08,-90.1]}`, "Point position has latitude -90.1 outside [-90, 90]"},
		{"swapped lat lon", `{"type":"Point","coordinates":[10.346,107.084]}`, "latitude 107.084 outside [-90, 90]"},
		{"multipoint empty", `{"type":"MultiPoint","coordinates":[]}`, "MultiPoint has no positions"},
		{"multipoint position", `{"type":"MultiPoint","coordinates":[[1,2],[1,200]]}`, "MultiPoint position 1 has latitude 200"},
		{"linestring short", `{"type":"LineString","coordinates":[[107.06,10.34]]}`, "LineString has 1 position; want at least 2"},
		{"linestring repeated", `{"type":"LineString","coordinates":[[107.06,10.34],[107.06,10.34]]}`, "LineString is not a valid geometry"},
		{"linestring position", `{"type":"LineString","coordinates":[[107.06,10.34],[181,10]]}`, "LineString position 1 has longitude 181"},
		{"multilinestring empty", `{"type":"MultiLineString","coordinates":[]}`, "MultiLineString has no lines"},
		{"multilinestring line", `{"type":"MultiLineString","coordinates":[[[1,2],[3,4]],[[1,2]]]}`, "MultiLineString line 1 has 1 position"},
		{"polygon no rings", ring(``), "Polygon has no rings"},
		{"polygon not closed", ring(`[[107.07,10.33],[107.1,10.33],[107.1,10.36],[107.07,10.36]]`), "Polygon ring 0 is not closed"},
		{"polygon short ring", ring(`[[107.07,10.33],[107.1,10.33],[107.07,10.33]]`), "Polygon ring 0 has 3 positions; want at least 4"},
		{"polygon hole not closed", ring(`[[0,0],[4,0],[4,4],[0,0]],[[1,1],[2,1],[2,2],[1,1.5]]`), "Polygon ring 1 is not closed"},
		{"polygon position", ring(`[[0,0],[4,0],[4,95],[0,0]]`), "Polygon ring 0 position 2 has latitude 95"},
		{"polygon bow tie", ring(`[[0,0],[2,2],[2,0],[0,2],[0,0]]`), "Polygon is not a valid geometry"},
		{"polygon wrong depth", `{"type":"Polygon","coordinates":[[1,2],[3,4]]}`, "Polygon coordinates must be an array of linear rings"},
		{"multipolygon empty", `{"type":"MultiPolygon","coordinates":[]}`, "MultiPolygon has no polygons"},
		{"multipolygon ring", `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,6]]]]}`, "MultiPolygon polygon 1 ring 0 is not closed"},
		{"multipolygon overlapping", `{"type":"MultiPolygon","coordinates":[[[[0,0],[2,0],[2,2],[0,0]]],[[[1,0],[3,0],[3,2],[1,0]]]]}`, "MultiPolygon is not a valid geometry"},
		{"collection empty", `{"type":"GeometryCollection","geometries":[]}`, "GeometryCollection has no geometries"},
		{"collection member", `{"type":"GeometryCollection","geometries":[` + vtCentre + `,{"type":"Point","coordinates":[1]}]}`, "GeometryCollection member 1: Point position has 1 value"},
		{"collection nested", `{"type":"GeometryCollection","geometries":[{"type":"GeometryCollection","geometries":[]}]}`, "nested collections are not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := Parse([]byte(tt.in))
			if err == nil {
				t.Fatalf("Parse(%s) = %s, want error containing %q", tt.in, g, tt.want)
			}
			var ge *Error
			if !errors.As(err, &ge) {
				t.Errorf("error %v (%T) is not a *geo.Error", err, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%s) error = %q, want it to contain %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestPointAccessor(t *testing.T) {
	lon, lat, ok := mustParse(t, vtCentre).Point()
	if !ok || lon != 107.084 || lat != 10.346 {
		t.Errorf("Point() = %v, %v, %v; want 107.084, 10.346, true", lon, lat, ok)
	}
	if _, _, ok := mustParse(t, vtDistrict).Point(); ok {
		t.Error("Point() of a Polygon: ok = true")
	}
}

func TestNewPoint(t *testing.T) {
	g, err := NewPoint(107.084, 10.346)
	if err != nil || g.String() != vtCentre {
		t.Errorf("NewPoint = %v, %v; want %s", g, err, vtCentre)
	}
	if _, err := NewPoint(107.084, 91); err == nil || !strings.Contains(err.Error(), "latitude 91") {
		t.Errorf("NewPoint(lat 91) error = %v", err)
	}
}

func TestUnmarshalJSON(t *testing.T) {
	var v struct{ Location *Geometry }
	if err := json.Unmarshal([]byte(`{"Location":`+vtDistrict+`}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.Location.Type() != TypePolygon {
		t.Errorf("Type() = %q", v.Location.Type())
	}
	err := json.Unmarshal([]byte(`{"Location":{"type":"Point","coordinates":[200,0]}}`), &v)
	if err == nil || !strings.Contains(err.Error(), "longitude 200") {
		t.Errorf("Unmarshal of invalid point: error = %v", err)
	}
	var nilG *Geometry
	if b, _ := nilG.MarshalJSON(); string(b) != "null" {
		t.Errorf("nil MarshalJSON = %s", b)
	}
}

func TestMarshalJSONReturnsCopy(t *testing.T) {
	g := mustParse(t, vtCentre)
	b, _ := g.MarshalJSON()
	b[0] = 'X'
	if g.String() != vtCentre {
		t.Errorf("mutating MarshalJSON output changed the geometry to %s", g)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{vtCentre, vtDistrict, vtRoad,
		`{"type":"MultiPolygon","coordinates":[[[[0,0],[2,0],[2,2],[0,0]]],[[[1,0],[3,0],[3,2],[1,0]]]]}`,
		`{"type":"GeometryCollection","geometries":[` + vtCentre + `]}`,
		`{"type":"Polygon","coordinates":[[[0,0],[2,2],[2,0],[0,2],[0,0]]]}`,
		`{"type":"MultiLineString","coordinates":[[[1,2],[3,4]]]}`, `null`, `{}`,
	} {
		f.Add([]byte(s))
	}
	q := mustParse(f, vtDistrict)
	queries := []*Query{}
	for _, rel := range relations {
		queries = append(queries, &Query{Rel: rel, MaxDistance: 500, Geometry: q})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Parse(data)
		if err != nil {
			return
		}
		out, err := g.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON: %v", err)
		}
		again, err := Parse(out)
		if err != nil || again.String() != string(out) {
			t.Fatalf("re-parse of %s: %v, %v", out, again, err)
		}
		for _, q := range queries {
			q.Match(g)
		}
	})
}

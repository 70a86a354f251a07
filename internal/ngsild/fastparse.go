package ngsild

import (
	"time"

	"github.com/dothi-city/dothi/internal/geo"
)

// SplitJSONArray checks that data is one valid JSON array (with optional
// surrounding white space) and returns the text of its elements. ok is
// false when data is not valid JSON, not an array, or nests deeper than
// this function follows; the caller then decodes data with encoding/json,
// which says what is wrong.
func SplitJSONArray(data []byte) (items [][]byte, ok bool) {
	d := &fastDecoder{data: data}
	d.space()
	if d.pos >= len(data) || data[d.pos] != '[' {
		return nil, false
	}
	d.pos++
	d.space()
	if d.pos < len(data) && data[d.pos] == ']' {
		d.pos++
		items = [][]byte{}
	} else {
		for {
			d.space()
			start := d.pos
			if !d.skip() {
				return nil, false
			}
			items = append(items, data[start:d.pos])
			d.space()
			if d.pos >= len(data) {
				return nil, false
			}
			c := data[d.pos]
			d.pos++
			if c == ']' {
				break
			}
			if c != ',' {
				return nil, false
			}
		}
	}
	d.space()
	if d.pos != len(data) {
		return nil, false
	}
	return items, true
}

// skip validates the value at d.pos and moves past it.
func (d *fastDecoder) skip() bool {
	d.space()
	if d.pos >= len(d.data) {
		return false
	}
	switch c := d.data[d.pos]; c {
	case '{', '[':
		if d.depth++; d.depth > maxFastDepth {
			return false
		}
		d.pos++
		closing := byte(']')
		if c == '{' {
			closing = '}'
		}
		d.space()
		if d.pos < len(d.data) && d.data[d.pos] == closing {
			d.pos++
			d.depth--
			return true
		}
		for {
			if c == '{' {
				d.space()
				if d.pos >= len(d.data) || d.data[d.pos] != '"' || !d.skipString() {
					return false
				}
				d.space()
				if d.pos >= len(d.data) || d.data[d.pos] != ':' {
					return false
				}
				d.pos++
			}
			if !d.skip() {
				return false
			}
			d.space()
			if d.pos >= len(d.data) {
				return false
			}
			next := d.data[d.pos]
			d.pos++
			if next == closing {
				d.depth--
				return true
			}
			if next != ',' {
				return false
			}
		}
	case '"':
		return d.skipString()
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	default:
		if c == '-' || c >= '0' && c <= '9' {
			end, ok := d.scanNumber()
			if ok {
				d.pos = end
			}
			return ok
		}
		return false
	}
}

// skipString validates the string at d.pos (its opening quote) as
// encoding/json does (escapes, no control characters; invalid UTF-8 is
// allowed) and moves past it.
func (d *fastDecoder) skipString() bool {
	data := d.data
	for i := d.pos + 1; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			d.pos = i + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			i++
			if i >= len(data) {
				return false
			}
			switch data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(data) {
					return false
				}
				for _, h := range data[i+1 : i+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return false
					}
				}
				i += 4
			default:
				return false
			}
		}
	}
	return false
}

// ParseEntityJSON parses an entity from its JSON text the way ParseEntity
// parses the decoded text, for the common case only: the normalized
// representation without @context, whose attributes are single instances
// of Property, Relationship or GeoProperty (a GeoJSON geometry with type
// and coordinates) with at most datasetId, observedAt and unitCode, and no
// sub-attributes. ok is false for anything else, valid or not; the caller
// then decodes the text and calls ParseEntity, which also reports errors.
func ParseEntityJSON(data []byte, expand func(term string) string, now time.Time) (e *Entity, ok bool) {
	d := fastDecoders.Get().(*fastDecoder)
	d.data, d.pos, d.depth = data, 0, 0
	e, ok = d.entity(expand, now)
	if ok {
		d.space()
		ok = d.pos == len(data)
	}
	d.release()
	if !ok {
		return nil, false
	}
	return e, true
}

func (d *fastDecoder) entity(expand func(string) string, now time.Time) (*Entity, bool) {
	d.space()
	if d.pos >= len(d.data) || d.data[d.pos] != '{' {
		return nil, false
	}
	d.pos++
	e := &Entity{CreatedAt: now, ModifiedAt: now, Attrs: make(map[string][]*Attribute, 8)}
	haveID, haveType := false, false
	for {
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, false
		}
		k, ok := d.str(true)
		if !ok || !d.colon() {
			return nil, false
		}
		switch k {
		case "id":
			s, ok := d.stringValue(false)
			if !ok || haveID || !isURI(s) {
				return nil, false
			}
			e.ID, haveID = s, true
		case "type":
			s, ok := d.stringValue(true)
			if !ok || haveType || checkTypeName(s) != nil {
				return nil, false
			}
			e.Types, haveType = []string{expand(s)}, true
		case "@context", "scope", "createdAt", "modifiedAt", "deletedAt":
			return nil, false
		default:
			name := expand(k)
			if checkAttrName(k, name) != nil {
				return nil, false
			}
			if _, dup := e.Attrs[name]; dup {
				return nil, false
			}
			box := &attrBox{}
			box.list[0] = &box.a
			if !d.attribute(&box.a, now) {
				return nil, false
			}
			e.Attrs[name] = box.list[:]
		}
		d.space()
		if d.pos >= len(d.data) {
			return nil, false
		}
		c := d.data[d.pos]
		d.pos++
		if c == '}' {
			break
		}
		if c != ',' {
			return nil, false
		}
	}
	return e, haveID && haveType
}

// colon consumes the ':' after a key.
func (d *fastDecoder) colon() bool {
	d.space()
	if d.pos >= len(d.data) || d.data[d.pos] != ':' {
		return false
	}
	d.pos++
	d.space()
	return true
}

// stringValue decodes a string value; intern for values that repeat
// across entities (types, units, timestamps).
func (d *fastDecoder) stringValue(intern bool) (string, bool) {
	if d.pos >= len(d.data) || d.data[d.pos] != '"' {
		return "", false
	}
	return d.str(intern)
}

// attribute parses an attribute object in normalized form.
func (d *fastDecoder) attribute(a *Attribute, now time.Time) bool {
	if d.pos >= len(d.data) || d.data[d.pos] != '{' {
		return false
	}
	d.pos++
	a.CreatedAt, a.ModifiedAt = now, now
	var (
		typ, object, unit, observed, dataset string
		value                                any
		valueRaw                             []byte
		seen                                 uint8
	)
	const (
		sType = 1 << iota
		sValue
		sObject
		sUnit
		sObserved
		sDataset
	)
	for {
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return false
		}
		k, ok := d.str(true)
		if !ok || !d.colon() {
			return false
		}
		var bit uint8
		switch k {
		case "type":
			bit = sType
			typ, ok = d.stringValue(true)
		case "value":
			bit = sValue
			start := d.pos
			if typ == TypeGeoProperty {
				// The geometry goes to geo.Parse as text: check it
				// without decoding it.
				ok = d.plainGeometryText()
				value = geometryMark{}
			} else {
				value, ok = d.value()
			}
			if ok {
				valueRaw = d.data[start:d.pos]
			}
		case "object":
			bit = sObject
			object, ok = d.stringValue(false)
		case "unitCode":
			bit = sUnit
			unit, ok = d.stringValue(true)
		case "observedAt":
			bit = sObserved
			observed, ok = d.stringValue(true)
		case "datasetId":
			bit = sDataset
			dataset, ok = d.stringValue(false)
		default:
			return false
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		d.space()
		if d.pos >= len(d.data) {
			return false
		}
		c := d.data[d.pos]
		d.pos++
		if c == '}' {
			break
		}
		if c != ',' {
			return false
		}
	}
	switch typ {
	case TypeProperty:
		if seen&sValue == 0 || seen&sObject != 0 || value == nil {
			return false
		}
		if _, bad := numberOutOfRange(value); bad {
			return false
		}
		a.Value = value
	case TypeRelationship:
		if seen&sObject == 0 || seen&sValue != 0 || !isURI(object) {
			return false
		}
		a.Object = object
	case TypeGeoProperty:
		if _, checked := value.(geometryMark); seen&sValue == 0 || seen&sObject != 0 || !checked && !plainGeometry(value) {
			return false
		}
		g, err := geo.Parse(valueRaw)
		if err != nil {
			return false
		}
		a.Geometry = g
	default:
		return false
	}
	a.Type = typ
	if seen&sDataset != 0 {
		if !isURI(dataset) {
			return false
		}
		a.DatasetID = dataset
	}
	if seen&sObserved != 0 {
		t, err := parseDateTime(observed)
		if err != nil {
			return false
		}
		a.ObservedAt = t
	}
	if seen&sUnit != 0 {
		if unit == "" {
			return false
		}
		a.UnitCode = unit
	}
	return true
}

// plainGeometry reports whether v is a GeoJSON geometry object with just
// a string type and coordinates, whose text geo.Parse reads exactly as it
// reads the object re-encoded.
func plainGeometry(v any) bool {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 2 {
		return false
	}
	_, isStr := m["type"].(string)
	_, hasCoords := m["coordinates"]
	return isStr && hasCoords
}

// geometryMark stands for a GeoProperty value that plainGeometryText checked.
type geometryMark struct{}

// plainGeometryText checks, without decoding it, that the value at d.pos
// is an object with exactly the members type (a string) and coordinates
// (valid JSON), each once, as plainGeometry requires, and moves past it.
func (d *fastDecoder) plainGeometryText() bool {
	if d.pos >= len(d.data) || d.data[d.pos] != '{' {
		return false
	}
	d.pos++
	haveType, haveCoords := false, false
	for {
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return false
		}
		k, ok := d.str(true)
		if !ok || !d.colon() {
			return false
		}
		switch {
		case k == "type" && !haveType:
			if d.pos >= len(d.data) || d.data[d.pos] != '"' || !d.skipString() {
				return false
			}
			haveType = true
		case k == "coordinates" && !haveCoords:
			if !d.skip() {
				return false
			}
			haveCoords = true
		default:
			return false
		}
		d.space()
		if d.pos >= len(d.data) {
			return false
		}
		c := d.data[d.pos]
		d.pos++
		if c == '}' {
			return haveType && haveCoords
		}
		if c != ',' {
			return false
		}
	}
}

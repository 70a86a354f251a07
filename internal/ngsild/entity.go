package ngsild

import (
	"encoding/json"
	"time"

	"github.com/dothi-city/dothi/internal/geo"
)

// Attribute types (the "type" member of an attribute).
const (
	TypeProperty         = "Property"
	TypeRelationship     = "Relationship"
	TypeGeoProperty      = "GeoProperty"
	TypeLanguageProperty = "LanguageProperty"
)

// Core NGSI-LD IRIs that the broker itself interprets.
const (
	CoreNS              = "https://uri.etsi.org/ngsi-ld/"
	IRILocation         = CoreNS + "location"
	IRIObservationSpace = CoreNS + "observationSpace"
	IRIOperationSpace   = CoreNS + "operationSpace"
	IRIObservedAt       = CoreNS + "observedAt"
	IRIUnitCode         = CoreNS + "unitCode"
	IRIDatasetID        = CoreNS + "datasetId"
	IRICreatedAt        = CoreNS + "createdAt"
	IRIModifiedAt       = CoreNS + "modifiedAt"
	IRIDefaultCtx       = CoreNS + "default-context/"
)

// Entity is an NGSI-LD entity with all names (types, attribute and
// sub-attribute names) in expanded IRI form.
type Entity struct {
	ID         string
	Types      []string
	CreatedAt  time.Time
	ModifiedAt time.Time
	// Attrs maps an expanded attribute name to its instances. Instances of
	// one attribute differ by DatasetID; the default instance has "".
	Attrs map[string][]*Attribute
}

// Attribute is one instance of a Property, Relationship, GeoProperty or
// LanguageProperty, possibly with sub-attributes.
type Attribute struct {
	Type string
	// Value is the value of a Property, as decoded by encoding/json with
	// UseNumber: nil, bool, json.Number, string, []any or map[string]any.
	Value any
	// Object is the target entity id of a Relationship.
	Object string
	// Geometry is the value of a GeoProperty.
	Geometry *geo.Geometry
	// LanguageMap is the value of a LanguageProperty: language tag → text.
	LanguageMap map[string]string

	DatasetID  string
	ObservedAt time.Time // zero when absent
	UnitCode   string
	CreatedAt  time.Time
	ModifiedAt time.Time
	// Sub holds sub-attributes (properties of this attribute) by expanded
	// name. The objectType of a Relationship is kept here too, under
	// IRIObjectType (see ObjectType).
	Sub map[string][]*Attribute

	// nullObservedAt marks a fragment whose observedAt is NGSI-LD Null:
	// merging it deletes observedAt.
	nullObservedAt bool
}

// ObjectType returns the expanded entity types that the objectType member
// of a Relationship names, nil when it has none.
func (a *Attribute) ObjectType() []string {
	ot := a.SubAttr(IRIObjectType)
	if a.Type != TypeRelationship || ot == nil {
		return nil
	}
	switch v := ot.Value.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, t := range v {
			if s, ok := t.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// Attr returns the default instance (no datasetId) of the named attribute,
// or, when there is none, its first instance; nil if the entity lacks it.
func (e *Entity) Attr(name string) *Attribute {
	return defaultInstance(e.Attrs[name])
}

// HasType reports whether the entity has the expanded type t.
func (e *Entity) HasType(t string) bool {
	for _, x := range e.Types {
		if x == t {
			return true
		}
	}
	return false
}

// SubAttr returns the default instance of the named sub-attribute.
func (a *Attribute) SubAttr(name string) *Attribute {
	return defaultInstance(a.Sub[name])
}

func defaultInstance(list []*Attribute) *Attribute {
	for _, a := range list {
		if a.DatasetID == "" {
			return a
		}
	}
	if len(list) > 0 {
		return list[0]
	}
	return nil
}

// Clone returns a deep copy of e.
func (e *Entity) Clone() *Entity {
	c := *e
	c.Types = append([]string(nil), e.Types...)
	c.Attrs = cloneAttrs(e.Attrs)
	return &c
}

func cloneAttrs(m map[string][]*Attribute) map[string][]*Attribute {
	if m == nil {
		return nil
	}
	out := make(map[string][]*Attribute, len(m))
	for k, list := range m {
		cl := make([]*Attribute, len(list))
		for i, a := range list {
			cl[i] = a.Clone()
		}
		out[k] = cl
	}
	return out
}

// Clone returns a deep copy of a.
func (a *Attribute) Clone() *Attribute {
	c := *a
	c.Value = cloneValue(a.Value)
	if a.LanguageMap != nil {
		c.LanguageMap = make(map[string]string, len(a.LanguageMap))
		for k, v := range a.LanguageMap {
			c.LanguageMap[k] = v
		}
	}
	c.Sub = cloneAttrs(a.Sub)
	return &c
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = cloneValue(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = cloneValue(e)
		}
		return s
	default:
		return v
	}
}

// Number returns the value as a float64 when it is a JSON number.
func Number(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}

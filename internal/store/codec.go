package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/dothi-city/dothi/internal/geo"
	"github.com/dothi-city/dothi/internal/ngsild"
)

// docEntity is the stored JSON form of an entity: short keys, times as Unix
// nanoseconds, zero values omitted.
type docEntity struct {
	ID    string               `json:"id"`
	Types []string             `json:"t,omitempty"`
	C     stamp                `json:"c,omitzero"`
	M     stamp                `json:"m,omitzero"`
	Attrs map[string][]docAttr `json:"a,omitempty"`
}

// docAttr is the stored JSON form of an attribute instance.
type docAttr struct {
	Type     string               `json:"t"`
	Value    any                  `json:"v,omitempty"`
	Object   string               `json:"o,omitempty"`
	Geometry json.RawMessage      `json:"g,omitempty"`
	LangMap  map[string]string    `json:"l,omitempty"`
	Dataset  string               `json:"d,omitempty"`
	Observed stamp                `json:"oa,omitzero"`
	Unit     string               `json:"u,omitempty"`
	C        stamp                `json:"c,omitzero"`
	M        stamp                `json:"m,omitzero"`
	Sub      map[string][]docAttr `json:"s,omitempty"`
}

// EncodeEntity returns the compact JSON document that stores e.
func EncodeEntity(e *ngsild.Entity) ([]byte, error) {
	attrs, err := encodeAttrs(e.Attrs)
	if err != nil {
		return nil, err
	}
	d := docEntity{ID: e.ID, Types: e.Types, C: stamp{e.CreatedAt}, M: stamp{e.ModifiedAt}, Attrs: attrs}
	return json.Marshal(&d)
}

// DecodeEntity parses a document written by EncodeEntity. Property values
// decode as encoding/json does with UseNumber.
func DecodeEntity(data []byte) (*ngsild.Entity, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var d docEntity
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("decode entity: %w", err)
	}
	attrs, err := decodeAttrs(d.Attrs)
	if err != nil {
		return nil, fmt.Errorf("decode entity %s: %w", d.ID, err)
	}
	return &ngsild.Entity{ID: d.ID, Types: d.Types, CreatedAt: d.C.t, ModifiedAt: d.M.t, Attrs: attrs}, nil
}

func encodeAttrs(m map[string][]*ngsild.Attribute) (map[string][]docAttr, error) {
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[string][]docAttr, len(m))
	for name, list := range m {
		docs := make([]docAttr, len(list))
		for i, a := range list {
			if a == nil {
				return nil, fmt.Errorf("attribute %s: nil instance", name)
			}
			if err := encodeAttr(a, &docs[i]); err != nil {
				return nil, fmt.Errorf("attribute %s: %w", name, err)
			}
		}
		out[name] = docs
	}
	return out, nil
}

func encodeAttr(a *ngsild.Attribute, d *docAttr) error {
	*d = docAttr{Type: a.Type, Value: a.Value, Object: a.Object, LangMap: a.LanguageMap,
		Dataset: a.DatasetID, Observed: stamp{a.ObservedAt}, Unit: a.UnitCode,
		C: stamp{a.CreatedAt}, M: stamp{a.ModifiedAt}}
	if a.Geometry != nil {
		g, err := a.Geometry.MarshalJSON()
		if err != nil {
			return err
		}
		d.Geometry = g
	}
	sub, err := encodeAttrs(a.Sub)
	d.Sub = sub
	return err
}

func decodeAttrs(m map[string][]docAttr) (map[string][]*ngsild.Attribute, error) {
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[string][]*ngsild.Attribute, len(m))
	for name, docs := range m {
		list := make([]*ngsild.Attribute, len(docs))
		for i := range docs {
			a, err := decodeAttr(&docs[i])
			if err != nil {
				return nil, fmt.Errorf("attribute %s: %w", name, err)
			}
			list[i] = a
		}
		out[name] = list
	}
	return out, nil
}

func decodeAttr(d *docAttr) (*ngsild.Attribute, error) {
	a := &ngsild.Attribute{Type: d.Type, Value: d.Value, Object: d.Object, LanguageMap: d.LangMap,
		DatasetID: d.Dataset, ObservedAt: d.Observed.t, UnitCode: d.Unit,
		CreatedAt: d.C.t, ModifiedAt: d.M.t}
	if len(d.Geometry) > 0 {
		g, err := geo.Parse(d.Geometry)
		if err != nil {
			return nil, err
		}
		a.Geometry = g
	}
	sub, err := decodeAttrs(d.Sub)
	a.Sub = sub
	return a, err
}

// stamp is a timestamp stored as Unix nanoseconds, or as an RFC 3339
// string when out of the int64 nanosecond range. Decoded times are UTC.
type stamp struct{ t time.Time }

// IsZero reports whether the time is absent (for omitzero).
func (s stamp) IsZero() bool { return s.t.IsZero() }

// MarshalJSON encodes the time compactly.
func (s stamp) MarshalJSON() ([]byte, error) {
	if y := s.t.Year(); y > 1678 && y < 2262 {
		return strconv.AppendInt(nil, s.t.UnixNano(), 10), nil
	}
	return json.Marshal(s.t.Format(time.RFC3339Nano))
}

// UnmarshalJSON decodes either form written by MarshalJSON.
func (s *stamp) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		t, err := time.Parse(time.RFC3339Nano, str)
		s.t = t.UTC()
		return err
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	s.t = time.Unix(0, n).UTC()
	return err
}

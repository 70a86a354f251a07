package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

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

// EncodeEntity returns the compact JSON document that stores e: the bytes
// json.Marshal writes for its docEntity, appended without reflection.
func EncodeEntity(e *ngsild.Entity) ([]byte, error) {
	b := make([]byte, 0, 512)
	b = append(b, `{"id":`...)
	b = appendString(b, e.ID)
	if len(e.Types) > 0 {
		b = append(b, `,"t":[`...)
		for i, t := range e.Types {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, t)
		}
		b = append(b, ']')
	}
	b = appendStamp(b, `,"c":`, e.CreatedAt)
	b = appendStamp(b, `,"m":`, e.ModifiedAt)
	b, err := appendAttrs(b, `,"a":`, e.Attrs)
	if err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// encodeEntityReflect is EncodeEntity through encoding/json (for tests).
func encodeEntityReflect(e *ngsild.Entity) ([]byte, error) {
	attrs, err := encodeAttrs(e.Attrs)
	if err != nil {
		return nil, err
	}
	d := docEntity{ID: e.ID, Types: e.Types, C: stamp{e.CreatedAt}, M: stamp{e.ModifiedAt}, Attrs: attrs}
	return json.Marshal(&d)
}

// appendAttrs appends key and the attributes of m as docAttr lists, keys
// sorted, or nothing when m is empty.
func appendAttrs(b []byte, key string, m map[string][]*ngsild.Attribute) ([]byte, error) {
	if len(m) == 0 {
		return b, nil
	}
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	slices.Sort(names)
	b = append(b, key...)
	b = append(b, '{')
	for i, name := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, name)
		b = append(b, ':')
		list := m[name]
		b = append(b, '[')
		for j, a := range list {
			if a == nil {
				return nil, fmt.Errorf("attribute %s: nil instance", name)
			}
			if j > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendAttr(b, a); err != nil {
				return nil, fmt.Errorf("attribute %s: %w", name, err)
			}
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

// appendAttr appends a as json.Marshal writes its docAttr.
func appendAttr(b []byte, a *ngsild.Attribute) ([]byte, error) {
	b = append(b, `{"t":`...)
	b = appendString(b, a.Type)
	if a.Value != nil {
		b = append(b, `,"v":`...)
		var err error
		if b, err = appendValue(b, a.Value); err != nil {
			return nil, err
		}
	}
	b = appendOptString(b, `,"o":`, a.Object)
	if a.Geometry != nil {
		g, err := a.Geometry.MarshalJSON()
		if err != nil {
			return nil, err
		}
		if len(g) > 0 {
			b = append(b, `,"g":`...)
			var buf bytes.Buffer
			if err := json.Compact(&buf, g); err != nil {
				return nil, err
			}
			b = append(b, buf.Bytes()...)
		}
	}
	if len(a.LanguageMap) > 0 {
		langs := make([]string, 0, len(a.LanguageMap))
		for l := range a.LanguageMap {
			langs = append(langs, l)
		}
		slices.Sort(langs)
		b = append(b, `,"l":{`...)
		for i, l := range langs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, l)
			b = append(b, ':')
			b = appendString(b, a.LanguageMap[l])
		}
		b = append(b, '}')
	}
	b = appendOptString(b, `,"d":`, a.DatasetID)
	b = appendStamp(b, `,"oa":`, a.ObservedAt)
	b = appendOptString(b, `,"u":`, a.UnitCode)
	b = appendStamp(b, `,"c":`, a.CreatedAt)
	b = appendStamp(b, `,"m":`, a.ModifiedAt)
	b, err := appendAttrs(b, `,"s":`, a.Sub)
	if err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// appendValue appends a Property value: strings, booleans and valid
// json.Numbers directly, anything else through json.Marshal.
func appendValue(b []byte, v any) ([]byte, error) {
	switch t := v.(type) {
	case string:
		return appendString(b, t), nil
	case bool:
		return strconv.AppendBool(b, t), nil
	case json.Number:
		if simpleNumber(string(t)) {
			return append(b, t...), nil
		}
	}
	js, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, js...), nil
}

// simpleNumber reports whether s is an optional minus, digits without a
// leading zero, an optional fraction and no exponent: a valid JSON number
// that json.Marshal writes unchanged.
func simpleNumber(s string) bool {
	if s != "" && s[0] == '-' {
		s = s[1:]
	}
	if s == "" || (s[0] == '0' && len(s) > 1 && s[1] != '.') {
		return false
	}
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot && digits > 0:
			dot, digits = true, 0
		default:
			return false
		}
	}
	return digits > 0
}

func appendOptString(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendString(append(b, key...), s)
}

// appendStamp appends key and t as stamp.MarshalJSON writes it, or nothing
// for the zero time.
func appendStamp(b []byte, key string, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	b = append(b, key...)
	if y := t.Year(); y > 1678 && y < 2262 {
		return strconv.AppendInt(b, t.UnixNano(), 10)
	}
	return appendString(b, t.Format(time.RFC3339Nano))
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaped as encoding/json
// escapes it (HTML characters, U+2028 and U+2029, invalid UTF-8 as U+FFFD).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
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

// EncodeAttribute returns the compact JSON document of one attribute
// instance, in the form EncodeEntity uses for attributes.
func EncodeAttribute(a *ngsild.Attribute) ([]byte, error) {
	return appendAttr(make([]byte, 0, 96), a)
}

// DecodeAttribute parses a document written by EncodeAttribute.
func DecodeAttribute(data []byte) (*ngsild.Attribute, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var d docAttr
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("decode attribute: %w", err)
	}
	return decodeAttr(&d)
}

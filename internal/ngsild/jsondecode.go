package ngsild

import (
	"encoding/json"
	"github.com/dothi-city/dothi/internal/jsontext"
	"sync"
	"unicode/utf8"
)

// fastDecoder decodes a complete JSON text into the values encoding/json
// produces with UseNumber (nil, bool, json.Number, string, []any and
// map[string]any). It only reports success: on any input it is not sure to
// decode exactly as encoding/json does (invalid JSON, invalid UTF-8, very
// deep nesting) it fails, and the caller decodes with encoding/json, which
// then also produces the error message. So the fast path never changes what
// a request means.
type fastDecoder struct {
	data []byte
	pos  int
	// stack holds the members of the objects and arrays being decoded, so
	// that each map and slice is allocated once, at its final size.
	keys   []string
	vals   []any
	depth  int
	intern map[string]string
	// boxed holds short string values already converted to any.
	boxed map[string]any
}

// maxFastDepth bounds nesting well below encoding/json's own limit (10000);
// deeper input goes to encoding/json.
const maxFastDepth = 1000

// maxIntern bounds the strings kept for reuse in one decode.
const maxIntern = 4096

var fastDecoders = sync.Pool{New: func() any {
	return &fastDecoder{intern: make(map[string]string, 256), boxed: make(map[string]any, 256)}
}}

// DecodeJSON decodes data, which must hold exactly one JSON value (with
// optional surrounding white space), into the value encoding/json gives
// with UseNumber. ok is false when the caller must decode with
// encoding/json instead: for invalid JSON (encoding/json then says what is
// wrong) and for rare valid input it leaves to encoding/json.
func DecodeJSON(data []byte) (v any, ok bool) {
	d := fastDecoders.Get().(*fastDecoder)
	d.data, d.pos, d.depth = data, 0, 0
	v, ok = d.value()
	if ok {
		d.space()
		ok = d.pos == len(data)
	}
	d.release()
	if !ok {
		return nil, false
	}
	return v, true
}

// release returns d to the pool.
func (d *fastDecoder) release() {
	d.data = nil
	clear(d.vals[:cap(d.vals)])
	d.keys, d.vals = d.keys[:0], d.vals[:0]
	if len(d.intern) > maxIntern {
		clear(d.intern)
	}
	if len(d.boxed) > maxIntern {
		clear(d.boxed)
	}
	fastDecoders.Put(d)
}

func (d *fastDecoder) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *fastDecoder) value() (any, bool) {
	d.space()
	if d.pos >= len(d.data) {
		return nil, false
	}
	switch c := d.data[d.pos]; c {
	case '{':
		return d.object()
	case '[':
		return d.array()
	case '"':
		return d.strValue()
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	default:
		if c == '-' || c >= '0' && c <= '9' {
			return d.number()
		}
		return nil, false
	}
}

func (d *fastDecoder) literal(lit string) bool {
	if len(d.data)-d.pos < len(lit) || string(d.data[d.pos:d.pos+len(lit)]) != lit {
		return false
	}
	d.pos += len(lit)
	return true
}

// number scans a number with the JSON grammar and keeps its text.
func (d *fastDecoder) number() (any, bool) {
	end, ok := d.scanNumber()
	if !ok {
		return nil, false
	}
	n := json.Number(d.data[d.pos:end])
	d.pos = end
	return n, true
}

// scanNumber returns the end of the number at d.pos.
func (d *fastDecoder) scanNumber() (int, bool) {
	return jsontext.NumberEnd(d.data, d.pos)
}

// str decodes a string at d.pos (the opening quote). Short strings and
// keys are interned: bodies repeat the same names and values many times.
func (d *fastDecoder) str(intern bool) (string, bool) {
	data := d.data
	start := d.pos + 1
	i := start
	ascii := true
	for ; i < len(data); i++ {
		c := data[i]
		if c == '"' {
			break
		}
		if c == '\\' {
			return d.escapedStr()
		}
		if c < 0x20 {
			return "", false
		}
		if c >= 0x80 {
			ascii = false
		}
	}
	if i >= len(data) {
		return "", false
	}
	raw := data[start:i]
	d.pos = i + 1
	if !ascii && !utf8.Valid(raw) {
		// encoding/json replaces invalid bytes with U+FFFD.
		return d.slowStr(start-1, i+1)
	}
	if intern {
		if s, ok := d.intern[string(raw)]; ok {
			return s, true
		}
		s := string(raw)
		d.intern[s] = s
		return s, true
	}
	return string(raw), true
}

// strValue decodes a string value; short ones are kept boxed, since
// bodies repeat the same short values (types, units, timestamps).
func (d *fastDecoder) strValue() (any, bool) {
	data := d.data
	start := d.pos + 1
	end := start
	for end < len(data) && end-start <= maxBoxed {
		c := data[end]
		if c == '"' {
			break
		}
		if c < 0x20 || c == '\\' || c >= 0x80 {
			end = len(data)
			break
		}
		end++
	}
	if end < len(data) && data[end] == '"' {
		if v, ok := d.boxed[string(data[start:end])]; ok {
			d.pos = end + 1
			return v, true
		}
		s := string(data[start:end])
		var v any = s
		d.boxed[s] = v
		d.pos = end + 1
		return v, true
	}
	s, ok := d.str(false)
	if !ok {
		return nil, false
	}
	return s, true
}

// maxBoxed is the length of the longest string value kept boxed.
const maxBoxed = 24

// escapedStr decodes a string with escapes by finding its end and letting
// encoding/json unquote it, so every escape means what it means there.
func (d *fastDecoder) escapedStr() (string, bool) {
	data := d.data
	start := d.pos
	i := start + 1
	for ; i < len(data); i++ {
		c := data[i]
		if c == '\\' {
			i++
			continue
		}
		if c == '"' {
			break
		}
		if c < 0x20 {
			return "", false
		}
	}
	if i >= len(data) {
		return "", false
	}
	d.pos = i + 1
	return d.slowStr(start, i+1)
}

func (d *fastDecoder) slowStr(from, to int) (string, bool) {
	var s string
	if err := json.Unmarshal(d.data[from:to], &s); err != nil {
		return "", false
	}
	return s, true
}

func (d *fastDecoder) object() (any, bool) {
	d.pos++ // '{'
	if d.depth++; d.depth > maxFastDepth {
		return nil, false
	}
	base := len(d.keys)
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		d.depth--
		return map[string]any{}, true
	}
	for {
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, false
		}
		k, ok := d.str(true)
		if !ok {
			return nil, false
		}
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, false
		}
		d.pos++
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		d.keys = append(d.keys, k)
		d.vals = append(d.vals, v)
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
	keys, vals := d.keys[base:], d.vals[len(d.vals)-(len(d.keys)-base):]
	m := make(map[string]any, len(keys))
	for i, k := range keys {
		m[k] = vals[i] // a repeated key keeps its last value, as in encoding/json
	}
	clear(vals)
	d.vals = d.vals[:len(d.vals)-len(keys)]
	d.keys = d.keys[:base]
	d.depth--
	return m, true
}

func (d *fastDecoder) array() (any, bool) {
	d.pos++ // '['
	if d.depth++; d.depth > maxFastDepth {
		return nil, false
	}
	base := len(d.vals)
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		d.depth--
		return []any{}, true
	}
	for {
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		d.vals = append(d.vals, v)
		d.space()
		if d.pos >= len(d.data) {
			return nil, false
		}
		c := d.data[d.pos]
		d.pos++
		if c == ']' {
			break
		}
		if c != ',' {
			return nil, false
		}
	}
	out := make([]any, len(d.vals)-base)
	copy(out, d.vals[base:])
	clear(d.vals[base:])
	d.vals = d.vals[:base]
	d.depth--
	return out, true
}

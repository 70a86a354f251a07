package ngsild

import (
	"encoding/json"
	"github.com/dothi-city/dothi/internal/jsontext"
	"unicode/utf8"
)

// appendJSON appends the JSON encoding of a value decoded by encoding/json
// with UseNumber (maps with sorted keys, like json.Marshal). ok is false
// for anything else (other Go types, a json.Number that is not a number),
// for which the caller uses json.Marshal.
func appendJSON(dst []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), true
	case bool:
		if x {
			return append(dst, "true"...), true
		}
		return append(dst, "false"...), true
	case json.Number:
		if !jsontext.IsNumber(string(x)) {
			return dst, false
		}
		return append(dst, x...), true
	case string:
		return appendJSONString(dst, x)
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			if dst, ok = appendJSON(dst, e); !ok {
				return dst, false
			}
		}
		return append(dst, ']'), true
	case map[string]any:
		var buf [8]string
		dst = append(dst, '{')
		for i, k := range appendSortedKeys(buf[:0], x) {
			if i > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			if dst, ok = appendJSONString(dst, k); !ok {
				return dst, false
			}
			dst = append(dst, ':')
			if dst, ok = appendJSON(dst, x[k]); !ok {
				return dst, false
			}
		}
		return append(dst, '}'), true
	}
	return dst, false
}

// appendJSONString quotes plain strings itself and leaves the others
// (escapes, non-ASCII) to json.Marshal.
func appendJSONString(dst []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= utf8.RuneSelf {
			b, err := json.Marshal(s)
			if err != nil {
				return dst, false
			}
			return append(dst, b...), true
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"'), true
}

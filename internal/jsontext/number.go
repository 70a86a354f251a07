// Package jsontext scans pieces of JSON text without decoding them, for the
// fast parsers of package ngsild and geo.
package jsontext

// NumberEnd returns the index just after the JSON number that starts at
// data[i], following the JSON grammar exactly (RFC 8259 §6); ok is false
// when no valid number starts there.
func NumberEnd[T ~string | ~[]byte](data T, i int) (end int, ok bool) {
	if i < len(data) && data[i] == '-' {
		i++
	}
	switch {
	case i >= len(data):
		return 0, false
	case data[i] == '0':
		i++
	case data[i] >= '1' && data[i] <= '9':
		i = digits(data, i+1)
	default:
		return 0, false
	}
	if i < len(data) && data[i] == '.' {
		if i++; i >= len(data) || !isDigit(data[i]) {
			return 0, false
		}
		i = digits(data, i+1)
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= len(data) || !isDigit(data[i]) {
			return 0, false
		}
		i = digits(data, i+1)
	}
	return i, true
}

// digits skips the digits from data[i].
func digits[T ~string | ~[]byte](data T, i int) int {
	for i < len(data) && isDigit(data[i]) {
		i++
	}
	return i
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// IsNumber reports whether s is exactly one JSON number.
func IsNumber[T ~string | ~[]byte](s T) bool {
	end, ok := NumberEnd(s, 0)
	return ok && end == len(s)
}

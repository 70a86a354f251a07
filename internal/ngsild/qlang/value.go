package qlang

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// parseValue parses a quoted string or an unquoted literal.
func (p *qparser) parseValue() (Value, error) {
	start := p.pos
	if p.peek() == '"' {
		s, err := p.parseQuoted()
		if err != nil {
			return Value{}, err
		}
		v := Value{Kind: KindString, Str: s}
		v.Time, _ = parseDateTime(s)
		return v, nil
	}
	raw := p.scanUnquoted()
	if raw == "" {
		return Value{}, p.unexpected("a value")
	}
	if isNumber(raw) {
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return Value{}, p.errorf("number %s at position %d is out of range", raw, start+1)
		}
		return Value{Kind: KindNumber, Num: f}, nil
	}
	if v, ok := classify(raw); ok {
		return v, nil
	}
	return Value{}, p.errorf("invalid value %q at position %d, expected a number, a quoted string, true, false, a date-time, a date, a time or a URI", raw, start+1)
}

// parseQuoted parses a double-quoted string. Inside it, \" stands for a
// double quote and \\ for a backslash; any other backslash is kept as is,
// so that regular expressions need no double escaping.
func (p *qparser) parseQuoted() (string, error) {
	start := p.pos
	p.pos++
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '"':
			p.pos++
			return b.String(), nil
		case c == '\\' && p.pos+1 < len(p.src) && (p.src[p.pos+1] == '"' || p.src[p.pos+1] == '\\'):
			b.WriteByte(p.src[p.pos+1])
			p.pos += 2
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return "", p.errorf("unterminated string starting at position %d", start+1)
}

// scanUnquoted consumes an unquoted literal: letters, digits and the URI
// characters -._~:/?#@!$&*+=%, up to (not including) a "..".
func (p *qparser) scanUnquoted() string {
	start := p.pos
	for p.pos < len(p.src) {
		r, n := utf8.DecodeRuneInString(p.src[p.pos:])
		if !isLiteralRune(r) || strings.HasPrefix(p.src[p.pos:], "..") {
			break
		}
		p.pos += n
	}
	return p.src[start:p.pos]
}

func isLiteralRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || strings.ContainsRune("-._~:/?#@!$&*+=%", r)
}

// classify interprets an unquoted literal other than a number.
func classify(raw string) (Value, bool) {
	switch raw {
	case "true", "false":
		return Value{Kind: KindBool, Bool: raw == "true"}, true
	}
	if t, ok := parseDateTime(raw); ok {
		return Value{Kind: KindDateTime, Str: raw, Time: t}, true
	}
	if t, ok := parseDate(raw); ok {
		return Value{Kind: KindDate, Str: raw, Time: t}, true
	}
	if t, ok := parseClock(raw); ok {
		return Value{Kind: KindTime, Str: raw, Time: t}, true
	}
	if isURI(raw) {
		return Value{Kind: KindURI, Str: raw}, true
	}
	return Value{}, false
}

// isNumber reports whether s is a JSON-style number: -?digits[.digits][e[+-]digits].
func isNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	d := digits(s[i:])
	if d == 0 {
		return false
	}
	i += d
	if i < len(s) && s[i] == '.' {
		d = digits(s[i+1:])
		if d == 0 {
			return false
		}
		i += 1 + d
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d = digits(s[i:])
		if d == 0 {
			return false
		}
		i += d
	}
	return i == len(s)
}

// digits returns the number of leading ASCII digits of s.
func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// isURI reports whether s starts with a URI scheme followed by ":" and
// something more.
func isURI(s string) bool {
	colon := strings.IndexByte(s, ':')
	if colon < 1 || colon == len(s)-1 || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < colon; i++ {
		c := s[i]
		if !isAlpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// parseDateTime parses an ISO 8601 date-time; without a zone it is UTC.
func parseDateTime(s string) (time.Time, bool) {
	if len(s) < 19 || s[10] != 'T' {
		return time.Time{}, false
	}
	for _, layout := range [...]string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseDate parses an ISO 8601 date (YYYY-MM-DD) as midnight UTC.
func parseDate(s string) (time.Time, bool) {
	if len(s) != 10 {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}

// parseClock parses an ISO 8601 time of day (hh:mm:ss[.frac][zone]); the
// result is the time of day in UTC on a zero date.
func parseClock(s string) (time.Time, bool) {
	if len(s) < 8 || s[2] != ':' {
		return time.Time{}, false
	}
	for _, layout := range [...]string{"15:04:05Z07:00", time.TimeOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return time.Time{}.Add(clock(t)), true
		}
	}
	return time.Time{}, false
}

// clock returns the UTC time of day of t as a duration since midnight.
func clock(t time.Time) time.Duration {
	t = t.UTC()
	h, m, s := t.Clock()
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute +
		time.Duration(s)*time.Second + time.Duration(t.Nanosecond())
}

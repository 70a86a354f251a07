package qlang

import (
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/dothi-city/dothi/internal/ngsild"
)

// scanner holds the state shared by the q and type selection parsers.
type scanner struct {
	param string // name of the parameter, for error messages
	src   string
	pos   int
	depth int
	terms int
}

// check validates the whole input before parsing: length, UTF-8 and
// control characters, which are forbidden everywhere (escape them).
func (s *scanner) check() error {
	if len(s.src) > MaxLength {
		return ngsild.Errorf(ngsild.ErrTooComplexQuery, "%s: longer than %d bytes", s.param, MaxLength)
	}
	for i, r := range s.src {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s.src[i:]); n == 1 {
				return s.errorf("invalid UTF-8 at position %d", i+1)
			}
		}
		if unicode.IsControl(r) {
			return s.errorf("forbidden control character %s at position %d", strconv.QuoteRune(r), i+1)
		}
	}
	return nil
}

// errorf returns a BadRequestData problem prefixed with the parameter name.
func (s *scanner) errorf(format string, args ...any) error {
	return ngsild.Errorf(ngsild.ErrBadRequestData, "%s: %s", s.param, fmt.Sprintf(format, args...))
}

// unexpected reports the character at the current position (or the end of
// input) and what was expected instead.
func (s *scanner) unexpected(expected string) error {
	return s.unexpectedAt(s.pos, expected)
}

func (s *scanner) unexpectedAt(pos int, expected string) error {
	found := "end of input"
	if pos < len(s.src) {
		r, _ := utf8.DecodeRuneInString(s.src[pos:])
		found = strconv.Quote(string(r))
	}
	return s.errorf("unexpected %s at position %d, expected %s", found, pos+1, expected)
}

// enter counts one more level of parentheses, just after a "(".
func (s *scanner) enter() error {
	s.depth++
	if s.depth > MaxDepth {
		return ngsild.Errorf(ngsild.ErrTooComplexQuery, "%s: parentheses nested deeper than %d at position %d", s.param, MaxDepth, s.pos)
	}
	return nil
}

// countTerm counts one more term.
func (s *scanner) countTerm() error {
	s.terms++
	if s.terms > MaxTerms {
		return ngsild.Errorf(ngsild.ErrTooComplexQuery, "%s: more than %d terms", s.param, MaxTerms)
	}
	return nil
}

func (s *scanner) atEnd() bool { return s.pos >= len(s.src) }

// peek returns the current byte, or 0 at the end of input.
func (s *scanner) peek() byte {
	if s.pos < len(s.src) {
		return s.src[s.pos]
	}
	return 0
}

// accept consumes c if it is the current byte.
func (s *scanner) accept(c byte) bool {
	if s.peek() == c {
		s.pos++
		return true
	}
	return false
}

// acceptString consumes t if the input continues with it.
func (s *scanner) acceptString(t string) bool {
	if len(s.src)-s.pos >= len(t) && s.src[s.pos:s.pos+len(t)] == t {
		s.pos += len(t)
		return true
	}
	return false
}

// scanWhile consumes the longest run of runes satisfying ok and returns it.
func (s *scanner) scanWhile(ok func(r rune) bool) string {
	start := s.pos
	for s.pos < len(s.src) {
		r, n := utf8.DecodeRuneInString(s.src[s.pos:])
		if !ok(r) {
			break
		}
		s.pos += n
	}
	return s.src[start:s.pos]
}

// isNameRune reports whether r may appear in an attribute or key name:
// a Unicode letter or number, "_", "-" or ":" (for prefixed names such as
// ngsi-ld:observedAt).
func isNameRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || r == '_' || r == '-' || r == ':'
}

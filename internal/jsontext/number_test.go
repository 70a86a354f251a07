package jsontext

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestNumberEnd(t *testing.T) {
	for _, c := range []struct {
		in  string
		end int
		ok  bool
	}{
		{"0", 1, true}, {"-0", 2, true}, {"12.5e+3,", 7, true}, {"107.0724]", 8, true}, {"1E5", 3, true},
		{"", 0, false}, {"-", 0, false}, {"01", 1, true}, {"1.", 0, false}, {".5", 0, false},
		{"1e", 0, false}, {"1e+", 0, false}, {"+1", 0, false}, {"x", 0, false},
	} {
		end, ok := NumberEnd([]byte(c.in), 0)
		if end != c.end || ok != c.ok {
			t.Errorf("NumberEnd(%q) = %d, %v; want %d, %v", c.in, end, ok, c.end, c.ok)
		}
	}
}

// FuzzNumberEnd checks NumberEnd against encoding/json: whatever it accepts
// as a whole is a valid JSON number.
func FuzzNumberEnd(f *testing.F) {
	for _, s := range []string{"0", "-1.5e10", "1.", "01", "1e+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		end, ok := NumberEnd([]byte(s), 0)
		var n json.Number
		// encoding/json also allows white space around the value.
		valid := json.Unmarshal([]byte(s), &n) == nil && s == strings.TrimSpace(s) && len(s) > 0 && s[0] != '"'
		if ok && end == len(s) && !valid {
			t.Errorf("accepted %q, which is not a JSON number", s)
		}
		if IsNumber(s) != valid {
			t.Errorf("IsNumber(%q) = %v", s, !valid)
		}
		if valid && (!ok || end != len(s)) {
			t.Errorf("refused the JSON number %q (end %d)", s, end)
		}
	})
}

package geo

import (
	"github.com/dothi-city/dothi/internal/jsontext"
	"math"
	"strconv"

	"github.com/peterstace/simplefeatures/geom"
)

// parsePoint parses the common case of Parse without encoding/json or a
// validation pass of the geometry library: a JSON object with exactly the
// members "type": "Point" and "coordinates" (in either order, each once,
// keys and type without escapes) whose coordinates are 2 or 3 numbers
// forming a valid position. ok is false for anything else, valid or not;
// Parse then takes the general path, which also says what is wrong. The
// result is the geometry the general path gives for the same text.
func parsePoint(data []byte) (g *Geometry, ok bool) {
	s := pointScanner{data: data}
	if !s.consume('{') {
		return nil, false
	}
	var (
		pos                  [3]float64
		n                    int
		haveType, haveCoords bool
	)
	for {
		key, ok := s.key()
		if !ok || !s.consume(':') {
			return nil, false
		}
		switch {
		case key == "type" && !haveType:
			if !s.literal(`"Point"`) {
				return nil, false
			}
			haveType = true
		case key == "coordinates" && !haveCoords:
			if n, ok = s.position(&pos); !ok {
				return nil, false
			}
			haveCoords = true
		default:
			return nil, false
		}
		if s.consume('}') {
			break
		}
		if !s.consume(',') {
			return nil, false
		}
	}
	s.space()
	if s.pos != len(data) || !haveType || !haveCoords || checkPosition(pos[:n]) != "" {
		return nil, false
	}
	return newPointGeometry(pos[:n]), true
}

// newPointGeometry builds the Geometry of a valid position p, with the
// canonical GeoJSON that json.Marshal gives in parseSimple.
func newPointGeometry(p []float64) *Geometry {
	js := make([]byte, 0, 24+24*len(p))
	js = append(js, `{"type":"Point","coordinates":[`...)
	for i, f := range p {
		if i > 0 {
			js = append(js, ',')
		}
		js = appendJSONFloat(js, f)
	}
	js = append(js, "]}"...)
	sg := geom.NewPoint(geom.Coordinates{XY: geom.XY{X: p[0], Y: p[1]}, Type: geom.DimXY}).AsGeometry()
	return &Geometry{typ: TypePoint, json: js, g: sg, bbox: [4]float64{p[0], p[1], p[0], p[1]}, lon: p[0], lat: p[1], isPoint: true}
}

// appendJSONFloat appends f as encoding/json writes a float64.
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9, as encoding/json does.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// pointScanner reads the JSON text of a Point.
type pointScanner struct {
	data []byte
	pos  int
}

func (s *pointScanner) space() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// consume skips white space and the byte c, reporting whether it was there.
func (s *pointScanner) consume(c byte) bool {
	s.space()
	if s.pos < len(s.data) && s.data[s.pos] == c {
		s.pos++
		return true
	}
	return false
}

// literal skips white space and lit.
func (s *pointScanner) literal(lit string) bool {
	s.space()
	if len(s.data)-s.pos < len(lit) || string(s.data[s.pos:s.pos+len(lit)]) != lit {
		return false
	}
	s.pos += len(lit)
	return true
}

// key reads an object key without escapes.
func (s *pointScanner) key() (string, bool) {
	if !s.consume('"') {
		return "", false
	}
	start := s.pos
	for ; s.pos < len(s.data); s.pos++ {
		switch c := s.data[s.pos]; {
		case c == '"':
			k := s.data[start:s.pos]
			s.pos++
			switch string(k) { // no allocation
			case "type":
				return "type", true
			case "coordinates":
				return "coordinates", true
			}
			return "", false
		case c == '\\' || c < 0x20:
			return "", false
		}
	}
	return "", false
}

// position reads an array of 2 or 3 numbers into p.
func (s *pointScanner) position(p *[3]float64) (int, bool) {
	if !s.consume('[') {
		return 0, false
	}
	n := 0
	for {
		if n == len(p) {
			return 0, false
		}
		f, ok := s.number()
		if !ok {
			return 0, false
		}
		p[n] = f
		n++
		if s.consume(']') {
			return n, n >= 2
		}
		if !s.consume(',') {
			return 0, false
		}
	}
}

// number reads a number with the JSON grammar, converted as encoding/json
// converts it.
func (s *pointScanner) number() (float64, bool) {
	s.space()
	data := s.data
	i, ok := jsontext.NumberEnd(data, s.pos)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(data[s.pos:i]), 64)
	if err != nil {
		return 0, false
	}
	s.pos = i
	return f, true
}

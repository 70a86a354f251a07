package ngsild

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/dothi-city/dothi/internal/bench"
)

// stdDecode is what decodeBody did before the fast path: encoding/json with
// UseNumber, one value and nothing after it.
func stdDecode(data []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return v, true
}

// checkFast fails when DecodeJSON accepts input that encoding/json rejects
// or decodes to a different value.
func checkDecodeJSON(t *testing.T, data []byte) {
	t.Helper()
	got, ok := DecodeJSON(data)
	if !ok {
		return // the caller falls back to encoding/json
	}
	want, wantOK := stdDecode(data)
	if !wantOK {
		t.Fatalf("DecodeJSON accepted %q, which encoding/json rejects", data)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("DecodeJSON(%q) = %#v, encoding/json gives %#v", data, got, want)
	}
}

var decodeSeeds = []string{
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `1.5e10`, `-12.25E-3`, `"x"`, ` {"a" : [1, 2 ,{"b":null}] } `,
	`{"a":1,"a":2}`, `"\u00e9\n\"\\\/"`, `"\ud83d\ude00"`, `"\ud800"`, "\"\xff\xfe\"", `"Trạm 5"`,
	`[1,]`, `{"a":1,}`, `01`, `1.`, `.5`, `-`, `1e`, `1e+`, `[`, `{"a"}`, `{"a":}`, `tru`, `nul`, "\"a\tb\"",
	`{"a":1} {"b":2}`, `{"a":1} x`, `[1] ]`, `"abc`, `{"id":"urn:a","type":"T"}`, `1 2`, `  `, ``,
	strings.Repeat("[", 1100) + strings.Repeat("]", 1100),
	string(bench.Batch(0, 3)),
	`{"p":{"type":"Property","value":{"nested":[1,"2",true,null,{"x":-0.0}]}},"@context":["https://a/b"]}`,
}

func TestDecodeJSONMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("{}[]\",:.-+eE0123456789 \\utrfalsn\x00\x1f\x7f\xc3\xa9\xff")
	for _, s := range decodeSeeds {
		checkDecodeJSON(t, []byte(s))
		// Mutate each seed: replace, insert or delete bytes.
		for i := 0; i < 2000; i++ {
			b := []byte(s)
			for k := 0; k < 1+rng.IntN(3); k++ {
				switch op := rng.IntN(3); {
				case op == 0 && len(b) > 0:
					b[rng.IntN(len(b))] = alphabet[rng.IntN(len(alphabet))]
				case op == 1:
					j := rng.IntN(len(b) + 1)
					b = append(b[:j], append([]byte{alphabet[rng.IntN(len(alphabet))]}, b[j:]...)...)
				case len(b) > 0:
					j := rng.IntN(len(b))
					b = append(b[:j], b[j+1:]...)
				}
			}
			checkDecodeJSON(t, b)
		}
	}
	for _, s := range []string{`{"a":[1,{"b":"c"}],"d":"\u0041"}`, string(bench.Batch(10, 5))} {
		if _, ok := DecodeJSON([]byte(s)); !ok {
			t.Errorf("DecodeJSON(%q) fell back; it should decode it", s)
		}
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkDecodeJSON(t, data) })
}

func BenchmarkDecodeJSON(b *testing.B) {
	data := bench.Batch(0, 1000)
	b.Run("encoding/json", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, ok := stdDecode(data); !ok {
				b.Fatal("decode failed")
			}
		}
	})
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, ok := DecodeJSON(data); !ok {
				b.Fatal("decode failed")
			}
		}
	})
}

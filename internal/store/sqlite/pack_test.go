package sqlite

import (
	"slices"
	"testing"
)

func TestPackTemporal(t *testing.T) {
	cases := []struct {
		t, mt         int64
		observed      bool
		num, unit, ds string
		doc           []byte
	}{
		{100, 100, false, "", "", "", []byte(`{"t":"Property","v":"x"}`)},
		{100, 250, true, "21.75", "CEL", "", nil},
		{-5, 7, true, "1e3", "", "urn:ds:1", nil},
		{1 << 60, 1<<60 - 1, false, "-3", "GQ", "urn:ds:ü", []byte(`{"t":"Property","s":{}}`)},
	}
	for _, c := range cases {
		v := packTemporal(nil, c.t, c.mt, c.observed, c.num, c.unit, c.ds, c.doc)
		r := trow{t: c.t}
		if err := r.unpack(v); err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		if r.mt != c.mt || r.observed != c.observed || string(r.num) != c.num || r.unit != c.unit || r.ds != c.ds ||
			string(r.doc) != string(c.doc) || (c.num == "") != (r.num == nil) {
			t.Errorf("%+v: got %+v", c, r)
		}
		if err := (&trow{}).unpack(nil); err == nil {
			t.Error("empty value decoded")
		}
	}
}

func TestPackChange(t *testing.T) {
	b := packChange("t1", "urn:x:1", []string{"https://a/T", "https://a/U"}, []int64{3, 1 << 40}, changeCreated, -12)
	c, err := unpackChange(b)
	if err != nil {
		t.Fatal(err)
	}
	if c.tenant != "t1" || c.id != "urn:x:1" || !slices.Equal(c.types, []string{"https://a/T", "https://a/U"}) ||
		!slices.Equal(c.nids, []int64{3, 1 << 40}) || c.flags != changeCreated || c.at != -12 {
		t.Fatalf("got %+v", c)
	}
	for i := range len(b) {
		if _, err := unpackChange(b[:i]); err == nil {
			t.Errorf("truncated to %d bytes decoded", i)
		}
	}
}

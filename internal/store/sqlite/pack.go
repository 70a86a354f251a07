package sqlite

import (
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"

	msqlite "modernc.org/sqlite"
)

// The temporal and changes tables keep their payload in one packed BLOB
// per row: binding one value instead of six costs the writer much less.

// Flags of a packed temporal value (the first byte).
const (
	pkObserved = 1 << iota // t is the observedAt (else it is the modifiedAt)
	pkNum                  // a numeric Property value, as its JSON text
	pkUnit                 // the unitCode
	pkDataset              // the datasetId
	pkDoc                  // the rest is the instance as compact JSON
	pkMtSame               // the modifiedAt equals t (no delta)
)

// packTemporal encodes the payload of a temporal row.
func packTemporal(b []byte, t, mt int64, observed bool, num, unit, ds string, doc []byte) []byte {
	hasNum := num != ""
	var f byte
	if observed {
		f |= pkObserved
	}
	if hasNum {
		f |= pkNum
	}
	if unit != "" {
		f |= pkUnit
	}
	if ds != "" {
		f |= pkDataset
	}
	if doc != nil {
		f |= pkDoc
	}
	if mt == t {
		f |= pkMtSame
	}
	b = append(b, f)
	if mt != t {
		b = binary.AppendVarint(b, mt-t)
	}
	if hasNum {
		b = appendBytes(b, num)
	}
	if unit != "" {
		b = appendBytes(b, unit)
	}
	if ds != "" {
		b = appendBytes(b, ds)
	}
	return append(b, doc...)
}

func appendBytes(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

var errPacked = errors.New("sqlite: damaged packed value")

// unpack decodes v (a packed temporal payload) into r; r.t must be set.
// r.doc aliases v.
func (r *trow) unpack(v []byte) error {
	if len(v) == 0 {
		return errPacked
	}
	f := v[0]
	v = v[1:]
	r.observed = f&pkObserved != 0
	r.mt = r.t
	if f&pkMtSame == 0 {
		d, n := binary.Varint(v)
		if n <= 0 {
			return errPacked
		}
		r.mt, v = r.t+d, v[n:]
	}
	r.num = nil
	if f&pkNum != 0 {
		n, k := binary.Uvarint(v)
		if k <= 0 || uint64(len(v)-k) < n {
			return errPacked
		}
		r.num, v = v[k:k+int(n)], v[k+int(n):]
	}
	var err error
	if f&pkUnit == 0 {
		r.unit = ""
	} else if v, err = readInto(v, &r.unit); err != nil {
		return err
	}
	if f&pkDataset == 0 {
		r.ds = ""
	} else if v, err = readInto(v, &r.ds); err != nil {
		return err
	}
	r.doc = nil
	if f&pkDoc != 0 {
		r.doc = v
	}
	return nil
}

// readInto reads a length-prefixed string into *s, keeping *s (no
// allocation) when it is the same as the previous row's.
func readInto(v []byte, s *string) ([]byte, error) {
	n, k := binary.Uvarint(v)
	if k <= 0 || uint64(len(v)-k) < n {
		return nil, errPacked
	}
	if b := v[k : k+int(n)]; string(b) != *s {
		*s = string(b)
	}
	return v[k+int(n):], nil
}

func readBytes(v []byte) (string, []byte, error) {
	n, k := binary.Uvarint(v)
	if k <= 0 || uint64(len(v)-k) < n {
		return "", nil, errPacked
	}
	return string(v[k : k+int(n)]), v[k+int(n):], nil
}

// packChange encodes a change log record.
func packChange(tenant, id string, types []string, nids []int64, flags int, at int64) []byte {
	n := len(tenant) + len(id) + 16 + 4*len(nids)
	for _, t := range types {
		n += len(t) + 2
	}
	b := make([]byte, 0, n)
	b = append(b, byte(flags))
	b = binary.AppendVarint(b, at)
	b = appendBytes(b, tenant)
	b = appendBytes(b, id)
	b = binary.AppendUvarint(b, uint64(len(types)))
	for _, t := range types {
		b = appendBytes(b, t)
	}
	b = binary.AppendUvarint(b, uint64(len(nids)))
	for _, nid := range nids {
		b = binary.AppendUvarint(b, uint64(nid))
	}
	return b
}

// change is a decoded change log record (names as ids).
type change struct {
	flags      int
	at         int64
	tenant, id string
	types      []string
	nids       []int64
}

func unpackChange(v []byte) (c change, err error) {
	if len(v) == 0 {
		return c, errPacked
	}
	c.flags, v = int(v[0]), v[1:]
	at, k := binary.Varint(v)
	if k <= 0 {
		return c, errPacked
	}
	c.at, v = at, v[k:]
	if c.tenant, v, err = readBytes(v); err != nil {
		return c, err
	}
	if c.id, v, err = readBytes(v); err != nil {
		return c, err
	}
	n, k := binary.Uvarint(v)
	if k <= 0 || n > uint64(len(v)) {
		return c, errPacked
	}
	v = v[k:]
	for range n {
		var t string
		if t, v, err = readBytes(v); err != nil {
			return c, err
		}
		c.types = append(c.types, t)
	}
	n, k = binary.Uvarint(v)
	if k <= 0 || n > uint64(len(v)) {
		return c, errPacked
	}
	v = v[k:]
	for range n {
		nid, k := binary.Uvarint(v)
		if k <= 0 {
			return c, errPacked
		}
		c.nids, v = append(c.nids, int64(nid)), v[k:]
	}
	return c, nil
}

// registerTemporalFunctions adds the aggregate dothi_tpack(t, iid, v): the
// temporal rows of a group packed into one BLOB, in the order SQLite
// steps them (uvarint count of bytes, then per row: varint t, uvarint iid,
// uvarint len(v), v). Reading one BLOB per attribute instead of one row
// per instance saves the per-row cost of database/sql.
func registerTemporalFunctions() {
	err := msqlite.RegisterFunction("dothi_tpack", &msqlite.FunctionImpl{
		NArgs: 3, Deterministic: true, VolatileArgs: true,
		MakeAggregate: func(msqlite.FunctionContext) (msqlite.AggregateFunction, error) { return &tpack{}, nil },
	})
	if err != nil {
		panic(err)
	}
}

type tpack struct{ b []byte }

func (p *tpack) Step(_ *msqlite.FunctionContext, args []driver.Value) error {
	if p.b == nil {
		p.b = make([]byte, 0, 16<<10)
	}
	t, ok1 := args[0].(int64)
	iid, ok2 := args[1].(int64)
	v, ok3 := args[2].([]byte)
	if !ok1 || !ok2 || !ok3 {
		return fmt.Errorf("dothi_tpack: bad row (%T, %T, %T)", args[0], args[1], args[2])
	}
	p.b = binary.AppendVarint(p.b, t)
	p.b = binary.AppendUvarint(p.b, uint64(iid))
	p.b = binary.AppendUvarint(p.b, uint64(len(v)))
	p.b = append(p.b, v...)
	return nil
}

func (p *tpack) WindowInverse(*msqlite.FunctionContext, []driver.Value) error {
	return errors.New("dothi_tpack is not a window function")
}

func (p *tpack) WindowValue(*msqlite.FunctionContext) (driver.Value, error) {
	if p.b == nil {
		return []byte{}, nil
	}
	return p.b, nil
}

func (p *tpack) Final(*msqlite.FunctionContext) {}

// eachPacked calls fn for each row of a dothi_tpack BLOB, with r.t, r.iid
// and the unpacked value set (r.nid is left as is).
func eachPacked(b []byte, r *trow, fn func(*trow) error) error {
	for len(b) > 0 {
		t, n := binary.Varint(b)
		if n <= 0 {
			return errPacked
		}
		b = b[n:]
		iid, n := binary.Uvarint(b)
		if n <= 0 {
			return errPacked
		}
		b = b[n:]
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return errPacked
		}
		v := b[n : n+int(l)]
		b = b[n+int(l):]
		r.t, r.iid = t, int64(iid)
		if err := r.unpack(v); err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

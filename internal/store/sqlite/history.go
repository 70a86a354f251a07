package sqlite

import (
	"bytes"
	"encoding/json"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
)

// The writer records, for every successful mutation, one row of the
// change log (changes) and one temporal instance (temporal) per attribute
// instance the mutation added or changed. Both are queued in batchWrites
// and written with multi-row inserts in the batch's transaction.

const (
	insChangesHead  = "INSERT INTO changes(seq, rec) VALUES "
	insTemporalHead = "INSERT INTO temporal(tpk, nid, t, iid, v) VALUES "
	insTEntityHead  = "INSERT INTO temporal_entities(tpk, tenant, id, types) VALUES "
	changeCols      = 2
	temporalCols    = 5
	tEntityCols     = 4
)

// Flags of changes rows.
const (
	changeCreated = 1
	changeDeleted = 2
)

const instancePrefix = "urn:ngsi-ld:Instance:"

// instanceURI is the instanceId of the temporal row iid.
func instanceURI(iid int64) string {
	var buf [48]byte
	return string(strconv.AppendInt(append(buf[:0], instancePrefix...), iid, 10))
}

// instanceRowID parses an instanceId written by instanceURI.
func instanceRowID(uri string) (int64, bool) {
	const prefix = "urn:ngsi-ld:Instance:"
	if len(uri) <= len(prefix) || uri[:len(prefix)] != prefix {
		return 0, false
	}
	n, err := strconv.ParseInt(uri[len(prefix):], 10, 64)
	return n, err == nil && n > 0
}

// record queues the change log row and temporal rows of one successful
// mutation of st from old to next (either may be nil). On error, it
// queues nothing.
func (b *batchWrites) record(st *entState, old, next *ngsild.Entity) (err error) {
	if old == nil && next == nil {
		return nil
	}
	nc, nt, ne := len(b.changeArgs), len(b.temporalArgs), len(b.tentArgs)
	saved := *st
	defer func() {
		if err != nil {
			b.changeArgs, b.temporalArgs, b.tentArgs = b.changeArgs[:nc], b.temporalArgs[:nt], b.tentArgs[:ne]
			*st = saved
		}
	}()
	var changed []int64
	var flags int
	var types []string
	switch {
	case old == nil:
		flags, types = changeCreated, next.Types
	case next == nil:
		flags, types = changeDeleted, old.Types
	default:
		types = next.Types
	}
	if next != nil {
		for name, list := range next.Attrs {
			var before []*ngsild.Attribute
			if old != nil {
				before = old.Attrs[name]
			}
			attrChanged := false
			for _, a := range list {
				prev := instanceOf(before, a.DatasetID)
				if prev == nil || valueChanged(prev, a) {
					attrChanged = true
					if err := b.history(st, next, name, a); err != nil {
						return err
					}
				} else if !attrChanged && !sameMeta(prev, a) {
					attrChanged = true
				}
			}
			if !attrChanged && len(before) != len(list) {
				attrChanged = true
			}
			if attrChanged {
				nid, err := b.w.nameID(name)
				if err != nil {
					return err
				}
				changed = append(changed, nid)
			}
		}
	}
	if old != nil {
		for name := range old.Attrs {
			if next == nil || next.Attrs[name] == nil {
				nid, err := b.w.nameID(name)
				if err != nil {
					return err
				}
				changed = append(changed, nid)
			}
		}
	}
	slices.Sort(changed)
	if next != nil && !slices.Equal(st.ttypes, next.Types) {
		if err := b.temporalEntity(st, next.Types); err != nil {
			return err
		}
	}
	b.changeArgs = append(b.changeArgs, packChange(st.tenant, st.id, types, changed, flags, b.now))
	return nil
}

// temporalEntity makes sure st has a temporal_entities row with types.
func (b *batchWrites) temporalEntity(st *entState, types []string) error {
	st.ttypes = slices.Clone(types)
	switch {
	case st.tpk == 0:
		b.w.nextTPK++
		st.tpk, st.tnew, st.tidx = b.w.nextTPK, true, len(b.tentArgs)
		b.tentArgs = append(b.tentArgs, st.tpk, st.tenant, st.id, jsonList(types))
	case st.tnew:
		b.tentArgs[st.tidx+3] = jsonList(types)
	default:
		st.tupd = true
	}
	return nil
}

// history queues the temporal row of instance a of attribute name of e.
func (b *batchWrites) history(st *entState, e *ngsild.Entity, name string, a *ngsild.Attribute) error {
	if st.tpk == 0 {
		if err := b.temporalEntity(st, e.Types); err != nil {
			return err
		}
	}
	nid, err := b.w.nameID(name)
	if err != nil {
		return err
	}
	mt := a.ModifiedAt
	if mt.IsZero() {
		mt = e.ModifiedAt
	}
	if mt.IsZero() {
		mt = time.Unix(0, b.now)
	}
	row, err := temporalRow(b.w.newIID(), st.tpk, nid, a, mt)
	if err != nil {
		return err
	}
	b.temporalArgs = append(b.temporalArgs, row...)
	return nil
}

// temporalRow returns the temporal column values (after iid) of instance
// a recorded at mt. A Property whose value is a number and that has no
// other data than observedAt and unitCode is stored without document.
func temporalRow(iid, tpk, nid int64, a *ngsild.Attribute, mt time.Time) ([]any, error) {
	t := mt
	if !a.ObservedAt.IsZero() {
		t = a.ObservedAt
	}
	// A number keeps its JSON text (json.Number), so that it reads back as written.
	var num string
	if a.Type == ngsild.TypeProperty {
		if f, ok := ngsild.Number(a.Value); ok && !math.IsNaN(f) && !math.IsInf(f, 0) {
			if n, isText := a.Value.(json.Number); isText {
				num = string(n)
			} else {
				num = strconv.FormatFloat(f, 'g', -1, 64)
			}
		}
	}
	var doc []byte
	if num == "" || len(a.Sub) > 0 {
		c := *a
		c.DatasetID, c.ObservedAt, c.UnitCode, c.CreatedAt, c.ModifiedAt = "", time.Time{}, "", time.Time{}, time.Time{}
		d, err := store.EncodeAttribute(&c)
		if err != nil {
			return nil, err
		}
		doc = d
	}
	tn, mtn := unixNanos(t), unixNanos(mt)
	v := packTemporal(make([]byte, 0, 24+len(a.UnitCode)+len(a.DatasetID)+len(doc)), tn, mtn,
		!a.ObservedAt.IsZero(), num, a.UnitCode, a.DatasetID, doc)
	return []any{tpk, nid, tn, iid, v}, nil
}

// instanceOf returns the instance of list with datasetID, or nil.
func instanceOf(list []*ngsild.Attribute, datasetID string) *ngsild.Attribute {
	for _, a := range list {
		if a.DatasetID == datasetID {
			return a
		}
	}
	return nil
}

// valueChanged reports whether the value, object, languageMap, geometry,
// observedAt or unitCode (or the type) of an instance differ.
func valueChanged(a, b *ngsild.Attribute) bool {
	if a.Type != b.Type || a.Object != b.Object || a.UnitCode != b.UnitCode || !a.ObservedAt.Equal(b.ObservedAt) ||
		!maps.Equal(a.LanguageMap, b.LanguageMap) || !sameValue(a.Value, b.Value) {
		return true
	}
	if a.Geometry != b.Geometry {
		if a.Geometry == nil || b.Geometry == nil {
			return true
		}
		x, err1 := a.Geometry.MarshalJSON()
		y, err2 := b.Geometry.MarshalJSON()
		return err1 != nil || err2 != nil || !bytes.Equal(x, y)
	}
	return false
}

func sameValue(x, y any) bool {
	switch a := x.(type) {
	case json.Number:
		b, ok := y.(json.Number)
		return ok && a == b
	case string:
		b, ok := y.(string)
		return ok && a == b
	case bool:
		b, ok := y.(bool)
		return ok && a == b
	case nil:
		return y == nil
	}
	return reflect.DeepEqual(x, y)
}

// sameMeta reports whether the sub-attributes of two instances with the
// same value are equal.
func sameMeta(a, b *ngsild.Attribute) bool {
	if len(a.Sub) == 0 && len(b.Sub) == 0 {
		return true
	}
	if len(a.Sub) != len(b.Sub) {
		return false
	}
	x, err1 := store.EncodeAttribute(&ngsild.Attribute{Sub: a.Sub})
	y, err2 := store.EncodeAttribute(&ngsild.Attribute{Sub: b.Sub})
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// flushHistory inserts the queued temporal entities, instances and changes.
func (b *batchWrites) flushHistory() error {
	for _, st := range b.order {
		if st.tupd {
			if _, err := b.w.updTEntity.Exec(jsonList(st.ttypes), st.tpk); err != nil {
				return err
			}
		}
	}
	if err := b.w.insertRows(insTEntityHead, tEntityCols, b.tentArgs); err != nil {
		return err
	}
	if err := b.w.insertTemporal(b.temporalArgs); err != nil {
		return err
	}
	// Sequence numbers are assigned here, in commit order, so that failed
	// mutations leave no gap.
	args := make([]any, 0, 2*len(b.changeArgs))
	for _, rec := range b.changeArgs {
		b.w.nextSeq++
		args = append(args, b.w.nextSeq, rec)
	}
	return b.w.insertRows(insChangesHead, changeCols, args)
}

// iidBlock is how many instance ids the writer reserves at a time.
const iidBlock = 4096

// newIID hands out an instance id; insertTemporal persists the reservation.
func (w *writeTx) newIID() int64 {
	w.nextIID++
	return w.nextIID
}

// insertTemporal inserts temporal rows, first reserving (in the same
// transaction) instance ids up to beyond the ones they use.
func (w *writeTx) insertTemporal(args []any) error {
	if len(args) == 0 {
		return nil
	}
	if w.nextIID > w.iidReserved {
		w.iidReserved = w.nextIID + iidBlock
		if _, err := w.exec("UPDATE history_seq SET iid = ? WHERE id = 1", w.iidReserved); err != nil {
			return err
		}
	}
	return w.insertRows(insTemporalHead, temporalCols, args)
}

package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
)

var (
	_ store.TemporalStore = (*Store)(nil)
	_ store.ChangeLog     = (*Store)(nil)
)

// Changes returns change log records after seq after; see store.ChangeLog.
func (s *Store) Changes(ctx context.Context, after uint64, limit int) ([]store.ChangeRecord, error) {
	end, err := s.begin()
	if err != nil {
		return nil, err
	}
	defer end()
	if limit <= 0 {
		return nil, nil
	}
	st, err := s.qcache.get(ctx, "SELECT seq, rec FROM changes WHERE seq > ? ORDER BY seq LIMIT ?")
	if err != nil {
		return nil, err
	}
	defer st.release()
	var out []store.ChangeRecord
	var nids [][]int64
	err = scanRows(ctx, st.st, []any{int64(min(after, math.MaxInt64)), limit}, func(rows *sql.Rows) error {
		var seq int64
		var rec sql.RawBytes
		if err := rows.Scan(&seq, &rec); err != nil {
			return err
		}
		ch, err := unpackChange(rec)
		if err != nil {
			return err
		}
		c := store.ChangeRecord{Seq: uint64(seq), Tenant: ch.tenant, EntityID: ch.id, Types: ch.types,
			At: fromUnixNanos(ch.at), Created: ch.flags&changeCreated != 0, Deleted: ch.flags&changeDeleted != 0}
		nids = append(nids, ch.nids)
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, ids := range nids {
		for _, nid := range ids {
			name, err := s.nameOf(ctx, s.rdb, nid)
			if err != nil {
				return nil, err
			}
			out[i].Attrs = append(out[i].Attrs, name)
		}
		slices.Sort(out[i].Attrs)
	}
	return out, nil
}

// TrimChanges deletes the change log up to seq; see store.ChangeLog.
func (s *Store) TrimChanges(ctx context.Context, seq uint64) error {
	return s.writeOp(ctx, func(w *writeTx) error {
		upto := min(int64(min(seq, math.MaxInt64)), w.nextSeq)
		if _, err := w.exec("DELETE FROM changes WHERE seq <= ?", upto); err != nil {
			return err
		}
		_, err := w.exec("UPDATE history_seq SET trimmed = max(trimmed, ?) WHERE id = 1", upto)
		return err
	})
}

// tentity is a temporal_entities row.
type tentity struct {
	tpk   int64
	id    string
	types []string
}

// trow is a temporal row as read and unpacked. doc aliases the row's
// bytes: it is valid during the callback only.
type trow struct {
	iid, nid, t, mt int64
	ds, unit        string
	observed        bool
	// num is the JSON text of a numeric value (nil if none).
	num []byte
	doc []byte
}

// at returns the row's time for property p.
func (r *trow) at(p store.TimeProperty) int64 {
	if p == store.ModifiedAt || p == store.CreatedAt {
		return r.mt
	}
	return r.t
}

// attr rebuilds the instance of r.
// Plain numbers are allocated from slab, in blocks (one allocation for
// many instances).
func (r *trow) attr(slab *[]ngsild.Attribute) (*ngsild.Attribute, error) {
	var a *ngsild.Attribute
	if r.doc != nil {
		var err error
		if a, err = store.DecodeAttribute(r.doc); err != nil {
			return nil, err
		}
	} else {
		if len(*slab) == 0 {
			*slab = make([]ngsild.Attribute, 256)
		}
		a, *slab = &(*slab)[0], (*slab)[1:]
		a.Type, a.Value = ngsild.TypeProperty, json.Number(r.num)
	}
	a.DatasetID, a.UnitCode = r.ds, r.unit
	a.ModifiedAt = time.Unix(0, r.mt).UTC()
	a.CreatedAt = a.ModifiedAt
	if r.observed {
		a.ObservedAt = time.Unix(0, r.t).UTC()
	}
	return a, nil
}

// byObserved reports whether q selects on t (the observedAt or else the
// modifiedAt), which SQL filters; modifiedAt and createdAt are in the
// packed value and filtered while scanning.
func byObserved(q *store.TemporalQuery) bool {
	return q.TimeProperty == "" || q.TimeProperty == store.ObservedAt
}

// temporalSQL returns the statement text reading the instances of one
// temporal entity for q (arguments: tpk, then the attribute ids as a JSON
// list when q.Attrs is set, then the times), in key order.
func temporalSQL(q *store.TemporalQuery) string {
	var b strings.Builder
	b.WriteString("SELECT nid, dothi_tpack(t, iid, v) FROM temporal WHERE tpk = ?")
	if len(q.Attrs) > 0 {
		b.WriteString(" AND nid IN (SELECT value FROM json_each(?))")
	}
	if byObserved(q) {
		switch q.TimeRel {
		case store.TimeRelBefore:
			b.WriteString(" AND t < ?")
		case store.TimeRelAfter:
			b.WriteString(" AND t > ?")
		case store.TimeRelBetween:
			b.WriteString(" AND t >= ? AND t < ?")
		}
	}
	b.WriteString(" GROUP BY nid ORDER BY nid")
	return b.String()
}

// inTime reports whether time t (Unix ns) matches q's time relation.
func inTime(q *store.TemporalQuery, t int64) bool {
	switch q.TimeRel {
	case store.TimeRelBefore:
		return t < q.TimeAt.UnixNano()
	case store.TimeRelAfter:
		return t > q.TimeAt.UnixNano()
	case store.TimeRelBetween:
		return t >= q.TimeAt.UnixNano() && t < q.EndTimeAt.UnixNano()
	}
	return true
}

func timeArgs(q *store.TemporalQuery) []any {
	if !byObserved(q) {
		return nil
	}
	switch q.TimeRel {
	case store.TimeRelBefore, store.TimeRelAfter:
		return []any{q.TimeAt.UnixNano()}
	case store.TimeRelBetween:
		return []any{q.TimeAt.UnixNano(), q.EndTimeAt.UnixNano()}
	}
	return nil
}

func checkTemporalQuery(q *store.TemporalQuery) error {
	switch q.TimeRel {
	case store.TimeRelNone:
	case store.TimeRelBefore, store.TimeRelAfter:
		if q.TimeAt.IsZero() {
			return ngsild.Errorf(ngsild.ErrBadRequestData, "timerel %s needs timeAt", q.TimeRel)
		}
	case store.TimeRelBetween:
		if q.TimeAt.IsZero() || q.EndTimeAt.IsZero() {
			return ngsild.Errorf(ngsild.ErrBadRequestData, "timerel between needs timeAt and endTimeAt")
		}
		if q.EndTimeAt.Before(q.TimeAt) {
			return ngsild.Errorf(ngsild.ErrBadRequestData, "endTimeAt is before timeAt")
		}
	default:
		return ngsild.Errorf(ngsild.ErrBadRequestData, "unknown timerel %q", q.TimeRel)
	}
	switch q.TimeProperty {
	case "", store.ObservedAt, store.ModifiedAt, store.CreatedAt:
	default:
		return ngsild.Errorf(ngsild.ErrBadRequestData, "unknown timeproperty %q", q.TimeProperty)
	}
	if q.LastN < 0 || q.Limit < 0 || q.Offset < 0 {
		return ngsild.Errorf(ngsild.ErrBadRequestData, "lastN, limit and offset must not be negative")
	}
	return nil
}

// temporalScan runs q in one read transaction: fn is called per matching
// temporal entity (in id order) with its rows, sorted by attribute,
// datasetId and time; each returns whether the entity had rows.
func (s *Store) temporalScan(ctx context.Context, tenant string, q *store.TemporalQuery,
	fn func(tx *sql.Tx, te *tentity, each func(func(*trow) error) error) (bool, error)) error {
	if err := checkTemporalQuery(q); err != nil {
		return err
	}
	end, err := s.begin()
	if err != nil {
		return err
	}
	defer end()
	if err := s.checkTenant(ctx, tenant); err != nil {
		return err
	}
	entSQL := "SELECT tpk, id, types FROM temporal_entities WHERE tenant = ?"
	entArgs := []any{tenant}
	if len(q.IDs) > 0 {
		entSQL += " AND id IN (SELECT value FROM json_each(?))"
		entArgs = append(entArgs, jsonList(q.IDs))
	}
	entSQL += " ORDER BY id"
	entSt, err := s.qcache.get(ctx, entSQL)
	if err != nil {
		return err
	}
	defer entSt.release()
	rowSt, err := s.qcache.get(ctx, temporalSQL(q))
	if err != nil {
		return err
	}
	defer rowSt.release()
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var nids string
	if len(q.Attrs) > 0 {
		ids, err := s.nameIDs(ctx, tx, q.Attrs)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		b, _ := json.Marshal(ids)
		nids = string(b)
	}
	var ents []*tentity
	err = scanRows(ctx, tx.StmtContext(ctx, entSt.st), entArgs, func(rows *sql.Rows) error {
		te := &tentity{}
		var types []byte
		if err := rows.Scan(&te.tpk, &te.id, &types); err != nil {
			return err
		}
		if q.IDPattern != nil && !q.IDPattern.MatchString(te.id) {
			return nil
		}
		if err := json.Unmarshal(types, &te.types); err != nil {
			return err
		}
		if q.Types != nil && !q.Types.Match(te.types) {
			return nil
		}
		ents = append(ents, te)
		return nil
	})
	if err != nil {
		return err
	}
	rows := tx.StmtContext(ctx, rowSt.st)
	skipped, kept := 0, 0
	for _, te := range ents {
		if q.Limit > 0 && kept >= q.Limit {
			break
		}
		args := []any{te.tpk}
		if nids != "" {
			args = append(args, nids)
		}
		args = append(args, timeArgs(q)...)
		each := func(f func(*trow) error) error {
			var r trow
			var packed sql.RawBytes
			filter := !byObserved(q) && q.TimeRel != store.TimeRelNone
			return scanRows(ctx, rows, args, func(rs *sql.Rows) error {
				if err := rs.Scan(&r.nid, &packed); err != nil {
					return err
				}
				lastT, lastIID := int64(math.MinInt64), int64(0)
				return eachPacked(packed, &r, func(r *trow) error {
					// SQLite steps the group in key order; say so if it did not.
					if r.t < lastT || (r.t == lastT && r.iid < lastIID) {
						return errUnordered
					}
					lastT, lastIID = r.t, r.iid
					if filter && !inTime(q, r.mt) {
						return nil
					}
					return f(r)
				})
			})
		}
		if skipped < q.Offset {
			// Count the entity without reading its rows beyond the first.
			has := false
			err := each(func(*trow) error { has = true; return errStop })
			if err != nil && !errors.Is(err, errStop) {
				return err
			}
			if has {
				skipped++
			}
			continue
		}
		had, err := fn(tx, te, each)
		if err != nil {
			return err
		}
		if had {
			kept++
		}
	}
	return nil
}

var (
	errStop      = errors.New("stop")
	errUnordered = errors.New("sqlite: temporal rows out of order")
)

// nameIDs returns the ids of the interned names among names.
func (s *Store) nameIDs(ctx context.Context, tx *sql.Tx, names []string) ([]int64, error) {
	var ids []int64
	for _, n := range names {
		var id int64
		err := tx.QueryRowContext(ctx, "SELECT id FROM names WHERE name = ?", n).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// rowQuerier is a *sql.Tx or *sql.DB.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// nameOf returns the attribute name with id nid (names never change).
func (s *Store) nameOf(ctx context.Context, tx rowQuerier, nid int64) (string, error) {
	if v, ok := s.names.Load(nid); ok {
		return v.(string), nil
	}
	var name string
	if err := tx.QueryRowContext(ctx, "SELECT name FROM names WHERE id = ?", nid).Scan(&name); err != nil {
		return "", fmt.Errorf("sqlite: name %d: %w", nid, err)
	}
	s.names.Store(nid, name)
	return name, nil
}

// TemporalQuery returns temporal entities; see store.TemporalStore.
func (s *Store) TemporalQuery(ctx context.Context, tenant string, q *store.TemporalQuery) ([]*store.TemporalEntity, error) {
	out := []*store.TemporalEntity{}
	err := s.temporalScan(ctx, tenant, q, func(tx *sql.Tx, te *tentity, each func(func(*trow) error) error) (bool, error) {
		e := &store.TemporalEntity{ID: te.id, Types: te.types, Attrs: map[string][]store.TemporalInstance{}}
		// The series of the current attribute, per datasetId.
		series := map[string][]store.TemporalInstance{}
		var order []string
		var slab []ngsild.Attribute
		curNid := int64(-1)
		var curName string
		flush := func() {
			var all []store.TemporalInstance
			for _, ds := range order {
				list := series[ds]
				if !byObserved(q) {
					list = sortByTime(list, q.TimeProperty)
				}
				if q.LastN > 0 && len(list) > q.LastN {
					list = list[len(list)-q.LastN:]
				}
				all = append(all, list...)
			}
			if len(all) > 0 {
				e.Attrs[curName] = sortByTime(all, q.TimeProperty)
			}
			clear(series)
			order = order[:0]
		}
		err := each(func(r *trow) error {
			if r.nid != curNid {
				flush()
				name, err := s.nameOf(ctx, tx, r.nid)
				if err != nil {
					return err
				}
				curNid, curName = r.nid, name
			}
			a, err := r.attr(&slab)
			if err != nil {
				return err
			}
			if _, ok := series[r.ds]; !ok {
				order = append(order, r.ds)
			}
			series[r.ds] = append(series[r.ds], store.TemporalInstance{InstanceID: instanceURI(r.iid), Attr: a})
			return nil
		})
		if err != nil {
			return false, err
		}
		flush()
		if len(e.Attrs) == 0 {
			return false, nil
		}
		out = append(out, e)
		return true, nil
	})
	return out, err
}

// sortByTime merges the series of several datasetIds into time order.
func sortByTime(list []store.TemporalInstance, p store.TimeProperty) []store.TemporalInstance {
	sorted := true
	for i := 1; i < len(list); i++ {
		if list[i].Time(p).Before(list[i-1].Time(p)) {
			sorted = false
			break
		}
	}
	if !sorted {
		slices.SortStableFunc(list, func(a, b store.TemporalInstance) int { return a.Time(p).Compare(b.Time(p)) })
	}
	return list
}

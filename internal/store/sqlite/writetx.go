package sqlite

import (
	"cmp"
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

// writeTx holds the writer connection's prepared statements and the
// writer's view of the database (interned names, next pk); its methods run
// inside the writer's open transaction.
type writeTx struct {
	stmts                                     *stmtSet
	loadMany, updEntity, delEntity, insTenant *sql.Stmt
	delType, delAttr, delGeo, insName         *sql.Stmt
	addBlock, dropBlock, addCount, dropCount  *sql.Stmt
	insContext, delContext                    *sql.Stmt
	updTEntity                                *sql.Stmt
	begin, commit, rollback                   *sql.Stmt
	conn                                      *sql.Conn
	multi                                     map[multiKey]*sql.Stmt
	// names maps the committed attribute names to their ids; newNames
	// holds those interned by the open transaction.
	names, newNames map[string]int64
	// nextName and nextPK are the largest name id and entity pk handed out.
	nextName, nextPK int64
	// nextTPK is the largest temporal entity pk handed out.
	nextTPK int64
	// nextIID is the largest temporal instance id handed out; iidReserved
	// the bound written (or to be written) in history_seq, iidCommitted the
	// committed one.
	nextIID, iidReserved, iidCommitted int64
	// nextSeq is the last change seq assigned, seqCommitted the committed one.
	nextSeq, seqCommitted int64
	rowArgs               []any
}

// multiKey identifies a prepared multi-row INSERT: its verb and table
// (the SQL up to VALUES), columns per row and rows.
type multiKey struct {
	head       string
	cols, rows int
}

// Multi-row inserts, chunked by maxRows rows.
const (
	insEntitiesHead = "INSERT INTO entities(pk, tenant, id, doc) VALUES "
	insTypesHead    = "INSERT OR IGNORE INTO entity_types(tenant, type, pk) VALUES "
	insAttrsHead    = "INSERT OR IGNORE INTO attr_index(nid, kind, v, pk) VALUES "
	insGeoHead      = "INSERT INTO geo_index(id, minx, maxx, miny, maxy) VALUES "
	maxRows         = 64
)

// insertRows inserts the rows in args (cols values each) with one
// statement per maxRows rows.
func (w *writeTx) insertRows(head string, cols int, args []any) error {
	for len(args) > 0 {
		n := min(len(args)/cols, maxRows)
		st, err := w.multiStmt(multiKey{head, cols, n})
		if err != nil {
			return err
		}
		if _, err := st.Exec(args[:n*cols]...); err != nil {
			return err
		}
		args = args[n*cols:]
	}
	return nil
}

// multiStmt prepares (once) the statement for k. The SQL holds only
// placeholders.
func (w *writeTx) multiStmt(k multiKey) (*sql.Stmt, error) {
	if st, ok := w.multi[k]; ok {
		return st, nil
	}
	row := "(" + strings.Repeat("?, ", k.cols-1) + "?)"
	st, err := w.conn.PrepareContext(context.Background(), k.head+strings.Repeat(row+", ", k.rows-1)+row)
	if err != nil {
		return nil, err
	}
	w.multi[k] = st
	w.stmts.list = append(w.stmts.list, st)
	return st, nil
}

// stmtSet prepares statements and closes them together.
type stmtSet struct {
	err  error
	list []*sql.Stmt
}

type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// prep prepares query on p, remembering the first error.
func (s *stmtSet) prep(ctx context.Context, p preparer, query string) *sql.Stmt {
	if s.err != nil {
		return nil
	}
	st, err := p.PrepareContext(ctx, query)
	if err != nil {
		s.err = fmt.Errorf("sqlite: prepare %q: %w", query, err)
		return nil
	}
	s.list = append(s.list, st)
	return st
}

func (s *stmtSet) close() {
	for _, st := range s.list {
		st.Close()
	}
}

func prepareWrites(ctx context.Context, conn *sql.Conn) (*writeTx, error) {
	set := &stmtSet{}
	p := func(q string) *sql.Stmt { return set.prep(ctx, conn, q) }
	w := &writeTx{stmts: set, conn: conn, multi: map[multiKey]*sql.Stmt{},
		// The stored entities and temporal entities of a list of ids.
		loadMany: p(`SELECT j.value, e.pk, e.doc, t.tpk, t.types FROM json_each(?2) AS j
			LEFT JOIN entities AS e ON e.tenant = ?1 AND e.id = j.value
			LEFT JOIN temporal_entities AS t ON t.tenant = ?1 AND t.id = j.value`),
		updEntity: p("UPDATE entities SET doc = ? WHERE pk = ?"),
		delEntity: p("DELETE FROM entities WHERE pk = ?"),
		insTenant: p("INSERT OR IGNORE INTO tenants(name) VALUES(?)"),
		delType:   p("DELETE FROM entity_types WHERE tenant = ? AND type = ? AND pk = ?"),
		delAttr:   p("DELETE FROM attr_index WHERE nid = ? AND kind = ? AND v = ? AND pk = ?"),
		delGeo:    p("DELETE FROM geo_index WHERE id = ?"),
		insName:   p("INSERT INTO names(id, name) VALUES(?, ?)"),
		addBlock: p(`INSERT INTO type_blocks(tenant, type, block, n) VALUES(?, ?, ?, ?)
			ON CONFLICT(tenant, type, block) DO UPDATE SET n = n + excluded.n`),
		dropBlock: p("DELETE FROM type_blocks WHERE tenant = ? AND type = ? AND block = ? AND n <= 0"),
		addCount: p(`INSERT INTO attr_counts(tenant, type, name, attr_type, n) VALUES(?, ?, ?, ?, ?)
			ON CONFLICT(tenant, type, name, attr_type) DO UPDATE SET n = n + excluded.n`),
		dropCount:  p("DELETE FROM attr_counts WHERE tenant = ? AND type = ? AND name = ? AND attr_type = ? AND n <= 0"),
		insContext: p("INSERT OR REPLACE INTO contexts(id, url, kind, body, created_at) VALUES(?, ?, ?, ?, ?)"),
		delContext: p("DELETE FROM contexts WHERE id = ?"),
		updTEntity: p("UPDATE temporal_entities SET types = ? WHERE tpk = ?"),
		begin:      p("BEGIN IMMEDIATE"),
		commit:     p("COMMIT"),
		rollback:   p("ROLLBACK"),
	}
	if set.err != nil {
		set.close()
		return nil, set.err
	}
	if err := w.loadState(ctx); err != nil {
		set.close()
		return nil, err
	}
	return w, nil
}

// loadState reads the interned names and the largest pk.
func (w *writeTx) loadState(ctx context.Context) error {
	w.names, w.newNames = map[string]int64{}, map[string]int64{}
	rows, err := w.conn.QueryContext(ctx, "SELECT id, name FROM names")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return err
		}
		w.names[name] = id
		w.nextName = max(w.nextName, id)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := w.conn.QueryRowContext(ctx, "SELECT coalesce(max(pk), 0) FROM entities").Scan(&w.nextPK); err != nil {
		return err
	}
	if err := w.conn.QueryRowContext(ctx, "SELECT coalesce(max(tpk), 0) FROM temporal_entities").Scan(&w.nextTPK); err != nil {
		return err
	}
	var trimmed int64
	if err := w.conn.QueryRowContext(ctx, "SELECT iid, trimmed FROM history_seq WHERE id = 1").Scan(&w.nextIID, &trimmed); err != nil {
		return err
	}
	w.iidReserved, w.iidCommitted = w.nextIID, w.nextIID
	if err := w.conn.QueryRowContext(ctx, "SELECT coalesce(max(seq), 0) FROM changes").Scan(&w.nextSeq); err != nil {
		return err
	}
	w.nextSeq = max(w.nextSeq, trimmed)
	w.seqCommitted = w.nextSeq
	return nil
}

func (w *writeTx) close() { w.stmts.close() }

// stmtOf prepares query once on the writing connection (for rare
// statements, such as the index rebuild's).
func (w *writeTx) stmtOf(ctx context.Context, query string) (*sql.Stmt, error) {
	k := multiKey{head: query}
	if st, ok := w.multi[k]; ok {
		return st, nil
	}
	st, err := w.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	w.multi[k] = st
	w.stmts.list = append(w.stmts.list, st)
	return st, nil
}

// committed keeps the names interned by the committed transaction.
func (w *writeTx) committed() {
	for name, id := range w.newNames {
		w.names[name] = id
	}
	clear(w.newNames)
	w.iidCommitted, w.seqCommitted = w.iidReserved, w.nextSeq
}

// aborted forgets the names interned by the rolled back transaction and
// the counters it advanced (instance ids are not reused: the next
// reservation starts above them).
func (w *writeTx) aborted() {
	clear(w.newNames)
	w.iidReserved, w.nextSeq = w.iidCommitted, w.seqCommitted
}

// nameID returns the id of an attribute name, interning it if new.
func (w *writeTx) nameID(name string) (int64, error) {
	if id, ok := w.names[name]; ok {
		return id, nil
	}
	if id, ok := w.newNames[name]; ok {
		return id, nil
	}
	w.nextName++
	if _, err := w.insName.Exec(w.nextName, name); err != nil {
		return 0, err
	}
	w.newNames[name] = w.nextName
	return w.nextName, nil
}

func (w *writeTx) ensureTenant(tenant string) error {
	_, err := w.insTenant.Exec(tenant)
	return err
}

// entKey identifies an entity.
type entKey struct{ tenant, id string }

// entState is an entity touched by a batch: as stored when the transaction
// began (pk0, doc0, idx0) and as the batch's mutations left it so far (pk,
// ent, doc, idx). A pk of 0 means absent.
type entState struct {
	entKey
	pk0  int64
	doc0 []byte
	idx0 *entityIndex // set once doc0 is decoded
	pk   int64
	// ent is the entity after the batch's last successful mutation, nil
	// while the entity is still as stored.
	ent     *ngsild.Entity
	doc     []byte
	idx     *entityIndex
	changed bool
	// tpk is the temporal entity's pk (0: none yet) and ttypes its types;
	// tnew is set when the batch creates it (its row is queued in tentArgs
	// at tidx).
	tpk    int64
	ttypes []string
	tnew   bool
	tidx   int
	// tupd is set when the types of an existing temporal entity changed.
	tupd bool
}

// blockSize is the number of pks per type_blocks row (1 << blockShift).
const blockShift = 12

type blockKey struct {
	tenant, typ string
	block       int64
}

type countKey struct {
	tenant, typ string
	attr        attrKey
}

// attrIns is an attr_index row to insert.
type attrIns struct {
	nid  int64
	row  attrRow
	pkey int64
}

// batchWrites collects the net changes of a batch and writes them with
// few statements: deletions and updates first, then multi-row inserts of
// the new rows in key order.
type batchWrites struct {
	w        *writeTx
	ents     map[entKey]*entState
	order    []*entState
	blocks   map[blockKey]int
	counts   map[countKey]int
	entArgs  []any
	typeArgs []any
	geoArgs  []any
	attrs    []attrIns
	// History: queued rows of changes, temporal and temporal_entities,
	// and the batch's time (Unix ns).
	changeArgs, temporalArgs, tentArgs []any
	now                                int64
}

func newBatchWrites(w *writeTx) *batchWrites {
	return &batchWrites{w: w, ents: map[entKey]*entState{}, blocks: map[blockKey]int{}, counts: map[countKey]int{},
		now: time.Now().UnixNano()}
}

// touch registers an entity the batch will mutate; load reads the ones
// registered since the last load.
func (b *batchWrites) touch(k entKey) {
	if _, ok := b.ents[k]; !ok {
		st := &entState{entKey: k}
		b.ents[k] = st
		b.order = append(b.order, st)
	}
}

// loadChunk bounds the ids of one load query.
const loadChunk = 500

// load reads the stored state of every touched entity not loaded yet.
func (b *batchWrites) load(from int) error {
	byTenant := map[string][]string{}
	var tenants []string
	for _, st := range b.order[from:] {
		if _, ok := byTenant[st.tenant]; !ok {
			tenants = append(tenants, st.tenant)
		}
		byTenant[st.tenant] = append(byTenant[st.tenant], st.id)
	}
	for _, tenant := range tenants {
		ids := byTenant[tenant]
		for len(ids) > 0 {
			n := min(len(ids), loadChunk)
			if err := b.loadIDs(tenant, ids[:n]); err != nil {
				return err
			}
			ids = ids[n:]
		}
	}
	return nil
}

func (b *batchWrites) loadIDs(tenant string, ids []string) error {
	rows, err := b.w.loadMany.Query(tenant, jsonList(ids))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var pk, tpk sql.NullInt64
		var id string
		var doc []byte
		var types sql.RawBytes
		if err := rows.Scan(&id, &pk, &doc, &tpk, &types); err != nil {
			return err
		}
		st := b.ents[entKey{tenant, id}]
		if st == nil {
			continue
		}
		if pk.Valid {
			st.pk0, st.pk, st.doc0 = pk.Int64, pk.Int64, doc
		}
		if tpk.Valid {
			st.tpk = tpk.Int64
			if err := json.Unmarshal(types, &st.ttypes); err != nil {
				return err
			}
		}
	}
	return rows.Err()
}

// mutate applies m to its entity's state. Errors are the mutation's own:
// nothing is written to the database until flush.
func (b *batchWrites) mutate(tenant string, m store.Mutation) error {
	st := b.ents[entKey{tenant, m.ID}]
	// prev is the entity before the mutation (kept for the history), old
	// the copy Apply may change.
	var old, prev *ngsild.Entity
	if st.pk != 0 {
		if st.ent == nil {
			e, err := store.DecodeEntity(st.doc0)
			if err != nil {
				return err
			}
			if st.idx0 == nil {
				st.idx0 = indexOf(e)
			}
			prev = e
		} else {
			prev = st.ent
		}
		old = prev.Clone()
	}
	next, err := safeApply(m, old)
	if err != nil {
		return err
	}
	if next == nil {
		if st.pk != 0 {
			if err := recovered(func() error { return b.record(st, prev, nil) }); err != nil {
				return err
			}
			st.pk, st.ent, st.doc, st.idx, st.changed = 0, nil, nil, emptyIndex, true
		}
		return nil
	}
	if next.ID != m.ID {
		if next.ID != "" {
			return ngsild.Errorf(ngsild.ErrBadRequestData, "mutation of %s returned entity %s", m.ID, next.ID)
		}
		next.ID = m.ID
	}
	var doc []byte
	var idx *entityIndex
	err = recovered(func() (err error) {
		if doc, err = store.EncodeEntity(next); err != nil {
			return err
		}
		idx = indexOf(next)
		return checkIndex(m.ID, idx)
	})
	if err != nil {
		return err
	}
	// History rows are queued only for mutations that succeed: record's
	// own failures come first (encoding), before anything is queued.
	if err := recovered(func() error { return b.record(st, prev, next) }); err != nil {
		return err
	}
	if st.pk == 0 {
		b.w.nextPK++
		st.pk = b.w.nextPK
	}
	st.ent, st.doc, st.idx, st.changed = next, doc, idx, true
	return nil
}

// checkIndex rejects what the index tables cannot hold, so that writing
// a valid batch fails only when the store itself does.
func checkIndex(id string, idx *entityIndex) error {
	if len(idx.geos) > maxGeoRows {
		return ngsild.Errorf(ngsild.ErrBadRequestData, "entity %s has more than %d GeoProperty instances", id, maxGeoRows)
	}
	for _, g := range idx.geos {
		for _, f := range []float64{g.minx, g.maxx, g.miny, g.maxy} {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return ngsild.Errorf(ngsild.ErrBadRequestData, "entity %s: GeoProperty %s has non-finite coordinates", id, g.name)
			}
		}
	}
	return nil
}

// flush writes the net change of every touched entity and the counts.
func (b *batchWrites) flush() error {
	for _, st := range b.order {
		if !st.changed {
			continue
		}
		if err := b.write(st); err != nil {
			return err
		}
	}
	if err := b.w.insertRows(insEntitiesHead, 4, b.entArgs); err != nil {
		return err
	}
	if err := b.w.insertRows(insTypesHead, 3, b.typeArgs); err != nil {
		return err
	}
	if err := b.insertAttrs(); err != nil {
		return err
	}
	if err := b.w.insertRows(insGeoHead, 5, sortGeo(b.geoArgs)); err != nil {
		return err
	}
	if err := b.flushHistory(); err != nil {
		return err
	}
	return b.flushCounts()
}

// write turns one entity's net change into statements and queued rows.
func (b *batchWrites) write(st *entState) error {
	old := st.idx0
	if old == nil {
		old = emptyIndex
	}
	if st.pk0 != 0 && st.pk == st.pk0 {
		if _, err := b.w.updEntity.Exec(st.doc, st.pk); err != nil {
			return err
		}
		if !slices.Equal(old.types, st.idx.types) || !slices.Equal(old.attrs, st.idx.attrs) {
			b.count(st.tenant, st.pk0, old, -1)
			b.count(st.tenant, st.pk, st.idx, 1)
		}
		return b.reindex(st.tenant, st.pk, old, st.idx)
	}
	if st.pk0 != 0 {
		if _, err := b.w.delEntity.Exec(st.pk0); err != nil {
			return err
		}
		b.count(st.tenant, st.pk0, old, -1)
		if err := b.reindex(st.tenant, st.pk0, old, emptyIndex); err != nil {
			return err
		}
	}
	if st.pk != 0 {
		b.entArgs = append(b.entArgs, st.pk, st.tenant, st.id, st.doc)
		b.count(st.tenant, st.pk, st.idx, 1)
		return b.reindex(st.tenant, st.pk, emptyIndex, st.idx)
	}
	return nil
}

// count adds sign to the counts of an entity with index x.
func (b *batchWrites) count(tenant string, pk int64, x *entityIndex, sign int) {
	block := pk >> blockShift
	b.blocks[blockKey{tenant, "", block}] += sign
	for _, t := range x.types {
		b.blocks[blockKey{tenant, t, block}] += sign
		for _, a := range x.attrs {
			b.counts[countKey{tenant, t, a}] += sign
		}
	}
}

// reindex deletes the index rows of pk that old has and next lacks, and
// queues the inserts of those next has and old lacks.
func (b *batchWrites) reindex(tenant string, pk int64, old, next *entityIndex) error {
	for _, t := range minus(old.types, next.types) {
		if _, err := b.w.delType.Exec(tenant, t, pk); err != nil {
			return err
		}
	}
	for _, t := range minus(next.types, old.types) {
		b.typeArgs = append(b.typeArgs, tenant, t, pk)
	}
	for _, r := range minus(old.rows, next.rows) {
		nid, err := b.w.nameID(r.name)
		if err != nil {
			return err
		}
		if _, err := b.w.delAttr.Exec(nid, r.kind, r.value(), pk); err != nil {
			return err
		}
	}
	for _, r := range minus(next.rows, old.rows) {
		nid, err := b.w.nameID(r.name)
		if err != nil {
			return err
		}
		b.attrs = append(b.attrs, attrIns{nid: nid, row: r, pkey: pk})
	}
	for i, g := range old.geos {
		if i < len(next.geos) && next.geos[i] == g {
			continue
		}
		if _, err := b.w.delGeo.Exec(pk<<geoShift | int64(i)); err != nil {
			return err
		}
	}
	for i, g := range next.geos {
		if i < len(old.geos) && old.geos[i] == g {
			continue
		}
		b.geoArgs = append(b.geoArgs, pk<<geoShift|int64(i), g.minx, g.maxx, g.miny, g.maxy)
	}
	return nil
}

// insertAttrs inserts the queued attr_index rows in key order, which
// keeps the B-tree inserts local.
func (b *batchWrites) insertAttrs() error {
	slices.SortFunc(b.attrs, func(x, y attrIns) int {
		if c := cmp.Compare(x.nid, y.nid); c != 0 {
			return c
		}
		if c := cmp.Compare(x.row.kind, y.row.kind); c != 0 {
			return c
		}
		if c := x.row.compareValue(y.row); c != 0 {
			return c
		}
		return cmp.Compare(x.pkey, y.pkey)
	})
	args := b.w.rowArgs[:0]
	for _, a := range b.attrs {
		args = append(args, a.nid, a.row.kind, a.row.value(), a.pkey)
	}
	b.w.rowArgs = args[:0]
	return b.w.insertRows(insAttrsHead, 4, args)
}

// flushCounts applies the count changes, dropping counts that reach 0.
func (b *batchWrites) flushCounts() error {
	for k, d := range b.blocks {
		if d == 0 {
			continue
		}
		if _, err := b.w.addBlock.Exec(k.tenant, k.typ, k.block, d); err != nil {
			return err
		}
		if d < 0 {
			if _, err := b.w.dropBlock.Exec(k.tenant, k.typ, k.block); err != nil {
				return err
			}
		}
	}
	for k, d := range b.counts {
		if d == 0 {
			continue
		}
		if _, err := b.w.addCount.Exec(k.tenant, k.typ, k.attr.name, k.attr.attrType, d); err != nil {
			return err
		}
		if d < 0 {
			if _, err := b.w.dropCount.Exec(k.tenant, k.typ, k.attr.name, k.attr.attrType); err != nil {
				return err
			}
		}
	}
	return nil
}

// sortGeo orders geo_index rows (5 values each) by the Z-order of their
// boxes' corner, so that consecutive R-Tree inserts descend to the same
// nodes.
func sortGeo(args []any) []any {
	n := len(args) / 5
	if n < 2 {
		return args
	}
	type row struct {
		z    uint64
		vals []any
	}
	rows := make([]row, n)
	for i := range rows {
		vals := args[i*5 : i*5+5]
		rows[i] = row{zorder(vals[1].(float64), vals[3].(float64)), vals}
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Compare(a.z, b.z) })
	out := make([]any, 0, len(args))
	for _, r := range rows {
		out = append(out, r.vals...)
	}
	return out
}

// zorder interleaves the bits of lon and lat quantized to 32 bits.
func zorder(lon, lat float64) uint64 {
	q := func(v, lo, hi float64) uint64 {
		f := (v - lo) / (hi - lo)
		return uint64(min(max(f, 0), 1) * math.MaxUint32)
	}
	return spread(q(lon, -180, 180)) | spread(q(lat, -90, 90))<<1
}

// spread puts the 32 bits of x at the even bit positions.
func spread(x uint64) uint64 {
	x &= 0xFFFFFFFF
	x = (x | x<<16) & 0x0000FFFF0000FFFF
	x = (x | x<<8) & 0x00FF00FF00FF00FF
	x = (x | x<<4) & 0x0F0F0F0F0F0F0F0F
	x = (x | x<<2) & 0x3333333333333333
	x = (x | x<<1) & 0x5555555555555555
	return x
}

// minus returns the elements of a that are not in b.
func minus[T comparable](a, b []T) []T {
	if len(b) == 0 {
		return a
	}
	if len(a)*len(b) > 256 {
		set := make(map[T]bool, len(b))
		for _, y := range b {
			set[y] = true
		}
		var out []T
		for _, x := range a {
			if !set[x] {
				out = append(out, x)
			}
		}
		return out
	}
	var out []T
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// putContext stores c, replacing a context with the same id.
func (w *writeTx) putContext(c *store.StoredContext) error {
	_, err := w.insContext.Exec(c.ID, c.URL, c.Kind, c.Body, unixNanos(c.CreatedAt))
	return err
}

// deleteContext deletes the context id, failing with ResourceNotFound.
func (w *writeTx) deleteContext(id string) error {
	res, err := w.delContext.Exec(id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errors.Join(err, ngsild.Errorf(ngsild.ErrResourceNotFound, "context %s", id))
	}
	return nil
}

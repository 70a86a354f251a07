package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
)

// writeTx holds the writer connection's prepared statements; its methods
// run inside the writer's open transaction.
type writeTx struct {
	stmts                                             *stmtSet
	load1, insEntity, updEntity, delEntity, insTenant *sql.Stmt
	insType, delType, delAttr, delAttrs               *sql.Stmt
	delValue, delValues, insGeo, delGeo               *sql.Stmt
	insContext, delContext                            *sql.Stmt
	savepoint, release, rollbackTo                    *sql.Stmt
	begin, commit, rollback                           *sql.Stmt
	conn                                              *sql.Conn
	multi                                             map[multiKey]*sql.Stmt
}

// multiKey identifies a prepared multi-row INSERT: its verb and table
// (the SQL up to VALUES), columns per row and rows.
type multiKey struct {
	head       string
	cols, rows int
}

// Multi-row inserts of index rows, chunked by maxRows rows.
const (
	insAttrsHead  = "INSERT OR IGNORE INTO attrs(pk, name, attr_type) VALUES "
	putValuesHead = "INSERT OR REPLACE INTO attr_values(pk, name, seq, num, str, bool) VALUES "
	maxRows       = 32
)

// insertRows inserts rows (each of cols values) with one statement per
// maxRows rows.
func (w *writeTx) insertRows(head string, cols int, rows [][]any) error {
	for len(rows) > 0 {
		n := min(len(rows), maxRows)
		st, err := w.multiStmt(multiKey{head, cols, n})
		if err != nil {
			return err
		}
		args := make([]any, 0, n*cols)
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		if _, err := st.Exec(args...); err != nil {
			return err
		}
		rows = rows[n:]
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
		load1:      p("SELECT pk, doc FROM entities WHERE tenant = ? AND id = ?"),
		insEntity:  p("INSERT INTO entities(tenant, id, doc) VALUES(?, ?, ?)"),
		updEntity:  p("UPDATE entities SET doc = ? WHERE pk = ?"),
		delEntity:  p("DELETE FROM entities WHERE pk = ?"),
		insTenant:  p("INSERT OR IGNORE INTO tenants(name) VALUES(?)"),
		insType:    p("INSERT OR IGNORE INTO entity_types(tenant, type, pk) VALUES(?, ?, ?)"),
		delType:    p("DELETE FROM entity_types WHERE tenant = ? AND type = ? AND pk = ?"),
		delAttr:    p("DELETE FROM attrs WHERE pk = ? AND name = ? AND attr_type = ?"),
		delAttrs:   p("DELETE FROM attrs WHERE pk = ?"),
		delValue:   p("DELETE FROM attr_values WHERE pk = ? AND name = ? AND seq = ?"),
		delValues:  p("DELETE FROM attr_values WHERE pk = ?"),
		insGeo:     p("INSERT INTO geo_index(id, minx, maxx, miny, maxy, pk, name) VALUES(?, ?, ?, ?, ?, ?, ?)"),
		delGeo:     p("DELETE FROM geo_index WHERE id = ?"),
		insContext: p("INSERT OR REPLACE INTO contexts(id, url, kind, body, created_at) VALUES(?, ?, ?, ?, ?)"),
		delContext: p("DELETE FROM contexts WHERE id = ?"),
		begin:      p("BEGIN IMMEDIATE"),
		commit:     p("COMMIT"),
		rollback:   p("ROLLBACK"),
		savepoint:  p("SAVEPOINT m"),
		release:    p("RELEASE m"),
		rollbackTo: p("ROLLBACK TO m"),
	}
	if set.err != nil {
		set.close()
		return nil, set.err
	}
	return w, nil
}

func (w *writeTx) close() { w.stmts.close() }

func (w *writeTx) ensureTenant(tenant string) error {
	_, err := w.insTenant.Exec(tenant)
	return err
}

// current is the stored state of an entity: pk 0 and entity nil when absent.
type current struct {
	pk     int64
	entity *ngsild.Entity
}

// load reads and decodes an entity inside the transaction.
func (w *writeTx) load(tenant, id string) (current, error) {
	var c current
	var doc []byte
	err := w.load1.QueryRow(tenant, id).Scan(&c.pk, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return current{}, nil
	}
	if err != nil {
		return c, err
	}
	c.entity, err = store.DecodeEntity(doc)
	return c, err
}

// store writes next (nil: deletes) in place of the entity pk (0: none),
// whose index rows are old.
func (w *writeTx) store(tenant, id string, pk int64, old *entityIndex, next *ngsild.Entity) error {
	if next == nil {
		if _, err := w.delEntity.Exec(pk); err != nil {
			return err
		}
		return w.reindex(tenant, pk, old, indexOf(nil))
	}
	doc, err := store.EncodeEntity(next)
	if err != nil {
		return err
	}
	idx := indexOf(next)
	if len(idx.geos) > maxGeoRows {
		return ngsild.Errorf(ngsild.ErrBadRequestData, "entity %s has more than %d GeoProperty instances", id, maxGeoRows)
	}
	if pk == 0 {
		res, err := w.insEntity.Exec(tenant, id, doc)
		if err != nil {
			return err
		}
		if pk, err = res.LastInsertId(); err != nil {
			return err
		}
	} else if _, err := w.updEntity.Exec(doc, pk); err != nil {
		return err
	}
	return w.reindex(tenant, pk, old, idx)
}

// reindex changes the index rows of pk from old to next, touching only
// the rows that differ.
func (w *writeTx) reindex(tenant string, pk int64, old, next *entityIndex) error {
	if err := w.reindexTypes(tenant, pk, old.types, next.types); err != nil {
		return err
	}
	if err := w.reindexAttrs(pk, old.attrs, next.attrs); err != nil {
		return err
	}
	if err := w.reindexValues(pk, old.values, next.values); err != nil {
		return err
	}
	return w.reindexGeo(pk, old.geos, next.geos)
}

func (w *writeTx) reindexTypes(tenant string, pk int64, old, next []string) error {
	for _, t := range minus(old, next) {
		if _, err := w.delType.Exec(tenant, t, pk); err != nil {
			return err
		}
	}
	for _, t := range minus(next, old) {
		if _, err := w.insType.Exec(tenant, t, pk); err != nil {
			return err
		}
	}
	return nil
}

func (w *writeTx) reindexAttrs(pk int64, old, next []attrKey) error {
	if len(next) == 0 && len(old) > 0 {
		_, err := w.delAttrs.Exec(pk)
		return err
	}
	for _, a := range minus(old, next) {
		if _, err := w.delAttr.Exec(pk, a.name, a.attrType); err != nil {
			return err
		}
	}
	var rows [][]any
	for _, a := range minus(next, old) {
		rows = append(rows, []any{pk, a.name, a.attrType})
	}
	return w.insertRows(insAttrsHead, 3, rows)
}

func (w *writeTx) reindexValues(pk int64, old, next map[valueKey]scalar) error {
	if len(next) == 0 && len(old) > 0 {
		_, err := w.delValues.Exec(pk)
		return err
	}
	for k := range old {
		if _, ok := next[k]; !ok {
			if _, err := w.delValue.Exec(pk, k.name, k.seq); err != nil {
				return err
			}
		}
	}
	var rows [][]any
	for k, v := range next {
		if o, ok := old[k]; ok && o == v {
			continue
		}
		rows = append(rows, []any{pk, k.name, k.seq, v.numArg(), v.strArg(), v.boolArg()})
	}
	return w.insertRows(putValuesHead, 6, rows)
}

func (w *writeTx) reindexGeo(pk int64, old, next []geoRow) error {
	for i, g := range old {
		if i < len(next) && next[i] == g {
			continue
		}
		if _, err := w.delGeo.Exec(pk<<geoShift | int64(i)); err != nil {
			return err
		}
	}
	for i, g := range next {
		if i < len(old) && old[i] == g {
			continue
		}
		if _, err := w.insGeo.Exec(pk<<geoShift|int64(i), g.minx, g.maxx, g.miny, g.maxy, pk, g.name); err != nil {
			return err
		}
	}
	return nil
}

// minus returns the elements of a that are not in b.
func minus[T comparable](a, b []T) []T {
	var out []T
	for _, x := range a {
		found := false
		for _, y := range b {
			if x == y {
				found = true
				break
			}
		}
		if !found {
			out = append(out, x)
		}
	}
	return out
}

func (v scalar) numArg() any {
	if v.kind == 'n' {
		return v.num
	}
	return nil
}

func (v scalar) strArg() any {
	if v.kind == 's' {
		return v.str
	}
	return nil
}

func (v scalar) boolArg() any {
	if v.kind == 'b' {
		return v.b
	}
	return nil
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

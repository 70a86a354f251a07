package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dothi-city/dothi/internal/geo"
	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/ngsild/qlang"
	"github.com/dothi-city/dothi/internal/store"
)

// plan is a query translated to SQL conditions on "entities e", plus the
// Go filters for what SQL selects only approximately (a superset).
type plan struct {
	where   []string
	args    []any
	filters []func(*ngsild.Entity) bool
	// drives is set once a condition lists candidate entities by index.
	drives bool
}

// exact reports whether the SQL conditions alone select the matches.
func (p *plan) exact() bool { return len(p.filters) == 0 }

func (p *plan) add(cond string, args ...any) {
	p.where = append(p.where, cond)
	p.args = append(p.args, args...)
}

func (p *plan) whereSQL() string { return strings.Join(p.where, " AND ") }

// jsonList encodes a list for "IN (SELECT value FROM json_each(?))", which
// keeps the SQL text (and so the prepared statement) independent of its length.
func jsonList(list []string) string {
	b, _ := json.Marshal(list)
	return string(b)
}

// planQuery translates q for tenant. Conditions that list few entities
// (ids, q terms, geo boxes) come first; when there is one, types and
// attributes are probed per candidate rather than listed.
func planQuery(tenant string, q *store.Query) *plan {
	p := &plan{}
	p.add("e.tenant = ?", tenant)
	if len(q.IDs) > 0 {
		p.add("e.id IN (SELECT value FROM json_each(?))", jsonList(q.IDs))
		p.drives = true
	}
	if q.IDPattern != nil {
		p.add("dothi_regexp(?, e.id)", q.IDPattern.String())
	}
	if q.Q != nil {
		p.planQ(q.Q)
	}
	if q.Geo != nil {
		p.planGeo(q.Geo)
	}
	if q.Types != nil {
		p.planTypes(tenant, q.Types)
	}
	if len(q.Attrs) > 0 {
		p.planAttrs(q.Attrs)
	}
	return p
}

func (p *plan) planTypes(tenant string, te qlang.TypeExpr) {
	var c sqlCond
	if c.types(tenant, te, p.drives) {
		p.add(c.sql.String(), c.args...)
		p.drives = true
		return
	}
	p.filters = append(p.filters, func(e *ngsild.Entity) bool { return te.Match(e.Types) })
}

func (p *plan) planAttrs(names []string) {
	p.add("e.pk IN (SELECT pk FROM attr_index WHERE nid IN (SELECT id FROM names WHERE name IN (SELECT value FROM json_each(?))))",
		jsonList(names))
	p.drives = true
}

func (p *plan) planQ(q qlang.Expr) {
	var c sqlCond
	exact, ok := c.expr(q)
	if ok {
		p.add(c.sql.String(), c.args...)
		p.drives = p.drives || c.drives
	}
	if !ok || !exact {
		p.filters = append(p.filters, q.Match)
	}
}

// planGeo narrows by bounding box (or by the presence of the GeoProperty)
// and filters with gq.Match: an entity matches when any instance of the
// GeoProperty does, as q terms match any instance.
func (p *plan) planGeo(gq *geo.Query) {
	prop := gq.Property
	if prop == "" {
		prop = ngsild.IRILocation
	}
	if minx, miny, maxx, maxy, ok := gq.SearchBounds(); ok {
		// Neither name nor pk, auxiliary columns that cost a lookup per
		// row, are read: the pk is in the id, the Go filter checks the name.
		p.add(`e.pk IN (SELECT id >> `+strconv.Itoa(geoShift)+` FROM geo_index WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?)`,
			maxx, minx, maxy, miny)
		p.drives = true
	} else {
		p.add("e.pk IN (SELECT pk FROM attr_index WHERE nid = "+nameIDSQL+" AND kind = "+strconv.Itoa(kindPresence)+" AND v = ?)",
			prop, ngsild.TypeGeoProperty)
	}
	p.filters = append(p.filters, geoFilter(gq))
}

// geoFilter is the Go filter of a geo-query.
func geoFilter(gq *geo.Query) func(*ngsild.Entity) bool {
	prop := gq.Property
	if prop == "" {
		prop = ngsild.IRILocation
	}
	return func(e *ngsild.Entity) bool {
		for _, a := range e.Attrs[prop] {
			if a.Type == ngsild.TypeGeoProperty && gq.Match(a.Geometry) {
				return true
			}
		}
		return false
	}
}

// Query runs q in one read transaction; see store.Reader. Entities come in
// the order they were created (a replaced entity keeps its place); a
// negative Limit returns every match.
func (s *Store) Query(ctx context.Context, tenant string, q *store.Query) (*store.Result, error) {
	end, err := s.begin()
	if err != nil {
		return nil, err
	}
	defer end()
	if err := s.checkTenant(ctx, tenant); err != nil {
		return nil, err
	}
	res := &store.Result{Count: -1}
	if q.Limit == 0 && !q.Count {
		return res, nil
	}
	if typ, ok := pagedByBlocks(q); ok {
		return s.queryBlocks(ctx, tenant, typ, q)
	}
	p := planQuery(tenant, q)
	sc := planScan(tenant, q)
	// Statements are prepared before the transaction takes a connection, so
	// that no reader waits for a pooled connection while holding one.
	st, err := s.prepareQuery(ctx, p, q)
	if err != nil {
		return nil, err
	}
	defer st.release()
	if sc != nil {
		defer sc.release()
		if err := sc.prepare(ctx, &s.qcache); err != nil {
			return nil, err
		}
	}
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	useScan := false
	if sc != nil {
		if useScan, err = sc.worthIt(ctx, tx, q); err != nil {
			return nil, err
		}
	}
	switch {
	case useScan:
		err = queryFiltered(ctx, tx, sc.scan, &plan{args: sc.args, filters: sc.filters}, q, res)
	case p.exact():
		err = queryExact(ctx, tx, st, p, q, res)
	default:
		err = queryFiltered(ctx, tx, st.page, p, q, res)
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// queryStmts are the statements of one query: count (exact plans with
// Count) and page (the entities).
type queryStmts struct {
	count, page *cachedStmt
}

func (q *queryStmts) release() {
	q.count.release()
	q.page.release()
}

// prepareQuery gets the statements that p needs.
func (s *Store) prepareQuery(ctx context.Context, p *plan, q *store.Query) (*queryStmts, error) {
	where := p.whereSQL()
	st := &queryStmts{}
	var err error
	switch {
	case !p.exact():
		st.page, err = s.qcache.get(ctx, "SELECT e.pk, e.doc FROM entities e WHERE "+where+" ORDER BY e.pk")
		return st, err
	case q.Count:
		if st.count, err = s.qcache.get(ctx, "SELECT count(*) FROM entities e WHERE "+where); err != nil {
			return st, err
		}
	}
	if q.Limit != 0 {
		st.page, err = s.qcache.get(ctx, "SELECT pk, doc FROM entities WHERE pk IN (SELECT e.pk FROM entities e WHERE "+
			where+" ORDER BY e.pk LIMIT ? OFFSET ?) ORDER BY pk")
	}
	if err != nil {
		st.release()
	}
	return st, err
}

// sqlLimit maps Limit to SQL: negative means no limit.
func sqlLimit(limit int) int {
	if limit < 0 {
		return -1
	}
	return limit
}

// queryExact lets SQL count and page: skipped rows are stepped over in an
// index, their documents never read.
func queryExact(ctx context.Context, tx *sql.Tx, st *queryStmts, p *plan, q *store.Query, res *store.Result) error {
	if q.Count {
		if err := tx.StmtContext(ctx, st.count.st).QueryRowContext(ctx, p.args...).Scan(&res.Count); err != nil {
			return err
		}
	}
	if q.Limit == 0 {
		return nil
	}
	args := append(append([]any(nil), p.args...), sqlLimit(q.Limit), max(q.Offset, 0))
	return eachDoc(ctx, tx.StmtContext(ctx, st.page.st), args, func(e *ngsild.Entity) bool {
		res.Entities = append(res.Entities, e)
		return true
	})
}

// queryFiltered streams the SQL candidates in pk order through the Go
// filters, skipping Offset matches and collecting Limit.
func queryFiltered(ctx context.Context, tx *sql.Tx, st *cachedStmt, p *plan, q *store.Query, res *store.Result) error {
	matched := 0
	err := eachDoc(ctx, tx.StmtContext(ctx, st.st), p.args, func(e *ngsild.Entity) bool {
		for _, f := range p.filters {
			if !f(e) {
				return true
			}
		}
		matched++
		if matched > q.Offset && (q.Limit < 0 || len(res.Entities) < q.Limit) {
			res.Entities = append(res.Entities, e)
		}
		return q.Count || q.Limit < 0 || len(res.Entities) < q.Limit
	})
	if q.Count {
		res.Count = matched
	}
	return err
}

// eachDoc runs st and calls fn with each decoded entity until fn returns false.
func eachDoc(ctx context.Context, st *sql.Stmt, args []any, fn func(*ngsild.Entity) bool) error {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var pk int64
	var doc sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&pk, &doc); err != nil {
			return err
		}
		e, err := store.DecodeEntity(doc)
		if err != nil {
			return err
		}
		docsDecoded.Add(1)
		if !fn(e) {
			break
		}
	}
	return rows.Err()
}

// docsDecoded counts the documents queries decoded (for tests).
var docsDecoded atomic.Int64

// stmtCache keeps prepared query statements by SQL text. The text depends
// only on the shape of a query, never on user values.
type stmtCache struct {
	db    *sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// maxCachedStmts bounds the cache; past it statements are prepared per use.
const maxCachedStmts = 512

// cachedStmt is a statement from the cache, or one of its own (owned) to
// close after use.
type cachedStmt struct {
	st    *sql.Stmt
	owned bool
}

// release closes an owned statement.
func (c *cachedStmt) release() {
	if c != nil && c.owned {
		c.st.Close()
	}
}

// get returns query prepared on the pool. It must not be called while
// holding a pooled connection.
func (c *stmtCache) get(ctx context.Context, query string) (*cachedStmt, error) {
	c.mu.Lock()
	st, ok := c.stmts[query]
	c.mu.Unlock()
	if ok {
		return &cachedStmt{st: st}, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.stmts[query]; ok {
		st.Close()
		return &cachedStmt{st: prev}, nil
	}
	if c.stmts == nil || len(c.stmts) >= maxCachedStmts {
		return &cachedStmt{st: st, owned: true}, nil
	}
	c.stmts[query] = st
	return &cachedStmt{st: st}, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts = nil
}

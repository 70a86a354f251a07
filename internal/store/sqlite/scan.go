package sqlite

import (
	"context"
	"database/sql"
	"math"
	"strconv"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/ngsild/qlang"
	"github.com/dothi-city/dothi/internal/store"
)

// Two ways to answer a query with a q term or a geo-query and a small
// page: list the candidates from attr_index or geo_index (the plan of
// planQuery: cheap when the condition is selective, but SQLite must list
// and sort every candidate before it can return the first page), or walk
// the type's (or tenant's) entities in pk order and filter them in Go,
// stopping after the page (cheap when the condition is not selective). A
// bounded count of each condition's candidates chooses between them.

// The choice compares estimated costs: listing costs about the same per
// candidate for both indexes, walking costs per entity stepped over
// skipCost times as much (decoding a document for a q term; an R-Tree
// lookup by id for a geo-query). With T entities to walk (of the type or
// tenant) and a page ending at row P, walking steps over about P·T/C
// entities for C candidates; it wins when C² > P·T·skipCost.
const (
	skipCostQ   = 28
	skipCostGeo = 2
	// maxScanOffset bounds the offsets the walk serves.
	maxScanOffset = 1000
)

// forceScan makes every eligible query walk (for tests).
var forceScan = false

// scanPlan is the walk alternative of a query.
type scanPlan struct {
	scanSQL    string
	args       []any
	totalArgs  []any
	skipCost   float64
	total      *cachedStmt
	filters    []func(*ngsild.Entity) bool
	probeSQL   []string
	probeArgs  [][]any
	scan       *cachedStmt
	probeStmts []*cachedStmt
}

// planScan returns the walk alternative of q, or nil when q does not
// qualify: a bounded page near the start without count, conditions that are only
// a type name, one q comparison and a geo-query.
func planScan(tenant string, q *store.Query) *scanPlan {
	if q.Limit <= 0 || q.Count || q.Offset > maxScanOffset || len(q.IDs) > 0 || q.IDPattern != nil ||
		len(q.Attrs) > 0 || (q.Q == nil && q.Geo == nil) {
		return nil
	}
	sc := &scanPlan{skipCost: skipCostGeo}
	switch t := q.Types.(type) {
	case nil:
		sc.scanSQL = "SELECT e.pk, e.doc FROM entities e INDEXED BY entities_tenant WHERE e.tenant = ?"
		sc.args, sc.totalArgs = []any{tenant}, []any{tenant, ""}
	case *qlang.TypeName:
		sc.scanSQL = "SELECT e.pk, e.doc FROM entity_types t CROSS JOIN entities e ON e.pk = t.pk " +
			"WHERE t.tenant = ? AND t.type = ?"
		sc.args, sc.totalArgs = []any{tenant, t.Name}, []any{tenant, t.Name}
	default:
		return nil
	}
	if q.Q != nil {
		x, ok := q.Q.(*qlang.Compare)
		if !ok || !plainAttr(&x.Selector) || x.Op == qlang.OpNe || x.Op == qlang.OpNotMatch {
			return nil
		}
		var hit sqlCond
		if !hit.valueHit(x) {
			return nil
		}
		sc.probeSQL = append(sc.probeSQL, "SELECT 1 FROM attr_index WHERE nid = "+nameIDSQL+" AND "+hit.sql.String())
		sc.probeArgs = append(sc.probeArgs, append([]any{x.Attr}, hit.args...))
		sc.filters = append(sc.filters, q.Q.Match)
		sc.skipCost = skipCostQ
	}
	if q.Geo != nil {
		minx, miny, maxx, maxy, ok := q.Geo.SearchBounds()
		if !ok {
			return nil
		}
		sc.probeSQL = append(sc.probeSQL, "SELECT 1 FROM geo_index WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?")
		sc.probeArgs = append(sc.probeArgs, []any{maxx, minx, maxy, miny})
		sc.filters = append(sc.filters, geoFilter(q.Geo))
		// Skip, without reading its document, an entity whose only
		// GeoProperty instance (R-Tree id pk<<geoShift) misses the box.
		// Entities with a second instance are left to the Go filter.
		sc.scanSQL += " AND (EXISTS (SELECT 1 FROM geo_index WHERE id = e.pk << " + strconv.Itoa(geoShift) +
			" AND minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?)" +
			" OR EXISTS (SELECT 1 FROM geo_index WHERE id = (e.pk << " + strconv.Itoa(geoShift) + ") + 1))"
		sc.args = append(sc.args, maxx, minx, maxy, miny)
	}
	if q.Types == nil {
		sc.scanSQL += " ORDER BY e.pk"
	} else {
		sc.scanSQL += " ORDER BY t.pk" // the index order: no sort
	}
	return sc
}

// prepare gets the walk's and the probes' statements.
func (sc *scanPlan) prepare(ctx context.Context, c *stmtCache) error {
	var err error
	if sc.scan, err = c.get(ctx, sc.scanSQL); err != nil {
		return err
	}
	if sc.total, err = c.get(ctx, "SELECT coalesce(sum(n), 0) FROM type_blocks WHERE tenant = ? AND type = ?"); err != nil {
		return err
	}
	for _, p := range sc.probeSQL {
		st, err := c.get(ctx, "SELECT count(*) FROM ("+p+" LIMIT ?)")
		if err != nil {
			return err
		}
		sc.probeStmts = append(sc.probeStmts, st)
	}
	return nil
}

func (sc *scanPlan) release() {
	sc.scan.release()
	sc.total.release()
	for _, st := range sc.probeStmts {
		st.release()
	}
}

// worthIt reports whether walking should find the page sooner than
// listing the candidates of every condition (see skipCostQ).
func (sc *scanPlan) worthIt(ctx context.Context, tx *sql.Tx, q *store.Query) (bool, error) {
	if forceScan {
		return true, nil
	}
	var total float64
	if err := tx.StmtContext(ctx, sc.total.st).QueryRowContext(ctx, sc.totalArgs...).Scan(&total); err != nil {
		return false, err
	}
	limit := int64(math.Ceil(math.Sqrt(float64(q.Offset+q.Limit) * total * sc.skipCost)))
	for i, st := range sc.probeStmts {
		var n int64
		args := append(append([]any(nil), sc.probeArgs[i]...), limit)
		if err := tx.StmtContext(ctx, st.st).QueryRowContext(ctx, args...).Scan(&n); err != nil {
			return false, err
		}
		if n < limit {
			return false, nil
		}
	}
	return true, nil
}

package sqlite

import (
	"context"
	"database/sql"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/ngsild/qlang"
	"github.com/dothi-city/dothi/internal/store"
)

// Queries that select by tenant and at most one type name are paged with
// type_blocks, which counts the entities of each type per block of 4096
// consecutive pks: the counts give the total and the block where the
// offset falls, so that SQLite steps over fewer than 4096 index rows
// whatever the offset. The counts are written in the same transaction as
// the entities, so a read transaction sees them consistent.

// pagedByBlocks reports whether q selects by type name only (typ, "" for
// every type) and is paged with type_blocks.
func pagedByBlocks(q *store.Query) (typ string, ok bool) {
	if len(q.IDs) > 0 || q.IDPattern != nil || q.Q != nil || q.Geo != nil || len(q.Attrs) > 0 {
		return "", false
	}
	switch t := q.Types.(type) {
	case nil:
		return "", true
	case *qlang.TypeName:
		return t.Name, t.Name != ""
	}
	return "", false
}

// Statements of the block paging.
const (
	blocksSQL     = "SELECT block, n FROM type_blocks WHERE tenant = ? AND type = ? ORDER BY block"
	pageAllSQL    = "SELECT pk, doc FROM entities WHERE pk IN (SELECT pk FROM entities INDEXED BY entities_tenant WHERE tenant = ? AND pk >= ? ORDER BY pk LIMIT ? OFFSET ?) ORDER BY pk"
	pageOfTypeSQL = "SELECT pk, doc FROM entities WHERE pk IN (SELECT pk FROM entity_types WHERE tenant = ? AND type = ? AND pk >= ? ORDER BY pk LIMIT ? OFFSET ?) ORDER BY pk"
)

// queryBlocks answers a query that pagedByBlocks accepts.
func (s *Store) queryBlocks(ctx context.Context, tenant, typ string, q *store.Query) (*store.Result, error) {
	res := &store.Result{Count: -1}
	blocks, err := s.qcache.get(ctx, blocksSQL)
	if err != nil {
		return nil, err
	}
	defer blocks.release()
	pageSQL := pageOfTypeSQL
	if typ == "" {
		pageSQL = pageAllSQL
	}
	page, err := s.qcache.get(ctx, pageSQL)
	if err != nil {
		return nil, err
	}
	defer page.release()
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	offset := max(q.Offset, 0)
	total, start, skip := 0, int64(-1), 0
	err = scanRows(ctx, tx.StmtContext(ctx, blocks.st), []any{tenant, typ}, func(rows *sql.Rows) error {
		var block int64
		var n int
		if err := rows.Scan(&block, &n); err != nil {
			return err
		}
		if start < 0 && total+n > offset {
			start, skip = block, offset-total
		}
		total += n
		return nil
	})
	if err != nil {
		return nil, err
	}
	if q.Count {
		res.Count = total
	}
	if q.Limit == 0 || start < 0 {
		return res, nil
	}
	args := []any{tenant}
	if typ != "" {
		args = append(args, typ)
	}
	args = append(args, start<<blockShift, sqlLimit(q.Limit), skip)
	err = eachDoc(ctx, tx.StmtContext(ctx, page.st), args, func(e *ngsild.Entity) bool {
		res.Entities = append(res.Entities, e)
		return true
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

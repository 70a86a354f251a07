package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
)

// readStmts are the fixed read statements, prepared on the read pool.
type readStmts struct {
	set                      *stmtSet
	entity, tenant, tenants  *sql.Stmt
	sumTypes, sumAttrs       *sql.Stmt
	getContext, listContexts *sql.Stmt
}

func prepareReads(ctx context.Context, db *sql.DB) (*readStmts, error) {
	set := &stmtSet{}
	p := func(q string) *sql.Stmt { return set.prep(ctx, db, q) }
	r := &readStmts{set: set,
		entity:       p("SELECT doc FROM entities WHERE tenant = ? AND id = ?"),
		tenant:       p("SELECT 1 FROM tenants WHERE name = ?"),
		tenants:      p("SELECT name FROM tenants ORDER BY name"),
		sumTypes:     p("SELECT type, sum(n) FROM type_blocks WHERE tenant = ? AND type != '' GROUP BY type HAVING sum(n) > 0"),
		sumAttrs:     p("SELECT type, name, attr_type, n FROM attr_counts WHERE tenant = ? AND n > 0"),
		getContext:   p("SELECT id, url, kind, body, created_at FROM contexts WHERE id = ?"),
		listContexts: p("SELECT id, url, kind, body, created_at FROM contexts ORDER BY id"),
	}
	if set.err != nil {
		set.close()
		return nil, set.err
	}
	return r, nil
}

func (r *readStmts) close() { r.set.close() }

// Write applies muts through the writer goroutine; see store.Writer.
func (s *Store) Write(ctx context.Context, tenant string, muts []store.Mutation) ([]error, error) {
	end, err := s.begin()
	if err != nil {
		return nil, err
	}
	defer end()
	r := &request{ctx: ctx, tenant: tenant, muts: muts}
	s.w.submit(r)
	if r.err != nil {
		errs := make([]error, len(muts))
		for i := range errs {
			errs[i] = r.err
		}
		return errs, r.err
	}
	return r.errs, nil
}

// writeOp runs op in the writer's transaction.
func (s *Store) writeOp(ctx context.Context, op func(*writeTx) error) error {
	end, err := s.begin()
	if err != nil {
		return err
	}
	defer end()
	r := &request{ctx: ctx, op: op}
	s.w.submit(r)
	return r.err
}

// Entity returns one entity; see store.Reader.
func (s *Store) Entity(ctx context.Context, tenant, id string) (*ngsild.Entity, error) {
	end, err := s.begin()
	if err != nil {
		return nil, err
	}
	defer end()
	var doc []byte
	err = s.reads.entity.QueryRowContext(ctx, tenant, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		if err := s.checkTenant(ctx, tenant); err != nil {
			return nil, err
		}
		return nil, ngsild.Errorf(ngsild.ErrResourceNotFound, "entity %s", id)
	}
	if err != nil {
		return nil, err
	}
	return store.DecodeEntity(doc)
}

// checkTenant returns a NonexistentTenant Problem unless tenant exists.
// The default tenant always exists.
func (s *Store) checkTenant(ctx context.Context, tenant string) error {
	if tenant == store.DefaultTenant {
		return nil
	}
	if _, ok := s.tenants.Load(tenant); ok {
		return nil
	}
	var one int
	err := s.reads.tenant.QueryRowContext(ctx, tenant).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return ngsild.Errorf(ngsild.ErrNonexistentTenant, "tenant %q", tenant)
	}
	if err == nil {
		s.tenants.Store(tenant, true)
	}
	return err
}

// Tenants lists the tenants written to, sorted.
func (s *Store) Tenants(ctx context.Context) ([]string, error) {
	end, err := s.begin()
	if err != nil {
		return nil, err
	}
	defer end()
	rows, err := s.reads.tenants.QueryContext(ctx)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out = append(out, name)
	}
	return out, rows.Err()
}

// Summary reads the counts of types and attributes that the writer keeps.
func (s *Store) Summary(ctx context.Context, tenant string) (*store.Summary, error) {
	end, err := s.begin()
	if err != nil {
		return nil, err
	}
	defer end()
	if err := s.checkTenant(ctx, tenant); err != nil {
		return nil, err
	}
	tx, err := s.rdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	sum := &store.Summary{Types: map[string]int{}}
	err = scanRows(ctx, tx.StmtContext(ctx, s.reads.sumTypes), []any{tenant}, func(rows *sql.Rows) error {
		var typ string
		var n int
		err := rows.Scan(&typ, &n)
		sum.Types[typ] = n
		return err
	})
	if err != nil {
		return nil, err
	}
	err = scanRows(ctx, tx.StmtContext(ctx, s.reads.sumAttrs), []any{tenant}, func(rows *sql.Rows) error {
		var a store.AttrStat
		err := rows.Scan(&a.EntityType, &a.Name, &a.AttrType, &a.Count)
		sum.Attrs = append(sum.Attrs, a)
		return err
	})
	return sum, err
}

// scanRows runs st with args and calls fn for each row.
func scanRows(ctx context.Context, st *sql.Stmt, args []any, fn func(*sql.Rows) error) error {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// PutContext stores c; see store.ContextStore.
func (s *Store) PutContext(ctx context.Context, c *store.StoredContext) error {
	return s.writeOp(ctx, func(w *writeTx) error { return w.putContext(c) })
}

// DeleteContext deletes a context or returns a ResourceNotFound Problem.
func (s *Store) DeleteContext(ctx context.Context, id string) error {
	return s.writeOp(ctx, func(w *writeTx) error { return w.deleteContext(id) })
}

// GetContext returns a context or a ResourceNotFound Problem.
func (s *Store) GetContext(ctx context.Context, id string) (*store.StoredContext, error) {
	end, err := s.begin()
	if err != nil {
		return nil, err
	}
	defer end()
	c, err := scanContext(s.reads.getContext.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ngsild.Errorf(ngsild.ErrResourceNotFound, "context %s", id)
	}
	return c, err
}

// ListContexts returns every stored context, by id.
func (s *Store) ListContexts(ctx context.Context) ([]*store.StoredContext, error) {
	end, err := s.begin()
	if err != nil {
		return nil, err
	}
	defer end()
	var out []*store.StoredContext
	err = scanRows(ctx, s.reads.listContexts, nil, func(rows *sql.Rows) error {
		c, err := scanContext(rows)
		out = append(out, c)
		return err
	})
	return out, err
}

// scanContext reads a contexts row.
func scanContext(row interface{ Scan(...any) error }) (*store.StoredContext, error) {
	c := &store.StoredContext{}
	var created int64
	if err := row.Scan(&c.ID, &c.URL, &c.Kind, &c.Body, &created); err != nil {
		return nil, err
	}
	c.CreatedAt = fromUnixNanos(created)
	return c, nil
}

// unixNanos returns t in Unix nanoseconds, 0 for the zero time.
func unixNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromUnixNanos inverts unixNanos.
func fromUnixNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
)

// request is one Write call (muts) or one other write operation (op).
type request struct {
	ctx    context.Context
	tenant string
	muts   []store.Mutation
	op     func(tx *writeTx) error
	errs   []error
	err    error
	done   chan struct{}
}

// writer owns the writing connection; loop runs in its own goroutine and
// commits batches of requests.
type writer struct {
	conn     *sql.Conn
	tx       *writeTx
	reqs     chan *request
	maxBatch int
	tenants  *sync.Map
	stopped  chan struct{}
	// broken is set when a savepoint could not be rolled back: the batch's
	// transaction can no longer be trusted and is rolled back whole.
	broken error
	// commits counts committed transactions (for tests).
	commits atomic.Int64
}

func newWriter(ctx context.Context, conn *sql.Conn, maxBatch int, tenants *sync.Map) (*writer, error) {
	tx, err := prepareWrites(ctx, conn)
	if err != nil {
		return nil, err
	}
	return &writer{conn: conn, tx: tx, reqs: make(chan *request, 256), maxBatch: maxBatch,
		tenants: tenants, stopped: make(chan struct{})}, nil
}

// submit queues r and waits until it is committed or failed.
func (w *writer) submit(r *request) {
	r.done = make(chan struct{})
	select {
	case w.reqs <- r:
	case <-r.ctx.Done():
		r.err = r.ctx.Err()
		return
	}
	<-r.done
}

// loop commits batches until reqs is closed.
func (w *writer) loop() {
	defer close(w.stopped)
	for first := range w.reqs {
		batch := w.gather(first)
		w.commit(batch)
		for _, r := range batch {
			close(r.done)
		}
	}
}

// gather returns first plus the requests already queued, up to maxBatch
// mutations.
func (w *writer) gather(first *request) []*request {
	batch := []*request{first}
	n := len(first.muts) + 1
	for n < w.maxBatch {
		select {
		case r, ok := <-w.reqs:
			if !ok {
				return batch
			}
			batch = append(batch, r)
			n += len(r.muts) + 1
		default:
			return batch
		}
	}
	return batch
}

// commit runs batch in one transaction. When the transaction cannot begin
// or commit, every request fails with that error.
func (w *writer) commit(batch []*request) {
	if _, err := w.tx.begin.Exec(); err != nil {
		failAll(batch, fmt.Errorf("sqlite: begin: %w", err))
		return
	}
	w.broken = nil
	var created []string
	for _, r := range batch {
		switch {
		case w.broken != nil:
		case r.ctx.Err() != nil:
			r.err = r.ctx.Err()
		case r.op != nil:
			r.err = w.savepoint(func() error { return r.op(w.tx) })
		default:
			w.runMutations(r, &created)
		}
	}
	if w.broken != nil {
		w.tx.rollback.Exec()
		failAll(batch, fmt.Errorf("sqlite: transaction aborted: %w", w.broken))
		return
	}
	if _, err := w.tx.commit.Exec(); err != nil {
		w.tx.rollback.Exec()
		failAll(batch, fmt.Errorf("sqlite: commit: %w", err))
		return
	}
	w.commits.Add(1)
	for _, t := range created {
		w.tenants.Store(t, true)
	}
}

func failAll(batch []*request, err error) {
	for _, r := range batch {
		r.err = err
		for i := range r.errs {
			r.errs[i] = err
		}
	}
}

// runMutations creates r's tenant if needed (adding it to created) and
// applies the mutations of r in order.
func (w *writer) runMutations(r *request, created *[]string) {
	r.errs = make([]error, len(r.muts))
	if _, known := w.tenants.Load(r.tenant); !known && !slices.Contains(*created, r.tenant) {
		if err := w.tx.ensureTenant(r.tenant); err != nil {
			failAll([]*request{r}, err)
			return
		}
		*created = append(*created, r.tenant)
	}
	for i, m := range r.muts {
		if w.broken != nil {
			return
		}
		r.errs[i] = w.mutate(r.tenant, m)
	}
}

// mutate applies one mutation: it loads the entity, calls Apply, and
// stores the result inside a savepoint.
func (w *writer) mutate(tenant string, m store.Mutation) error {
	cur, err := w.tx.load(tenant, m.ID)
	if err != nil {
		return err
	}
	oldIdx := indexOf(cur.entity)
	next, err := safeApply(m, cur.entity)
	if err != nil {
		return err
	}
	if next != nil && next.ID != m.ID {
		if next.ID != "" {
			return ngsild.Errorf(ngsild.ErrBadRequestData, "mutation of %s returned entity %s", m.ID, next.ID)
		}
		next.ID = m.ID
	}
	if next == nil && cur.pk == 0 {
		return nil
	}
	return w.savepoint(func() error { return w.tx.store(tenant, m.ID, cur.pk, oldIdx, next) })
}

// safeApply calls m.Apply, turning a panic into an error.
func safeApply(m store.Mutation, old *ngsild.Entity) (e *ngsild.Entity, err error) {
	defer func() {
		if p := recover(); p != nil {
			e, err = nil, fmt.Errorf("sqlite: mutation of %s panicked: %v", m.ID, p)
		}
	}()
	return m.Apply(old)
}

// savepoint runs fn inside a SAVEPOINT, rolled back when fn fails or panics.
func (w *writer) savepoint(fn func() error) error {
	if _, err := w.tx.savepoint.Exec(); err != nil {
		return err
	}
	if err := recovered(fn); err != nil {
		_, rerr := w.tx.rollbackTo.Exec()
		_, relErr := w.tx.release.Exec()
		if rerr != nil || relErr != nil {
			w.broken = errors.Join(rerr, relErr)
		}
		return err
	}
	if _, err := w.tx.release.Exec(); err != nil {
		w.broken = err
		return err
	}
	return nil
}

// recovered calls fn, turning a panic into an error so that the writer
// goroutine survives it.
func recovered(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("sqlite: write panicked: %v", p)
		}
	}()
	return fn()
}

// stop closes the queue, waits for the loop to finish and closes the connection.
func (w *writer) stop() error {
	close(w.reqs)
	<-w.stopped
	// Let SQLite refresh the planner statistics it finds stale, sampling
	// (analysis_limit) so that closing a large database stays quick.
	ctx := context.Background()
	_, err := w.conn.ExecContext(ctx, "PRAGMA analysis_limit = 400")
	if err == nil {
		_, err = w.conn.ExecContext(ctx, "PRAGMA optimize")
	}
	return errors.Join(err, w.close())
}

// close releases the statements and the connection.
func (w *writer) close() error {
	w.tx.close()
	return w.conn.Close()
}

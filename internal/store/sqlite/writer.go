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

// commit runs batch in one transaction. Mutations are applied in Go first
// (an Apply or encoding error is the mutation's own and writes nothing);
// then the net change of every touched entity is written with batched
// statements, so no per-mutation savepoint is needed. A failing statement
// or commit is a failure of the store: the transaction is rolled back and
// every request of the batch fails with that error.
func (w *writer) commit(batch []*request) {
	if _, err := w.tx.begin.Exec(); err != nil {
		failAll(batch, fmt.Errorf("sqlite: begin: %w", err))
		return
	}
	created, err := w.run(batch)
	if err == nil {
		if _, err = w.tx.commit.Exec(); err != nil {
			err = fmt.Errorf("sqlite: commit: %w", err)
		}
	}
	if err != nil {
		w.tx.rollback.Exec()
		w.tx.aborted()
		failAll(batch, err)
		return
	}
	w.tx.committed()
	w.commits.Add(1)
	for _, t := range created {
		w.tenants.Store(t, true)
	}
}

// run does the work of batch inside the open transaction and returns the
// tenants it created.
func (w *writer) run(batch []*request) (created []string, err error) {
	b := newBatchWrites(w.tx)
	var live []*request
	for _, r := range batch {
		switch {
		case r.ctx.Err() != nil:
			r.err = r.ctx.Err()
		case r.op != nil:
			// Operations on contexts are single statements, atomic by
			// themselves and independent of entities.
			r.err = recovered(func() error { return r.op(w.tx) })
		default:
			if _, known := w.tenants.Load(r.tenant); !known && !slices.Contains(created, r.tenant) {
				if err := w.tx.ensureTenant(r.tenant); err != nil {
					return nil, fmt.Errorf("sqlite: create tenant: %w", err)
				}
				created = append(created, r.tenant)
			}
			r.errs = make([]error, len(r.muts))
			for _, m := range r.muts {
				b.touch(entKey{r.tenant, m.ID})
			}
			live = append(live, r)
		}
	}
	if err := b.load(0); err != nil {
		return nil, fmt.Errorf("sqlite: load: %w", err)
	}
	for _, r := range live {
		for i, m := range r.muts {
			r.errs[i] = b.mutate(r.tenant, m)
		}
	}
	if err := b.flush(); err != nil {
		return nil, fmt.Errorf("sqlite: write: %w", err)
	}
	return created, nil
}

func failAll(batch []*request, err error) {
	for _, r := range batch {
		r.err = err
		for i := range r.errs {
			r.errs[i] = err
		}
	}
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

// reindexAll fills attr_index, geo_index and the count tables from the
// stored documents, in one transaction, after a migration from schema
// version 1 (whose entity_types rows stay valid).
func (w *writer) reindexAll(ctx context.Context) (err error) {
	if _, err := w.tx.begin.Exec(); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			w.tx.rollback.Exec()
			w.tx.aborted()
			err = fmt.Errorf("sqlite: rebuild index: %w", err)
		}
	}()
	type stored struct {
		pk     int64
		tenant string
		doc    []byte
	}
	read, err := w.tx.stmtOf(ctx, "SELECT pk, tenant, doc FROM entities WHERE pk > ? ORDER BY pk LIMIT 1000")
	if err != nil {
		return err
	}
	for after := int64(0); ; {
		var chunk []stored
		err := scanRows(ctx, read, []any{after}, func(rows *sql.Rows) error {
			var s stored
			err := rows.Scan(&s.pk, &s.tenant, &s.doc)
			chunk = append(chunk, s)
			return err
		})
		if err != nil {
			return err
		}
		if len(chunk) == 0 {
			break
		}
		b := newBatchWrites(w.tx)
		for _, s := range chunk {
			e, err := store.DecodeEntity(s.doc)
			if err != nil {
				return err
			}
			idx := indexOf(e)
			b.count(s.tenant, s.pk, idx, 1)
			for _, r := range idx.rows {
				nid, err := w.tx.nameID(r.name)
				if err != nil {
					return err
				}
				b.attrs = append(b.attrs, attrIns{nid: nid, row: r, pkey: s.pk})
			}
			for i, g := range idx.geos {
				b.geoArgs = append(b.geoArgs, s.pk<<geoShift|int64(i), g.minx, g.maxx, g.miny, g.maxy)
			}
		}
		if err := b.insertAttrs(); err != nil {
			return err
		}
		if err := w.tx.insertRows(insGeoHead, 5, b.geoArgs); err != nil {
			return err
		}
		if err := b.flushCounts(); err != nil {
			return err
		}
		after = chunk[len(chunk)-1].pk
	}
	if _, err := w.tx.commit.Exec(); err != nil {
		return err
	}
	w.tx.committed()
	return nil
}

package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math"
	"strings"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
)

var _ store.SubscriptionStore = (*Store)(nil)

// subscriptionsSchema is the migration that adds the subscription tables.
const subscriptionsSchema = `
-- NGSI-LD subscriptions: body is the subscription's JSON document, status
-- the JSON of its delivery counters; times are Unix ns.
CREATE TABLE subscriptions(
	tenant TEXT NOT NULL,
	id TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	modified_at INTEGER NOT NULL,
	status BLOB NOT NULL,
	body BLOB NOT NULL,
	PRIMARY KEY(tenant, id)
) WITHOUT ROWID;
-- Notifications owed to receivers, deleted once delivered.
CREATE TABLE pending_notifications(
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	tenant TEXT NOT NULL,
	sub TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	body BLOB NOT NULL
);
CREATE INDEX pending_notifications_sub ON pending_notifications(tenant, sub);
-- Positions of change log consumers.
CREATE TABLE cursors(name TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
`

// subSavepoint runs fn inside a savepoint of the writer's transaction, so that
// an operation of several statements is atomic.
func (w *writeTx) subSavepoint(ctx context.Context, fn func() error) error {
	if _, err := w.conn.ExecContext(ctx, "SAVEPOINT op"); err != nil {
		return err
	}
	if err := fn(); err != nil {
		_, rerr := w.conn.ExecContext(ctx, "ROLLBACK TO op")
		_, perr := w.conn.ExecContext(ctx, "RELEASE op")
		return errors.Join(err, rerr, perr)
	}
	_, err := w.conn.ExecContext(ctx, "RELEASE op")
	return err
}

func (w *writeTx) subExec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := w.stmtOf(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func encodeSubStatus(st store.SubscriptionStatus) []byte {
	b, _ := json.Marshal(st)
	return b
}

// CreateSubscription stores a new subscription; see store.SubscriptionStore.
func (s *Store) CreateSubscription(ctx context.Context, sub *store.StoredSubscription) error {
	return s.writeOp(ctx, func(w *writeTx) error {
		res, err := w.subExec(ctx, `INSERT INTO subscriptions(tenant, id, created_at, modified_at, status, body)
VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, sub.Tenant, sub.ID, unixNanos(sub.CreatedAt),
			unixNanos(sub.ModifiedAt), encodeSubStatus(sub.Status), sub.Body)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, ngsild.Errorf(ngsild.ErrAlreadyExists, "subscription %s already exists", sub.ID))
		}
		return nil
	})
}

// ReplaceSubscription replaces a subscription's body; see store.SubscriptionStore.
func (s *Store) ReplaceSubscription(ctx context.Context, sub *store.StoredSubscription) error {
	return s.writeOp(ctx, func(w *writeTx) error {
		res, err := w.subExec(ctx, "UPDATE subscriptions SET body = ?, modified_at = ? WHERE tenant = ? AND id = ?",
			sub.Body, unixNanos(sub.ModifiedAt), sub.Tenant, sub.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, ngsild.Errorf(ngsild.ErrResourceNotFound, "subscription %s", sub.ID))
		}
		return nil
	})
}

// DeleteSubscription deletes a subscription and its pending notifications.
func (s *Store) DeleteSubscription(ctx context.Context, tenant, id string) error {
	return s.writeOp(ctx, func(w *writeTx) error {
		return w.subSavepoint(ctx, func() error {
			res, err := w.subExec(ctx, "DELETE FROM subscriptions WHERE tenant = ? AND id = ?", tenant, id)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return errors.Join(err, ngsild.Errorf(ngsild.ErrResourceNotFound, "subscription %s", id))
			}
			_, err = w.subExec(ctx, "DELETE FROM pending_notifications WHERE tenant = ? AND sub = ?", tenant, id)
			return err
		})
	})
}

// SetSubscriptionStatus records delivery counters; see store.SubscriptionStore.
func (s *Store) SetSubscriptionStatus(ctx context.Context, updates []store.SubscriptionStatusUpdate) error {
	if len(updates) == 0 {
		return nil
	}
	return s.writeOp(ctx, func(w *writeTx) error {
		return w.subSavepoint(ctx, func() error {
			for _, u := range updates {
				if _, err := w.subExec(ctx, "UPDATE subscriptions SET status = ? WHERE tenant = ? AND id = ?",
					encodeSubStatus(u.Status), u.Tenant, u.ID); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// AddPendingNotifications stores notifications and moves a cursor in one
// transaction; see store.SubscriptionStore.
func (s *Store) AddPendingNotifications(ctx context.Context, cursor string, seq uint64, list []*store.PendingNotification) error {
	return s.writeOp(ctx, func(w *writeTx) error {
		return w.subSavepoint(ctx, func() error {
			for _, p := range list {
				res, err := w.subExec(ctx, "INSERT INTO pending_notifications(tenant, sub, created_at, body) VALUES(?, ?, ?, ?)",
					p.Tenant, p.SubscriptionID, unixNanos(p.CreatedAt), p.Body)
				if err != nil {
					return err
				}
				id, err := res.LastInsertId()
				if err != nil {
					return err
				}
				p.Seq = uint64(id)
			}
			_, err := w.subExec(ctx, "INSERT INTO cursors(name, seq) VALUES(?, ?) ON CONFLICT(name) DO UPDATE SET seq = excluded.seq",
				cursor, int64(min(seq, math.MaxInt64)))
			return err
		})
	})
}

// deletePendingChunk is the number of seqs one DELETE statement takes.
const deletePendingChunk = 128

// deletePendingSQL deletes up to deletePendingChunk pending notifications.
var deletePendingSQL = "DELETE FROM pending_notifications WHERE seq IN (?" +
	strings.Repeat(",?", deletePendingChunk-1) + ")"

// DeletePendingNotifications forgets notifications; see store.SubscriptionStore.
func (s *Store) DeletePendingNotifications(ctx context.Context, seqs []uint64) error {
	if len(seqs) == 0 {
		return nil
	}
	return s.writeOp(ctx, func(w *writeTx) error {
		return w.subSavepoint(ctx, func() error {
			args := make([]any, deletePendingChunk)
			for len(seqs) > 0 {
				n := min(len(seqs), deletePendingChunk)
				for i := range args {
					args[i] = int64(0) // no row has seq 0
					if i < n {
						args[i] = int64(min(seqs[i], math.MaxInt64))
					}
				}
				if _, err := w.subExec(ctx, deletePendingSQL, args...); err != nil {
					return err
				}
				seqs = seqs[n:]
			}
			return nil
		})
	})
}

// subReadRows runs a cached read statement and calls fn for each row.
func (s *Store) subReadRows(ctx context.Context, query string, args []any, fn func(*sql.Rows) error) error {
	end, err := s.begin()
	if err != nil {
		return err
	}
	defer end()
	st, err := s.qcache.get(ctx, query)
	if err != nil {
		return err
	}
	defer st.release()
	return scanRows(ctx, st.st, args, fn)
}

const subColumns = "tenant, id, created_at, modified_at, status, body"

func scanSubscription(rows *sql.Rows) (*store.StoredSubscription, error) {
	sub := &store.StoredSubscription{}
	var created, modified int64
	var status []byte
	if err := rows.Scan(&sub.Tenant, &sub.ID, &created, &modified, &status, &sub.Body); err != nil {
		return nil, err
	}
	sub.CreatedAt, sub.ModifiedAt = fromUnixNanos(created), fromUnixNanos(modified)
	if err := json.Unmarshal(status, &sub.Status); err != nil {
		return nil, err
	}
	return sub, nil
}

func (s *Store) subscriptionRows(ctx context.Context, query string, args ...any) ([]*store.StoredSubscription, error) {
	var out []*store.StoredSubscription
	err := s.subReadRows(ctx, query, args, func(rows *sql.Rows) error {
		sub, err := scanSubscription(rows)
		out = append(out, sub)
		return err
	})
	return out, err
}

// Subscription returns one subscription; see store.SubscriptionStore.
func (s *Store) Subscription(ctx context.Context, tenant, id string) (*store.StoredSubscription, error) {
	list, err := s.subscriptionRows(ctx, "SELECT "+subColumns+" FROM subscriptions WHERE tenant = ? AND id = ?", tenant, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, ngsild.Errorf(ngsild.ErrResourceNotFound, "subscription %s", id)
	}
	return list[0], nil
}

// Subscriptions lists a page of a tenant's subscriptions; see store.SubscriptionStore.
func (s *Store) Subscriptions(ctx context.Context, tenant string, limit, offset int) ([]*store.StoredSubscription, int, error) {
	list, err := s.subscriptionRows(ctx, "SELECT "+subColumns+" FROM subscriptions WHERE tenant = ? ORDER BY id LIMIT ? OFFSET ?",
		tenant, limit, max(offset, 0))
	if err != nil {
		return nil, 0, err
	}
	var total int
	err = s.subReadRows(ctx, "SELECT count(*) FROM subscriptions WHERE tenant = ?", []any{tenant}, func(rows *sql.Rows) error {
		return rows.Scan(&total)
	})
	return list, total, err
}

// AllSubscriptions lists every tenant's subscriptions; see store.SubscriptionStore.
func (s *Store) AllSubscriptions(ctx context.Context) ([]*store.StoredSubscription, error) {
	return s.subscriptionRows(ctx, "SELECT "+subColumns+" FROM subscriptions ORDER BY tenant, id")
}

// PendingNotifications returns stored notifications; see store.SubscriptionStore.
func (s *Store) PendingNotifications(ctx context.Context, after uint64, limit int) ([]*store.PendingNotification, error) {
	var out []*store.PendingNotification
	err := s.subReadRows(ctx, "SELECT seq, tenant, sub, created_at, body FROM pending_notifications WHERE seq > ? ORDER BY seq LIMIT ?",
		[]any{int64(min(after, math.MaxInt64)), limit}, func(rows *sql.Rows) error {
			p := &store.PendingNotification{}
			var seq, created int64
			if err := rows.Scan(&seq, &p.Tenant, &p.SubscriptionID, &created, &p.Body); err != nil {
				return err
			}
			p.Seq, p.CreatedAt = uint64(seq), fromUnixNanos(created)
			out = append(out, p)
			return nil
		})
	return out, err
}

// Cursor returns a named cursor; see store.SubscriptionStore.
func (s *Store) Cursor(ctx context.Context, name string) (uint64, error) {
	var seq int64
	err := s.subReadRows(ctx, "SELECT seq FROM cursors WHERE name = ?", []any{name}, func(rows *sql.Rows) error {
		return rows.Scan(&seq)
	})
	return uint64(seq), err
}

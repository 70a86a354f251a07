// Package audit is the platform's append-only, hash-chained audit log: who
// did what, when, from where and with what outcome. Each record's hash is
// SHA-256 over the previous record's hash and the record's canonical JSON,
// so editing, deleting or reordering a record breaks the chain, which
// Verify reports. The log lives in its own SQLite file (DATA/audit.db).
package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// Outcomes of an audited action.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
	OutcomeDenied  = "denied"
)

// Record is one audited event. Callers fill Time (or leave it zero for
// now), Actor, Action, Resource, SourceIP, Outcome and Details; Append sets
// Seq, PrevHash and Hash. Details must never hold secrets.
type Record struct {
	Seq      int64             `json:"seq"`
	Time     time.Time         `json:"time"`
	Actor    string            `json:"actor"`
	Action   string            `json:"action"`
	Resource string            `json:"resource"`
	SourceIP string            `json:"sourceIp"`
	Outcome  string            `json:"outcome"`
	Details  map[string]string `json:"details,omitempty"`
	PrevHash string            `json:"prevHash"`
	Hash     string            `json:"hash"`
}

// canonical is the hashed form of a record: fixed field order, UTC time
// with nanoseconds, details with sorted keys (encoding/json sorts maps).
type canonical struct {
	Seq      int64             `json:"seq"`
	Time     string            `json:"time"`
	Actor    string            `json:"actor"`
	Action   string            `json:"action"`
	Resource string            `json:"resource"`
	SourceIP string            `json:"sourceIp"`
	Outcome  string            `json:"outcome"`
	Details  map[string]string `json:"details"`
}

// genesis is the previous hash of the first record.
var genesis = strings.Repeat("0", 64)

// timeFormat is how times are stored and hashed.
const timeFormat = time.RFC3339Nano

// chainHash is hex SHA-256(prev hash bytes ‖ canonical JSON of c).
func chainHash(prev string, c canonical) (string, error) {
	p, err := hex.DecodeString(prev)
	if err != nil || len(p) != sha256.Size {
		return "", fmt.Errorf("bad previous hash %q", prev)
	}
	if c.Details == nil {
		c.Details = map[string]string{}
	}
	body, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	h.Write(p)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil)), nil
}

const schema = `
CREATE TABLE audit(
	seq INTEGER PRIMARY KEY,
	time TEXT NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	resource TEXT NOT NULL,
	source_ip TEXT NOT NULL,
	outcome TEXT NOT NULL,
	details TEXT NOT NULL,
	prev_hash TEXT NOT NULL,
	hash TEXT NOT NULL
);
CREATE INDEX audit_time ON audit(time);
CREATE INDEX audit_actor ON audit(actor);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
PRAGMA user_version = 1;
`

// Log is an open audit log. It is safe for concurrent use, and several
// processes may append to one file. Concurrent appends are committed
// together (group commit): one transaction and one sync for many records.
type Log struct {
	db  *sql.DB
	now func() time.Time

	mu      sync.Mutex
	queue   []*pending
	writing bool
}

// pending is a record waiting for its commit.
type pending struct {
	r    Record
	done chan error
}

// Open opens or creates the audit log at path, readable by its owner only.
func Open(path string) (*Log, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("audit: unsupported database path %q", path)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	f.Close()
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, err
	}
	if err := migrate(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("audit: %s: %w", path, err)
	}
	return &Log{db: db, now: time.Now}, nil
}

func dsn(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_txlock", "immediate")
	return path + "?" + q.Encode()
}

// migrate creates the schema of an empty database (user_version 0 → 1).
func migrate(db *sql.DB) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	if v >= 1 {
		return nil
	}
	if _, err := tx.Exec(schema); err != nil {
		return err
	}
	return tx.Commit()
}

// Close closes the log.
func (l *Log) Close() error { return l.db.Close() }

// Append adds r at the end of the chain and returns it as stored, once it
// is durable.
func (l *Log) Append(ctx context.Context, r Record) (Record, error) {
	if r.Time.IsZero() {
		r.Time = l.now()
	}
	r.Time = r.Time.UTC()
	p := &pending{r: r, done: make(chan error, 1)}
	l.mu.Lock()
	l.queue = append(l.queue, p)
	lead := !l.writing
	l.writing = true
	l.mu.Unlock()
	if lead {
		l.flush()
	}
	if err := <-p.done; err != nil {
		return Record{}, err
	}
	return p.r, nil
}

// flush commits queued records, batch after batch, until the queue is
// empty; the caller that found no writer at work runs it.
func (l *Log) flush() {
	for {
		l.mu.Lock()
		batch := l.queue
		l.queue = nil
		if len(batch) == 0 {
			l.writing = false
			l.mu.Unlock()
			return
		}
		l.mu.Unlock()
		err := l.commit(batch)
		for _, p := range batch {
			p.done <- err
		}
	}
}

// commit chains and writes a batch of records in one transaction.
func (l *Log) commit(batch []*pending) error {
	ctx := context.Background()
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	seq, prev := int64(1), genesis
	err = tx.QueryRowContext(ctx, `SELECT seq + 1, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	for _, p := range batch {
		p.r.Seq, p.r.PrevHash = seq, prev
		if err := l.insert(ctx, tx, &p.r); err != nil {
			return err
		}
		seq, prev = seq+1, p.r.Hash
	}
	return tx.Commit()
}

// insert hashes r and writes it.
func (l *Log) insert(ctx context.Context, tx *sql.Tx, r *Record) error {
	c := toCanonical(*r)
	var err error
	if r.Hash, err = chainHash(r.PrevHash, c); err != nil {
		return err
	}
	details, _ := json.Marshal(c.Details)
	_, err = tx.ExecContext(ctx, `INSERT INTO audit(seq, time, actor, action, resource, source_ip, outcome, details, prev_hash, hash)
		VALUES(?,?,?,?,?,?,?,?,?,?)`, r.Seq, c.Time, r.Actor, r.Action, r.Resource, r.SourceIP, r.Outcome, string(details), r.PrevHash, r.Hash)
	return err
}

func toCanonical(r Record) canonical {
	return canonical{Seq: r.Seq, Time: r.Time.UTC().Format(timeFormat), Actor: r.Actor, Action: r.Action,
		Resource: r.Resource, SourceIP: r.SourceIP, Outcome: r.Outcome, Details: r.Details}
}

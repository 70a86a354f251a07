package auth

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// migrations[i] brings the schema from user_version i to i+1.
var migrations = []string{`
CREATE TABLE agencies(
	id TEXT PRIMARY KEY,
	parent_id TEXT NOT NULL,
	name TEXT NOT NULL,
	kind TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE users(
	id TEXT PRIMARY KEY,
	username TEXT NOT NULL UNIQUE COLLATE NOCASE,
	name TEXT NOT NULL,
	role TEXT NOT NULL,
	agency TEXT NOT NULL,
	tenants TEXT NOT NULL,
	disabled INTEGER NOT NULL,
	password_hash TEXT NOT NULL,
	totp_secret TEXT NOT NULL,
	totp_enabled INTEGER NOT NULL,
	totp_last_step INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE sessions(
	token_hash TEXT PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL,
	last_seen INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	client_ip TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expiry ON sessions(expires_at);
CREATE TABLE api_keys(
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	role TEXT NOT NULL,
	agency TEXT NOT NULL,
	scope TEXT NOT NULL,
	hash TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	revoked_at INTEGER NOT NULL,
	last_used INTEGER NOT NULL
) WITHOUT ROWID;
`, `
CREATE TABLE oauth_clients(
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	role TEXT NOT NULL,
	agency TEXT NOT NULL,
	scope TEXT NOT NULL,
	hash TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	revoked_at INTEGER NOT NULL,
	last_used INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE access_tokens(
	token_hash TEXT PRIMARY KEY,
	client_id TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
	scope TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX access_tokens_client ON access_tokens(client_id);
CREATE INDEX access_tokens_expiry ON access_tokens(expires_at);
CREATE TABLE oidc_links(
	issuer TEXT NOT NULL,
	subject TEXT NOT NULL,
	user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL,
	PRIMARY KEY(issuer, subject)
) WITHOUT ROWID;
CREATE TABLE oidc_flows(
	id_hash TEXT PRIMARY KEY,
	state TEXT NOT NULL,
	nonce TEXT NOT NULL,
	verifier TEXT NOT NULL,
	return_to TEXT NOT NULL,
	expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX oidc_flows_expiry ON oidc_flows(expires_at);
`}

// DB is the embedded SQLite Storage, in its own database file.
type DB struct {
	db *sql.DB
}

var _ Storage = (*DB)(nil)

// OpenDB opens or creates the accounts database at path (for example
// DATA/auth.db), readable by its owner only, and migrates its schema.
func OpenDB(path string) (*DB, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("auth: unsupported database path %q", path)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	f.Close()
	db, err := sql.Open("sqlite", sqliteDSN(path))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(4)
	if err := Migrate(context.Background(), db, migrations); err != nil {
		db.Close()
		return nil, fmt.Errorf("auth: migrate %s: %w", path, err)
	}
	return &DB{db: db}, nil
}

// sqliteDSN is the modernc.org/sqlite DSN of a WAL database whose
// transactions take the write lock at once (no upgrade deadlocks).
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_txlock", "immediate")
	return path + "?" + q.Encode()
}

// Migrate applies the migrations a database lacks, tracked by PRAGMA
// user_version, each in its own transaction.
func Migrate(ctx context.Context, db *sql.DB, migrations []string) error {
	for {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		var v int
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
			tx.Rollback()
			return err
		}
		if v >= len(migrations) {
			return tx.Rollback()
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// unixNano stores a time; the zero time is 0.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromUnixNano reads a time stored by unixNano.
func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// isUnique reports whether err is a UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// notFound turns sql.ErrNoRows into ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// mustAffect returns ErrNotFound when an update touched no row.
func mustAffect(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return ErrNotFound
	}
	return nil
}

// CreateAgency stores a new agency.
func (d *DB) CreateAgency(ctx context.Context, a Agency) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO agencies(id, parent_id, name, kind) VALUES(?,?,?,?)`,
		a.ID, a.ParentID, a.Name, string(a.Kind))
	if isUnique(err) {
		return ErrExists
	}
	return err
}

// Agencies returns every agency.
func (d *DB) Agencies(ctx context.Context) ([]Agency, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, parent_id, name, kind FROM agencies ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Agency
	for rows.Next() {
		var a Agency
		if err := rows.Scan(&a.ID, &a.ParentID, &a.Name, &a.Kind); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

const userCols = `id, username, name, role, agency, tenants, disabled, password_hash, totp_secret, totp_enabled, created_at`

// CreateUser stores a new user.
func (d *DB) CreateUser(ctx context.Context, u User) error {
	tenants, _ := json.Marshal(u.Tenants)
	_, err := d.db.ExecContext(ctx, `INSERT INTO users(`+userCols+`) VALUES(?,?,?,?,?,?,?,?,?,?,?)`,
		u.ID, u.Username, u.Name, string(u.Role), u.Agency, string(tenants), u.Disabled,
		u.PasswordHash, u.TOTPSecret, u.TOTPEnabled, unixNano(u.CreatedAt))
	if isUnique(err) {
		return ErrExists
	}
	return err
}

// UpdateUser replaces a user's fields (all but id, username and creation time).
func (d *DB) UpdateUser(ctx context.Context, u User) error {
	tenants, _ := json.Marshal(u.Tenants)
	return mustAffect(d.db.ExecContext(ctx, `UPDATE users SET name=?, role=?, agency=?, tenants=?, disabled=?,
		password_hash=?, totp_secret=?, totp_enabled=? WHERE id=?`,
		u.Name, string(u.Role), u.Agency, string(tenants), u.Disabled, u.PasswordHash, u.TOTPSecret, u.TOTPEnabled, u.ID))
}

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var tenants string
	var created int64
	err := row.Scan(&u.ID, &u.Username, &u.Name, &u.Role, &u.Agency, &tenants, &u.Disabled,
		&u.PasswordHash, &u.TOTPSecret, &u.TOTPEnabled, &created)
	if err != nil {
		return User{}, notFound(err)
	}
	u.CreatedAt = fromUnixNano(created)
	if err := json.Unmarshal([]byte(tenants), &u.Tenants); err != nil {
		return User{}, fmt.Errorf("auth: user %s: tenants: %w", u.ID, err)
	}
	return u, nil
}

// UserByID returns the user with the given id.
func (d *DB) UserByID(ctx context.Context, id string) (User, error) {
	return scanUser(d.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id=?`, id))
}

// UserByName returns the user with the given username (case-insensitive).
func (d *DB) UserByName(ctx context.Context, username string) (User, error) {
	return scanUser(d.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE username=?`, username))
}

// Users returns every user, by username.
func (d *DB) Users(ctx context.Context) ([]User, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY username`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// AdvanceTOTPStep moves the user's last TOTP step forward to step, in one
// statement so that two concurrent logins cannot both use one code.
func (d *DB) AdvanceTOTPStep(ctx context.Context, userID string, step uint64) (bool, error) {
	res, err := d.db.ExecContext(ctx, `UPDATE users SET totp_last_step=? WHERE id=? AND totp_last_step < ?`,
		int64(step), userID, int64(step))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

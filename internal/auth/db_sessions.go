package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// CreateSession stores a new session.
func (d *DB) CreateSession(ctx context.Context, s Session) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO sessions(token_hash, user_id, created_at, last_seen, expires_at, client_ip)
		VALUES(?,?,?,?,?,?)`, s.TokenHash, s.UserID, unixNano(s.CreatedAt), unixNano(s.LastSeen), unixNano(s.ExpiresAt), s.ClientIP)
	if isUnique(err) {
		return ErrExists
	}
	return err
}

// SessionByHash returns the session whose token hashes to tokenHash.
func (d *DB) SessionByHash(ctx context.Context, tokenHash string) (Session, error) {
	var s Session
	var created, seen, expires int64
	err := d.db.QueryRowContext(ctx, `SELECT token_hash, user_id, created_at, last_seen, expires_at, client_ip
		FROM sessions WHERE token_hash=?`, tokenHash).Scan(&s.TokenHash, &s.UserID, &created, &seen, &expires, &s.ClientIP)
	if err != nil {
		return Session{}, notFound(err)
	}
	s.CreatedAt, s.LastSeen, s.ExpiresAt = fromUnixNano(created), fromUnixNano(seen), fromUnixNano(expires)
	return s, nil
}

// TouchSession records activity on a session.
func (d *DB) TouchSession(ctx context.Context, tokenHash string, at time.Time) error {
	return mustAffect(d.db.ExecContext(ctx, `UPDATE sessions SET last_seen=? WHERE token_hash=?`, unixNano(at), tokenHash))
}

// DeleteSession removes a session; removing a missing one is not an error.
func (d *DB) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := d.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash=?`, tokenHash)
	return err
}

// DeleteUserSessions removes every session of a user.
func (d *DB) DeleteUserSessions(ctx context.Context, userID string) error {
	_, err := d.db.ExecContext(ctx, `DELETE FROM sessions WHERE user_id=?`, userID)
	return err
}

// DeleteExpiredSessions removes sessions that expired before now.
func (d *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := d.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < ?`, unixNano(now))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

const keyCols = `id, name, role, agency, scope, hash, created_by, created_at, expires_at, revoked_at, last_used`

// CreateKey stores a new API key.
func (d *DB) CreateKey(ctx context.Context, k APIKey) error {
	scope, err := json.Marshal(k.Scope)
	if err != nil {
		return err
	}
	_, err = d.db.ExecContext(ctx, `INSERT INTO api_keys(`+keyCols+`) VALUES(?,?,?,?,?,?,?,?,?,?,?)`,
		k.ID, k.Name, string(k.Role), k.Agency, string(scope), k.Hash, k.CreatedBy,
		unixNano(k.CreatedAt), unixNano(k.ExpiresAt), unixNano(k.RevokedAt), unixNano(k.LastUsed))
	if isUnique(err) {
		return ErrExists
	}
	return err
}

func scanKey(row interface{ Scan(...any) error }) (APIKey, error) {
	var k APIKey
	var scope string
	var created, expires, revoked, used int64
	err := row.Scan(&k.ID, &k.Name, &k.Role, &k.Agency, &scope, &k.Hash, &k.CreatedBy, &created, &expires, &revoked, &used)
	if err != nil {
		return APIKey{}, notFound(err)
	}
	if err := json.Unmarshal([]byte(scope), &k.Scope); err != nil {
		return APIKey{}, fmt.Errorf("auth: key %s: scope: %w", k.ID, err)
	}
	k.CreatedAt, k.ExpiresAt = fromUnixNano(created), fromUnixNano(expires)
	k.RevokedAt, k.LastUsed = fromUnixNano(revoked), fromUnixNano(used)
	return k, nil
}

// KeyByID returns the API key with the given id (its public prefix).
func (d *DB) KeyByID(ctx context.Context, id string) (APIKey, error) {
	return scanKey(d.db.QueryRowContext(ctx, `SELECT `+keyCols+` FROM api_keys WHERE id=?`, id))
}

// Keys returns every API key, newest first.
func (d *DB) Keys(ctx context.Context) ([]APIKey, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+keyCols+` FROM api_keys ORDER BY created_at DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeKey marks a key revoked at at (only the first revocation counts).
func (d *DB) RevokeKey(ctx context.Context, id string, at time.Time) error {
	if _, err := d.KeyByID(ctx, id); err != nil {
		return err
	}
	_, err := d.db.ExecContext(ctx, `UPDATE api_keys SET revoked_at=? WHERE id=? AND revoked_at=0`, unixNano(at), id)
	return err
}

// TouchKey records the last use of a key.
func (d *DB) TouchKey(ctx context.Context, id string, at time.Time) error {
	return mustAffect(d.db.ExecContext(ctx, `UPDATE api_keys SET last_used=? WHERE id=?`, unixNano(at), id))
}

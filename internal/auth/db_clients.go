package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

const clientCols = `id, name, role, agency, scope, hash, created_by, created_at, expires_at, revoked_at, last_used`

// CreateClient stores a new OAuth2 client.
func (d *DB) CreateClient(ctx context.Context, c Client) error {
	scope, err := json.Marshal(c.Scope)
	if err != nil {
		return err
	}
	_, err = d.db.ExecContext(ctx, `INSERT INTO oauth_clients(`+clientCols+`) VALUES(?,?,?,?,?,?,?,?,?,?,?)`,
		c.ID, c.Name, string(c.Role), c.Agency, string(scope), c.Hash, c.CreatedBy,
		unixNano(c.CreatedAt), unixNano(c.ExpiresAt), unixNano(c.RevokedAt), unixNano(c.LastUsed))
	if isUnique(err) {
		return ErrExists
	}
	return err
}

func scanClient(row interface{ Scan(...any) error }) (Client, error) {
	var c Client
	var scope string
	var created, expires, revoked, used int64
	err := row.Scan(&c.ID, &c.Name, &c.Role, &c.Agency, &scope, &c.Hash, &c.CreatedBy, &created, &expires, &revoked, &used)
	if err != nil {
		return Client{}, notFound(err)
	}
	if err := json.Unmarshal([]byte(scope), &c.Scope); err != nil {
		return Client{}, fmt.Errorf("auth: client %s: scope: %w", c.ID, err)
	}
	c.CreatedAt, c.ExpiresAt = fromUnixNano(created), fromUnixNano(expires)
	c.RevokedAt, c.LastUsed = fromUnixNano(revoked), fromUnixNano(used)
	return c, nil
}

// ClientByID returns the OAuth2 client with the given client_id.
func (d *DB) ClientByID(ctx context.Context, id string) (Client, error) {
	return scanClient(d.db.QueryRowContext(ctx, `SELECT `+clientCols+` FROM oauth_clients WHERE id=?`, id))
}

// Clients returns every OAuth2 client, newest first.
func (d *DB) Clients(ctx context.Context) ([]Client, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+clientCols+` FROM oauth_clients ORDER BY created_at DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Client
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// RevokeClient marks a client revoked (the first revocation counts) and
// deletes its access tokens.
func (d *DB) RevokeClient(ctx context.Context, id string, at time.Time) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := mustAffect(tx.ExecContext(ctx, `UPDATE oauth_clients SET revoked_at=CASE WHEN revoked_at=0 THEN ? ELSE revoked_at END WHERE id=?`,
		unixNano(at), id)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM access_tokens WHERE client_id=?`, id); err != nil {
		return err
	}
	return tx.Commit()
}

// TouchClient records the last use of a client.
func (d *DB) TouchClient(ctx context.Context, id string, at time.Time) error {
	return mustAffect(d.db.ExecContext(ctx, `UPDATE oauth_clients SET last_used=? WHERE id=?`, unixNano(at), id))
}

// CreateAccessToken stores a new access token.
func (d *DB) CreateAccessToken(ctx context.Context, t AccessToken) error {
	scope, err := json.Marshal(t.Scope)
	if err != nil {
		return err
	}
	_, err = d.db.ExecContext(ctx, `INSERT INTO access_tokens(token_hash, client_id, scope, created_at, expires_at) VALUES(?,?,?,?,?)`,
		t.TokenHash, t.ClientID, string(scope), unixNano(t.CreatedAt), unixNano(t.ExpiresAt))
	if isUnique(err) {
		return ErrExists
	}
	return err
}

// AccessTokenByHash returns the access token whose secret hashes to tokenHash.
func (d *DB) AccessTokenByHash(ctx context.Context, tokenHash string) (AccessToken, error) {
	var t AccessToken
	var scope string
	var created, expires int64
	err := d.db.QueryRowContext(ctx, `SELECT token_hash, client_id, scope, created_at, expires_at FROM access_tokens WHERE token_hash=?`,
		tokenHash).Scan(&t.TokenHash, &t.ClientID, &scope, &created, &expires)
	if err != nil {
		return AccessToken{}, notFound(err)
	}
	if err := json.Unmarshal([]byte(scope), &t.Scope); err != nil {
		return AccessToken{}, fmt.Errorf("auth: access token: scope: %w", err)
	}
	t.CreatedAt, t.ExpiresAt = fromUnixNano(created), fromUnixNano(expires)
	return t, nil
}

// DeleteExpiredAccessTokens removes access tokens that expired before now.
func (d *DB) DeleteExpiredAccessTokens(ctx context.Context, now time.Time) (int64, error) {
	res, err := d.db.ExecContext(ctx, `DELETE FROM access_tokens WHERE expires_at < ?`, unixNano(now))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// LinkedUser returns the id of the user linked to issuer and subject.
func (d *DB) LinkedUser(ctx context.Context, issuer, subject string) (string, error) {
	var id string
	err := d.db.QueryRowContext(ctx, `SELECT user_id FROM oidc_links WHERE issuer=? AND subject=?`, issuer, subject).Scan(&id)
	return id, notFound(err)
}

// CreateLinkedUser stores u and its link to issuer and subject together.
func (d *DB) CreateLinkedUser(ctx context.Context, u User, issuer, subject string) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	tenants, _ := json.Marshal(u.Tenants)
	_, err = tx.ExecContext(ctx, `INSERT INTO users(`+userCols+`) VALUES(?,?,?,?,?,?,?,?,?,?,?)`,
		u.ID, u.Username, u.Name, string(u.Role), u.Agency, string(tenants), u.Disabled,
		u.PasswordHash, u.TOTPSecret, u.TOTPEnabled, unixNano(u.CreatedAt))
	if err == nil {
		_, err = tx.ExecContext(ctx, `INSERT INTO oidc_links(issuer, subject, user_id, created_at) VALUES(?,?,?,?)`,
			issuer, subject, u.ID, unixNano(u.CreatedAt))
	}
	if isUnique(err) {
		return ErrExists
	}
	if err != nil {
		return err
	}
	return tx.Commit()
}

// MaxOIDCFlows bounds the logins in progress stored at once, so that
// anonymous requests to the login route cannot fill the disk.
const MaxOIDCFlows = 50000

// ErrTooManyFlows: MaxOIDCFlows logins are in progress.
var ErrTooManyFlows = errors.New("auth: too many OpenID Connect logins in progress")

// CreateOIDCFlow stores a login in progress, unless MaxOIDCFlows are
// stored already (ErrTooManyFlows; expired ones go with PurgeSessions).
func (d *DB) CreateOIDCFlow(ctx context.Context, f OIDCFlow) error {
	res, err := d.db.ExecContext(ctx, `INSERT INTO oidc_flows(id_hash, state, nonce, verifier, return_to, expires_at)
		SELECT ?,?,?,?,?,? WHERE (SELECT COUNT(*) FROM oidc_flows) < ?`,
		f.IDHash, f.State, f.Nonce, f.Verifier, f.ReturnTo, unixNano(f.Expires), MaxOIDCFlows)
	if isUnique(err) {
		return ErrExists
	}
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return ErrTooManyFlows
	}
	return nil
}

// TakeOIDCFlow deletes and returns the flow of idHash, in one statement so
// that two callbacks cannot both use it.
func (d *DB) TakeOIDCFlow(ctx context.Context, idHash string) (OIDCFlow, error) {
	var f OIDCFlow
	var expires int64
	err := d.db.QueryRowContext(ctx, `DELETE FROM oidc_flows WHERE id_hash=? RETURNING id_hash, state, nonce, verifier, return_to, expires_at`,
		idHash).Scan(&f.IDHash, &f.State, &f.Nonce, &f.Verifier, &f.ReturnTo, &expires)
	if err != nil {
		return OIDCFlow{}, notFound(err)
	}
	f.Expires = fromUnixNano(expires)
	return f, nil
}

// DeleteExpiredOIDCFlows removes logins in progress that expired before now.
func (d *DB) DeleteExpiredOIDCFlows(ctx context.Context, now time.Time) (int64, error) {
	res, err := d.db.ExecContext(ctx, `DELETE FROM oidc_flows WHERE expires_at < ?`, unixNano(now))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

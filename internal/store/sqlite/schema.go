package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations[i] brings the schema from user_version i to i+1.
var migrations = []string{
	`
CREATE TABLE tenants(name TEXT PRIMARY KEY) WITHOUT ROWID;
-- doc is last so that reading the other columns never touches its overflow pages.
CREATE TABLE entities(
	pk INTEGER PRIMARY KEY,
	tenant TEXT NOT NULL,
	id TEXT NOT NULL,
	doc BLOB NOT NULL
);
CREATE UNIQUE INDEX entities_id ON entities(tenant, id);
-- (tenant, pk): pages and counts in pk order without reading documents.
CREATE INDEX entities_tenant ON entities(tenant);
CREATE TABLE entity_types(
	tenant TEXT NOT NULL,
	type TEXT NOT NULL,
	pk INTEGER NOT NULL,
	PRIMARY KEY(tenant, type, pk)
) WITHOUT ROWID;
CREATE TABLE attrs(
	pk INTEGER NOT NULL,
	name TEXT NOT NULL,
	attr_type TEXT NOT NULL,
	PRIMARY KEY(pk, name, attr_type)
) WITHOUT ROWID;
CREATE INDEX attrs_name ON attrs(name, attr_type);
-- Scalar values of top-level attributes, for q pushdown. seq numbers the
-- rows of one attribute; exactly one of num, str and bool is set.
CREATE TABLE attr_values(
	pk INTEGER NOT NULL,
	name TEXT NOT NULL,
	seq INTEGER NOT NULL,
	num REAL,
	str TEXT,
	bool INTEGER,
	PRIMARY KEY(pk, name, seq)
) WITHOUT ROWID;
CREATE INDEX attr_values_num ON attr_values(name, num) WHERE num IS NOT NULL;
CREATE INDEX attr_values_str ON attr_values(name, str) WHERE str IS NOT NULL;
CREATE INDEX attr_values_bool ON attr_values(name, bool) WHERE bool IS NOT NULL;
-- Bounding boxes of GeoProperties; id is pk<<geoShift | ordinal.
CREATE VIRTUAL TABLE geo_index USING rtree(id, minx, maxx, miny, maxy, +pk, +name);
CREATE TABLE contexts(
	id TEXT PRIMARY KEY,
	url TEXT NOT NULL,
	kind TEXT NOT NULL,
	body BLOB NOT NULL,
	created_at INTEGER NOT NULL
) WITHOUT ROWID;
`,
}

// migrate applies the migrations the database lacks, each in its own
// transaction, and records the version in PRAGMA user_version.
func migrate(ctx context.Context, conn *sql.Conn) error {
	var version int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	if version > len(migrations) {
		return fmt.Errorf("sqlite: database schema version %d is newer than this program (%d)", version, len(migrations))
	}
	for v := version; v < len(migrations); v++ {
		if err := migrateOne(ctx, conn, v); err != nil {
			return fmt.Errorf("sqlite: migration to version %d: %w", v+1, err)
		}
	}
	return nil
}

func migrateOne(ctx context.Context, conn *sql.Conn, v int) (err error) {
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			conn.ExecContext(ctx, "ROLLBACK")
		}
	}()
	if _, err := conn.ExecContext(ctx, migrations[v]); err != nil {
		return err
	}
	// PRAGMA takes no parameters; v+1 is an integer this code computed.
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}

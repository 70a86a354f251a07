package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations[i] brings the schema from user_version i to i+1. Migrations
// listed in reindexAfter leave the attribute and count tables empty: Open
// refills them from the stored documents (see writer.reindexAll).
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
	// Version 2: one narrow attribute index, counts for Summary and deep
	// pages; fewer, smaller index rows per entity.
	`
DROP TABLE attrs;
DROP TABLE attr_values;
-- Bounding boxes of GeoProperties; id is pk<<geoShift | ordinal. No
-- auxiliary columns: the pk is in the id.
DROP TABLE geo_index;
CREATE VIRTUAL TABLE geo_index USING rtree(id, minx, maxx, miny, maxy);
-- Attribute names, interned: index rows hold the small id.
CREATE TABLE names(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
-- One row per scalar value of a top-level attribute (kind 1 number, 2
-- string, 3 boolean as 0/1) and per instance without scalar (kind 0, v the
-- attribute type). Rows are written and deleted by their full key, which
-- the writer computes from the stored document.
CREATE TABLE attr_index(
	nid INTEGER NOT NULL,
	kind INTEGER NOT NULL,
	v NOT NULL,
	pk INTEGER NOT NULL,
	PRIMARY KEY(nid, kind, v, pk)
) WITHOUT ROWID;
-- Entities per tenant, type and block of 4096 pks (type '' counts every
-- entity of the tenant): counts, and pages at deep offsets without
-- stepping over every skipped row.
CREATE TABLE type_blocks(
	tenant TEXT NOT NULL,
	type TEXT NOT NULL,
	block INTEGER NOT NULL,
	n INTEGER NOT NULL,
	PRIMARY KEY(tenant, type, block)
) WITHOUT ROWID;
-- Entities per tenant, type, attribute and attribute type, for Summary.
CREATE TABLE attr_counts(
	tenant TEXT NOT NULL,
	type TEXT NOT NULL,
	name TEXT NOT NULL,
	attr_type TEXT NOT NULL,
	n INTEGER NOT NULL,
	PRIMARY KEY(tenant, type, name, attr_type)
) WITHOUT ROWID;
`,
	// Version 3: the change log and the temporal history (attribute
	// instances over time), both written by the writer in the transaction
	// of the change.
	`
-- One row per committed mutation, seq assigned by the writer in commit
-- order. rec packs the tenant, entity id, types, changed attribute name
-- ids, flags and time (see pack.go).
CREATE TABLE changes(
	seq INTEGER PRIMARY KEY,
	rec BLOB NOT NULL
);
-- Entities with history (they outlive the entities): last known types.
CREATE TABLE temporal_entities(
	tpk INTEGER PRIMARY KEY,
	tenant TEXT NOT NULL,
	id TEXT NOT NULL,
	types TEXT NOT NULL
);
CREATE UNIQUE INDEX temporal_entities_id ON temporal_entities(tenant, id);
-- One row per attribute instance recorded, clustered by entity,
-- attribute and time (one B-tree): tpk the temporal entity; nid the
-- interned attribute name; t the observedAt or else the modifiedAt (Unix
-- ns); iid the instanceId (unique, see history_seq). v packs the rest
-- (see pack.go): whether t is an observedAt, the modifiedAt, a numeric
-- value as a float, the unitCode, the datasetId, and the instance's other
-- data as compact JSON (none for a plain number).
CREATE TABLE temporal(
	tpk INTEGER NOT NULL,
	nid INTEGER NOT NULL,
	t INTEGER NOT NULL,
	iid INTEGER NOT NULL,
	v BLOB NOT NULL,
	PRIMARY KEY(tpk, nid, t, iid)
) WITHOUT ROWID;
-- Counters of the writer (one row): iid bounds the instanceIds handed out
-- (reserved in blocks); trimmed is the largest change seq trimmed, so that
-- sequence numbers never go back even when the log is emptied.
CREATE TABLE history_seq(id INTEGER PRIMARY KEY CHECK (id = 1), iid INTEGER NOT NULL, trimmed INTEGER NOT NULL);
INSERT INTO history_seq(id, iid, trimmed) VALUES(1, 0, 0);
`,
	// Version 4: NGSI-LD subscriptions, the notifications they still owe
	// and the cursors of change log consumers (see subscriptions.go).
	subscriptionsSchema,
}

// reindexAfter is the version after which the index tables must be
// rebuilt from the documents.
const reindexAfter = 2

// migrate applies the migrations the database lacks, each in its own
// transaction, and records the version in PRAGMA user_version. reindex is
// set when the index tables must be rebuilt from the documents.
func migrate(ctx context.Context, conn *sql.Conn) (reindex bool, err error) {
	var version int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return false, err
	}
	if version > len(migrations) {
		return false, fmt.Errorf("sqlite: database schema version %d is newer than this program (%d)", version, len(migrations))
	}
	for v := version; v < len(migrations); v++ {
		if err := migrateOne(ctx, conn, v); err != nil {
			return false, fmt.Errorf("sqlite: migration to version %d: %w", v+1, err)
		}
	}
	return version > 0 && version < reindexAfter, nil
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

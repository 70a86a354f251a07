// Package sqlite is the embedded store.Store of a single-machine broker,
// kept in one SQLite database file (modernc.org/sqlite, no cgo).
//
// Entities are stored as compact JSON documents (store.EncodeEntity) with
// index tables for types, top-level attribute values and presence
// (attr_index, one narrow row per scalar, names interned), GeoProperty
// bounding boxes (an R-Tree) and counts per type (for Summary and deep
// pages). One writer goroutine owns the only writing connection and merges
// concurrent Write calls into one transaction (group commit): it loads the
// touched entities with a few queries, applies the mutations in Go (so a
// failing mutation writes nothing and needs no savepoint), then writes
// each entity's net change with multi-row statements, index rows in key
// order. Reads use a pool of read-only connections, which WAL mode lets run
// beside the writer; a background connection checkpoints the WAL so that
// commits do not wait for checkpoints.
//
// Memory: SQLite's page cache is per connection, so the store uses about
// (ReadConns+1) × CacheKiB of cache at most, plus Go's heap; the database
// file is not memory-mapped.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"

	"github.com/dothi-city/dothi/internal/store"
)

// Synchronous settings (PRAGMA synchronous) for Options.Synchronous.
const (
	// SyncFull makes every acknowledged write survive a power loss.
	SyncFull = "FULL"
	// SyncNormal may lose the last writes on power loss (not on a process
	// crash) but syncs less often.
	SyncNormal = "NORMAL"
)

// Options tunes a Store. The zero value is the safe default.
type Options struct {
	// Synchronous is SyncFull (default) or SyncNormal.
	Synchronous string
	// ReadConns is the size of the read connection pool (default 2×GOMAXPROCS, at least 4).
	ReadConns int
	// CacheKiB is the page cache size of each connection (the writer and
	// each reader) in KiB (default 16384).
	CacheKiB int
	// MaxBatch caps the mutations merged into one transaction (default 20000);
	// a single larger Write still commits as one transaction.
	MaxBatch int
}

// Store is a store.Store kept in a SQLite database.
type Store struct {
	wdb, rdb *sql.DB
	w        *writer
	ckpt     *checkpointer
	reads    *readStmts
	tenants  sync.Map // names of tenants known to exist
	qcache   stmtCache
	names    sync.Map // attribute names by id, for temporal reads

	closeMu sync.RWMutex
	closed  bool
}

var _ store.Store = (*Store)(nil)

// Open opens or creates the database at path and starts its writer.
func Open(path string, opts Options) (*Store, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if strings.ContainsAny(path, "?#") || path == "" || path == ":memory:" {
		return nil, fmt.Errorf("sqlite: unsupported database path %q", path)
	}
	registerFunctions()
	s := &Store{}
	if s.wdb, err = sql.Open("sqlite", dsn(path, opts, modeWrite)); err != nil {
		return nil, err
	}
	s.wdb.SetMaxOpenConns(1)
	if err := s.start(path, opts); err != nil {
		s.wdb.Close()
		if s.rdb != nil {
			s.rdb.Close()
		}
		return nil, err
	}
	return s, nil
}

// start migrates the schema, opens the read pool and starts the writer.
func (s *Store) start(path string, opts Options) error {
	ctx := context.Background()
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	reindex, err := migrate(ctx, conn)
	if err != nil {
		conn.Close()
		return err
	}
	if s.w, err = newWriter(ctx, conn, opts.MaxBatch, &s.tenants); err != nil {
		conn.Close()
		return err
	}
	if reindex {
		if err := s.w.reindexAll(ctx); err != nil {
			s.w.close()
			return err
		}
	}
	if s.rdb, err = sql.Open("sqlite", dsn(path, opts, modeRead)); err != nil {
		s.w.close()
		return err
	}
	s.rdb.SetMaxOpenConns(opts.ReadConns)
	s.rdb.SetMaxIdleConns(opts.ReadConns)
	s.qcache.db, s.qcache.stmts = s.rdb, map[string]*sql.Stmt{}
	if s.reads, err = prepareReads(ctx, s.rdb); err != nil {
		s.w.close()
		return err
	}
	if s.ckpt, err = startCheckpointer(path, opts); err != nil {
		s.reads.close()
		s.w.close()
		return err
	}
	go s.w.loop()
	return nil
}

func (o Options) withDefaults() (Options, error) {
	switch strings.ToUpper(o.Synchronous) {
	case "":
		o.Synchronous = SyncFull
	case SyncFull, SyncNormal:
		o.Synchronous = strings.ToUpper(o.Synchronous)
	default:
		return o, fmt.Errorf("sqlite: Synchronous must be %s or %s, not %q", SyncFull, SyncNormal, o.Synchronous)
	}
	if o.ReadConns <= 0 {
		o.ReadConns = max(4, 2*runtime.GOMAXPROCS(0))
	}
	if o.CacheKiB <= 0 {
		o.CacheKiB = 16384
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 20000
	}
	return o, nil
}

// Connection roles for dsn.
const (
	modeWrite = iota
	modeRead
	modeCheckpoint
)

// dsn builds the driver name: path plus connection pragmas. The page
// cache is per connection: CacheKiB for the writer and each reader, 1 MiB
// for the checkpointer. No memory mapping (mmap_size 0): mapped pages would
// count in the resident memory of the process.
func dsn(path string, opts Options, mode int) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	cache := opts.CacheKiB
	if mode == modeCheckpoint {
		cache = 1024
	}
	q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", cache))
	q.Add("_pragma", "mmap_size(0)")
	switch mode {
	case modeRead:
		q.Add("_pragma", "query_only(1)")
		// Sorts and IN lists of large queries stay in memory up to the
		// cache size, then spill to temporary files.
		q.Add("_pragma", "temp_store(DEFAULT)")
	case modeWrite:
		q.Add("_pragma", "temp_store(MEMORY)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous("+opts.Synchronous+")")
		// The checkpointer keeps the WAL short; this is the backstop
		// (64 MiB) should it fall behind. After a checkpoint, the WAL file
		// is truncated to 64 MiB at most.
		q.Add("_pragma", "wal_autocheckpoint(16384)")
		q.Add("_pragma", "journal_size_limit(67108864)")
	case modeCheckpoint:
		q.Add("_pragma", "synchronous("+opts.Synchronous+")")
	}
	return path + "?" + q.Encode()
}

// errClosed is returned by every method after Close.
var errClosed = errors.New("sqlite: store is closed")

// Close waits for pending writes, stops the writer and closes the database.
func (s *Store) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return errClosed
	}
	s.closed = true
	s.closeMu.Unlock()
	werr := s.w.stop()
	cerr := s.ckpt.close()
	s.qcache.close()
	s.reads.close()
	return errors.Join(werr, cerr, s.rdb.Close(), s.wdb.Close())
}

// begin marks an operation in progress, which Close waits for; it returns
// the function that ends it, or errClosed after Close.
func (s *Store) begin() (func(), error) {
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return nil, errClosed
	}
	return s.closeMu.RUnlock, nil
}

package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
)

// TestGroupCommit checks that Writes queued while the writer is busy are
// merged into one transaction, and that each is acknowledged with its own
// outcome.
func TestGroupCommit(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()
	release := make(chan struct{})
	blocker := store.Mutation{ID: "urn:block", Apply: func(*ngsild.Entity) (*ngsild.Entity, error) {
		<-release
		return benchEntity("urn:block", 0), nil
	}}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.Write(context.Background(), "", []store.Mutation{blocker})
	}()
	// Wait until the writer has taken the blocker and sits inside its Apply.
	for len(s.w.reqs) > 0 || s.w.commits.Load() > 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	before := s.w.commits.Load()
	const writers = 40
	errs := make([][]error, writers)
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("urn:e:%d", i)
			m := put(benchEntity(id, i))
			if i%2 == 1 { // every other Write fails
				m.Apply = func(*ngsild.Entity) (*ngsild.Entity, error) { return nil, fmt.Errorf("no %d", i) }
			}
			errs[i], _ = s.Write(context.Background(), "", []store.Mutation{m})
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); len(s.w.reqs) < writers; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d writes queued", len(s.w.reqs), writers)
		}
	}
	close(release)
	wg.Wait()
	if n := s.w.commits.Load() - before; n > 3 {
		t.Fatalf("%d transactions for %d queued writes, want them merged", n, writers+1)
	}
	for i, e := range errs {
		if (e[0] != nil) != (i%2 == 1) {
			t.Fatalf("write %d: %v", i, e[0])
		}
		_, err := s.Entity(context.Background(), "", fmt.Sprintf("urn:e:%d", i))
		if (err != nil) != (i%2 == 1) {
			t.Fatalf("entity %d after its write: %v", i, err)
		}
	}
}

// TestClosedStore checks that a closed store refuses work instead of hanging.
func TestClosedStore(t *testing.T) {
	s := openTest(t, t.TempDir())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(context.Background(), "", []store.Mutation{put(benchEntity("urn:x", 1))}); err != errClosed {
		t.Fatalf("Write after Close: %v", err)
	}
	if _, err := s.Entity(context.Background(), "", "urn:x"); err != errClosed {
		t.Fatalf("Entity after Close: %v", err)
	}
	if err := s.Close(); err != errClosed {
		t.Fatalf("second Close: %v", err)
	}
}

// TestOpenRejectsBadOptions checks option validation.
func TestOpenRejectsBadOptions(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir+"/x.db", Options{Synchronous: "OFF"}); err == nil {
		t.Fatal("Synchronous OFF accepted")
	}
	if _, err := Open(dir+"/x.db?mode=memory", Options{}); err == nil {
		t.Fatal("path with a query accepted")
	}
	s, err := Open(dir+"/x.db", Options{Synchronous: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// TestPragmas checks the durability settings of the writing connection.
func TestPragmas(t *testing.T) {
	for sync, want := range map[string]int{"": 2, SyncFull: 2, SyncNormal: 1} {
		s, err := Open(t.TempDir()+"/p.db", Options{Synchronous: sync})
		if err != nil {
			t.Fatal(err)
		}
		var got int
		var mode string
		ctx := context.Background()
		if err := s.w.conn.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if err := s.w.conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if got != want || mode != "wal" {
			t.Fatalf("Synchronous %q: synchronous=%d journal_mode=%s; want %d, wal", sync, got, mode, want)
		}
	}
}

// TestSchemaVersion checks that Open records the schema version and
// refuses a database written by a newer program.
func TestSchemaVersion(t *testing.T) {
	path := t.TempDir() + "/v.db"
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != len(migrations) {
		t.Fatalf("user_version = %d, %v; want %d", v, err, len(migrations))
	}
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", len(migrations)+1)); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(path, Options{}); err == nil {
		s.Close()
		t.Fatal("Open accepted a newer schema")
	}
}

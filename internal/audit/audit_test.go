package audit

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var ctx = context.Background()

// newLog opens a log in a fresh directory with n records by alice, bob, …
func newLog(t *testing.T, n int) (*Log, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.db")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	actors := []string{"alice", "bob", "carol", "dave", "erin"}
	for i := range n {
		_, err := l.Append(ctx, Record{Time: time.Date(2026, 11, 23, 8, i, 0, 0, time.UTC), Actor: actors[i%len(actors)],
			Action: "entity.update", Resource: fmt.Sprintf("urn:ngsi-ld:Parking:%d", i), SourceIP: "10.0.0.1",
			Outcome: OutcomeSuccess, Details: map[string]string{"tenant": "vt", "attr": "occupancy"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	return l, path
}

// tamper runs SQL on the log's file through a separate connection with
// the append-only triggers dropped, as an attacker with file access would.
func tamper(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range append([]string{"DROP TRIGGER IF EXISTS audit_no_update", "DROP TRIGGER IF EXISTS audit_no_delete"}, stmts...) {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func mustVerify(t *testing.T, l *Log, anchors ...Head) Report {
	t.Helper()
	rep, err := l.Verify(ctx, anchors...)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestChainLinksAndVerifies(t *testing.T) {
	l, _ := newLog(t, 5)
	recs, err := l.Records(ctx, 0, 100)
	if err != nil || len(recs) != 5 {
		t.Fatalf("records %v, %v", recs, err)
	}
	if recs[0].PrevHash != genesis || recs[0].Seq != 1 {
		t.Errorf("first record %+v", recs[0])
	}
	for i := 1; i < len(recs); i++ {
		if recs[i].PrevHash != recs[i-1].Hash || recs[i].Seq != recs[i-1].Seq+1 {
			t.Errorf("record %d does not link to %d", recs[i].Seq, recs[i-1].Seq)
		}
	}
	if recs[2].Actor != "carol" || recs[2].Details["attr"] != "occupancy" || !recs[2].Time.Equal(time.Date(2026, 11, 23, 8, 2, 0, 0, time.UTC)) {
		t.Errorf("record 3 read back as %+v", recs[2])
	}
	rep := mustVerify(t, l)
	if rep.Broken != nil || rep.Records != 5 || rep.Head != (Head{Seq: 5, Hash: recs[4].Hash}) {
		t.Errorf("report %+v", rep)
	}
}

func TestEmptyLogVerifies(t *testing.T) {
	l, _ := newLog(t, 0)
	if rep := mustVerify(t, l); rep.Broken != nil || rep.Records != 0 {
		t.Errorf("empty log: %+v", rep)
	}
}

func TestHashCoversEveryField(t *testing.T) {
	base := canonical{Seq: 1, Time: "t", Actor: "a", Action: "b", Resource: "c", SourceIP: "d", Outcome: "e", Details: map[string]string{"k": "v"}}
	h0, _ := chainHash(genesis, base)
	variants := []func(*canonical){
		func(c *canonical) { c.Seq = 2 }, func(c *canonical) { c.Time = "u" }, func(c *canonical) { c.Actor = "x" },
		func(c *canonical) { c.Action = "x" }, func(c *canonical) { c.Resource = "x" }, func(c *canonical) { c.SourceIP = "x" },
		func(c *canonical) { c.Outcome = "x" }, func(c *canonical) { c.Details = map[string]string{"k": "w"} },
	}
	for i, change := range variants {
		c := base
		change(&c)
		if h, _ := chainHash(genesis, c); h == h0 {
			t.Errorf("variant %d does not change the hash", i)
		}
	}
	if h, _ := chainHash(strings.Repeat("1", 64), base); h == h0 {
		t.Error("the previous hash is not covered")
	}
}

func TestTriggersRefuseUpdateAndDelete(t *testing.T) {
	l, _ := newLog(t, 2)
	for _, s := range []string{"UPDATE audit SET actor='mallory' WHERE seq=1", "DELETE FROM audit WHERE seq=2"} {
		if _, err := l.db.Exec(s); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want the append-only error", s, err)
		}
	}
}

func TestVerifyFindsTampering(t *testing.T) {
	cases := []struct {
		name  string
		stmts []string
		seq   int64
	}{
		{"edited actor", []string{"UPDATE audit SET actor='mallory' WHERE seq=3"}, 3},
		{"edited outcome", []string{"UPDATE audit SET outcome='failure' WHERE seq=2"}, 2},
		{"edited details", []string{`UPDATE audit SET details='{"attr":"occupancy","tenant":"other"}' WHERE seq=4`}, 4},
		{"edited time", []string{"UPDATE audit SET time='2026-11-23T09:00:00Z' WHERE seq=1"}, 1},
		{"deleted record", []string{"DELETE FROM audit WHERE seq=3"}, 3},
		{"first record deleted", []string{"DELETE FROM audit WHERE seq=1"}, 1},
		{"reordered records", []string{"UPDATE audit SET seq=100 WHERE seq=2", "UPDATE audit SET seq=2 WHERE seq=3", "UPDATE audit SET seq=3 WHERE seq=100"}, 2},
		{"relinked after deletion", []string{"DELETE FROM audit WHERE seq=3", "UPDATE audit SET seq=3 WHERE seq=4",
			"UPDATE audit SET prev_hash=(SELECT hash FROM audit WHERE seq=2) WHERE seq=3"}, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, path := newLog(t, 5)
			tamper(t, path, c.stmts...)
			rep := mustVerify(t, l)
			if rep.Broken == nil || rep.Broken.Seq != c.seq {
				t.Fatalf("report %+v, want a break at record %d", rep, c.seq)
			}
			if rep.Records != c.seq-1 {
				t.Errorf("%d records verified before the break, want %d", rep.Records, c.seq-1)
			}
		})
	}
}

// TestVerifyFindsBytesEditedInTheFile edits the database file itself, not
// through SQL: an actor's name is overwritten in place.
func TestVerifyFindsBytesEditedInTheFile(t *testing.T) {
	l, path := newLog(t, 5)
	if _, err := l.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	l.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("carol")) {
		t.Fatal("the actor is not in the database file")
	}
	// Every copy (the row and the actor index) is changed; "cxrol" keeps
	// the index in order, so the file stays a valid database.
	if err := os.WriteFile(path, bytes.ReplaceAll(data, []byte("carol"), []byte("cxrol")), 0o600); err != nil {
		t.Fatal(err)
	}
	l2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	rep := mustVerify(t, l2)
	if rep.Broken == nil || rep.Broken.Seq != 3 {
		t.Fatalf("report %+v, want a break at record 3", rep)
	}
	recs, _ := l2.Records(ctx, 2, 1)
	if len(recs) != 1 || recs[0].Actor != "cxrol" {
		t.Fatalf("the edit did not reach the record: %+v", recs)
	}
}

func TestAnchorFindsTruncationAndRewrite(t *testing.T) {
	l, path := newLog(t, 5)
	anchor := mustVerify(t, l).Head
	tamper(t, path, "DELETE FROM audit WHERE seq=5")
	if rep := mustVerify(t, l); rep.Broken != nil {
		t.Fatalf("without an anchor a cut tail is invisible, but got %+v", rep)
	}
	rep := mustVerify(t, l, anchor)
	if rep.Broken == nil || rep.Broken.Seq != 5 {
		t.Fatalf("cut tail with anchor: %+v, want a break at 5", rep)
	}

	l2, path2 := newLog(t, 3)
	anchor2 := mustVerify(t, l2).Head
	tamper(t, path2, "DELETE FROM audit")
	for range 3 { // a forger rebuilds a consistent chain with other content
		l2.Append(ctx, Record{Actor: "mallory", Action: "nothing", Outcome: OutcomeSuccess})
	}
	if rep := mustVerify(t, l2); rep.Broken != nil {
		t.Fatalf("the rebuilt chain should be self-consistent: %+v", rep)
	}
	if rep := mustVerify(t, l2, anchor2); rep.Broken == nil || rep.Broken.Seq != 3 {
		t.Fatalf("rebuilt chain with anchor: %+v, want a break at 3", rep)
	}
}

func TestConcurrentAppendsKeepOneChain(t *testing.T) {
	l, path := newLog(t, 0)
	other, err := Open(path) // a second process on the same file
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var wg sync.WaitGroup
	for g := range 8 {
		log := l
		if g%2 == 1 {
			log = other
		}
		wg.Go(func() {
			for i := range 10 {
				if _, err := log.Append(ctx, Record{Actor: fmt.Sprint("g", g), Action: fmt.Sprint(i), Outcome: OutcomeSuccess}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	rep := mustVerify(t, l)
	if rep.Broken != nil || rep.Records != 80 {
		t.Errorf("report %+v, want 80 records and no break", rep)
	}
}

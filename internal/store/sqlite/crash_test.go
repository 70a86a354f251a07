package sqlite

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
)

// crashEnv makes the test binary run crashChild instead of the test.
const crashEnv = "DOTHI_SQLITE_CRASH_CHILD_DB"

// TestCrashDurability kills -9 a child process that writes batches and
// checks that every id it saw acknowledged survives.
func TestCrashDurability(t *testing.T) {
	if path := os.Getenv(crashEnv); path != "" {
		crashChild(path)
		return
	}
	if testing.Short() {
		t.Skip("crash test re-executes the test binary")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	acked := runAndKill(t, path, 3000)
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer s.Close()
	for _, id := range acked {
		if _, err := s.Entity(context.Background(), "crash", id); err != nil {
			t.Fatalf("acknowledged entity %s lost: %v", id, err)
		}
	}
	checkIntegrity(t, path)
	t.Logf("%d acknowledged entities survived kill -9", len(acked))
}

// runAndKill starts the child, reads acknowledged ids until it has want of
// them, kills the child mid-stream and returns every id it printed.
func runAndKill(t *testing.T, path string, want int) []string {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashDurability$")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	killed := false
	deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		id, ok := strings.CutPrefix(sc.Text(), "ACK ")
		if !ok {
			continue
		}
		acked = append(acked, id)
		if len(acked) == want && !killed {
			killed = true
			if err := cmd.Process.Kill(); err != nil { // SIGKILL
				t.Fatal(err)
			}
		}
	}
	cmd.Wait()
	if !killed {
		t.Fatalf("child stopped after %d acknowledgements, before the kill", len(acked))
	}
	return acked
}

// crashChild writes batches from several goroutines forever, printing
// each id once Write has acknowledged it.
func crashChild(path string) {
	s, err := Open(path, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for batch := 0; ; batch++ {
				ids, muts := crashBatch(g, batch, 25)
				errs, err := s.Write(context.Background(), "crash", muts)
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				mu.Lock()
				for i, id := range ids {
					if errs[i] == nil {
						fmt.Printf("ACK %s\n", id)
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// crashBatch returns n new entities for goroutine g's batch.
func crashBatch(g, batch, n int) ([]string, []store.Mutation) {
	ids := make([]string, n)
	muts := make([]store.Mutation, n)
	for i := range muts {
		e := benchEntity(fmt.Sprintf("urn:crash:%d:%d:%d", g, batch, i), batch*n+i)
		ids[i] = e.ID
		muts[i] = store.Mutation{ID: e.ID, Apply: func(*ngsild.Entity) (*ngsild.Entity, error) { return e, nil }}
	}
	return ids, muts
}

// checkIntegrity runs PRAGMA integrity_check on the database file.
func checkIntegrity(t *testing.T, path string) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		t.Fatalf("integrity_check: %q, %v", res, err)
	}
}

package server_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/bench"
)

// TestBackupOfRunningServerAndRestore backs up a dothi server process
// while a client keeps writing to it, restores the archive, refuses to
// restore over the running server's directory, and serves the restored
// copy with every write acknowledged before the backup.
func TestBackupOfRunningServerAndRestore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv, err := bench.StartServer(ctx, dothiBin, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	acked := make(chan int, 100000)
	stop := make(chan struct{})
	go func() {
		defer close(acked)
		c := &http.Client{Timeout: 10 * time.Second}
		for i := 0; ; i += 10 {
			select {
			case <-stop:
				return
			default:
			}
			req, _ := http.NewRequest("POST", srv.URL+"/ngsi-ld/v1/entityOperations/upsert", strings.NewReader(string(bench.Batch(i, 10))))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+srv.Key)
			resp, err := c.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				t.Errorf("upsert: %d", resp.StatusCode)
				return
			}
			acked <- i
		}
	}()
	var before []int
	for len(before) < 20 {
		before = append(before, <-acked)
	}
	for n := len(acked); n > 0; n-- {
		before = append(before, <-acked)
	}
	archive := filepath.Join(t.TempDir(), "dothi-backup.tar.gz")
	out, code := runDothi(t, "backup", "--data", dir, "--out", archive)
	close(stop)
	for range acked {
	}
	if code != 0 || !strings.Contains(out, "audit.db") {
		t.Fatalf("dothi backup: exit %d: %s", code, out)
	}
	if out, code := runDothi(t, "restore", "--data", dir, "--in", archive, "--force"); code != 1 || !strings.Contains(out, "in use") {
		t.Errorf("restore over the running server's directory: exit %d: %s, want 1 and in use", code, out)
	}
	if _, err := os.Stat(archive + ".sha256"); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "restored")
	out, code = runDothi(t, "restore", "--data", target, "--in", archive)
	if code != 0 || !strings.Contains(out, "audit chain ok") {
		t.Fatalf("dothi restore: exit %d: %s", code, out)
	}
	if out, code := runDothi(t, "audit", "verify", "--data", target); code != 0 {
		t.Errorf("audit verify of the restored copy: %s", out)
	}
	restored, err := bench.StartServer(ctx, dothiBin, target)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Stop()
	for _, first := range before {
		for i := first; i < first+10; i++ {
			if code, _ := do(t, restored.Key, "GET", restored.URL+"/ngsi-ld/v1/entities/"+bench.EntityID(i), ""); code != 200 {
				t.Fatalf("entity %s, acknowledged before the backup, is missing from the restored copy (%d)", bench.EntityID(i), code)
			}
		}
	}
	// A second server on the same data directory is refused.
	if out, code := runDothi(t, "serve", "--data", target, "--addr", "127.0.0.1:0"); code != 1 || !strings.Contains(out, "in use") {
		t.Errorf("a second server on a directory in use: exit %d: %s", code, out)
	}
	t.Logf("%d batches acknowledged before the backup, all restored", len(before))
}

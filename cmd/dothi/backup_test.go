package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dothi-city/dothi/internal/store/sqlite"
)

func TestBackupAndRestoreCommands(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"backup", "--data", t.TempDir()}, &out, &errb); code != 2 {
		t.Errorf("backup without --out: exit %d", code)
	}
	if code := run([]string{"restore", "--in", "x.tar.gz"}, &out, &errb); code != 2 {
		t.Errorf("restore without --data: exit %d", code)
	}
	archive := filepath.Join(t.TempDir(), "b.tar.gz")
	if code := run([]string{"backup", "--data", t.TempDir(), "--out", archive}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "not a dothi data directory") {
		t.Errorf("backup of an empty directory: exit %d: %s", code, errb.String())
	}
	data := t.TempDir()
	st, err := sqlite.Open(filepath.Join(data, "dothi.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	out.Reset()
	errb.Reset()
	if code := run([]string{"backup", "--data", data, "--out", archive}, &out, &errb); code != 0 || !strings.Contains(out.String(), "dothi.db") {
		t.Fatalf("backup: exit %d: %s %s", code, out.String(), errb.String())
	}
	if code := run([]string{"restore", "--verify-only", "--in", archive}, &out, &errb); code != 0 {
		t.Fatalf("restore --verify-only: exit %d: %s", code, errb.String())
	}
	target := filepath.Join(t.TempDir(), "r")
	out.Reset()
	if code := run([]string{"restore", "--data", target, "--in", archive}, &out, &errb); code != 0 || !strings.Contains(out.String(), "restored 1 files") {
		t.Fatalf("restore: exit %d: %s %s", code, out.String(), errb.String())
	}
	errb.Reset()
	if code := run([]string{"restore", "--data", target, "--in", archive}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "--force") {
		t.Errorf("restore over a restored directory: exit %d: %s", code, errb.String())
	}
	b, _ := os.ReadFile(archive)
	b[len(b)/2] ^= 1
	os.WriteFile(archive, b, 0o600)
	errb.Reset()
	if code := run([]string{"restore", "--data", filepath.Join(t.TempDir(), "x"), "--in", archive}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "corrupt") {
		t.Errorf("restore of a corrupted archive: exit %d: %s", code, errb.String())
	}
}

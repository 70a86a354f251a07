package audit

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func runVerify(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := VerifyCommand(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestVerifyCommand(t *testing.T) {
	l, path := newLog(t, 4)
	l.Close()
	dir := filepath.Dir(path)
	anchor := filepath.Join(t.TempDir(), "anchor.json")
	code, out, _ := runVerify("--data", dir, "--anchor", anchor)
	if code != 0 || !strings.Contains(out, "ok: 4 records, head 4 ") {
		t.Fatalf("clean log: exit %d, %q", code, out)
	}
	tamper(t, path, "DELETE FROM audit WHERE seq=4")
	if code, _, stderr := runVerify("--data", dir); code != 0 {
		t.Fatalf("a cut tail without anchor: exit %d %s", code, stderr)
	}
	code, _, stderr := runVerify("--data", dir, "--anchor", anchor)
	if code != 1 || !strings.Contains(stderr, "BROKEN at record 4") {
		t.Errorf("cut tail with anchor: exit %d, %q", code, stderr)
	}
	tamper(t, path, "UPDATE audit SET actor='x' WHERE seq=2")
	code, _, stderr = runVerify("--data", dir)
	if code != 1 || !strings.Contains(stderr, "BROKEN at record 2") {
		t.Errorf("edited record: exit %d, %q", code, stderr)
	}
}

func TestVerifyCommandErrors(t *testing.T) {
	if code, _, stderr := runVerify("--data", t.TempDir()); code != 1 || !strings.Contains(stderr, "does not exist") {
		t.Errorf("missing log: exit %d, %q", code, stderr)
	}
	if code, _, _ := runVerify("--bogus"); code != 2 {
		t.Errorf("bad flag: exit %d", code)
	}
}

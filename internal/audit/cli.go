package audit

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// FileName is the audit log's file in the data directory.
const FileName = "audit.db"

// VerifyCommand runs `dothi audit verify --data DIR [--anchor FILE]`: it
// verifies the chain and prints the number of records and the head. With
// --anchor, the head kept in FILE by the last good run must still be in
// the chain, and the new head is written back. It returns the exit code:
// 0 when the chain holds, 1 when it is broken or the log is missing, 2 on
// a usage or read error.
func VerifyCommand(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("dothi audit verify", flag.ContinueOnError)
	fl.SetOutput(stderr)
	data := fl.String("data", "./data", "data directory")
	anchorFile := fl.String("anchor", "", "file keeping the head of the last good run (keep it off this machine)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	path := filepath.Join(*data, FileName)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(stderr, "audit log %s does not exist\n", path)
		return 1
	}
	anchors, err := readAnchor(*anchorFile)
	if err != nil {
		fmt.Fprintln(stderr, "dothi audit verify:", err)
		return 2
	}
	rep, err := verifyFile(path, anchors)
	if err != nil {
		fmt.Fprintln(stderr, "dothi audit verify:", err)
		return 2
	}
	return report(rep, *anchorFile, stdout, stderr)
}

// verifyFile opens the log at path and verifies it.
func verifyFile(path string, anchors []Head) (Report, error) {
	l, err := Open(path)
	if err != nil {
		return Report{}, err
	}
	defer l.Close()
	return l.Verify(context.Background(), anchors...)
}

// report prints rep, keeps the new anchor and returns the exit code.
func report(rep Report, anchorFile string, stdout, stderr io.Writer) int {
	if rep.Broken != nil {
		fmt.Fprintf(stderr, "audit chain BROKEN at record %d: %s (%d records verified before it)\n", rep.Broken.Seq, rep.Broken.Reason, rep.Records)
		return 1
	}
	fmt.Fprintf(stdout, "audit chain ok: %d records, head %d %s\n", rep.Records, rep.Head.Seq, rep.Head.Hash)
	if anchorFile != "" {
		if err := writeAnchor(anchorFile, rep.Head); err != nil {
			fmt.Fprintln(stderr, "dothi audit verify: keep anchor:", err)
			return 2
		}
	}
	return 0
}

// readAnchor reads the head kept in file; none if file is "" or missing.
func readAnchor(file string) ([]Head, error) {
	if file == "" {
		return nil, nil
	}
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var h Head
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("anchor %s: %w", file, err)
	}
	if h.Seq == 0 {
		return nil, nil
	}
	return []Head{h}, nil
}

// writeAnchor replaces file with h.
func writeAnchor(file string, h Head) error {
	b, _ := json.Marshal(h)
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, file)
}

package backup

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dothi-city/dothi/internal/audit"
	"github.com/dothi-city/dothi/internal/datalock"
)

// Errors of Restore that callers may tell apart.
var (
	// ErrCorrupt: the archive, its checksum file or a file in it does not
	// match its checksum, or the archive is malformed.
	ErrCorrupt = errors.New("backup archive is corrupt or was altered")
	// ErrTargetNotEmpty: the target holds files and Force was not given.
	ErrTargetNotEmpty = errors.New("target data directory is not empty")
	// ErrInvalidData: a restored database fails its integrity check or the
	// audit chain is broken.
	ErrInvalidData = errors.New("backup holds invalid data")
)

// RestoreOptions configure Restore.
type RestoreOptions struct {
	// Force replaces a non-empty target; its old content is moved aside
	// to Result.Replaced, not deleted.
	Force bool
}

// Result reports a restore.
type Result struct {
	Manifest *Manifest
	// AuditRecords is the length of the verified audit chain.
	AuditRecords int64
	// Replaced is where the former content of a forced target went ("" if none).
	Replaced string
}

// maxManifest bounds the manifest an archive may carry.
const maxManifest = 1 << 20

// Verify checks archive against its checksum file and every file in it
// against the manifest, without restoring; it returns the manifest.
func Verify(archive string) (*Manifest, error) {
	if err := checkArchiveSum(archive); err != nil {
		return nil, err
	}
	return unpack(archive, "")
}

// Restore restores the backup archive into the data directory target. It
// changes nothing unless every check passes; see the package comment.
func Restore(ctx context.Context, target, archive string, opt RestoreOptions) (*Result, error) {
	if err := checkArchiveSum(archive); err != nil {
		return nil, err
	}
	target = filepath.Clean(target)
	exists, content, err := checkTarget(target, opt.Force)
	if err != nil {
		return nil, err
	}
	parent := filepath.Dir(target)
	if err := os.MkdirAll(parent, 0o750); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, ".dothi-restore-*")
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o750); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	m, err := unpack(archive, tmp)
	if err != nil {
		return nil, err
	}
	res := &Result{Manifest: m}
	if res.AuditRecords, err = checkData(ctx, tmp, m); err != nil {
		return nil, err
	}
	if err := syncDir(tmp); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	if exists {
		// Held until the end, so that no server starts on target meanwhile.
		lock, err := datalock.Acquire(target)
		if err != nil {
			return nil, fmt.Errorf("restore: refusing to touch %s: %w", target, err)
		}
		defer lock.Release()
		res.Replaced, err = moveAside(target)
		if err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
	}
	if err := os.Rename(tmp, target); err != nil {
		if res.Replaced != "" {
			_ = os.Rename(res.Replaced, target)
		}
		return nil, fmt.Errorf("restore: %w", err)
	}
	committed = true
	if err := syncDir(parent); err != nil {
		return res, fmt.Errorf("restore: %w", err)
	}
	if res.Replaced != "" && !content {
		// The target was empty but for a lock file: nothing to keep.
		os.RemoveAll(res.Replaced)
		res.Replaced = ""
	}
	return res, nil
}

// checkArchiveSum compares the SHA-256 of archive with archive.sha256.
func checkArchiveSum(archive string) error {
	line, err := os.ReadFile(ChecksumFile(archive))
	if err != nil {
		return fmt.Errorf("restore: checksum file: %w (a backup is not used without its checksum)", err)
	}
	want, _, _ := strings.Cut(strings.TrimSpace(string(line)), " ")
	if len(want) != 2*sha256.Size {
		return fmt.Errorf("restore: %s is not a SHA-256 checksum file: %w", ChecksumFile(archive), ErrCorrupt)
	}
	f, err := os.Open(archive)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("restore: read %s: %w", archive, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, want) {
		return fmt.Errorf("restore: %s has SHA-256 %s but %s says %s: %w", archive, got, ChecksumFile(archive), want, ErrCorrupt)
	}
	return nil
}

// checkTarget reports whether target exists and holds files (other than
// a lock file), and refuses a target that is not a directory, or is in
// use, or is not empty without force.
func checkTarget(target string, force bool) (exists, content bool, err error) {
	fi, err := os.Stat(target)
	if errors.Is(err, os.ErrNotExist) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("restore: %w", err)
	}
	if !fi.IsDir() {
		return false, false, fmt.Errorf("restore: %s is not a directory", target)
	}
	if used, err := datalock.InUse(target); err != nil {
		return false, false, fmt.Errorf("restore: %w", err)
	} else if used {
		return false, false, fmt.Errorf("restore: refusing to touch %s: %w; stop it first", target, datalock.ErrInUse)
	}
	entries, err := os.ReadDir(target)
	if err != nil {
		return false, false, fmt.Errorf("restore: %w", err)
	}
	for _, e := range entries {
		if e.Name() == datalock.FileName {
			continue
		}
		if !force {
			return false, false, fmt.Errorf("restore: %s holds %s: %w (use --force to replace it; its content is kept aside)", target, e.Name(), ErrTargetNotEmpty)
		}
		content = true
	}
	return true, content, nil
}

// moveAside renames dir to a new name beside it and returns that name.
func moveAside(dir string) (string, error) {
	aside := fmt.Sprintf("%s.replaced-%s", dir, time.Now().UTC().Format("20060102T150405Z"))
	for i := 1; ; i++ {
		if _, err := os.Lstat(aside); errors.Is(err, os.ErrNotExist) {
			break
		}
		aside = fmt.Sprintf("%s.replaced-%s-%d", dir, time.Now().UTC().Format("20060102T150405Z"), i)
	}
	return aside, os.Rename(dir, aside)
}

// unpack reads archive, checks every entry against the manifest (the first
// entry) and, when dir is not "", writes the files into dir, fsynced. It
// returns the manifest once every listed file was found intact.
func unpack(archive, dir string) (*Manifest, error) {
	f, err := os.Open(archive)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	corrupt := func(format string, args ...any) error {
		return fmt.Errorf("restore: %s: %s: %w", archive, fmt.Sprintf(format, args...), ErrCorrupt)
	}
	gz, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return nil, corrupt("not a gzip file: %v", err)
	}
	tr := tar.NewReader(gz)
	hdr, err := tr.Next()
	if err != nil || hdr.Name != ManifestName || hdr.Size > maxManifest {
		return nil, corrupt("the first entry is not the manifest")
	}
	var m Manifest
	if b, err := io.ReadAll(tr); err != nil {
		return nil, corrupt("read manifest: %v", err)
	} else if err := json.Unmarshal(b, &m); err != nil {
		return nil, corrupt("manifest is not valid JSON: %v", err)
	}
	if err := m.check(); err != nil {
		return nil, corrupt("%v", err)
	}
	seen := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, corrupt("%v", err)
		}
		i := slices.IndexFunc(m.Files, func(f File) bool { return f.Name == hdr.Name })
		switch {
		case i < 0:
			return nil, corrupt("entry %q is not in the manifest", hdr.Name)
		case seen[hdr.Name]:
			return nil, corrupt("entry %q appears twice", hdr.Name)
		case hdr.Typeflag != tar.TypeReg:
			return nil, corrupt("entry %q is not a regular file", hdr.Name)
		case hdr.Size != m.Files[i].Size:
			return nil, corrupt("%s is %d bytes, the manifest says %d", hdr.Name, hdr.Size, m.Files[i].Size)
		}
		seen[hdr.Name] = true
		if err := extract(tr, dir, m.Files[i]); err != nil {
			if errors.Is(err, ErrCorrupt) {
				return nil, fmt.Errorf("restore: %s: %w", archive, err)
			}
			return nil, fmt.Errorf("restore: %w", err)
		}
	}
	for _, f := range m.Files {
		if !seen[f.Name] {
			return nil, corrupt("%s is in the manifest but not in the archive", f.Name)
		}
	}
	return &m, nil
}

// check validates the manifest: known format, known and unique names.
func (m *Manifest) check() error {
	if m.Format != FormatVersion {
		return fmt.Errorf("unknown archive format %d", m.Format)
	}
	if !slices.ContainsFunc(m.Files, func(f File) bool { return f.Name == StoreFile }) {
		return fmt.Errorf("the manifest lists no %s", StoreFile)
	}
	names := map[string]bool{}
	for _, f := range m.Files {
		if !slices.Contains(Databases, f.Name) || names[f.Name] {
			return fmt.Errorf("the manifest lists an unexpected or repeated file %q", f.Name)
		}
		if f.Size < 0 || len(f.SHA256) != 2*sha256.Size {
			return fmt.Errorf("the manifest entry of %s is malformed", f.Name)
		}
		names[f.Name] = true
	}
	return nil
}

// extract copies one entry into dir/f.Name (or only hashes it when dir is
// "") and compares its checksum with the manifest's.
func extract(r io.Reader, dir string, f File) error {
	h := sha256.New()
	w := io.Writer(h)
	var out *os.File
	if dir != "" {
		var err error
		out, err = os.OpenFile(filepath.Join(dir, f.Name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		defer out.Close()
		w = io.MultiWriter(out, h)
	}
	n, err := io.Copy(w, r)
	if err != nil {
		return fmt.Errorf("%s: %v: %w", f.Name, err, ErrCorrupt)
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != f.Size || got != f.SHA256 {
		return fmt.Errorf("%s has SHA-256 %s, the manifest says %s: %w", f.Name, got, f.SHA256, ErrCorrupt)
	}
	if out != nil {
		if err := out.Sync(); err != nil {
			return err
		}
		return out.Close()
	}
	return nil
}

// checkData runs PRAGMA integrity_check on every restored database,
// compares its schema version with the manifest, and verifies the audit
// chain; it returns the number of audit records.
func checkData(ctx context.Context, dir string, m *Manifest) (int64, error) {
	var records int64
	for _, f := range m.Files {
		path := filepath.Join(dir, f.Name)
		if err := integrity(ctx, path, f.SchemaVersion); err != nil {
			return 0, fmt.Errorf("restore: %s: %v: %w", f.Name, err, ErrInvalidData)
		}
		if f.Name != audit.FileName {
			continue
		}
		l, err := audit.Open(path)
		if err != nil {
			return 0, fmt.Errorf("restore: %w", err)
		}
		rep, err := l.Verify(ctx)
		if cerr := l.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return 0, fmt.Errorf("restore: verify the audit log: %w", err)
		}
		if rep.Broken != nil {
			return 0, fmt.Errorf("restore: the audit chain is broken at record %d: %s: %w", rep.Broken.Seq, rep.Broken.Reason, ErrInvalidData)
		}
		records = rep.Records
	}
	return records, nil
}

// integrity checks one database file.
func integrity(ctx context.Context, path string, schema int) error {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return fmt.Errorf("integrity check: %v", err)
	}
	if res != "ok" {
		return fmt.Errorf("integrity check: %s", res)
	}
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	if v != schema {
		return fmt.Errorf("schema version %d, the manifest says %d", v, schema)
	}
	return nil
}

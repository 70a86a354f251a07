// Package backup makes and restores consistent copies of the data
// directory of an embedded dothi platform: the entity store (dothi.db),
// the accounts (auth.db) and the audit log (audit.db).
//
// Create copies each database with SQLite's VACUUM INTO on its own read
// transaction, so a running server keeps writing while the copy is a
// transactionally consistent snapshot of each file. The copies are packed
// in one tar + gzip archive after a manifest (names, sizes, SHA-256,
// schema versions, dothi version, time), and the archive's SHA-256 is
// written beside it in FILE.sha256 (the format of sha256sum).
//
// Restore checks the archive's checksum and every file's checksum before
// it touches the target, refuses a directory a server holds (see
// internal/datalock) and a non-empty one unless forced, unpacks into a
// temporary directory next to the target, runs PRAGMA integrity_check on
// every database and verifies the audit chain, fsyncs, and only then
// renames the result into place.
package backup

import (
	"archive/tar"
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
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/dothi-city/dothi/internal/audit"
	"github.com/dothi-city/dothi/internal/auth"
	"github.com/dothi-city/dothi/internal/version"
)

// StoreFile is the embedded entity store in the data directory.
const StoreFile = "dothi.db"

// Databases are the files a backup holds, in the order they are copied.
// The audit log comes last, so that its copy holds the records of every
// change the copies before it hold.
var Databases = []string{StoreFile, auth.FileName, audit.FileName}

// ManifestName is the first entry of an archive.
const ManifestName = "manifest.json"

// FormatVersion is the version of the archive layout.
const FormatVersion = 1

// Manifest describes an archive.
type Manifest struct {
	Format int `json:"format"`
	// Created is when the backup started.
	Created time.Time `json:"created"`
	// DothiVersion and Commit identify the binary that made the backup.
	DothiVersion string `json:"dothiVersion"`
	Commit       string `json:"commit,omitempty"`
	Files        []File `json:"files"`
}

// File is one database in an archive.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// SchemaVersion is the database's PRAGMA user_version.
	SchemaVersion int `json:"schemaVersion"`
}

// ChecksumFile is the name of the file holding the checksum of archive.
func ChecksumFile(archive string) string { return archive + ".sha256" }

// Create writes a backup of the databases in dataDir to out (and its
// checksum to out.sha256). The server may be running and writing. The
// entity store must be present; the accounts and the audit log are copied
// when they exist.
func Create(ctx context.Context, dataDir, out string) (*Manifest, error) {
	if _, err := os.Stat(filepath.Join(dataDir, StoreFile)); err != nil {
		return nil, fmt.Errorf("backup: %s is not a dothi data directory: %w", dataDir, err)
	}
	stage, err := os.MkdirTemp(filepath.Dir(out), ".dothi-backup-*")
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(stage)
	v := version.Get()
	m := &Manifest{Format: FormatVersion, Created: time.Now().UTC(), DothiVersion: v.Version, Commit: v.Commit}
	for _, name := range Databases {
		src := filepath.Join(dataDir, name)
		if _, err := os.Stat(src); errors.Is(err, os.ErrNotExist) && name != StoreFile {
			continue
		}
		f, err := snapshot(ctx, src, filepath.Join(stage, name))
		if err != nil {
			return nil, fmt.Errorf("backup: copy %s: %w", name, err)
		}
		f.Name = name
		m.Files = append(m.Files, f)
	}
	sum, err := writeArchive(stage, out, m)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	line := sum + "  " + filepath.Base(out) + "\n"
	if err := writeFileSync(ChecksumFile(out), []byte(line)); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return m, syncDir(filepath.Dir(out))
}

// snapshot copies the database src to dst with VACUUM INTO, which reads
// src in one read transaction: in WAL mode writers go on meanwhile, and
// dst is the database as of that transaction's start.
func snapshot(ctx context.Context, src, dst string) (File, error) {
	db, err := sql.Open("sqlite", src+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return File{}, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", dst); err != nil {
		return File{}, err
	}
	return describe(ctx, dst)
}

// describe measures a database file: size, checksum and schema version.
func describe(ctx context.Context, path string) (File, error) {
	var f File
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return f, err
	}
	err = db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&f.SchemaVersion)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return f, err
	}
	r, err := os.Open(path)
	if err != nil {
		return f, err
	}
	defer r.Close()
	h := sha256.New()
	if f.Size, err = io.Copy(h, r); err != nil {
		return f, err
	}
	f.SHA256 = hex.EncodeToString(h.Sum(nil))
	return f, nil
}

// writeArchive packs the manifest and the staged files into out (through
// a temporary file, fsynced and renamed) and returns its SHA-256.
func writeArchive(stage, out string, m *Manifest) (string, error) {
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".dothi-backup-*.tmp")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	gz := gzip.NewWriter(io.MultiWriter(tmp, h))
	tw := tar.NewWriter(gz)
	hdr := func(name string, size int64) *tar.Header {
		return &tar.Header{Name: name, Size: size, Mode: 0o600, ModTime: m.Created, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	}
	if err := tw.WriteHeader(hdr(ManifestName, int64(len(manifest)))); err != nil {
		return "", err
	}
	if _, err := tw.Write(manifest); err != nil {
		return "", err
	}
	for _, f := range m.Files {
		if err := tw.WriteHeader(hdr(f.Name, f.Size)); err != nil {
			return "", err
		}
		if err := copyFile(tw, filepath.Join(stage, f.Name)); err != nil {
			return "", err
		}
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	if err := gz.Close(); err != nil {
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func copyFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// writeFileSync replaces path with data durably (temporary file, fsync, rename).
func writeFileSync(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// syncDir makes the entries of dir (renames, new files) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/dothi-city/dothi/internal/backup"
)

// backupCmd runs `dothi backup --data DIR --out FILE`.
func backupCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dothi backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", envOr("DOTHI_DATA", "./data"), "data directory of the platform, running or not (DOTHI_DATA)")
	out := fs.String("out", "", "archive to write (tar + gzip); its checksum goes to FILE.sha256")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: dothi backup --data DIR --out FILE")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m, err := backup.Create(ctx, *data, *out)
	if err != nil {
		fmt.Fprintln(stderr, "dothi backup:", err)
		return 1
	}
	for _, f := range m.Files {
		fmt.Fprintf(stdout, "%-9s %12d bytes  schema %d  sha256 %s\n", f.Name, f.Size, f.SchemaVersion, f.SHA256)
	}
	fmt.Fprintf(stdout, "backup written to %s (checksum in %s)\n", *out, backup.ChecksumFile(*out))
	return 0
}

// restoreCmd runs `dothi restore --data DIR --in FILE [--force]`.
func restoreCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dothi restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "data directory to restore into; must not be in use, and empty unless --force")
	in := fs.String("in", "", "archive made by dothi backup (with FILE.sha256 beside it)")
	force := fs.Bool("force", false, "replace a non-empty data directory (its content is moved aside, not deleted)")
	verifyOnly := fs.Bool("verify-only", false, "check the archive and its checksums without restoring")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *in == "" || (*data == "" && !*verifyOnly) || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: dothi restore --data DIR --in FILE [--force] | dothi restore --verify-only --in FILE")
		return 2
	}
	if *verifyOnly {
		m, err := backup.Verify(*in)
		if err != nil {
			fmt.Fprintln(stderr, "dothi restore:", err)
			return 1
		}
		fmt.Fprintf(stdout, "archive ok: %d files, made %s by dothi %s\n", len(m.Files), m.Created.Format("2006-01-02T15:04:05Z"), m.DothiVersion)
		return 0
	}
	res, err := backup.Restore(context.Background(), *data, *in, backup.RestoreOptions{Force: *force})
	if err != nil {
		fmt.Fprintln(stderr, "dothi restore:", err)
		return 1
	}
	m := res.Manifest
	fmt.Fprintf(stdout, "restored %d files into %s from the backup of %s (dothi %s); integrity ok; audit chain ok: %d records\n",
		len(m.Files), *data, m.Created.Format("2006-01-02T15:04:05Z"), m.DothiVersion, res.AuditRecords)
	if res.Replaced != "" {
		fmt.Fprintf(stdout, "the former content of %s is in %s\n", *data, res.Replaced)
	}
	return 0
}

// envOr is the environment variable name, or def when it is unset.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

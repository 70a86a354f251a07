// Package datalock keeps one dothi server at a time on a data directory:
// the server holds an exclusive advisory lock (flock) on DATA/dothi.lock
// while it runs, and `dothi restore` refuses a directory whose lock is
// held. The kernel drops the lock when the process ends, even on kill -9,
// so a stale lock file never blocks a restart.
package datalock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// FileName is the lock file in the data directory.
const FileName = "dothi.lock"

// ErrInUse is returned when another process holds the lock.
var ErrInUse = errors.New("data directory is in use by a running dothi server")

// Lock is a held lock on a data directory.
type Lock struct {
	f *os.File
}

// Acquire takes the lock of dir without waiting. It fails with an error
// wrapping ErrInUse when another process (or another Lock in this process)
// holds it.
func Acquire(dir string) (*Lock, error) {
	l, err := acquire(dir)
	if err != nil {
		return nil, err
	}
	// The pid is for people looking at the directory; the lock is the flock.
	if err := l.f.Truncate(0); err == nil {
		_, _ = fmt.Fprintf(l.f, "%d\n", os.Getpid())
	}
	return l, nil
}

func acquire(dir string) (*Lock, error) {
	path := filepath.Join(dir, FileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := flock(f); err != nil {
		f.Close()
		if errors.Is(err, ErrInUse) {
			return nil, fmt.Errorf("%s: %w", dir, ErrInUse)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// Release drops the lock. The lock file stays; it means nothing unlocked.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := funlock(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

// InUse reports whether a process holds the lock of dir. A directory
// without a lock file (or that does not exist) is not in use.
func InUse(dir string) (bool, error) {
	if _, err := os.Stat(filepath.Join(dir, FileName)); errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	l, err := acquire(dir)
	if errors.Is(err, ErrInUse) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return false, l.Release()
}

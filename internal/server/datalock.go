package server

import (
	"fmt"
	"os"

	"github.com/dothi-city/dothi/internal/datalock"
)

// lockData creates the data directory if needed and takes its lock, so
// that a second server on the same directory, or a `dothi restore` into
// it, is refused while this one runs. `dothi admin` and `dothi backup`
// do not take the lock: they work beside a running server.
func lockData(cfg Config) (*datalock.Lock, error) {
	if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	l, err := datalock.Acquire(cfg.Data)
	if err != nil {
		return nil, fmt.Errorf("refusing to start: %w", err)
	}
	return l, nil
}

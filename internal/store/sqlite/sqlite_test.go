package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/dothi-city/dothi/internal/store"
	"github.com/dothi-city/dothi/internal/store/storetest"
)

// openTest opens the store in dir/dothi.db and fails t on error.
func openTest(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(filepath.Join(dir, "dothi.db"), Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dir string) store.Store { return openTest(t, dir) })
}

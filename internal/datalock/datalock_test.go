package datalock

import (
	"errors"
	"testing"
)

func TestAcquireExcludesAndReleases(t *testing.T) {
	dir := t.TempDir()
	if used, err := InUse(dir); err != nil || used {
		t.Fatalf("fresh directory in use: %v %v", used, err)
	}
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(dir); !errors.Is(err, ErrInUse) {
		t.Fatalf("second Acquire: %v, want ErrInUse", err)
	}
	if used, err := InUse(dir); err != nil || !used {
		t.Fatalf("locked directory: in use %v, %v", used, err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if used, err := InUse(dir); err != nil || used {
		t.Fatalf("released directory in use: %v %v", used, err)
	}
	l2, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	l2.Release()
}

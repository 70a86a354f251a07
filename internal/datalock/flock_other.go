//go:build !unix

package datalock

import "os"

// Without flock the lock is not enforced: only unix systems are supported
// for production.
func flock(*os.File) error { return nil }

func funlock(*os.File) error { return nil }

package store

import (
	"context"
	"time"
)

// ChangeLog is the durable, ordered record of committed entity changes. A
// store appends to it in the same transaction as the change itself, so it
// serves as the outbox of notifications: a consumer that keeps its cursor
// (the last sequence number it handled) loses nothing across a restart.
type ChangeLog interface {
	// Changes returns up to limit records with a sequence number above
	// after, in sequence order.
	Changes(ctx context.Context, after uint64, limit int) ([]ChangeRecord, error)
	// TrimChanges forgets the records up to and including seq.
	TrimChanges(ctx context.Context, seq uint64) error
}

// ChangeRecord is one committed change of an entity.
type ChangeRecord struct {
	Seq      uint64
	Tenant   string
	EntityID string
	// Types are the entity's types after the change (before it, for a deletion).
	Types []string
	// Attrs are the expanded names of the attributes whose value or
	// metadata changed, were added or were removed.
	Attrs   []string
	Created bool
	Deleted bool
	At      time.Time
}

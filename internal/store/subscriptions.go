package store

import (
	"context"
	"time"
)

// SubscriptionStore keeps NGSI-LD subscriptions, their delivery status and
// the notifications still owed to their receivers. Subscriptions live in the
// main store so that every replica sees the same ones. Bodies are opaque
// JSON documents owned by the subscription package.
type SubscriptionStore interface {
	// CreateSubscription stores a new subscription, or fails with an
	// AlreadyExists Problem when tenant and id are taken.
	CreateSubscription(ctx context.Context, s *StoredSubscription) error
	// Subscription returns one subscription or a ResourceNotFound Problem.
	Subscription(ctx context.Context, tenant, id string) (*StoredSubscription, error)
	// Subscriptions lists the subscriptions of a tenant by id, after
	// skipping offset of them and up to limit (limit < 0: all), with the
	// total number of the tenant's subscriptions.
	Subscriptions(ctx context.Context, tenant string, limit, offset int) (list []*StoredSubscription, total int, err error)
	// AllSubscriptions lists the subscriptions of every tenant.
	AllSubscriptions(ctx context.Context) ([]*StoredSubscription, error)
	// ReplaceSubscription replaces the body and ModifiedAt of a
	// subscription, keeping its status, or fails with ResourceNotFound.
	ReplaceSubscription(ctx context.Context, s *StoredSubscription) error
	// DeleteSubscription deletes a subscription and its pending
	// notifications, or fails with ResourceNotFound.
	DeleteSubscription(ctx context.Context, tenant, id string) error
	// SetSubscriptionStatus records delivery counters of subscriptions
	// that still exist (others are ignored).
	SetSubscriptionStatus(ctx context.Context, updates []SubscriptionStatusUpdate) error

	// AddPendingNotifications stores notifications owed to receivers and
	// sets the named cursor to seq, in one transaction: a notifier that
	// reads the change log commits the position it reached together with
	// what it owes for the changes before it. Each notification gets its
	// Seq assigned.
	AddPendingNotifications(ctx context.Context, cursor string, seq uint64, list []*PendingNotification) error
	// PendingNotifications returns the stored notifications with Seq above
	// after, up to limit, in Seq order.
	PendingNotifications(ctx context.Context, after uint64, limit int) ([]*PendingNotification, error)
	// DeletePendingNotifications forgets delivered (or abandoned) notifications.
	DeletePendingNotifications(ctx context.Context, seqs []uint64) error
	// Cursor returns the value of a named cursor, 0 when it was never set.
	Cursor(ctx context.Context, name string) (uint64, error)
}

// StoredSubscription is one subscription as kept by a SubscriptionStore.
type StoredSubscription struct {
	Tenant     string
	ID         string
	Body       []byte
	Status     SubscriptionStatus
	CreatedAt  time.Time
	ModifiedAt time.Time
}

// SubscriptionStatus counts the notifications of a subscription.
type SubscriptionStatus struct {
	TimesSent           int64
	TimesFailed         int64
	ConsecutiveFailures int64
	LastNotification    time.Time
	LastSuccess         time.Time
	LastFailure         time.Time
	// LastFailureReason describes the last failed attempt.
	LastFailureReason string
	// TimesDropped counts notifications given up: abandoned after the
	// last retry, or pushed out of a full queue.
	TimesDropped int64
}

// SubscriptionStatusUpdate sets the status of one subscription.
type SubscriptionStatusUpdate struct {
	Tenant string
	ID     string
	Status SubscriptionStatus
}

// PendingNotification is a notification owed to a subscription's receiver:
// Body is opaque to the store (the subscription package keeps the rendered
// data in it).
type PendingNotification struct {
	Seq            uint64
	Tenant         string
	SubscriptionID string
	Body           []byte
	CreatedAt      time.Time
}

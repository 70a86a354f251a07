package subscription

import (
	"context"
	"encoding/json"
	"time"

	"github.com/dothi-city/dothi/internal/store"
)

// Manager creates, reads, updates and deletes subscriptions in the store
// and tells the local notifier (if any) about changes.
type Manager struct {
	Store store.SubscriptionStore
	// Notifier, when set, reloads subscriptions after each change and
	// supplies live delivery counters.
	Notifier *Notifier
	// Now is the clock (default time.Now).
	Now func() time.Time
	// CheckEndpoint, when set, vets the endpoint URI of every created or
	// updated subscription (for instance against an allowlist of hosts,
	// since the notifier POSTs to whatever URI a subscription names); its
	// error, a Problem, is the answer to the request.
	CheckEndpoint func(ctx context.Context, tenant, uri string) error
}

func (m *Manager) checkEndpoint(ctx context.Context, tenant string, s *Subscription) error {
	if m.CheckEndpoint == nil {
		return nil
	}
	return m.CheckEndpoint(ctx, tenant, s.Notification.Endpoint.URI)
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC()
	}
	return time.Now().UTC()
}

// Create stores a new subscription of tenant.
func (m *Manager) Create(ctx context.Context, tenant string, s *Subscription) error {
	if err := m.checkEndpoint(ctx, tenant, s); err != nil {
		return err
	}
	now := m.now()
	s.Tenant, s.CreatedAt, s.ModifiedAt = tenant, now, now
	body, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if err := m.Store.CreateSubscription(ctx, &store.StoredSubscription{Tenant: tenant, ID: s.ID, Body: body,
		CreatedAt: now, ModifiedAt: now}); err != nil {
		return err
	}
	return m.Notifier.Reload(ctx)
}

// Get returns a subscription and its delivery status.
func (m *Manager) Get(ctx context.Context, tenant, id string) (*Subscription, store.SubscriptionStatus, error) {
	st, err := m.Store.Subscription(ctx, tenant, id)
	if err != nil {
		return nil, store.SubscriptionStatus{}, err
	}
	s, err := Decode(st)
	if err != nil {
		return nil, store.SubscriptionStatus{}, err
	}
	return s, m.status(st), nil
}

func (m *Manager) status(st *store.StoredSubscription) store.SubscriptionStatus {
	if live, ok := m.Notifier.Status(st.Tenant, st.ID); ok && live.TimesSent+live.TimesFailed >= st.Status.TimesSent+st.Status.TimesFailed {
		return live
	}
	return st.Status
}

// Entry is one subscription of a list with its status.
type Entry struct {
	Sub    *Subscription
	Status store.SubscriptionStatus
}

// List returns a page of the tenant's subscriptions and their total number.
func (m *Manager) List(ctx context.Context, tenant string, limit, offset int) ([]Entry, int, error) {
	list, total, err := m.Store.Subscriptions(ctx, tenant, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Entry, 0, len(list))
	for _, st := range list {
		s, err := Decode(st)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, Entry{s, m.status(st)})
	}
	return out, total, nil
}

// Replace stores s (already merged and validated) in place of the
// subscription with its id, keeping its creation time and status.
func (m *Manager) Replace(ctx context.Context, tenant string, s *Subscription) error {
	if err := m.checkEndpoint(ctx, tenant, s); err != nil {
		return err
	}
	now := m.now()
	s.Tenant, s.ModifiedAt = tenant, now
	body, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if err := m.Store.ReplaceSubscription(ctx, &store.StoredSubscription{Tenant: tenant, ID: s.ID, Body: body,
		CreatedAt: s.CreatedAt, ModifiedAt: now}); err != nil {
		return err
	}
	return m.Notifier.Reload(ctx)
}

// Delete deletes a subscription and the notifications still owed for it.
func (m *Manager) Delete(ctx context.Context, tenant, id string) error {
	if err := m.Store.DeleteSubscription(ctx, tenant, id); err != nil {
		return err
	}
	return m.Notifier.Reload(ctx)
}

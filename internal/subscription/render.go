package subscription

import (
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/ngsild/qlang"
	"github.com/dothi-city/dothi/internal/store"
)

// Render returns the JSON object of the subscription as the API shows it:
// names compacted with compact, status and notification counters from st.
func (s *Subscription) Render(st store.SubscriptionStatus, now time.Time, compact func(string) string) map[string]any {
	if compact == nil {
		compact = func(s string) string { return s }
	}
	out := map[string]any{
		"id":       s.ID,
		"type":     "Subscription",
		"isActive": s.IsActive,
		"status":   s.State(now),
	}
	if s.Name != "" {
		out["subscriptionName"] = s.Name
	}
	if s.Description != "" {
		out["description"] = s.Description
	}
	if len(s.Entities) > 0 {
		var ents []any
		for _, e := range s.Entities {
			m := map[string]any{"type": compactType(e.Type, compact)}
			if e.ID != "" {
				m["id"] = e.ID
			}
			if e.IDPattern != "" {
				m["idPattern"] = e.IDPattern
			}
			ents = append(ents, m)
		}
		out["entities"] = ents
	}
	if len(s.WatchedAttributes) > 0 {
		out["watchedAttributes"] = compactAll(s.WatchedAttributes, compact)
	}
	if len(s.NotificationTrigger) > 0 {
		out["notificationTrigger"] = s.NotificationTrigger
	}
	if s.TimeInterval > 0 {
		out["timeInterval"] = s.TimeInterval
	}
	if s.Throttling > 0 {
		out["throttling"] = s.Throttling
	}
	if s.Q != "" {
		out["q"] = s.Q
	}
	if s.GeoQ != nil {
		out["geoQ"] = s.GeoQ
	}
	if !s.ExpiresAt.IsZero() {
		out["expiresAt"] = ngsild.FormatTime(s.ExpiresAt)
	}
	ep := map[string]any{"uri": s.Notification.Endpoint.URI, "accept": s.Notification.Endpoint.Accept}
	if len(s.Notification.Endpoint.ReceiverInfo) > 0 {
		ep["receiverInfo"] = s.Notification.Endpoint.ReceiverInfo
	}
	if len(s.Notification.Endpoint.NotifierInfo) > 0 {
		ep["notifierInfo"] = s.Notification.Endpoint.NotifierInfo
	}
	n := map[string]any{"format": s.Notification.Format, "endpoint": ep, "timesSent": st.TimesSent}
	if len(s.Notification.Attributes) > 0 {
		n["attributes"] = compactAll(s.Notification.Attributes, compact)
	}
	if st.TimesFailed > 0 {
		n["timesFailed"] = st.TimesFailed
	}
	if st.TimesDropped > 0 {
		n["timesDropped"] = st.TimesDropped
	}
	if !st.LastNotification.IsZero() {
		n["lastNotification"] = ngsild.FormatTime(st.LastNotification)
	}
	if !st.LastSuccess.IsZero() {
		n["lastSuccess"] = ngsild.FormatTime(st.LastSuccess)
	}
	if !st.LastFailure.IsZero() {
		n["lastFailure"] = ngsild.FormatTime(st.LastFailure)
	}
	switch {
	case st.ConsecutiveFailures > 0:
		n["status"] = "failed"
		n["consecutiveFailures"] = st.ConsecutiveFailures
		if st.LastFailureReason != "" {
			n["lastFailureReason"] = st.LastFailureReason
		}
	case st.TimesSent > 0:
		n["status"] = "ok"
	}
	out["notification"] = n
	if !s.CreatedAt.IsZero() {
		out["createdAt"] = ngsild.FormatTime(s.CreatedAt)
	}
	if !s.ModifiedAt.IsZero() {
		out["modifiedAt"] = ngsild.FormatTime(s.ModifiedAt)
	}
	return out
}

func compactAll(names []string, compact func(string) string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = compact(n)
	}
	return out
}

// compactType compacts a single type name; a type selection expression is
// shown with its expanded names.
func compactType(t string, compact func(string) string) string {
	te, err := qlang.ParseTypes(t, nil)
	if err != nil {
		return t
	}
	if names, ok := qlang.TypeNames(te); ok && len(names) == 1 {
		return compact(names[0])
	}
	return t
}

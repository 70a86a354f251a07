package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/dothi-city/dothi/internal/jsonld"
	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/subscription"
)

// Page sizes of GET /ngsi-ld/v1/subscriptions.
const (
	subscriptionsDefaultPage = 20
	subscriptionsMaxPage     = 1000
)

// RegisterSubscriptions adds the NGSI-LD subscription operations (clause
// 5.8) under /ngsi-ld/v1/subscriptions to mux. m keeps them in the store
// and tells the notifier; cr resolves request contexts.
func RegisterSubscriptions(mux *http.ServeMux, m *subscription.Manager, cr ContextResolver) {
	const base = "/ngsi-ld/v1/subscriptions"
	routes := map[string]http.Handler{
		"POST " + base:                         CreateSubscription(m, cr),
		"GET " + base:                          ListSubscriptions(m, cr),
		"GET " + base + "/{subscriptionId}":    RetrieveSubscription(m, cr),
		"PATCH " + base + "/{subscriptionId}":  UpdateSubscription(m, cr),
		"DELETE " + base + "/{subscriptionId}": DeleteSubscription(m),
	}
	registerRoutes(mux, routes)
}

func subscriptionPath(id string) string {
	return "/ngsi-ld/v1/subscriptions/" + url.PathEscape(id)
}

// contextRef is the context reference kept with a subscription: nil for
// the core context.
func contextRef(c *jsonld.Context) any {
	ref := c.Ref()
	if s, ok := ref.(string); ok && jsonld.IsCoreURL(s) {
		return nil
	}
	return ref
}

// CreateSubscription handles POST /ngsi-ld/v1/subscriptions.
func CreateSubscription(m *subscription.Manager, cr ContextResolver) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		obj, c, err := bodyWithContext(r, cr)
		if err != nil {
			return err
		}
		s, err := subscription.Parse(obj, c, contextRef(c), time.Now())
		if err != nil {
			return err
		}
		if err := m.Create(r.Context(), Tenant(r.Context()), s); err != nil {
			return err
		}
		w.Header().Set("Location", subscriptionPath(s.ID))
		w.WriteHeader(http.StatusCreated)
		return nil
	})
}

// subscriptionOutput is how to render subscriptions in a response.
type subscriptionOutput struct {
	ctx   *jsonld.Context
	media string
}

func subscriptionOutputFor(r *http.Request, cr ContextResolver) (*subscriptionOutput, error) {
	c, err := linkContext(r, cr)
	if err != nil {
		return nil, err
	}
	media, err := negotiate(r.Header.Get("Accept"))
	if err != nil {
		return nil, err
	}
	if media == mediaGeoJSON {
		return nil, ngsild.Errorf(ngsild.ErrNotAcceptable, "subscriptions are available as application/json or application/ld+json")
	}
	return &subscriptionOutput{ctx: c, media: media}, nil
}

func (o *subscriptionOutput) render(s *subscription.Subscription, e subscription.Entry) map[string]any {
	m := s.Render(e.Status, time.Now(), o.ctx.CompactIRI)
	if o.media == mediaLD {
		m["@context"] = o.ctx.Ref()
	}
	return m
}

func (o *subscriptionOutput) write(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", o.media)
	if o.media != mediaLD {
		if u, ok := o.ctx.Ref().(string); ok {
			w.Header().Set("Link", linkHeader(u))
		}
	}
	body, _ := json.Marshal(v)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// RetrieveSubscription handles GET /ngsi-ld/v1/subscriptions/{id}.
func RetrieveSubscription(m *subscription.Manager, cr ContextResolver) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		out, err := subscriptionOutputFor(r, cr)
		if err != nil {
			return err
		}
		s, st, err := m.Get(r.Context(), Tenant(r.Context()), r.PathValue("subscriptionId"))
		if err != nil {
			return err
		}
		out.write(w, out.render(s, subscription.Entry{Sub: s, Status: st}))
		return nil
	})
}

// ListSubscriptions handles GET /ngsi-ld/v1/subscriptions.
func ListSubscriptions(m *subscription.Manager, cr ContextResolver) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		out, err := subscriptionOutputFor(r, cr)
		if err != nil {
			return err
		}
		limit, err := queryInt(r, "limit", subscriptionsDefaultPage)
		if err != nil {
			return err
		}
		offset, err := queryInt(r, "offset", 0)
		if err != nil {
			return err
		}
		count, err := strictBool(r, "count")
		if err != nil {
			return err
		}
		switch {
		case limit > subscriptionsMaxPage:
			return ngsild.Errorf(ngsild.ErrTooManyResults, "limit %d is over the maximum page size %d", limit, subscriptionsMaxPage)
		case limit == 0 && !count:
			return badRequest("limit=0 is only allowed with count=true")
		}
		list, total, err := m.List(r.Context(), Tenant(r.Context()), limit, offset)
		if err != nil {
			return err
		}
		if count {
			w.Header().Set("NGSILD-Results-Count", strconv.Itoa(total))
		}
		items := make([]any, 0, len(list))
		for _, e := range list {
			items = append(items, out.render(e.Sub, e))
		}
		out.write(w, items)
		return nil
	})
}

// UpdateSubscription handles PATCH /ngsi-ld/v1/subscriptions/{id}: the
// members of the body replace those of the subscription (notification and
// its endpoint are merged member by member; null removes a member), and
// the result is validated as a whole.
func UpdateSubscription(m *subscription.Manager, cr ContextResolver) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		patch, c, err := bodyWithContext(r, cr)
		if err != nil {
			return err
		}
		tenant, id := Tenant(r.Context()), r.PathValue("subscriptionId")
		if v, ok := patch["id"]; ok && v != id {
			return badRequest("the id of a subscription cannot be changed")
		}
		if len(patch) == 0 {
			return badRequest("the update has no members")
		}
		old, st, err := m.Get(r.Context(), tenant, id)
		if err != nil {
			return err
		}
		merged, err := mergeSubscription(old.Render(st, time.Now(), c.CompactIRI), patch)
		if err != nil {
			return err
		}
		now := time.Time{} // an unchanged expiresAt may lie in the past
		if _, ok := patch["expiresAt"]; ok {
			now = time.Now()
		}
		s, err := subscription.Parse(merged, c, contextRef(c), now)
		if err != nil {
			return err
		}
		s.ID, s.CreatedAt = old.ID, old.CreatedAt
		if err := m.Replace(r.Context(), tenant, s); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// mergeSubscription applies patch to the rendered subscription cur.
func mergeSubscription(cur map[string]any, patch map[string]any) (map[string]any, error) {
	// Round-trip through JSON so that cur holds what a decoded body holds.
	raw, err := json.Marshal(cur)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var base map[string]any
	if err := dec.Decode(&base); err != nil {
		return nil, err
	}
	for _, k := range []string{"status", "createdAt", "modifiedAt"} {
		delete(base, k)
	}
	if n, ok := base["notification"].(map[string]any); ok {
		for _, k := range []string{"status", "timesSent", "timesFailed", "lastNotification", "lastSuccess", "lastFailure", "consecutiveFailures", "lastFailureReason", "timesDropped"} {
			delete(n, k)
		}
	}
	for k, v := range patch {
		switch {
		case v == nil:
			delete(base, k)
		case k == "notification":
			pn, ok := v.(map[string]any)
			if !ok {
				return nil, badRequest("notification must be an object")
			}
			bn, _ := base["notification"].(map[string]any)
			base["notification"] = mergeMembers(bn, pn, "endpoint")
		default:
			base[k] = v
		}
	}
	return base, nil
}

// mergeMembers merges patch into base; the member named deep is merged
// one level further.
func mergeMembers(base, patch map[string]any, deep string) map[string]any {
	if base == nil {
		base = map[string]any{}
	}
	for k, v := range patch {
		switch {
		case v == nil:
			delete(base, k)
		case k == deep:
			pm, ok1 := v.(map[string]any)
			bm, ok2 := base[k].(map[string]any)
			if ok1 && ok2 {
				base[k] = mergeMembers(bm, pm, "")
			} else {
				base[k] = v
			}
		default:
			base[k] = v
		}
	}
	return base
}

// DeleteSubscription handles DELETE /ngsi-ld/v1/subscriptions/{id}.
func DeleteSubscription(m *subscription.Manager) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		if err := m.Delete(r.Context(), Tenant(r.Context()), r.PathValue("subscriptionId")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dothi-city/dothi/internal/bus"
	"github.com/dothi-city/dothi/internal/jsonld"
	"github.com/dothi-city/dothi/internal/ngsild"
)

// ChangeSubscriber hands out subscriptions to committed entity changes.
type ChangeSubscriber interface {
	Subscribe(buffer int) *bus.Subscription
}

// StreamOptions configure the live stream.
type StreamOptions struct {
	// Heartbeat is how often an idle stream sends a comment.
	Heartbeat time.Duration
	// Visible, when set, decides whether the requester may see a change.
	Visible func(ctx context.Context, c *bus.Change) bool
	// Done ends every stream when closed (server shutdown).
	Done <-chan struct{}
}

// streamFilter selects the changes a stream client wants.
type streamFilter struct {
	visible func(*bus.Change) bool
	tenant  string
	types   map[string]bool
	ids     map[string]bool
	box     *[4]float64 // minLon, minLat, maxLon, maxLat
}

// parseStreamFilter reads tenant, type, id and bbox. Browsers' EventSource
// cannot send headers, so the tenant may also come as a parameter.
func parseStreamFilter(r *http.Request) (*streamFilter, error) {
	q := r.URL.Query()
	f := &streamFilter{tenant: Tenant(r.Context())}
	if t := q.Get("tenant"); t != "" {
		if !tenantPattern.MatchString(t) {
			return nil, badRequest("tenant %q is not a tenant name", t)
		}
		f.tenant = t
	}
	core := jsonld.Core()
	for _, t := range splitList(q.Get("type")) {
		if f.types == nil {
			f.types = map[string]bool{}
		}
		f.types[core.ExpandTerm(t)] = true
	}
	for _, id := range splitList(q.Get("id")) {
		if f.ids == nil {
			f.ids = map[string]bool{}
		}
		f.ids[id] = true
	}
	if s := q.Get("bbox"); s != "" {
		box, err := parseBBox(s)
		if err != nil {
			return nil, err
		}
		f.box = box
	}
	return f, nil
}

func parseBBox(s string) (*[4]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return nil, badRequest("bbox must be minLon,minLat,maxLon,maxLat, not %q", s)
	}
	var box [4]float64
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, badRequest("bbox value %q is not a number", p)
		}
		box[i] = v
	}
	if box[0] > box[2] || box[1] > box[3] {
		return nil, badRequest("bbox %q has its minimum above its maximum", s)
	}
	return &box, nil
}

// match reports whether the change is one the client asked for.
func (f *streamFilter) match(c *bus.Change) bool {
	e := c.Entity()
	if c.Tenant != f.tenant || e == nil || (f.ids != nil && !f.ids[c.ID]) {
		return false
	}
	if f.types != nil && !anyType(e.Types, f.types) {
		return false
	}
	if f.visible != nil && !f.visible(c) {
		return false
	}
	if f.box == nil {
		return true
	}
	loc := e.Attr(ngsild.IRILocation)
	if loc == nil || loc.Geometry == nil {
		return false
	}
	minLon, minLat, maxLon, maxLat := loc.Geometry.Bounds()
	return maxLon >= f.box[0] && minLon <= f.box[2] && maxLat >= f.box[1] && minLat <= f.box[3]
}

func anyType(types []string, want map[string]bool) bool {
	for _, t := range types {
		if want[t] {
			return true
		}
	}
	return false
}

// Stream handles GET /api/v1/stream: server-sent events of entity changes,
// filtered by tenant, type, id and bbox. Each event is named create, update
// or delete and carries the entity in keyValues form (options=normalized
// for the normalized form), compacted with the core context. A client that
// falls behind loses changes and gets a resync event: reload, then go on.
func Stream(sub ChangeSubscriber, o StreamOptions) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		f, err := parseStreamFilter(r)
		if err != nil {
			return err
		}
		if o.Visible != nil {
			ctx := r.Context()
			f.visible = func(c *bus.Change) bool { return o.Visible(ctx, c) }
		}
		render := ngsild.RenderOptions{Format: ngsild.KeyValues, Compact: jsonld.Core().CompactIRI}
		if r.URL.Query().Get("options") == "normalized" {
			render.Format = ngsild.Normalized
		}
		rc := http.NewResponseController(w)
		_ = rc.SetWriteDeadline(time.Time{})
		s := sub.Subscribe(64)
		defer s.Close()
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("retry: 3000\nevent: ready\ndata: {}\n\n"))
		_ = rc.Flush()
		streamChanges(w, rc, r, s, f, render, o)
		return nil
	})
}

// streamChanges writes matching changes until the client goes away.
func streamChanges(w http.ResponseWriter, rc *http.ResponseController, r *http.Request, s *bus.Subscription, f *streamFilter, render ngsild.RenderOptions, o StreamOptions) {
	tick := time.NewTicker(o.Heartbeat)
	defer tick.Stop()
	var buf bytes.Buffer
	dropped := s.Dropped()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-o.Done:
			return
		case <-tick.C:
			buf.WriteString(": heartbeat\n\n")
		case batch, ok := <-s.C():
			if !ok {
				return
			}
			for i := range batch {
				if f.match(&batch[i]) {
					writeEvent(&buf, &batch[i], render)
				}
			}
		}
		if d := s.Dropped(); d != dropped {
			// The client fell behind and lost changes: tell it to reload.
			dropped = d
			buf.WriteString("event: resync\ndata: {}\n\n")
		}
		if buf.Len() == 0 {
			continue
		}
		if _, err := w.Write(buf.Bytes()); err != nil {
			return
		}
		buf.Reset()
		if rc.Flush() != nil {
			return
		}
	}
}

func writeEvent(buf *bytes.Buffer, c *bus.Change, render ngsild.RenderOptions) {
	event := "update"
	switch {
	case c.Old == nil:
		event = "create"
	case c.New == nil:
		event = "delete"
	}
	buf.WriteString("event: " + event + "\ndata: ")
	ngsild.AppendEntity(buf, c.Entity(), render)
	buf.WriteString("\n\n")
}

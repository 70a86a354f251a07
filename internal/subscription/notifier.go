package subscription

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dothi-city/dothi/internal/bus"
	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
)

// Waker hands out bus subscriptions; the notifier uses the published
// changes only as a signal to read the change log at once.
type Waker interface {
	Subscribe(buffer int) *bus.Subscription
}

// Options configure a Notifier. Log, Entities and Store are required.
type Options struct {
	Log      store.ChangeLog
	Entities store.Reader
	Store    store.SubscriptionStore
	// Contexts resolves the contexts of subscriptions (nil: core context only).
	Contexts ContextResolver
	// Wake, when set, makes the notifier read the change log as soon as a
	// change is published instead of at the next poll.
	Wake Waker
	// Poll is how often the change log is read without a wake-up (default 200ms).
	Poll time.Duration
	// Refresh is how often subscriptions are reloaded from the store, to see
	// those that other replicas changed (default 5s).
	Refresh time.Duration
	// Timeout bounds one delivery attempt (default 10s).
	Timeout time.Duration
	// RetryBase and RetryMax bound the exponential backoff between attempts
	// (defaults 500ms and 1 minute).
	RetryBase, RetryMax time.Duration
	// MaxAttempts is the number of attempts after which a notification is
	// abandoned (default 12, about 8 minutes of retries with the defaults).
	MaxAttempts int
	// MaxQueue bounds the notifications owed to one subscription (default
	// 10,000): beyond it the oldest is dropped, so that a dead receiver
	// cannot make memory and the store grow without end.
	MaxQueue int
	// Batch is the number of change records handled per step (default 512).
	Batch int
	// Cursor names the notifier's position in the change log (default "subscriptions").
	Cursor string
	// TrimLog makes the notifier trim the change log up to its cursor
	// (every 10,000 records). Leave it off when other consumers read the log.
	TrimLog bool
	// StatusFlush is how often delivery counters are written to the store (default 1s).
	StatusFlush time.Duration
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Poll, 200*time.Millisecond)
	def(&o.Refresh, 5*time.Second)
	def(&o.Timeout, 10*time.Second)
	def(&o.RetryBase, 500*time.Millisecond)
	def(&o.RetryMax, time.Minute)
	def(&o.StatusFlush, time.Second)
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 12
	}
	if o.Batch <= 0 {
		o.Batch = 512
	}
	if o.MaxQueue <= 0 {
		o.MaxQueue = 10000
	}
	if o.Cursor == "" {
		o.Cursor = "subscriptions"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

type subKey struct{ tenant, id string }

// Notifier matches committed changes against subscriptions and delivers
// notifications. It reads the change log from a cursor kept in the store;
// the notifications a batch of changes calls for are stored as pending
// together with the new cursor, then delivered by one worker per
// subscription, which retries with exponential backoff, so that a slow or
// dead receiver delays only its own subscription. A delivered
// notification's pending row is deleted; what is still pending at a
// restart is delivered then.
type Notifier struct {
	o   Options
	snd *sender

	mu       sync.Mutex
	workers  map[subKey]*worker
	byTenant map[string][]*worker // owned by the loop goroutine

	cursor  uint64
	reload  chan chan error
	deletes chan uint64
	// workersDone is closed once the workers have stopped.
	workersDone chan struct{}
	ctx         context.Context
	cancel      context.CancelFunc
	wg          sync.WaitGroup // loop, deleter, flusher
	workWG      sync.WaitGroup // workers
	started     atomic.Bool
	stopped     atomic.Bool

	sent atomic.Int64
}

// NewNotifier returns a notifier; Start starts it.
func NewNotifier(o Options) *Notifier {
	o.defaults()
	return &Notifier{o: o, snd: newSender(o.Timeout), workers: map[subKey]*worker{},
		byTenant: map[string][]*worker{}, reload: make(chan chan error), deletes: make(chan uint64, 8192),
		workersDone: make(chan struct{})}
}

// Start loads subscriptions, pending notifications and the cursor, and
// starts delivering. It returns once the notifier runs.
func (n *Notifier) Start(ctx context.Context) error {
	n.ctx, n.cancel = context.WithCancel(context.Background())
	cur, err := n.o.Store.Cursor(ctx, n.o.Cursor)
	if err != nil {
		return err
	}
	n.cursor = cur
	if err := n.doReload(ctx); err != nil {
		return err
	}
	if err := n.loadPending(ctx); err != nil {
		return err
	}
	n.started.Store(true)
	var wake *bus.Subscription
	if n.o.Wake != nil {
		wake = n.o.Wake.Subscribe(16)
	}
	n.wg.Add(3)
	go n.loop(wake)
	go n.deleter()
	go n.flusher()
	return nil
}

// Stop stops matching and delivering, and writes the delivery counters and
// the deletions of delivered notifications. Notifications in flight stay
// pending and are delivered after the next Start.
func (n *Notifier) Stop() {
	if !n.started.Load() || !n.stopped.CompareAndSwap(false, true) {
		return
	}
	n.cancel()
	n.mu.Lock()
	for _, w := range n.workers {
		w.close()
	}
	n.mu.Unlock()
	n.workWG.Wait()
	close(n.workersDone)
	close(n.deletes)
	n.wg.Wait()
	n.snd.close()
}

// Sent returns the number of notifications delivered since Start.
func (n *Notifier) Sent() int64 { return n.sent.Load() }

// Reload makes the notifier see the subscriptions as they are in the
// store now, before it handles further changes. Without a running
// notifier it does nothing.
func (n *Notifier) Reload(ctx context.Context) error {
	if n == nil || !n.started.Load() || n.stopped.Load() {
		return nil
	}
	reply := make(chan error, 1)
	select {
	case n.reload <- reply:
	case <-ctx.Done():
		return ctx.Err()
	case <-n.ctx.Done():
		return nil
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// loop reads the change log until Stop.
func (n *Notifier) loop(wake *bus.Subscription) {
	defer n.wg.Done()
	if wake != nil {
		defer wake.Close()
	}
	var wakeC <-chan []bus.Change
	if wake != nil {
		wakeC = wake.C()
	}
	poll := time.NewTicker(n.o.Poll)
	defer poll.Stop()
	refresh := time.NewTicker(n.o.Refresh)
	defer refresh.Stop()
	trimmed := n.cursor
	for {
		more, err := n.step(n.ctx)
		if err == nil && n.o.TrimLog && n.cursor >= trimmed+10000 {
			if err := n.o.Log.TrimChanges(n.ctx, n.cursor); err != nil && n.ctx.Err() == nil {
				n.o.Logger.Warn("subscriptions: trimming the change log failed", "err", err)
			} else {
				trimmed = n.cursor
			}
		}
		if err != nil && n.ctx.Err() == nil {
			n.o.Logger.Error("subscriptions: reading changes failed", "err", err)
			more = false
		}
		if more {
			select {
			case <-n.ctx.Done():
				return
			case reply := <-n.reload:
				reply <- n.doReload(n.ctx)
			default:
			}
			continue
		}
		select {
		case <-n.ctx.Done():
			return
		case <-wakeC:
		case <-poll.C:
		case <-refresh.C:
			if err := n.doReload(n.ctx); err != nil && n.ctx.Err() == nil {
				n.o.Logger.Error("subscriptions: reload failed", "err", err)
			}
		case reply := <-n.reload:
			reply <- n.doReload(n.ctx)
		}
	}
}

// step handles one batch of change records and reports whether there may
// be more.
func (n *Notifier) step(ctx context.Context) (bool, error) {
	recs, err := n.o.Log.Changes(ctx, n.cursor, n.o.Batch)
	if err != nil || len(recs) == 0 {
		return false, err
	}
	type fetched struct{ e *ngsild.Entity }
	cache := map[subKey]fetched{}
	now := n.o.Now()
	var pend []*store.PendingNotification
	var targets []*worker
	for i := range recs {
		rec := &recs[i]
		var cands []*worker
		for _, w := range n.byTenant[rec.Tenant] {
			if c := w.comp.Load(); c.active(now) && c.selects(rec.EntityID, rec.Types) {
				cands = append(cands, w)
			}
		}
		if len(cands) == 0 {
			continue
		}
		var e *ngsild.Entity
		if !rec.Deleted {
			k := subKey{rec.Tenant, rec.EntityID}
			f, ok := cache[k]
			if !ok {
				ent, err := n.o.Entities.Entity(ctx, rec.Tenant, rec.EntityID)
				if err != nil && !ngsild.IsType(err, ngsild.ErrResourceNotFound) && !ngsild.IsType(err, ngsild.ErrNonexistentTenant) {
					return false, err
				}
				f = fetched{ent}
				cache[k] = f
			}
			e = f.e
		}
		for _, w := range cands {
			c := w.comp.Load()
			if !c.matches(rec, e) {
				continue
			}
			pend = append(pend, &store.PendingNotification{Tenant: rec.Tenant, SubscriptionID: c.sub.ID,
				Body: c.renderData(rec, e), CreatedAt: rec.At})
			targets = append(targets, w)
		}
	}
	last := recs[len(recs)-1].Seq
	if err := n.o.Store.AddPendingNotifications(ctx, n.o.Cursor, last, pend); err != nil {
		return false, err
	}
	n.cursor = last
	for i, p := range pend {
		targets[i].push(p)
	}
	return len(recs) == n.o.Batch, nil
}

// doReload brings the workers in line with the stored subscriptions.
func (n *Notifier) doReload(ctx context.Context) error {
	list, err := n.o.Store.AllSubscriptions(ctx)
	if err != nil {
		return err
	}
	seen := map[subKey]bool{}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, st := range list {
		k := subKey{st.Tenant, st.ID}
		seen[k] = true
		w := n.workers[k]
		if w != nil && w.modified.Equal(st.ModifiedAt) && string(w.body) == string(st.Body) {
			continue
		}
		sub, err := Decode(st)
		if err != nil {
			n.o.Logger.Error("subscriptions: stored subscription is unreadable", "tenant", st.Tenant, "id", st.ID, "err", err)
			continue
		}
		c, err := compile(ctx, sub, n.o.Contexts)
		if err != nil {
			n.o.Logger.Error("subscriptions: subscription cannot be used", "tenant", st.Tenant, "id", st.ID, "err", err)
			continue
		}
		if w == nil {
			w = newWorker(n, k, st.Status)
			n.workers[k] = w
			w.comp.Store(c)
			n.workWG.Add(1)
			go w.run()
		} else {
			w.comp.Store(c)
			w.signal()
		}
		w.modified, w.body = st.ModifiedAt, st.Body
	}
	for k, w := range n.workers {
		if !seen[k] {
			w.close()
			delete(n.workers, k)
		}
	}
	byTenant := map[string][]*worker{}
	for k, w := range n.workers {
		byTenant[k.tenant] = append(byTenant[k.tenant], w)
	}
	n.byTenant = byTenant
	return nil
}

// loadPending queues the notifications stored as pending.
func (n *Notifier) loadPending(ctx context.Context) error {
	var after uint64
	for {
		list, err := n.o.Store.PendingNotifications(ctx, after, 1000)
		if err != nil || len(list) == 0 {
			return err
		}
		var orphans []uint64
		n.mu.Lock()
		for _, p := range list {
			if w := n.workers[subKey{p.Tenant, p.SubscriptionID}]; w != nil {
				w.push(p)
			} else {
				orphans = append(orphans, p.Seq)
			}
			after = p.Seq
		}
		n.mu.Unlock()
		if len(orphans) > 0 {
			if err := n.o.Store.DeletePendingNotifications(ctx, orphans); err != nil {
				return err
			}
		}
	}
}

// forget deletes delivered or abandoned notifications from the store.
func (n *Notifier) forget(items []*store.PendingNotification) {
	for _, p := range items {
		n.deletes <- p.Seq
	}
}

// deleter batches deletions of pending notifications until Stop.
func (n *Notifier) deleter() {
	defer n.wg.Done()
	var batch []uint64
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if err := n.o.Store.DeletePendingNotifications(context.Background(), batch); err != nil {
			n.o.Logger.Error("subscriptions: deleting delivered notifications failed", "err", err)
		}
		batch = batch[:0]
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case seq, ok := <-n.deletes:
			if !ok {
				flush()
				return
			}
			batch = append(batch, seq)
			if len(batch) >= 2048 {
				flush()
			}
		case <-tick.C:
			flush()
		}
	}
}

// flusher writes delivery counters until Stop, and once more then.
func (n *Notifier) flusher() {
	defer n.wg.Done()
	tick := time.NewTicker(n.o.StatusFlush)
	defer tick.Stop()
	for {
		select {
		case <-n.workersDone:
			n.flushStatus()
			return
		case <-tick.C:
			n.flushStatus()
		}
	}
}

func (n *Notifier) flushStatus() {
	var ups []store.SubscriptionStatusUpdate
	n.mu.Lock()
	for k, w := range n.workers {
		if st, ok := w.takeStatus(); ok {
			ups = append(ups, store.SubscriptionStatusUpdate{Tenant: k.tenant, ID: k.id, Status: st})
		}
	}
	n.mu.Unlock()
	if len(ups) == 0 {
		return
	}
	if err := n.o.Store.SetSubscriptionStatus(context.Background(), ups); err != nil {
		n.o.Logger.Error("subscriptions: writing status failed", "err", err)
	}
}

// Status returns the live delivery counters of a subscription the
// notifier runs, which may be ahead of the stored ones.
func (n *Notifier) Status(tenant, id string) (store.SubscriptionStatus, bool) {
	if n == nil {
		return store.SubscriptionStatus{}, false
	}
	n.mu.Lock()
	w := n.workers[subKey{tenant, id}]
	n.mu.Unlock()
	if w == nil {
		return store.SubscriptionStatus{}, false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status, true
}

// Decode reads a stored subscription.
func Decode(st *store.StoredSubscription) (*Subscription, error) {
	var s Subscription
	if err := json.Unmarshal(st.Body, &s); err != nil {
		return nil, err
	}
	s.Tenant, s.ID = st.Tenant, st.ID
	s.CreatedAt, s.ModifiedAt = st.CreatedAt, st.ModifiedAt
	return &s, nil
}

// worker delivers the notifications of one subscription in order.
type worker struct {
	n    *Notifier
	key  subKey
	comp atomic.Pointer[compiled]
	// modified and body identify the loaded version (loop goroutine only).
	modified time.Time
	body     []byte

	mu     sync.Mutex
	queue  []*store.PendingNotification
	status store.SubscriptionStatus
	dirty  bool

	wake      chan struct{}
	quit      chan struct{}
	closeOnce sync.Once
	lastSent  time.Time
}

func newWorker(n *Notifier, k subKey, st store.SubscriptionStatus) *worker {
	return &worker{n: n, key: k, status: st, wake: make(chan struct{}, 1), quit: make(chan struct{})}
}

func (w *worker) close() { w.closeOnce.Do(func() { close(w.quit) }) }

func (w *worker) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// push queues p; a full queue drops its oldest notification.
func (w *worker) push(p *store.PendingNotification) {
	w.mu.Lock()
	var dropped *store.PendingNotification
	if len(w.queue) >= w.n.o.MaxQueue {
		dropped = w.queue[0]
		w.queue = w.queue[1:]
		w.status.TimesDropped++
		w.dirty = true
	}
	w.queue = append(w.queue, p)
	w.mu.Unlock()
	if dropped != nil {
		w.n.forget([]*store.PendingNotification{dropped})
	}
	w.signal()
}

func (w *worker) takeStatus() (store.SubscriptionStatus, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.dirty {
		return store.SubscriptionStatus{}, false
	}
	w.dirty = false
	return w.status, true
}

// peek returns the notifications to send next: the first one, or with
// throttling all queued ones (up to 1000) as one notification.
func (w *worker) peek(c *compiled) []*store.PendingNotification {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := min(len(w.queue), 1)
	if c.sub.Throttling > 0 {
		n = min(len(w.queue), 1000)
	}
	return append([]*store.PendingNotification(nil), w.queue[:n]...)
}

// drop removes items from the queue (a full queue may have dropped some
// of them already).
func (w *worker) drop(items []*store.PendingNotification) {
	w.mu.Lock()
	defer w.mu.Unlock()
	gone := make(map[*store.PendingNotification]bool, len(items))
	for _, p := range items {
		gone[p] = true
	}
	keep := w.queue[:0]
	for _, p := range w.queue {
		if !gone[p] {
			keep = append(keep, p)
		}
	}
	clear(w.queue[len(keep):])
	w.queue = keep
}

// record updates the counters after an attempt.
func (w *worker) record(at time.Time, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.dirty = true
	w.status.LastNotification = at
	if err == nil {
		w.status.TimesSent++
		w.status.LastSuccess = at
		w.status.ConsecutiveFailures = 0
		return
	}
	w.status.TimesFailed++
	w.status.ConsecutiveFailures++
	w.status.LastFailure = at
	w.status.LastFailureReason = err.Error()
}

// run delivers until the subscription goes away or the notifier stops.
func (w *worker) run() {
	defer w.n.workWG.Done()
	ctx := w.n.ctx
	var nextPeriodic time.Time
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select {
		case <-w.quit:
			return
		case <-ctx.Done():
			return
		default:
		}
		c := w.comp.Load()
		now := w.n.o.Now()
		wait := time.Duration(-1)
		if iv := c.sub.TimeInterval; iv > 0 {
			if nextPeriodic.IsZero() || !now.Before(nextPeriodic) {
				if c.active(now) {
					w.periodic(ctx, c, now)
				}
				nextPeriodic = now.Add(time.Duration(iv * float64(time.Second)))
			}
			wait = nextPeriodic.Sub(now)
		}
		if items := w.peek(c); len(items) > 0 {
			switch c.sub.State(now) {
			case StatusExpired:
				w.drop(items)
				w.n.forget(items)
				continue
			case StatusActive:
				if th := time.Duration(c.sub.Throttling * float64(time.Second)); th > 0 && now.Sub(w.lastSent) < th {
					if d := th - now.Sub(w.lastSent); wait < 0 || d < wait {
						wait = d
					}
				} else {
					w.deliver(ctx, c, items)
					continue
				}
			}
		}
		var timeC <-chan time.Time
		if wait >= 0 {
			timer.Reset(wait)
			timeC = timer.C
		}
		select {
		case <-w.wake:
		case <-timeC:
		case <-w.quit:
			return
		case <-ctx.Done():
			return
		}
		if timeC != nil && !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// deliver sends items as one notification, retrying with exponential
// backoff; it returns when they are delivered or abandoned, or when the
// subscription stops being active (they stay queued then).
func (w *worker) deliver(ctx context.Context, c *compiled, items []*store.PendingNotification) {
	data := make([][]byte, len(items))
	for i, p := range items {
		data[i] = p.Body
	}
	o := &w.n.o
	for attempt := 1; ; attempt++ {
		now := o.Now()
		err := w.n.snd.send(ctx, c, buildNotification(c, data, now))
		if ctx.Err() != nil {
			return
		}
		w.record(now, err)
		if err == nil {
			w.n.sent.Add(1)
			w.lastSent = now
			w.drop(items)
			w.n.forget(items)
			return
		}
		if attempt >= o.MaxAttempts {
			o.Logger.Warn("subscriptions: notification abandoned", "tenant", w.key.tenant, "subscription", w.key.id,
				"attempts", attempt, "err", err)
			w.mu.Lock()
			w.status.TimesDropped += int64(len(items))
			w.mu.Unlock()
			w.drop(items)
			w.n.forget(items)
			return
		}
		backoff := min(o.RetryBase<<min(attempt-1, 30), o.RetryMax)
		backoff = backoff/2 + rand.N(backoff/2+1)
		select {
		case <-time.After(backoff):
		case <-w.quit:
			return
		case <-ctx.Done():
			return
		}
		if c = w.comp.Load(); !c.active(o.Now()) {
			return
		}
	}
}

// periodic sends the entities a periodic subscription selects now.
func (w *worker) periodic(ctx context.Context, c *compiled, now time.Time) {
	var data [][]byte
	seen := map[string]bool{}
	for _, sel := range c.sels {
		q := &store.Query{Types: sel.types, IDPattern: sel.re, Q: c.q, Geo: c.geo, Limit: 1000}
		if sel.id != "" {
			q.IDs = []string{sel.id}
		}
		res, err := w.n.o.Entities.Query(ctx, w.key.tenant, q)
		if err != nil {
			if !errors.Is(err, context.Canceled) && !ngsild.IsType(err, ngsild.ErrNonexistentTenant) {
				w.record(now, err)
			}
			continue
		}
		for _, e := range res.Entities {
			if !seen[e.ID] {
				seen[e.ID] = true
				data = append(data, c.renderData(&store.ChangeRecord{EntityID: e.ID, Types: e.Types}, e))
			}
		}
	}
	if len(data) == 0 {
		return
	}
	err := w.n.snd.send(ctx, c, buildNotification(c, data, now))
	if ctx.Err() != nil {
		return
	}
	w.record(now, err)
	if err == nil {
		w.n.sent.Add(1)
	}
}

package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
)

// RunSubscriptions runs the conformance tests of store.SubscriptionStore
// against the stores open returns, which must implement it. Each subtest
// opens a fresh store in its own directory.
func RunSubscriptions(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"CRUD", testSubscriptionCRUD},
		{"ListPages", testSubscriptionPages},
		{"Status", testSubscriptionStatus},
		{"PendingAndCursor", testPendingAndCursor},
		{"SubscriptionPersistence", testSubscriptionPersistence},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open) })
	}
}

// openSubs opens a store in dir as a SubscriptionStore, closed at cleanup.
func openSubs(t *testing.T, open Opener, dir string) (store.Store, store.SubscriptionStore) {
	t.Helper()
	st := open(t, dir)
	ss, ok := st.(store.SubscriptionStore)
	if !ok {
		st.Close()
		t.Fatalf("%T does not implement store.SubscriptionStore", st)
	}
	return st, ss
}

func storedSub(tenant, id, body string) *store.StoredSubscription {
	at := time.Date(2026, 11, 23, 8, 0, 0, 123456789, time.UTC)
	return &store.StoredSubscription{Tenant: tenant, ID: id, Body: []byte(body), CreatedAt: at, ModifiedAt: at}
}

func testSubscriptionCRUD(t *testing.T, open Opener) {
	st, ss := openSubs(t, open, t.TempDir())
	defer st.Close()
	ctx := context.Background()
	if err := ss.CreateSubscription(ctx, storedSub("", "urn:s:1", `{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := ss.CreateSubscription(ctx, storedSub("", "urn:s:1", `{"a":2}`)); !ngsild.IsType(err, ngsild.ErrAlreadyExists) {
		t.Errorf("second create: %v, want AlreadyExists", err)
	}
	if err := ss.CreateSubscription(ctx, storedSub("t2", "urn:s:1", `{"t":2}`)); err != nil {
		t.Errorf("same id in another tenant: %v", err)
	}
	got, err := ss.Subscription(ctx, "", "urn:s:1")
	if err != nil || string(got.Body) != `{"a":1}` || !got.CreatedAt.Equal(storedSub("", "", "").CreatedAt) {
		t.Errorf("Subscription = %+v, %v", got, err)
	}
	if _, err := ss.Subscription(ctx, "", "urn:s:none"); !ngsild.IsType(err, ngsild.ErrResourceNotFound) {
		t.Errorf("missing: %v", err)
	}
	upd := storedSub("", "urn:s:1", `{"a":3}`)
	upd.ModifiedAt = upd.ModifiedAt.Add(time.Hour)
	if err := ss.ReplaceSubscription(ctx, upd); err != nil {
		t.Fatal(err)
	}
	got, _ = ss.Subscription(ctx, "", "urn:s:1")
	if string(got.Body) != `{"a":3}` || !got.ModifiedAt.Equal(upd.ModifiedAt) || !got.CreatedAt.Equal(upd.CreatedAt) {
		t.Errorf("after replace: %+v", got)
	}
	if err := ss.ReplaceSubscription(ctx, storedSub("", "urn:s:none", `{}`)); !ngsild.IsType(err, ngsild.ErrResourceNotFound) {
		t.Errorf("replace missing: %v", err)
	}
	all, err := ss.AllSubscriptions(ctx)
	if err != nil || len(all) != 2 {
		t.Errorf("AllSubscriptions = %d, %v", len(all), err)
	}
	if err := ss.DeleteSubscription(ctx, "", "urn:s:1"); err != nil {
		t.Fatal(err)
	}
	if err := ss.DeleteSubscription(ctx, "", "urn:s:1"); !ngsild.IsType(err, ngsild.ErrResourceNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if _, err := ss.Subscription(ctx, "t2", "urn:s:1"); err != nil {
		t.Errorf("other tenant's subscription gone: %v", err)
	}
}

func testSubscriptionPages(t *testing.T, open Opener) {
	st, ss := openSubs(t, open, t.TempDir())
	defer st.Close()
	ctx := context.Background()
	for i := range 5 {
		if err := ss.CreateSubscription(ctx, storedSub("", fmt.Sprintf("urn:s:%d", 4-i), "{}")); err != nil {
			t.Fatal(err)
		}
	}
	list, total, err := ss.Subscriptions(ctx, "", 2, 1)
	if err != nil || total != 5 || len(list) != 2 || list[0].ID != "urn:s:1" || list[1].ID != "urn:s:2" {
		t.Errorf("page = %v, %d, %v", list, total, err)
	}
	list, total, _ = ss.Subscriptions(ctx, "", -1, 0)
	if len(list) != 5 || total != 5 {
		t.Errorf("all = %d, %d", len(list), total)
	}
	list, total, _ = ss.Subscriptions(ctx, "empty", 10, 0)
	if len(list) != 0 || total != 0 {
		t.Errorf("empty tenant = %d, %d", len(list), total)
	}
}

func testSubscriptionStatus(t *testing.T, open Opener) {
	st, ss := openSubs(t, open, t.TempDir())
	defer st.Close()
	ctx := context.Background()
	if err := ss.CreateSubscription(ctx, storedSub("", "urn:s:1", "{}")); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	want := store.SubscriptionStatus{TimesSent: 7, TimesFailed: 2, ConsecutiveFailures: 1, LastNotification: at,
		LastSuccess: at.Add(-time.Minute), LastFailure: at, LastFailureReason: "connection refused", TimesDropped: 3}
	err := ss.SetSubscriptionStatus(ctx, []store.SubscriptionStatusUpdate{{ID: "urn:s:1", Status: want}, {ID: "urn:s:gone", Status: want}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := ss.Subscription(ctx, "", "urn:s:1")
	if got.Status != want {
		t.Errorf("status %+v, want %+v", got.Status, want)
	}
	upd := storedSub("", "urn:s:1", `{"x":1}`)
	if err := ss.ReplaceSubscription(ctx, upd); err != nil {
		t.Fatal(err)
	}
	if got, _ := ss.Subscription(ctx, "", "urn:s:1"); got.Status != want {
		t.Errorf("replace lost the status: %+v", got.Status)
	}
}

func testPendingAndCursor(t *testing.T, open Opener) {
	st, ss := openSubs(t, open, t.TempDir())
	defer st.Close()
	ctx := context.Background()
	if c, err := ss.Cursor(ctx, "n"); c != 0 || err != nil {
		t.Errorf("fresh cursor = %d, %v", c, err)
	}
	for _, id := range []string{"urn:s:1", "urn:s:2"} {
		if err := ss.CreateSubscription(ctx, storedSub("", id, "{}")); err != nil {
			t.Fatal(err)
		}
	}
	list := []*store.PendingNotification{
		{SubscriptionID: "urn:s:1", Body: []byte(`{"n":1}`), CreatedAt: time.Unix(1, 0).UTC()},
		{SubscriptionID: "urn:s:2", Body: []byte(`{"n":2}`)},
		{SubscriptionID: "urn:s:1", Body: []byte(`{"n":3}`)},
	}
	if err := ss.AddPendingNotifications(ctx, "n", 42, list); err != nil {
		t.Fatal(err)
	}
	if list[0].Seq == 0 || list[1].Seq <= list[0].Seq || list[2].Seq <= list[1].Seq {
		t.Errorf("seqs %d %d %d not increasing", list[0].Seq, list[1].Seq, list[2].Seq)
	}
	if err := ss.AddPendingNotifications(ctx, "other", 7, nil); err != nil {
		t.Fatal(err)
	}
	if c, _ := ss.Cursor(ctx, "n"); c != 42 {
		t.Errorf("cursor n = %d, want 42", c)
	}
	if c, _ := ss.Cursor(ctx, "other"); c != 7 {
		t.Errorf("cursor other = %d, want 7", c)
	}
	got, err := ss.PendingNotifications(ctx, 0, 10)
	if err != nil || len(got) != 3 || string(got[0].Body) != `{"n":1}` || got[0].SubscriptionID != "urn:s:1" || !got[0].CreatedAt.Equal(time.Unix(1, 0)) {
		t.Fatalf("pending = %v, %v", got, err)
	}
	if page, _ := ss.PendingNotifications(ctx, got[0].Seq, 1); len(page) != 1 || page[0].Seq != got[1].Seq {
		t.Errorf("page after first = %v", page)
	}
	if err := ss.DeletePendingNotifications(ctx, []uint64{got[0].Seq}); err != nil {
		t.Fatal(err)
	}
	if err := ss.DeleteSubscription(ctx, "", "urn:s:1"); err != nil {
		t.Fatal(err)
	}
	got, _ = ss.PendingNotifications(ctx, 0, 10)
	if len(got) != 1 || got[0].SubscriptionID != "urn:s:2" {
		t.Errorf("after deletes: %v", got)
	}
	// Many at once.
	var many []*store.PendingNotification
	for i := range 300 {
		many = append(many, &store.PendingNotification{SubscriptionID: "urn:s:2", Body: []byte(fmt.Sprint(i))})
	}
	if err := ss.AddPendingNotifications(ctx, "n", 43, many); err != nil {
		t.Fatal(err)
	}
	var del []uint64
	for _, p := range many[:250] {
		del = append(del, p.Seq)
	}
	if err := ss.DeletePendingNotifications(ctx, del); err != nil {
		t.Fatal(err)
	}
	got, _ = ss.PendingNotifications(ctx, 0, 1000)
	if len(got) != 51 || string(got[1].Body) != "250" {
		t.Errorf("after deleting 250 of 300: %d left", len(got))
	}
}

func testSubscriptionPersistence(t *testing.T, open Opener) {
	dir := t.TempDir()
	ctx := context.Background()
	st, ss := openSubs(t, open, dir)
	if err := ss.CreateSubscription(ctx, storedSub("t", "urn:s:1", `{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := ss.AddPendingNotifications(ctx, "n", 9, []*store.PendingNotification{{Tenant: "t", SubscriptionID: "urn:s:1", Body: []byte("{}")}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, ss = openSubs(t, open, dir)
	defer st.Close()
	if got, err := ss.Subscription(ctx, "t", "urn:s:1"); err != nil || string(got.Body) != `{"a":1}` {
		t.Errorf("after reopen: %v, %v", got, err)
	}
	if p, _ := ss.PendingNotifications(ctx, 0, 10); len(p) != 1 || p[0].Tenant != "t" {
		t.Errorf("pending after reopen: %v", p)
	}
	if c, _ := ss.Cursor(ctx, "n"); c != 9 {
		t.Errorf("cursor after reopen: %d", c)
	}
}

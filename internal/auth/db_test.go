package auth

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestOpenDBMigratesOnceAndIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	db, err := OpenDB(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := db.CreateAgency(ctx, Agency{ID: "brvt", Name: "Tỉnh", Kind: KindProvince}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = OpenDB(path) // a second open must not re-run migration 1
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version int
	var mode string
	db.db.QueryRow("PRAGMA user_version").Scan(&version)
	db.db.QueryRow("PRAGMA journal_mode").Scan(&mode)
	if version != len(migrations) || mode != "wal" {
		t.Errorf("user_version %d, journal_mode %q", version, mode)
	}
	if list, _ := db.Agencies(ctx); len(list) != 1 {
		t.Errorf("agencies after reopening: %v", list)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("auth.db mode %v, want 0600", fi.Mode().Perm())
	}
	if err := db.CreateAgency(ctx, Agency{ID: "brvt", Name: "again", Kind: KindProvince}); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate agency: %v", err)
	}
}

func TestDBRecordsRoundTrip(t *testing.T) {
	db, err := OpenDB(filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 8, 0, 0, 123, time.UTC)
	u := User{ID: "u1", Username: "lan", Name: "Lan", Role: RoleStaff, Agency: "p1", Tenants: []string{"vt"}, PasswordHash: "h", CreatedAt: now}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	got, err := db.UserByName(ctx, "LAN")
	if err != nil || got.ID != "u1" || got.Tenants[0] != "vt" || !got.CreatedAt.Equal(now) {
		t.Fatalf("user %+v, %v", got, err)
	}
	if _, err := db.UserByID(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing user: %v", err)
	}
	if err := db.UpdateUser(ctx, User{ID: "nope"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("updating a missing user: %v", err)
	}
	if ok, err := db.AdvanceTOTPStep(ctx, "u1", 10); !ok || err != nil {
		t.Errorf("first use of TOTP step 10: %v, %v", ok, err)
	}
	if ok, _ := db.AdvanceTOTPStep(ctx, "u1", 10); ok {
		t.Error("the same TOTP step was accepted twice")
	}
	if ok, _ := db.AdvanceTOTPStep(ctx, "u1", 9); ok {
		t.Error("an older TOTP step was accepted")
	}
	s := Session{TokenHash: "th", UserID: "u1", CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(time.Hour), ClientIP: "10.0.0.1"}
	if err := db.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.DeleteExpiredSessions(ctx, now.Add(30*time.Minute)); n != 0 {
		t.Errorf("a live session was purged")
	}
	if n, _ := db.DeleteExpiredSessions(ctx, now.Add(2*time.Hour)); n != 1 {
		t.Errorf("purged %d expired sessions, want 1", n)
	}
	if err := db.CreateSession(ctx, Session{TokenHash: "x", UserID: "ghost"}); err == nil {
		t.Error("a session of a missing user was stored (foreign keys off?)")
	}
}

// TestMigrateStopsAtFailure checks that a failing migration leaves the
// version where it was.
func TestMigrateStopsAtFailure(t *testing.T) {
	db, err := sql.Open("sqlite", sqliteDSN(filepath.Join(t.TempDir(), "m.db")))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = Migrate(context.Background(), db, []string{"CREATE TABLE a(x);", "CREATE TABLE b(; broken"})
	var v int
	db.QueryRow("PRAGMA user_version").Scan(&v)
	if err == nil || v != 1 {
		t.Errorf("Migrate = %v, user_version %d; want an error at version 1", err, v)
	}
}

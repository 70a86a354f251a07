package auth

import (
	"context"
	"errors"
	"time"
)

// Errors of the storage and the service.
var (
	ErrNotFound = errors.New("auth: not found")
	ErrExists   = errors.New("auth: already exists")
)

// User is a person's account. PasswordHash and TOTPSecret never leave the
// package in JSON.
type User struct {
	ID           string    `json:"id"`
	Username     string    `json:"username"`
	Name         string    `json:"name"`
	Role         Role      `json:"role"`
	Agency       string    `json:"agency,omitempty"`
	Tenants      []string  `json:"tenants,omitempty"`
	Disabled     bool      `json:"disabled"`
	PasswordHash string    `json:"-"`
	TOTPSecret   string    `json:"-"`
	TOTPEnabled  bool      `json:"totpEnabled"`
	CreatedAt    time.Time `json:"createdAt"`
}

// Session is a login session. Only the SHA-256 of its token is stored.
type Session struct {
	TokenHash string
	UserID    string
	CreatedAt time.Time
	LastSeen  time.Time
	ExpiresAt time.Time
	ClientIP  string
}

// APIKey is a machine credential. Only the SHA-256 of the key is stored;
// ID is the public prefix used to find it.
type APIKey struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	Agency    string    `json:"agency,omitempty"`
	Scope     Scope     `json:"scope"`
	Hash      string    `json:"-"`
	CreatedBy string    `json:"createdBy,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	RevokedAt time.Time `json:"revokedAt,omitzero"`
	LastUsed  time.Time `json:"lastUsed,omitzero"`
}

// Storage keeps the accounts. Get methods return ErrNotFound for a missing
// record; Create methods return ErrExists for a duplicate.
type Storage interface {
	CreateAgency(ctx context.Context, a Agency) error
	Agencies(ctx context.Context) ([]Agency, error)

	CreateUser(ctx context.Context, u User) error
	UpdateUser(ctx context.Context, u User) error
	UserByID(ctx context.Context, id string) (User, error)
	UserByName(ctx context.Context, username string) (User, error)
	Users(ctx context.Context) ([]User, error)
	// AdvanceTOTPStep records step as the last TOTP step the user used and
	// reports true, unless it is not after the one recorded (a replay).
	AdvanceTOTPStep(ctx context.Context, userID string, step uint64) (bool, error)

	CreateSession(ctx context.Context, s Session) error
	SessionByHash(ctx context.Context, tokenHash string) (Session, error)
	TouchSession(ctx context.Context, tokenHash string, at time.Time) error
	DeleteSession(ctx context.Context, tokenHash string) error
	DeleteUserSessions(ctx context.Context, userID string) error
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)

	CreateKey(ctx context.Context, k APIKey) error
	KeyByID(ctx context.Context, id string) (APIKey, error)
	Keys(ctx context.Context) ([]APIKey, error)
	RevokeKey(ctx context.Context, id string, at time.Time) error
	TouchKey(ctx context.Context, id string, at time.Time) error

	Close() error
}

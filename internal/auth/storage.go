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

	CreateClient(ctx context.Context, c Client) error
	ClientByID(ctx context.Context, id string) (Client, error)
	Clients(ctx context.Context) ([]Client, error)
	// RevokeClient marks the client revoked and deletes its access tokens.
	RevokeClient(ctx context.Context, id string, at time.Time) error
	TouchClient(ctx context.Context, id string, at time.Time) error
	CreateAccessToken(ctx context.Context, t AccessToken) error
	AccessTokenByHash(ctx context.Context, tokenHash string) (AccessToken, error)
	DeleteExpiredAccessTokens(ctx context.Context, now time.Time) (int64, error)

	// LinkedUser returns the id of the user linked to an OpenID Connect
	// issuer and subject.
	LinkedUser(ctx context.Context, issuer, subject string) (string, error)
	// CreateLinkedUser stores a new user linked to issuer and subject, in
	// one transaction.
	CreateLinkedUser(ctx context.Context, u User, issuer, subject string) error
	CreateOIDCFlow(ctx context.Context, f OIDCFlow) error
	// TakeOIDCFlow deletes and returns a flow: each is used at most once.
	TakeOIDCFlow(ctx context.Context, idHash string) (OIDCFlow, error)
	DeleteExpiredOIDCFlows(ctx context.Context, now time.Time) (int64, error)

	Close() error
}

// Client is an OAuth2 client (client credentials grant) of a machine. Only
// the SHA-256 of its secret is stored.
type Client struct {
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

// AccessToken is a short-lived bearer token issued to a Client. Only the
// SHA-256 of the token is stored; Scope is the (possibly narrowed) scope
// it grants.
type AccessToken struct {
	TokenHash string
	ClientID  string
	Scope     Scope
	CreatedAt time.Time
	ExpiresAt time.Time
}

// OIDCFlow is an OpenID Connect login in progress, bound to a browser by a
// short-lived cookie whose SHA-256 is IDHash.
type OIDCFlow struct {
	IDHash   string
	State    string
	Nonce    string
	Verifier string
	ReturnTo string
	Expires  time.Time
}

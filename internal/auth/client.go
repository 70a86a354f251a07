package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"slices"
	"strings"
	"time"
)

// OAuth2 client credentials. A machine registered as a Client (id and
// secret, the secret shown once and stored as its SHA-256) exchanges them at
// the token endpoint for an access token: an opaque random string with the
// prefix AccessTokenPrefix, stored as its SHA-256 with its expiry and the
// scope it grants, and sent as "Authorization: Bearer". Opaque tokens need
// no signing key and die at once when their client is revoked: every use
// looks the token and its client up.

// ClientIDPrefix starts every client_id.
const ClientIDPrefix = "dothi-client-"

// AccessTokenPrefix starts every access token, telling it from an API key.
const AccessTokenPrefix = "dothi_at_"

// Token endpoint errors, named after RFC 6749 §5.2.
var (
	// ErrInvalidClient: unknown client, wrong secret, revoked or expired.
	ErrInvalidClient = errors.New("invalid_client")
	// ErrInvalidScope: the requested scope exceeds the client's.
	ErrInvalidScope = errors.New("invalid_scope")
)

// NewClient describes an OAuth2 client to create.
type NewClient struct {
	Name   string `json:"name"`
	Role   Role   `json:"role"`
	Agency string `json:"agency,omitempty"`
	Scope  Scope  `json:"scope"`
	// TTL is how long the client is valid; 0 means it does not expire.
	TTL       time.Duration `json:"-"`
	CreatedBy string        `json:"-"`
}

// CreateClient registers an OAuth2 client and returns its secret, shown
// once and never stored.
func (s *Service) CreateClient(ctx context.Context, nc NewClient) (string, Client, error) {
	if err := s.checkNewKey(NewKey{Name: nc.Name, Role: nc.Role, Agency: nc.Agency, Scope: nc.Scope, TTL: nc.TTL}); err != nil {
		return "", Client{}, err
	}
	now := s.opt.Now().UTC()
	secret := newToken()
	c := Client{ID: ClientIDPrefix + randomHex(8), Name: nc.Name, Role: nc.Role, Agency: nc.Agency, Scope: nc.Scope,
		Hash: HashToken(secret), CreatedBy: nc.CreatedBy, CreatedAt: now}
	if nc.TTL > 0 {
		c.ExpiresAt = now.Add(nc.TTL)
	}
	if err := s.st.CreateClient(ctx, c); err != nil {
		return "", Client{}, err
	}
	return secret, c, nil
}

// Clients returns every OAuth2 client (without secrets).
func (s *Service) Clients(ctx context.Context) ([]Client, error) { return s.st.Clients(ctx) }

// RevokeClient revokes a client and its access tokens at once; ErrNotFound
// for an unknown id.
func (s *Service) RevokeClient(ctx context.Context, id string) error {
	return s.st.RevokeClient(ctx, id, s.opt.Now().UTC())
}

// TokenRequest is a client credentials grant.
type TokenRequest struct {
	ClientID, ClientSecret string
	// Scope is the space-separated scope asked for; empty for all the
	// client's scope.
	Scope string
	// ClientIP is where the request came from, for throttling.
	ClientIP string
}

// IssuedToken is a new access token; Token is shown to the client once.
type IssuedToken struct {
	Token     string
	Client    Client
	Scope     Scope
	ExpiresAt time.Time
}

// IssueToken authenticates a client by its secret and issues an access
// token for the requested scope. Failed client authentications are
// throttled per client IP like failed logins.
func (s *Service) IssueToken(ctx context.Context, req TokenRequest) (*IssuedToken, error) {
	now := s.opt.Now()
	ipKey := "ip:" + req.ClientIP
	if wait := s.clients.Blocked(ipKey, now); wait > 0 {
		return nil, &ThrottledError{RetryAfter: wait}
	}
	c, err := s.checkClient(ctx, req.ClientID, req.ClientSecret, now)
	if errors.Is(err, ErrInvalidClient) {
		s.clients.Fail(ipKey, now)
	}
	if err != nil {
		return nil, err
	}
	scope, err := NarrowScope(c.Scope, req.Scope)
	if err != nil {
		return nil, err
	}
	token := AccessTokenPrefix + newToken()
	exp := now.Add(s.opt.AccessTokenTTL)
	if !c.ExpiresAt.IsZero() && c.ExpiresAt.Before(exp) {
		exp = c.ExpiresAt
	}
	at := AccessToken{TokenHash: HashToken(token), ClientID: c.ID, Scope: scope, CreatedAt: now.UTC(), ExpiresAt: exp.UTC()}
	if err := s.st.CreateAccessToken(ctx, at); err != nil {
		return nil, err
	}
	_ = s.st.TouchClient(ctx, c.ID, now.UTC())
	return &IssuedToken{Token: token, Client: c, Scope: scope, ExpiresAt: at.ExpiresAt}, nil
}

// checkClient returns the valid client whose secret matches.
func (s *Service) checkClient(ctx context.Context, id, secret string, now time.Time) (Client, error) {
	if id == "" || secret == "" || len(id) > 64 || len(secret) > 256 {
		return Client{}, ErrInvalidClient
	}
	c, err := s.st.ClientByID(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Client{}, ErrInvalidClient
	}
	if err != nil {
		return Client{}, err
	}
	if subtle.ConstantTimeCompare([]byte(HashToken(secret)), []byte(c.Hash)) != 1 ||
		!c.RevokedAt.IsZero() || (!c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt)) {
		return Client{}, ErrInvalidClient
	}
	return c, nil
}

// NarrowScope returns the part of a client's scope that the OAuth2 scope
// string asks for. Its space-separated values are "read", "write",
// "tenant:T" and "type:T"; a kind of value left out keeps the client's
// grant (no value at all: the whole scope). Asking for more than the
// client has is ErrInvalidScope.
func NarrowScope(have Scope, requested string) (Scope, error) {
	fields := strings.Fields(requested)
	if len(fields) == 0 {
		return have, nil
	}
	out := Scope{Tenant: have.Tenant, Types: have.Types}
	var rw, tenant, types bool
	var wantTypes []string
	for _, f := range fields {
		switch {
		case f == "read":
			rw, out.Read = true, true
		case f == "write":
			rw, out.Write = true, true
		case strings.HasPrefix(f, "tenant:"):
			t := strings.TrimPrefix(f, "tenant:")
			if tenant || (have.Tenant != "*" && have.Tenant != t) || (t != "*" && t != "" && !tenantPattern(t)) {
				return Scope{}, ErrInvalidScope
			}
			tenant, out.Tenant = true, t
		case strings.HasPrefix(f, "type:"):
			t := strings.TrimPrefix(f, "type:")
			if t == "" || (len(have.Types) > 0 && !slices.ContainsFunc(have.Types, func(h string) bool { return typeMatches(h, t) })) {
				return Scope{}, ErrInvalidScope
			}
			types = true
			wantTypes = append(wantTypes, t)
		default:
			return Scope{}, ErrInvalidScope
		}
	}
	if types {
		out.Types = wantTypes
	}
	if !rw {
		out.Read, out.Write = have.Read, have.Write
	}
	if (out.Read && !have.Read) || (out.Write && !have.Write) {
		return Scope{}, ErrInvalidScope
	}
	return out, nil
}

// String is the OAuth2 scope string of s, as NarrowScope reads it.
func (s Scope) String() string {
	var parts []string
	if s.Read {
		parts = append(parts, "read")
	}
	if s.Write {
		parts = append(parts, "write")
	}
	parts = append(parts, "tenant:"+s.Tenant)
	for _, t := range s.Types {
		parts = append(parts, "type:"+t)
	}
	return strings.Join(parts, " ")
}

// tokenPrincipal returns the principal of a valid access token: its
// client, limited to the token's scope.
func (s *Service) tokenPrincipal(ctx context.Context, token string) (*Principal, error) {
	now := s.opt.Now()
	at, err := s.st.AccessTokenByHash(ctx, HashToken(token))
	if errors.Is(err, ErrNotFound) {
		return nil, ErrInvalidKey
	}
	if err != nil {
		return nil, err
	}
	if !now.Before(at.ExpiresAt) {
		return nil, ErrInvalidKey
	}
	c, err := s.st.ClientByID(ctx, at.ClientID)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrInvalidKey
	}
	if err != nil {
		return nil, err
	}
	if !c.RevokedAt.IsZero() || (!c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt)) {
		return nil, ErrInvalidKey
	}
	scope := at.Scope
	return &Principal{Kind: PrincipalClient, ID: c.ID, Name: c.Name, Role: c.Role, Agency: c.Agency,
		Within: s.agencySubtree(ctx, c.Agency), Scope: &scope}, nil
}

// BearerPrincipal returns the principal of a bearer credential: an
// access token from the token endpoint or an API key. Anything invalid,
// expired or revoked is ErrInvalidKey.
func (s *Service) BearerPrincipal(ctx context.Context, bearer string) (*Principal, error) {
	if strings.HasPrefix(bearer, AccessTokenPrefix) {
		return s.tokenPrincipal(ctx, bearer)
	}
	return s.KeyPrincipal(ctx, bearer)
}

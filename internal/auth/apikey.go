package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"
	"time"
)

// KeyPrefix starts every API key: dothi_<id>_<secret>.
const KeyPrefix = "dothi_"

// ErrInvalidKey covers unknown, malformed, expired and revoked keys alike.
var ErrInvalidKey = errors.New("auth: invalid API key")

// NewKey describes an API key to create.
type NewKey struct {
	Name   string `json:"name"`
	Role   Role   `json:"role"`
	Agency string `json:"agency,omitempty"`
	Scope  Scope  `json:"scope"`
	// TTL is how long the key is valid; 0 means it does not expire.
	TTL       time.Duration `json:"-"`
	CreatedBy string        `json:"-"`
}

// CreateKey creates an API key and returns its secret form, which is shown
// once and never stored: only its SHA-256 is kept.
func (s *Service) CreateKey(ctx context.Context, nk NewKey) (string, APIKey, error) {
	if err := s.checkNewKey(nk); err != nil {
		return "", APIKey{}, err
	}
	now := s.opt.Now().UTC()
	id := randomHex(8)
	secret := KeyPrefix + id + "_" + newToken()
	k := APIKey{ID: id, Name: nk.Name, Role: nk.Role, Agency: nk.Agency, Scope: nk.Scope,
		Hash: HashToken(secret), CreatedBy: nk.CreatedBy, CreatedAt: now}
	if nk.TTL > 0 {
		k.ExpiresAt = now.Add(nk.TTL)
	}
	if err := s.st.CreateKey(ctx, k); err != nil {
		return "", APIKey{}, err
	}
	return secret, k, nil
}

// checkNewKey validates a new key.
func (s *Service) checkNewKey(nk NewKey) error {
	if nk.Name == "" {
		return invalid("a key needs a name")
	}
	if _, err := ParseRole(string(nk.Role)); err != nil || nk.Role == RoleCitizen {
		return invalid("role %q cannot hold a key", nk.Role)
	}
	if !nk.Scope.Read && !nk.Scope.Write {
		return invalid("the scope grants neither read nor write")
	}
	if nk.Scope.Tenant != "*" && nk.Scope.Tenant != "" && !tenantPattern(nk.Scope.Tenant) {
		return invalid("tenant %q is not a valid tenant name", nk.Scope.Tenant)
	}
	if _, ok := s.Tree().Get(nk.Agency); nk.Agency != "" && !ok {
		return invalid("agency %q does not exist", nk.Agency)
	}
	if nk.TTL < 0 {
		return invalid("negative lifetime")
	}
	return nil
}

// tenantPattern reports whether t is a valid NGSILD-Tenant name.
func tenantPattern(t string) bool {
	if len(t) > 64 {
		return false
	}
	for i, c := range t {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || (i > 0 && (c == '-' || c == '.'))
		if !ok {
			return false
		}
	}
	return true
}

// parseKey splits a key into its id; ok is false for a malformed key.
func parseKey(secret string) (id string, ok bool) {
	rest, found := strings.CutPrefix(secret, KeyPrefix)
	if !found {
		return "", false
	}
	id, tail, found := strings.Cut(rest, "_")
	return id, found && len(id) == 16 && len(tail) == 43
}

// KeyPrincipal returns the principal of a valid API key.
func (s *Service) KeyPrincipal(ctx context.Context, secret string) (*Principal, error) {
	id, ok := parseKey(secret)
	if !ok {
		return nil, ErrInvalidKey
	}
	k, err := s.st.KeyByID(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrInvalidKey
	}
	if err != nil {
		return nil, err
	}
	now := s.opt.Now()
	if subtle.ConstantTimeCompare([]byte(HashToken(secret)), []byte(k.Hash)) != 1 ||
		!k.RevokedAt.IsZero() || (!k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt)) {
		return nil, ErrInvalidKey
	}
	if now.Sub(k.LastUsed) >= touchEvery {
		_ = s.st.TouchKey(ctx, k.ID, now.UTC())
	}
	scope := k.Scope
	return &Principal{Kind: PrincipalKey, ID: k.ID, Name: k.Name, Role: k.Role, Agency: k.Agency,
		Within: s.agencySubtree(ctx, k.Agency), Scope: &scope}, nil
}

// RevokeKey revokes a key at once; it fails with ErrNotFound for an unknown id.
func (s *Service) RevokeKey(ctx context.Context, id string) error {
	return s.st.RevokeKey(ctx, id, s.opt.Now().UTC())
}

// Keys returns every API key (without secrets, which are not stored).
func (s *Service) Keys(ctx context.Context) ([]APIKey, error) { return s.st.Keys(ctx) }

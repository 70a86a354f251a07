package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// OpenID Connect accounts. A person who logs in with the province's
// identity provider gets a local user record, linked by the provider's
// issuer and subject (never by username, so a provider account cannot take
// over a local one). The record has no password and no TOTP secret: the
// provider authenticates, Dothi authorises. Role and agency come from the
// provider's claims through ClaimRules at every login, so a change at the
// provider takes effect at the next login.

// ErrOIDCRefused: the provider vouched for the person but Dothi will not
// let them in (no rule maps them to a role, the account is disabled, or
// its username belongs to another account).
var ErrOIDCRefused = errors.New("auth: OpenID Connect login refused")

// ClaimRule maps people whose ID token claim Claim equals Value (or, for a
// list claim such as groups, contains it) to a role and an agency.
type ClaimRule struct {
	Claim  string `yaml:"claim" json:"claim"`
	Value  string `yaml:"value" json:"value"`
	Role   Role   `yaml:"role" json:"role"`
	Agency string `yaml:"agency" json:"agency,omitempty"`
}

// Matches reports whether the claims satisfy the rule.
func (r ClaimRule) Matches(claims map[string]any) bool {
	switch v := claims[r.Claim].(type) {
	case string:
		return v == r.Value
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok && s == r.Value {
				return true
			}
		}
	case bool:
		return fmt.Sprint(v) == r.Value
	case float64:
		return fmt.Sprint(v) == r.Value
	}
	return false
}

// MapClaims returns the role and agency of the first rule the claims
// match; ok is false when none does.
func MapClaims(rules []ClaimRule, claims map[string]any) (role Role, agency string, ok bool) {
	for _, r := range rules {
		if r.Matches(claims) {
			return r.Role, r.Agency, true
		}
	}
	return "", "", false
}

// OIDCIdentity is a person the identity provider vouched for, already
// mapped to a role.
type OIDCIdentity struct {
	Issuer, Subject string
	// Username is the value of the username claim; Name the display name.
	Username, Name string
	Role           Role
	Agency         string
	// ClientIP and OldToken are as in LoginRequest.
	ClientIP, OldToken string
}

// CheckClaimRule reports a rule that cannot work with the agency tree.
func (s *Service) CheckClaimRule(r ClaimRule) error {
	if r.Claim == "" || r.Value == "" {
		return fmt.Errorf("a claim rule needs a claim and a value")
	}
	if _, err := ParseRole(string(r.Role)); err != nil {
		return err
	}
	if r.Agency == "" && (r.Role == RoleStaff || r.Role == RoleOperator) {
		return fmt.Errorf("a %s belongs to an agency", r.Role)
	}
	return nil
}

// OIDCLogin finds or creates the user linked to id.Issuer and id.Subject,
// brings its username, name, role and agency up to date and starts a
// session exactly as Login does (the presented session is ended).
func (s *Service) OIDCLogin(ctx context.Context, id OIDCIdentity) (*LoginResult, error) {
	if id.Issuer == "" || id.Subject == "" {
		return nil, fmt.Errorf("%w: no issuer or subject", ErrOIDCRefused)
	}
	username := strings.ToLower(strings.TrimSpace(id.Username))
	if !usernamePattern.MatchString(username) {
		return nil, fmt.Errorf("%w: username %q is not a valid Dothi username", ErrOIDCRefused, id.Username)
	}
	if _, err := ParseRole(string(id.Role)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOIDCRefused, err)
	}
	if _, ok := s.Tree().Get(id.Agency); id.Agency != "" && !ok {
		if s.Reload(ctx) == nil {
			_, ok = s.Tree().Get(id.Agency)
		}
		if !ok {
			return nil, fmt.Errorf("%w: agency %q does not exist", ErrOIDCRefused, id.Agency)
		}
	}
	now := s.opt.Now()
	userID, err := s.st.LinkedUser(ctx, id.Issuer, id.Subject)
	var u User
	switch {
	case errors.Is(err, ErrNotFound):
		u = User{ID: "u-" + randomHex(8), Username: username, Name: id.Name, Role: id.Role, Agency: id.Agency, CreatedAt: now.UTC()}
		if err := s.st.CreateLinkedUser(ctx, u, id.Issuer, id.Subject); errors.Is(err, ErrExists) {
			return nil, fmt.Errorf("%w: username %q belongs to another account", ErrOIDCRefused, username)
		} else if err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	default:
		if u, err = s.st.UserByID(ctx, userID); err != nil {
			return nil, err
		}
		if u.Disabled {
			return nil, fmt.Errorf("%w: the account is disabled", ErrOIDCRefused)
		}
		if u.Name != id.Name || u.Role != id.Role || u.Agency != id.Agency {
			if id.Name != "" {
				u.Name = id.Name
			}
			u.Role, u.Agency = id.Role, id.Agency
			if err := s.st.UpdateUser(ctx, u); err != nil {
				return nil, err
			}
		}
	}
	return s.startSession(ctx, u, LoginRequest{ClientIP: id.ClientIP, OldToken: id.OldToken}, now)
}

// maxOIDCFlowTTL bounds how long a login may wait at the provider.
const maxOIDCFlowTTL = 15 * time.Minute

// StartOIDCFlow stores a login in progress for ttl and returns the secret
// that binds it to the browser (for a cookie; only its hash is stored).
func (s *Service) StartOIDCFlow(ctx context.Context, f OIDCFlow, ttl time.Duration) (string, error) {
	if ttl <= 0 || ttl > maxOIDCFlowTTL {
		ttl = 10 * time.Minute
	}
	secret := newToken()
	f.IDHash, f.Expires = HashToken(secret), s.opt.Now().Add(ttl).UTC()
	return secret, s.st.CreateOIDCFlow(ctx, f)
}

// TakeOIDCFlow returns and forgets the login in progress bound to secret;
// ErrNotFound when there is none or it has expired.
func (s *Service) TakeOIDCFlow(ctx context.Context, secret string) (OIDCFlow, error) {
	if secret == "" {
		return OIDCFlow{}, ErrNotFound
	}
	f, err := s.st.TakeOIDCFlow(ctx, HashToken(secret))
	if err != nil {
		return OIDCFlow{}, err
	}
	if !s.opt.Now().Before(f.Expires) {
		return OIDCFlow{}, ErrNotFound
	}
	return f, nil
}

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.opt.Now() }

package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Options configure a Service. Zero fields take the defaults shown.
type Options struct {
	// Argon2 is the password hashing cost (DefaultArgon2).
	Argon2 Argon2Params
	// SessionTTL is the absolute lifetime of a session (12h).
	SessionTTL time.Duration
	// IdleTimeout ends a session unused for this long (30m).
	IdleTimeout time.Duration
	// TOTPRoles must log in with a TOTP code (nil: the official roles).
	TOTPRoles map[Role]bool
	// Issuer names the platform in authenticator apps ("Dothi").
	Issuer string
	// AccountThrottle limits failed logins per username (5 free, then 1s
	// doubling to 15m, forgotten after 1h).
	AccountThrottle ThrottleConfig
	// ClientThrottle limits failed logins per client IP (30 free, then 1s
	// doubling to 5m, forgotten after 1h); gentler than per account because
	// a whole office may share one address.
	ClientThrottle ThrottleConfig
	// MaxConcurrentLogins bounds the password hashes computed at once, so a
	// flood of logins cannot exhaust memory (argon2id takes 19 MiB each);
	// others wait their turn (the number of CPUs, at least 2).
	MaxConcurrentLogins int
	// AccessTokenTTL is the lifetime of an OAuth2 access token (1h).
	AccessTokenTTL time.Duration
	// Now is the clock (time.Now).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Argon2 == (Argon2Params{}) {
		o.Argon2 = DefaultArgon2
	}
	o.SessionTTL = orDuration(o.SessionTTL, 12*time.Hour)
	o.IdleTimeout = orDuration(o.IdleTimeout, 30*time.Minute)
	o.AccessTokenTTL = orDuration(o.AccessTokenTTL, time.Hour)
	if o.TOTPRoles == nil {
		o.TOTPRoles = map[Role]bool{RoleAdmin: true, RoleOperator: true, RoleLeader: true, RoleStaff: true}
	}
	if o.Issuer == "" {
		o.Issuer = "Dothi"
	}
	if o.AccountThrottle == (ThrottleConfig{}) {
		o.AccountThrottle = ThrottleConfig{Free: 5, Base: time.Second, Max: 15 * time.Minute, Window: time.Hour, MaxKeys: 100000}
	}
	if o.ClientThrottle == (ThrottleConfig{}) {
		o.ClientThrottle = ThrottleConfig{Free: 30, Base: time.Second, Max: 5 * time.Minute, Window: time.Hour, MaxKeys: 100000}
	}
	if o.MaxConcurrentLogins <= 0 {
		o.MaxConcurrentLogins = max(2, runtime.NumCPU())
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

func orDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Service is the accounts service: users, agencies, logins, sessions and
// API keys over a Storage. It is safe for concurrent use.
type Service struct {
	st        Storage
	opt       Options
	accounts  *Throttle
	clients   *Throttle
	dummyHash string
	logins    chan struct{} // semaphore of MaxConcurrentLogins

	mu   sync.RWMutex
	tree *AgencyTree
}

// NewService loads the agency tree from st and returns a Service.
func NewService(ctx context.Context, st Storage, opt Options) (*Service, error) {
	opt = opt.withDefaults()
	s := &Service{st: st, opt: opt,
		accounts: NewThrottle(opt.AccountThrottle), clients: NewThrottle(opt.ClientThrottle),
		logins: make(chan struct{}, opt.MaxConcurrentLogins)}
	var err error
	if s.dummyHash, err = HashPassword("dothi-no-such-user", opt.Argon2); err != nil {
		return nil, err
	}
	return s, s.Reload(ctx)
}

// Reload rereads the agency tree, after another process changed it.
func (s *Service) Reload(ctx context.Context) error {
	list, err := s.st.Agencies(ctx)
	if err != nil {
		return err
	}
	t, err := NewAgencyTree(list)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.tree = t
	s.mu.Unlock()
	return nil
}

// Tree returns the current agency tree.
func (s *Service) Tree() *AgencyTree {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.tree
}

// CreateAgency adds an agency under an existing parent.
func (s *Service) CreateAgency(ctx context.Context, a Agency) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.tree.With(a)
	if err != nil {
		return err
	}
	if err := s.st.CreateAgency(ctx, a); err != nil {
		return err
	}
	s.tree = t
	return nil
}

// agencySubtree returns the agencies a principal of agency id acts for,
// rereading the tree once if id is unknown (another process added it).
func (s *Service) agencySubtree(ctx context.Context, id string) map[string]bool {
	if id == "" {
		return map[string]bool{}
	}
	if _, ok := s.Tree().Get(id); !ok {
		_ = s.Reload(ctx)
	}
	return s.Tree().Subtree(id)
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("auth: crypto/rand failed: %v", err)) // never happens on supported systems
	}
	return hex.EncodeToString(b)
}

// usernamePattern is what a username may hold (stored in lower case).
var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.@-]{1,63}$`)

// NewUser describes an account to create.
type NewUser struct {
	Username string   `json:"username"`
	Name     string   `json:"name"`
	Password string   `json:"password"`
	Role     Role     `json:"role"`
	Agency   string   `json:"agency,omitempty"`
	Tenants  []string `json:"tenants,omitempty"`
}

// CreateUser creates an account. For a role that needs TOTP it enrolls a
// secret and returns its otpauth:// URI, to be shown once to the user.
func (s *Service) CreateUser(ctx context.Context, nu NewUser) (User, string, error) {
	nu.Username = strings.ToLower(strings.TrimSpace(nu.Username))
	if err := s.checkNewUser(nu); err != nil {
		return User{}, "", err
	}
	hash, err := HashPassword(nu.Password, s.opt.Argon2)
	if err != nil {
		return User{}, "", err
	}
	u := User{ID: "u-" + randomHex(8), Username: nu.Username, Name: nu.Name, Role: nu.Role, Agency: nu.Agency,
		Tenants: nu.Tenants, PasswordHash: hash, CreatedAt: s.opt.Now().UTC()}
	var uri string
	if s.opt.TOTPRoles[u.Role] {
		if u.TOTPSecret, err = NewTOTPSecret(); err != nil {
			return User{}, "", err
		}
		u.TOTPEnabled = true
		uri = TOTPURI(s.opt.Issuer, u.Username, u.TOTPSecret)
	}
	if err := s.st.CreateUser(ctx, u); err != nil {
		return User{}, "", err
	}
	return u, uri, nil
}

// InvalidError is a request the service refuses because of its content.
type InvalidError struct{ Msg string }

func (e *InvalidError) Error() string { return e.Msg }

func invalid(format string, args ...any) error {
	return &InvalidError{Msg: fmt.Sprintf(format, args...)}
}

// checkNewUser validates a new account.
func (s *Service) checkNewUser(nu NewUser) error {
	if !usernamePattern.MatchString(nu.Username) {
		return invalid("username %q: 2 to 64 of a-z, 0-9, '_', '.', '@', '-'", nu.Username)
	}
	if _, err := ParseRole(string(nu.Role)); err != nil {
		return invalid("%v", err)
	}
	if err := CheckPasswordPolicy(nu.Password); err != nil {
		return invalid("%v", err)
	}
	if nu.Agency == "" && (nu.Role == RoleStaff || nu.Role == RoleOperator) {
		return invalid("a %s belongs to an agency", nu.Role)
	}
	if _, ok := s.Tree().Get(nu.Agency); nu.Agency != "" && !ok {
		return invalid("agency %q does not exist", nu.Agency)
	}
	return nil
}

// SetPassword changes a user's password and ends their sessions.
func (s *Service) SetPassword(ctx context.Context, userID, password string) error {
	if err := CheckPasswordPolicy(password); err != nil {
		return invalid("%v", err)
	}
	u, err := s.st.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	if u.PasswordHash, err = HashPassword(password, s.opt.Argon2); err != nil {
		return err
	}
	if err := s.st.UpdateUser(ctx, u); err != nil {
		return err
	}
	return s.st.DeleteUserSessions(ctx, userID)
}

// SetDisabled disables or re-enables a user; disabling ends their sessions.
func (s *Service) SetDisabled(ctx context.Context, userID string, disabled bool) error {
	u, err := s.st.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	u.Disabled = disabled
	if err := s.st.UpdateUser(ctx, u); err != nil {
		return err
	}
	if disabled {
		return s.st.DeleteUserSessions(ctx, userID)
	}
	return nil
}

// Unlock forgets the failed logins of username, ending a lockout early.
func (s *Service) Unlock(username string) {
	s.accounts.Reset("user:" + strings.ToLower(strings.TrimSpace(username)))
}

// Users returns every account.
func (s *Service) Users(ctx context.Context) ([]User, error) { return s.st.Users(ctx) }

// UserPrincipal is the principal acting as u.
func (s *Service) UserPrincipal(ctx context.Context, u User) *Principal {
	return &Principal{Kind: PrincipalUser, ID: u.ID, Name: u.Username, Role: u.Role, Agency: u.Agency,
		Within: s.agencySubtree(ctx, u.Agency), Tenants: u.Tenants}
}

// IsNotFound reports whether err means a missing record.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

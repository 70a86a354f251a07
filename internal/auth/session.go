package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Login errors. ErrInvalidCredentials covers a wrong username, password or
// TOTP code and a disabled account alike, so that none can be told apart.
var (
	ErrInvalidCredentials = errors.New("auth: invalid credentials")
	// ErrTOTPRequired: the password was right and a TOTP code is needed.
	ErrTOTPRequired = errors.New("auth: TOTP code required")
	// ErrTOTPNotEnrolled: the role needs TOTP but the account has none.
	ErrTOTPNotEnrolled = errors.New("auth: two-factor authentication is required but not set up")
	// ErrNoSession: the session token is unknown, expired or idle too long.
	ErrNoSession = errors.New("auth: no valid session")
)

// ThrottledError is returned while a username or client is blocked.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("auth: too many failed logins; retry in %s", e.RetryAfter.Round(time.Second))
}

// LoginRequest is one login attempt.
type LoginRequest struct {
	Username, Password, TOTP string
	// ClientIP is the address the attempt came from, for throttling.
	ClientIP string
	// OldToken is the session token the client presented, if any; it is
	// ended so that a new login never keeps a planted session (fixation).
	OldToken string
}

// LoginResult is a successful login: a fresh session token (for the
// cookie, never stored or logged) and the CSRF token bound to it.
type LoginResult struct {
	Token   string
	CSRF    string
	User    User
	Session Session
}

// Login checks a username, password and TOTP code, with throttling per
// username and per client IP, and starts a new session.
func (s *Service) Login(ctx context.Context, req LoginRequest) (*LoginResult, error) {
	now := s.opt.Now()
	username := strings.ToLower(strings.TrimSpace(req.Username))
	acctKey, ipKey := "user:"+username, "ip:"+req.ClientIP
	if wait := max(s.accounts.Blocked(acctKey, now), s.clients.Blocked(ipKey, now)); wait > 0 {
		return nil, &ThrottledError{RetryAfter: wait}
	}
	select {
	case s.logins <- struct{}{}:
		defer func() { <-s.logins }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	u, err := s.checkPassword(ctx, username, req.Password)
	if err == nil {
		err = s.checkTOTP(ctx, u, req.TOTP, now)
	}
	if errors.Is(err, ErrInvalidCredentials) {
		s.accounts.Fail(acctKey, now)
		s.clients.Fail(ipKey, now)
	}
	if err != nil {
		return nil, err
	}
	s.accounts.Reset(acctKey)
	s.upgradeHash(ctx, u, req.Password)
	return s.startSession(ctx, u, req, now)
}

// checkPassword returns the enabled user whose password matches. For an
// unknown user it still hashes, so timing does not reveal which names exist.
func (s *Service) checkPassword(ctx context.Context, username, password string) (User, error) {
	if len(password) > MaxPasswordLen {
		return User{}, ErrInvalidCredentials
	}
	u, err := s.st.UserByName(ctx, username)
	if errors.Is(err, ErrNotFound) {
		_, _ = VerifyPassword(password, s.dummyHash)
		return User{}, ErrInvalidCredentials
	}
	if err != nil {
		return User{}, err
	}
	if u.PasswordHash == "" { // an OpenID Connect account: no local password
		_, _ = VerifyPassword(password, s.dummyHash)
		return User{}, ErrInvalidCredentials
	}
	ok, err := VerifyPassword(password, u.PasswordHash)
	if err != nil {
		return User{}, err
	}
	if !ok || u.Disabled {
		return User{}, ErrInvalidCredentials
	}
	return u, nil
}

// checkTOTP checks the second factor of u, refusing a replayed code.
func (s *Service) checkTOTP(ctx context.Context, u User, code string, now time.Time) error {
	if !u.TOTPEnabled {
		if s.opt.TOTPRoles[u.Role] {
			return ErrTOTPNotEnrolled
		}
		return nil
	}
	if code == "" {
		return ErrTOTPRequired
	}
	step, ok := MatchTOTP(u.TOTPSecret, strings.TrimSpace(code), now)
	if !ok {
		return ErrInvalidCredentials
	}
	fresh, err := s.st.AdvanceTOTPStep(ctx, u.ID, step)
	if err != nil {
		return err
	}
	if !fresh {
		return ErrInvalidCredentials
	}
	return nil
}

// upgradeHash rehashes a correct password made with older parameters.
func (s *Service) upgradeHash(ctx context.Context, u User, password string) {
	if !NeedsRehash(u.PasswordHash, s.opt.Argon2) {
		return
	}
	if h, err := HashPassword(password, s.opt.Argon2); err == nil {
		u.PasswordHash = h
		_ = s.st.UpdateUser(ctx, u)
	}
}

// startSession ends the presented session, if any, and stores a new one.
func (s *Service) startSession(ctx context.Context, u User, req LoginRequest, now time.Time) (*LoginResult, error) {
	if req.OldToken != "" {
		if err := s.st.DeleteSession(ctx, HashToken(req.OldToken)); err != nil {
			return nil, err
		}
	}
	token := newToken()
	sess := Session{TokenHash: HashToken(token), UserID: u.ID, CreatedAt: now.UTC(), LastSeen: now.UTC(),
		ExpiresAt: now.Add(s.opt.SessionTTL).UTC(), ClientIP: req.ClientIP}
	if err := s.st.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	return &LoginResult{Token: token, CSRF: CSRFToken(token), User: u, Session: sess}, nil
}

// newToken returns a random 256-bit token, base64url without padding.
func newToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("auth: crypto/rand failed: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is the stored form of a session token: hex SHA-256.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CSRFToken is the CSRF token bound to a session token: an HMAC of a fixed
// label under the token, so only the holder of the cookie can compute it
// and it need not be stored.
func CSRFToken(sessionToken string) string {
	m := hmac.New(sha256.New, []byte(sessionToken))
	m.Write([]byte("dothi csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckCSRF reports, in constant time, whether csrf belongs to the session.
func CheckCSRF(sessionToken, csrf string) bool {
	return sessionToken != "" && subtle.ConstantTimeCompare([]byte(CSRFToken(sessionToken)), []byte(csrf)) == 1
}

// touchEvery is how stale LastSeen may get before a request rewrites it.
const touchEvery = time.Minute

// SessionPrincipal returns the principal of a valid session token. An
// expired or idle session is deleted and ErrNoSession returned.
func (s *Service) SessionPrincipal(ctx context.Context, token string) (*Principal, Session, error) {
	now := s.opt.Now()
	sess, err := s.st.SessionByHash(ctx, HashToken(token))
	if errors.Is(err, ErrNotFound) {
		return nil, Session{}, ErrNoSession
	}
	if err != nil {
		return nil, Session{}, err
	}
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeen) >= s.opt.IdleTimeout {
		return nil, Session{}, s.endSession(ctx, sess.TokenHash)
	}
	u, err := s.st.UserByID(ctx, sess.UserID)
	if errors.Is(err, ErrNotFound) || (err == nil && u.Disabled) {
		return nil, Session{}, s.endSession(ctx, sess.TokenHash)
	}
	if err != nil {
		return nil, Session{}, err
	}
	if now.Sub(sess.LastSeen) >= touchEvery {
		sess.LastSeen = now.UTC()
		_ = s.st.TouchSession(ctx, sess.TokenHash, sess.LastSeen)
	}
	return s.UserPrincipal(ctx, u), sess, nil
}

// endSession deletes a session and returns ErrNoSession.
func (s *Service) endSession(ctx context.Context, tokenHash string) error {
	if err := s.st.DeleteSession(ctx, tokenHash); err != nil {
		return err
	}
	return ErrNoSession
}

// Logout ends the session of token.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.st.DeleteSession(ctx, HashToken(token))
}

// PurgeSessions deletes expired sessions, access tokens and OpenID
// Connect logins in progress; run it now and then.
func (s *Service) PurgeSessions(ctx context.Context) (int64, error) {
	now := s.opt.Now()
	n, err := s.st.DeleteExpiredSessions(ctx, now)
	if err != nil {
		return n, err
	}
	m, err := s.st.DeleteExpiredAccessTokens(ctx, now)
	n += m
	if err != nil {
		return n, err
	}
	m, err = s.st.DeleteExpiredOIDCFlows(ctx, now)
	return n + m, err
}

package auth

import (
	"encoding/base32"
	"net/url"
	"testing"
	"time"
)

// TestHOTPRFC6238Vectors checks the SHA-1 test vectors of RFC 6238,
// appendix B (8 digits, 30 s steps, key "12345678901234567890").
func TestHOTPRFC6238Vectors(t *testing.T) {
	key := []byte("12345678901234567890")
	vectors := map[int64]string{
		59: "94287082", 1111111109: "07081804", 1111111111: "14050471",
		1234567890: "89005924", 2000000000: "69279037", 20000000000: "65353130",
	}
	for sec, want := range vectors {
		if got := hotp(key, totpStep(time.Unix(sec, 0)), 8); got != want {
			t.Errorf("T=%d: %s, want %s", sec, got, want)
		}
	}
}

func TestMatchTOTP(t *testing.T) {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	now := time.Unix(1111111111, 0)
	code, err := TOTPCode(secret, now)
	if err != nil || code != "050471" {
		t.Fatalf("TOTPCode = %q, %v; want the last 6 digits of the RFC vector", code, err)
	}
	if step, ok := MatchTOTP(secret, code, now); !ok || step != totpStep(now) {
		t.Errorf("current code: %d, %v", step, ok)
	}
	if _, ok := MatchTOTP(secret, code, now.Add(30*time.Second)); !ok {
		t.Error("a code of the previous step is refused")
	}
	if _, ok := MatchTOTP(secret, code, now.Add(90*time.Second)); ok {
		t.Error("a code three steps old is accepted")
	}
	for _, bad := range []string{"", "05047", "0504710", "123456"} {
		if _, ok := MatchTOTP(secret, bad, now); ok {
			t.Errorf("code %q accepted", bad)
		}
	}
	if _, ok := MatchTOTP("not base32!", code, now); ok {
		t.Error("a broken secret matched")
	}
}

func TestNewTOTPSecretAndURI(t *testing.T) {
	s1, _ := NewTOTPSecret()
	s2, _ := NewTOTPSecret()
	if s1 == s2 || len(s1) != 32 {
		t.Fatalf("secrets %q, %q: want two different 160-bit base32 secrets", s1, s2)
	}
	u, err := url.Parse(TOTPURI("Dothi", "nguyen.van.a", s1))
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") != s1 || u.Query().Get("issuer") != "Dothi" {
		t.Errorf("URI %v (%v)", u, err)
	}
}

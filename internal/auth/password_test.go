package auth

import (
	"regexp"
	"strings"
	"testing"
)

// cheap are argon2id parameters that keep tests fast.
var cheap = Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}

func TestHashPasswordDefaultIsPHCWithOWASPParameters(t *testing.T) {
	h, err := HashPassword("correct horse battery", DefaultArgon2)
	if err != nil {
		t.Fatal(err)
	}
	phc := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !phc.MatchString(h) {
		t.Fatalf("hash %q is not an OWASP argon2id PHC string", h)
	}
	if ok, err := VerifyPassword("correct horse battery", h); !ok || err != nil {
		t.Errorf("right password: %v, %v", ok, err)
	}
}

func TestVerifyPassword(t *testing.T) {
	h1, _ := HashPassword("mật khẩu rất dài", cheap)
	h2, _ := HashPassword("mật khẩu rất dài", cheap)
	if h1 == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	if ok, _ := VerifyPassword("mật khẩu rất dài", h2); !ok {
		t.Error("right password refused")
	}
	for _, wrong := range []string{"", "mật khẩu rất dàI", "mật khẩu rất dài "} {
		if ok, err := VerifyPassword(wrong, h1); ok || err != nil {
			t.Errorf("wrong password %q: %v, %v", wrong, ok, err)
		}
	}
}

func TestVerifyPasswordRejectsMalformedHashes(t *testing.T) {
	good, _ := HashPassword("x", cheap)
	parts := strings.Split(good, "$")
	bad := []string{
		"", "plain", "$argon2i$v=19$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=16$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=4194304,t=1,p=1$" + parts[4] + "$" + parts[5], // 4 GiB: refused, not computed
		"$argon2id$v=19$m=64,t=1000,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=0$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=1$!!$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=1$" + parts[4] + "$AAAA",
	}
	for _, h := range bad {
		if ok, err := VerifyPassword("x", h); ok || err != ErrBadHash {
			t.Errorf("VerifyPassword(%q) = %v, %v; want ErrBadHash", h, ok, err)
		}
	}
}

func TestNeedsRehash(t *testing.T) {
	h, _ := HashPassword("x", cheap)
	if NeedsRehash(h, cheap) {
		t.Error("a hash with current parameters needs a rehash")
	}
	if !NeedsRehash(h, DefaultArgon2) || !NeedsRehash("junk", cheap) {
		t.Error("an old or broken hash does not need a rehash")
	}
}

func TestCheckPasswordPolicy(t *testing.T) {
	if CheckPasswordPolicy("short") == nil || CheckPasswordPolicy(strings.Repeat("a", MaxPasswordLen+1)) == nil {
		t.Error("a too short or too long password passed")
	}
	if err := CheckPasswordPolicy("đủ dài rồi nhé"); err != nil {
		t.Error(err)
	}
}

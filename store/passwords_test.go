package store

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Tests hash with a light parameter set so the package stays fast; init (not a
// test) sets it so no test races another over the variable. The production
// parameters are checked on their own below.
func init() { passwordParams = argonParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32} }

func TestProductionPasswordParamsMeetTheMinimum(t *testing.T) {
	p, m := productionPasswordParams, minimumPasswordParams
	if p.Memory < 19*1024 || p.Time < 2 || p.Threads != 1 || p.SaltLen < 16 || p.KeyLen < 32 {
		t.Fatalf("production params %+v are below argon2id m=19MiB t=2 p=1", p)
	}
	if p.Memory < m.Memory || p.Time < m.Time {
		t.Fatalf("production %+v below minimum %+v", p, m)
	}
	h := hashPasswordWith(productionPasswordParams, "correct horse battery")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("encoded production hash %q", h)
	}
	if !VerifyPassword("correct horse battery", h) || VerifyPassword("correct horse batterx", h) {
		t.Error("production hash does not verify exactly its password")
	}
}

func TestHashAndVerify(t *testing.T) {
	h := HashPassword("a long enough password")
	if !strings.HasPrefix(h, "$argon2id$v=19$") || strings.Contains(h, "a long enough password") {
		t.Fatalf("hash %q", h)
	}
	if h == HashPassword("a long enough password") {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	if !VerifyPassword("a long enough password", h) {
		t.Error("right password refused")
	}
	for _, wrong := range []string{"", "a long enough passwore", "A long enough password", "a long enough password "} {
		if VerifyPassword(wrong, h) {
			t.Errorf("wrong password %q accepted", wrong)
		}
	}
}

func TestVerifyRejectsMalformedHashes(t *testing.T) {
	good := HashPassword("a long enough password")
	parts := strings.Split(good, "$")
	for name, h := range map[string]string{
		"empty":        "",
		"bcrypt":       "$2a$10$abcdefghijklmnopqrstuu5J1cZ2a0oVvO1G0bH2K4o3b8dYh4xQ2",
		"argon2i":      strings.Replace(good, "argon2id", "argon2i", 1),
		"old version":  strings.Replace(good, "v=19", "v=16", 1),
		"huge memory":  strings.Join([]string{"", parts[1], parts[2], "m=99999999,t=2,p=1", parts[4], parts[5]}, "$"),
		"zero time":    strings.Join([]string{"", parts[1], parts[2], "m=64,t=0,p=1", parts[4], parts[5]}, "$"),
		"bad salt":     strings.Join([]string{"", parts[1], parts[2], parts[3], "!!!", parts[5]}, "$"),
		"short key":    strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], "AAAA"}, "$"),
		"extra fields": good + "$x",
	} {
		t.Run(name, func(t *testing.T) {
			if VerifyPassword("a long enough password", h) {
				t.Errorf("malformed hash %q verified", h)
			}
		})
	}
}

func TestGeneratePassword(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		p := GeneratePassword()
		if utf8.RuneCountInString(p) < 16 || strings.Trim(p, passwordAlphabet) != "" {
			t.Fatalf("generated %q", p)
		}
		if seen[p] {
			t.Fatalf("generated %q twice", p)
		}
		seen[p] = true
	}
}

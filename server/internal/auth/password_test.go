package auth

import (
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestHashVerify(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash = %q; want argon2id PHC prefix", h)
	}
	h2, _ := HashPassword("correct horse")
	if h == h2 {
		t.Errorf("two hashes of one password are equal; want distinct salts")
	}
	bc, err := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		hash, pw string
		want     bool
		wantErr  bool
	}{
		{h, "correct horse", true, false},
		{h, "wrong", false, false},
		{h, "", false, false},
		{string(bc), "correct horse", true, false},
		{string(bc), "wrong", false, false},
		{"plain", "x", false, true},
		{"$argon2id$v=19$m=x$a$b", "x", false, true},
		{"$argon2id$v=18$m=1,t=1,p=1$YWJj$YWJj", "x", false, true},
	}
	for _, tt := range tests {
		got, err := VerifyPassword(tt.hash, tt.pw)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("VerifyPassword(%.30q, %q) = %v, %v; want %v, err %v", tt.hash, tt.pw, got, err, tt.want, tt.wantErr)
		}
	}
	if _, err := HashPassword(strings.Repeat("x", MaxPasswordLen+1)); err == nil {
		t.Errorf("HashPassword(too long) err = nil; want error")
	}
}

func TestVerifyDummyUsesCurrentParameters(t *testing.T) {
	if VerifyDummy(testPw) {
		t.Fatal("VerifyDummy = true; want false")
	}
	h, _ := HashPassword(testPw)
	// Same algorithm and parameters: the dummy costs one real verification.
	if got, want := phcParams(dummyHash()), phcParams(h); got != want {
		t.Errorf("dummy hash parameters = %q; want %q", got, want)
	}
}

const testPw = "pw"

func phcParams(h string) string {
	parts := strings.Split(h, "$")
	if len(parts) < 4 {
		return h
	}
	return strings.Join(parts[:4], "$")
}

func BenchmarkHashPassword(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := HashPassword("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyPassword(b *testing.B) {
	h, _ := HashPassword("correct horse battery staple")
	b.ReportAllocs()
	for b.Loop() {
		if ok, _ := VerifyPassword(h, "correct horse battery staple"); !ok {
			b.Fatal("mismatch")
		}
	}
}

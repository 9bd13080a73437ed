package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Argon2id parameters of new hashes. Measured on the 2-core build machine
// (2.5 GHz Xeon): about 20-30 ms and 19 MiB per hash, so a login stays in the
// tens of milliseconds while an offline attacker pays the memory cost (OWASP's
// second recommended profile: m=19 MiB, t=2, p=1).
const (
	Argon2Memory  = 19 * 1024 // KiB
	Argon2Time    = 2
	Argon2Threads = 1
	Argon2KeyLen  = 32
	Argon2SaltLen = 16
)

// MaxPasswordLen bounds the input hashed, so a huge password cannot be used
// to burn CPU (bcrypt also ignores bytes past 72).
const MaxPasswordLen = 1024

// ErrUnknownHash is returned by VerifyPassword for a hash in no supported format.
var ErrUnknownHash = errors.New("unknown password hash format")

var b64 = base64.RawStdEncoding

// HashPassword returns the PHC-format argon2id hash of pw:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>.
func HashPassword(pw string) (string, error) {
	if len(pw) > MaxPasswordLen {
		return "", fmt.Errorf("cannot hash password: longer than %d bytes", MaxPasswordLen)
	}
	salt := make([]byte, Argon2SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("cannot hash password: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, Argon2Time, Argon2Memory, Argon2Threads, Argon2KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, Argon2Memory, Argon2Time, Argon2Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches hash, an argon2id PHC string or a
// bcrypt hash ($2a$/$2b$/$2y$). The comparison is constant-time. A malformed
// hash answers an error.
func VerifyPassword(hash, pw string) (bool, error) {
	if len(pw) > MaxPasswordLen {
		return false, nil
	}
	switch {
	case strings.HasPrefix(hash, "$argon2id$"):
		return verifyArgon2id(hash, pw)
	case strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"):
		err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw))
		if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("cannot verify bcrypt hash: %w", err)
		}
		return true, nil
	}
	return false, ErrUnknownHash
}

func verifyArgon2id(hash, pw string) (bool, error) {
	parts := strings.Split(hash, "$") // "", argon2id, v=19, m=..,t=..,p=.., salt, key
	if len(parts) != 6 {
		return false, fmt.Errorf("cannot verify argon2id hash: %w", ErrUnknownHash)
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, fmt.Errorf("cannot verify argon2id hash: bad version %q", parts[2])
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<22 || t > 64 {
		return false, fmt.Errorf("cannot verify argon2id hash: bad parameters %q", parts[3])
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("cannot verify argon2id hash: bad salt: %w", err)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) == 0 || len(key) > 128 {
		return false, fmt.Errorf("cannot verify argon2id hash: bad key")
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// dummyHash is verified for unknown accounts so a login for an email that
// does not exist costs the same time as a wrong password.
var dummyHash = sync.OnceValue(func() string {
	h, err := HashPassword("echosenseix-dummy-password")
	if err != nil {
		panic("BUG: cannot hash the dummy password: " + err.Error())
	}
	return h
})

// VerifyDummy spends the time of one VerifyPassword with the current
// parameters and always answers false.
func VerifyDummy(pw string) bool {
	_, _ = VerifyPassword(dummyHash(), pw)
	return false
}

package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Passwords are kept as argon2id PHC strings,
// $argon2id$v=19$m=65536,t=3,p=2$<salt>$<hash> (salt and hash in unpadded
// standard base64), RFC 9106's second recommendation but with 2 lanes for
// 2-core machines: 64 MiB and about 0.1-0.3 s a hash. The parameters travel
// with each hash, so raising them later leaves old hashes verifiable.

// Argon2Params are argon2id's cost parameters.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8  // lanes
	SaltLen uint32
	KeyLen  uint32
}

// DefaultArgon2 is what new passwords are hashed with.
var DefaultArgon2 = Argon2Params{Memory: 64 * 1024, Time: 3, Threads: 2, SaltLen: 16, KeyLen: 32}

// MinPasswordLen is the shortest password accepted, in characters.
const MinPasswordLen = 12

// maxPasswordLen bounds what is hashed, so a megabyte "password" costs
// nothing more than a long one.
const maxPasswordLen = 1024

// CheckPassword returns an error naming the field when pw is too short or
// too long.
func CheckPassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < MinPasswordLen {
		return fmt.Errorf("password: %d characters, at least %d needed", n, MinPasswordLen)
	}
	if len(pw) > maxPasswordLen {
		return fmt.Errorf("password: %d bytes, at most %d", len(pw), maxPasswordLen)
	}
	return nil
}

// HashPassword returns pw's PHC string with p.
func HashPassword(pw string, p Argon2Params) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// errBadHash is a stored hash that is not an argon2id PHC string this
// package can check.
var errBadHash = errors.New("not an argon2id PHC string")

// parsePHC reads a PHC string's parameters, salt and key. Parameters out
// of the bounds opsmetrics ever writes are refused, so a tampered row
// cannot make a sign-in allocate gigabytes.
func parsePHC(phc string) (Argon2Params, []byte, []byte, error) {
	var p Argon2Params
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, errBadHash
	}
	if p.Memory < 8*uint32(p.Threads) || p.Memory > 1<<20 || p.Time < 1 || p.Time > 20 || p.Threads < 1 || p.Threads > 16 {
		return p, nil, nil, errBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return p, nil, nil, errBadHash
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, errBadHash
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

// VerifyPassword reports whether pw matches the PHC string, comparing in
// constant time. An unreadable hash matches nothing.
func VerifyPassword(pw, phc string) bool {
	p, salt, key, err := parsePHC(phc)
	if err != nil || len(pw) > maxPasswordLen {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, key) == 1
}

package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the size of a sealing key: AES-256.
const KeySize = 32

// Sealer encrypts the credentials opsmetrics must keep to act for an org
// (a collector's API token, a webhook's secret) with AES-256-GCM, so the
// store holds none in the clear. A sealed value is "v1:" followed by the
// base64 of a random 12-byte nonce and the ciphertext; the org and the
// record it belongs to are bound to it as additional data, so a sealed
// token copied to another record does not open. It is safe for concurrent
// use.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer with key, which must be KeySize bytes.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret key: %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// ErrUnsealable: a sealed value that this key cannot open (another key,
// another record, or damaged).
var ErrUnsealable = errors.New("cannot decrypt a stored secret: the secret key differs from the one it was sealed with (OPSMETRICS_SECRET_KEY or the key file), or the value is damaged")

const sealedPrefix = "v1:"

// Seal encrypts plain for the record named by context (such as org and
// source id).
func (s *Sealer) Seal(plain []byte, context string) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := s.aead.Seal(nonce, nonce, plain, []byte(context))
	return sealedPrefix + base64.StdEncoding.EncodeToString(out), nil
}

// Open decrypts what Seal returned for the same context. It returns
// ErrUnsealable, never the value, when that fails.
func (s *Sealer) Open(sealed, context string) ([]byte, error) {
	raw, ok := strings.CutPrefix(sealed, sealedPrefix)
	if !ok {
		return nil, ErrUnsealable
	}
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(b) < s.aead.NonceSize() {
		return nil, ErrUnsealable
	}
	plain, err := s.aead.Open(nil, b[:s.aead.NonceSize()], b[s.aead.NonceSize():], []byte(context))
	if err != nil {
		return nil, ErrUnsealable
	}
	return plain, nil
}

// LoadKey returns the sealing key: fromEnv (the base64 of KeySize bytes,
// OPSMETRICS_SECRET_KEY) when it is set, else the key in file, which is
// created with mode 0600 (its directory 0700) holding a new random key
// when it does not exist. A file readable by others is refused.
func LoadKey(fromEnv, file string) ([]byte, error) {
	if fromEnv != "" {
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(fromEnv))
		if err != nil || len(key) != KeySize {
			return nil, fmt.Errorf("OPSMETRICS_SECRET_KEY must be the base64 of %d bytes (openssl rand -base64 32)", KeySize)
		}
		return key, nil
	}
	if file == "" {
		return nil, errors.New("no secret key: set OPSMETRICS_SECRET_KEY or give a key file")
	}
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return createKey(file)
	}
	if err != nil {
		return nil, fmt.Errorf("read the secret key file: %w", err)
	}
	if st, err := os.Stat(file); err == nil && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secret key file %s is readable by others (mode %v): chmod 600 it", file, st.Mode().Perm())
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("secret key file %s must hold the base64 of %d bytes", file, KeySize)
	}
	return key, nil
}

func createKey(file string) ([]byte, error) {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return nil, fmt.Errorf("create the secret key file: %w", err)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) { // another process made it first
		return LoadKey("", file)
	}
	if err != nil {
		return nil, fmt.Errorf("create the secret key file: %w", err)
	}
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(file)
		return nil, fmt.Errorf("write the secret key file: %w", err)
	}
	return key, nil
}

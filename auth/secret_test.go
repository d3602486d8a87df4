package auth

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealer(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sub", "secret.key")
	key, err := LoadKey("", file)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(file)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", st.Mode().Perm(), err)
	}
	again, err := LoadKey("", file)
	if err != nil || string(again) != string(key) {
		t.Fatalf("the key file gave another key: %v", err)
	}
	s, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal([]byte("hv-secret-token"), "org1/src_1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "hv-secret-token") {
		t.Fatal("sealed value holds the plaintext")
	}
	plain, err := s.Open(sealed, "org1/src_1")
	if err != nil || string(plain) != "hv-secret-token" {
		t.Fatalf("Open = %q, %v", plain, err)
	}
	if _, err := s.Open(sealed, "org2/src_1"); !errors.Is(err, ErrUnsealable) {
		t.Fatalf("another record opened it: %v", err)
	}
	other, _ := NewSealer(make([]byte, KeySize))
	if _, err := other.Open(sealed, "org1/src_1"); !errors.Is(err, ErrUnsealable) {
		t.Fatalf("another key opened it: %v", err)
	}
	env := base64.StdEncoding.EncodeToString(key)
	if k, err := LoadKey(env, ""); err != nil || string(k) != string(key) {
		t.Fatalf("LoadKey from the environment: %v", err)
	}
	if _, err := LoadKey("c2hvcnQ=", ""); err == nil {
		t.Fatal("a short key was accepted")
	}
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKey("", file); err == nil {
		t.Fatal("a key file readable by others was accepted")
	}
}

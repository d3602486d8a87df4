package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOIDCOptions(t *testing.T) {
	dir := t.TempDir()
	secret, empty := filepath.Join(dir, "secret"), filepath.Join(dir, "empty")
	os.WriteFile(secret, []byte("the-secret\n"), 0o600)
	os.WriteFile(empty, []byte(" \n"), 0o600)
	for _, tc := range []struct {
		o      oidcOptions
		public string
		want   string
	}{
		{oidcOptions{}, "", ""},
		{oidcOptions{clientID: "id"}, "", "need --oidc-issuer"},
		{oidcOptions{issuer: "https://accounts.google.com", clientID: "id", secretFile: secret}, "", "needs --public-url"},
		{oidcOptions{issuer: "https://accounts.google.com", clientID: "id"}, "https://ops.example.com", "needs --oidc-client-secret-file"},
		{oidcOptions{issuer: "https://accounts.google.com", clientID: "id", secretFile: empty}, "https://ops.example.com", "empty"},
		{oidcOptions{issuer: "https://accounts.google.com", clientID: "id", secretFile: filepath.Join(dir, "none")}, "https://ops.example.com", "no such file"},
	} {
		c, err := tc.o.config(tc.public)
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: %v, want %q", tc.o, err, tc.want)
		}
		if tc.want == "" && c != nil {
			t.Errorf("%+v: a config without --oidc-issuer", tc.o)
		}
	}
	c, err := (&oidcOptions{issuer: "https://accounts.google.com", clientID: "id", secretFile: secret, domains: "Example.com, example.org,"}).config("https://ops.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if c.ClientSecret != "the-secret" || c.RedirectURL != "https://ops.example.com/login/oidc/callback" || strings.Join(c.Domains, " ") != "example.com example.org" {
		t.Errorf("config %+v", c.LogValue())
	}
}

package chdb

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
)

// fakePackage builds an npm-style tarball holding package/libchdb.so.
func fakePackage(t *testing.T, lib string) ([]byte, string) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, body := range map[string]string{"package/package.json": "{}", "package/libchdb.so": lib} {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	gz.Close()
	sum := sha512.Sum512(buf.Bytes())
	return buf.Bytes(), "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
}

// TestInstallOverHTTPS covers the path without npm: download, integrity
// check, atomic unpack, and nothing to do the second time.
func TestInstallOverHTTPS(t *testing.T) {
	tgz, integrity := fakePackage(t, "not really a library")
	var hits atomic.Int32
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/@chdb/lib-test/-/lib-test-1.0.0.tgz" {
			http.NotFound(w, r)
			return
		}
		w.Write(tgz)
	}))
	defer reg.Close()
	cache := t.TempDir()
	pkg := &Package{Name: "@chdb/lib-test", Version: "1.0.0", Integrity: integrity}
	cfg := InstallConfig{CacheDir: cache, Registry: reg.URL + "/", Logger: slog.New(slog.DiscardHandler), Package: pkg}

	path, err := Install(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "not really a library" {
		t.Fatalf("installed %q", got)
	}
	if _, err := Install(t.Context(), cfg); err != nil || hits.Load() != 1 {
		t.Fatalf("second install: %v, %d downloads (want 1)", err, hits.Load())
	}

	// A tampered package is refused and nothing is installed.
	other := t.TempDir()
	bad := *pkg
	bad.Integrity = "sha512-" + base64.StdEncoding.EncodeToString(make([]byte, 64))
	_, err = Install(t.Context(), InstallConfig{CacheDir: other, Registry: reg.URL, Logger: cfg.Logger, Package: &bad})
	if err == nil || !strings.Contains(err.Error(), "integrity check") {
		t.Fatalf("tampered package: %v", err)
	}
	if _, err := os.Stat(libPathFor(other, bad)); err == nil {
		t.Fatal("a package that failed its integrity check was installed")
	}

	missing := *pkg
	missing.Version = "9.9.9"
	if _, err := Install(t.Context(), InstallConfig{CacheDir: other, Registry: reg.URL, Logger: cfg.Logger, Package: &missing}); err == nil ||
		!strings.Contains(err.Error(), "404") {
		t.Fatalf("missing version: %v", err)
	}
}

func TestTarballURL(t *testing.T) {
	got := tarballURL("", Pinned["linux/amd64"])
	want := "https://registry.npmjs.org/@chdb/lib-linux-x64-gnu/-/lib-linux-x64-gnu-26.7.3-stable.1.tgz"
	if got != want {
		t.Errorf("tarballURL = %s, want %s", got, want)
	}
}

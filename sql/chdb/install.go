package chdb

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Package is a pinned npm package that carries libchdb for one platform.
type Package struct {
	Name      string // e.g. @chdb/lib-linux-x64-gnu
	Version   string
	Integrity string // npm's dist.integrity: sha512-<base64>
}

// Pinned lists the libchdb builds opsmetrics was tested with, by GOOS/GOARCH.
// Only builds whose hash was read from the registry and verified are listed;
// other platforms set CHDB_LIB_PATH or use a ClickHouse server.
var Pinned = map[string]Package{
	"linux/amd64": {
		Name:      "@chdb/lib-linux-x64-gnu",
		Version:   "26.7.3-stable.1",
		Integrity: "sha512-XP97mMqnc5tZpKQywR8N7cLTsHNiTmHr30pC5mzo3jWmukjKn2IBa60c2B/gWUNcuFjOMjWoorQICCqBVj5wpw==",
	},
}

// PlatformPackage returns the pinned package for this platform.
func PlatformPackage() (Package, error) {
	key := runtime.GOOS + "/" + runtime.GOARCH
	p, ok := Pinned[key]
	if !ok {
		return Package{}, fmt.Errorf("no pinned libchdb build for %s: build or download libchdb yourself and set CHDB_LIB_PATH", key)
	}
	return p, nil
}

// LibPath is where Install puts libchdb for this platform under cacheDir
// (normally os.UserCacheDir()).
func LibPath(cacheDir string) string {
	p, err := PlatformPackage()
	if err != nil {
		return ""
	}
	return libPathFor(cacheDir, p)
}

func libPathFor(cacheDir string, p Package) string {
	return filepath.Join(cacheDir, "opsmetrics", "chdb", p.Version, "libchdb.so")
}

// InstallConfig configures Install.
type InstallConfig struct {
	CacheDir string       // root of the user cache, e.g. os.UserCacheDir()
	Registry string       // npm registry base URL; default https://registry.npmjs.org
	NPM      string       // path to npm, or "" to download over HTTPS directly
	Client   *http.Client // for the direct download; default http.DefaultClient
	Logger   *slog.Logger
	Progress io.Writer // receives download progress lines; may be nil
	// Package overrides the pinned package for this platform (tests use a
	// small fake one).
	Package *Package
}

// Install fetches the pinned libchdb package, verifies its integrity hash and
// unpacks libchdb.so into the cache. It does nothing when the verified library
// is already there. With npm it uses `npm pack` (no package code runs);
// without npm it downloads the same tarball over HTTPS. It returns the
// library's path.
func Install(ctx context.Context, cfg InstallConfig) (string, error) {
	pkg, err := PlatformPackage()
	if cfg.Package != nil {
		pkg, err = *cfg.Package, nil
	}
	if err != nil {
		return "", err
	}
	if cfg.Logger == nil {
		return "", errors.New("chdb install: no logger")
	}
	dest := libPathFor(cfg.CacheDir, pkg)
	marker := dest + ".integrity"
	if got, err := os.ReadFile(marker); err == nil && strings.TrimSpace(string(got)) == pkg.Integrity {
		if _, err := os.Stat(dest); err == nil {
			cfg.Logger.Info("libchdb_present", "path", dest)
			return dest, nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dest), "fetch-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)

	var tgz string
	if cfg.NPM != "" {
		tgz, err = npmPack(ctx, cfg.NPM, pkg, tmp)
	} else {
		tgz, err = download(ctx, cfg, pkg, tmp)
	}
	if err != nil {
		return "", err
	}
	if err := verify(tgz, pkg.Integrity); err != nil {
		return "", err
	}
	if err := extract(tgz, "package/libchdb.so", dest); err != nil {
		return "", err
	}
	if err := os.WriteFile(marker, []byte(pkg.Integrity+"\n"), 0o644); err != nil {
		return "", err
	}
	cfg.Logger.Info("libchdb_installed", "path", dest, "package", pkg.Name+"@"+pkg.Version)
	return dest, nil
}

func npmPack(ctx context.Context, npm string, pkg Package, dir string) (string, error) {
	cmd := exec.CommandContext(ctx, npm, "pack", "--ignore-scripts", "--silent", "--pack-destination", dir, pkg.Name+"@"+pkg.Version)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("npm pack %s@%s: %v: %s", pkg.Name, pkg.Version, err, strings.TrimSpace(string(out)))
	}
	name := strings.TrimSpace(lastLine(string(out)))
	return filepath.Join(dir, name), nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// tarballURL follows the npm registry layout: <registry>/<@scope/name>/-/<name>-<version>.tgz.
func tarballURL(registry string, pkg Package) string {
	if registry == "" {
		registry = "https://registry.npmjs.org"
	}
	_, base, _ := strings.Cut(pkg.Name, "/")
	return strings.TrimRight(registry, "/") + "/" + pkg.Name + "/-/" + base + "-" + pkg.Version + ".tgz"
}

func download(ctx context.Context, cfg InstallConfig, pkg Package, dir string) (string, error) {
	url := tarballURL(cfg.Registry, pkg)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	client := cfg.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("download %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("download %s: %s", url, resp.Status)
	}
	path := filepath.Join(dir, "package.tgz")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var body io.Reader = resp.Body
	if cfg.Progress != nil {
		body = &progressReader{r: resp.Body, total: resp.ContentLength, w: cfg.Progress}
	}
	if _, err := io.Copy(f, body); err != nil {
		return "", fmt.Errorf("download %s: %w", url, err)
	}
	return path, f.Close()
}

// verify checks a file against an npm integrity string (sha512-<base64>).
func verify(path, integrity string) error {
	algo, want, ok := strings.Cut(integrity, "-")
	if !ok || algo != "sha512" {
		return fmt.Errorf("unsupported integrity %q", integrity)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var h hash.Hash = sha512.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if got := base64.StdEncoding.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("libchdb package failed its integrity check: got sha512-%s, want %s; the download is corrupt or was tampered with", got, integrity)
	}
	return nil
}

// extract copies one member of a .tgz to dest atomically (temp file, fsync,
// rename), so an interrupted install never leaves a truncated library.
func extract(tgz, member, dest string) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("read %s: %w", tgz, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return fmt.Errorf("%s has no %s", tgz, member)
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", tgz, err)
		}
		if h.Name != member {
			continue
		}
		tmp := dest + ".tmp"
		out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, tr); err != nil {
			out.Close()
			return err
		}
		if err := out.Sync(); err != nil {
			out.Close()
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
		return os.Rename(tmp, dest)
	}
}

type progressReader struct {
	r        io.Reader
	w        io.Writer
	total    int64
	done     int64
	lastTick int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if tick := p.done / (16 << 20); tick != p.lastTick || err == io.EOF {
		p.lastTick = tick
		if p.total > 0 {
			fmt.Fprintf(p.w, "libchdb: %d of %d MB (%d%%)\n", p.done>>20, p.total>>20, p.done*100/p.total)
		} else {
			fmt.Fprintf(p.w, "libchdb: %d MB\n", p.done>>20)
		}
	}
	return n, err
}

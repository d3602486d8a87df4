package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/sql/chdb"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
	"github.com/opsmetrics/opsmetrics/sql/clickhouse/chtest"
)

// binary is the opsmetrics binary built once for the tests that need a real
// process (signals, kill -9, a second process on one data directory).
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "opsmetrics-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "opsmetrics")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build opsmetrics: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testEnv is the environment the tests run opsmetrics with: the real libchdb,
// a fresh data directory, quiet logs.
func testEnv(t *testing.T) map[string]string {
	t.Helper()
	return map[string]string{
		"CHDB_LIB_PATH":       chdbtest.LibPath(t),
		"OPSMETRICS_DATA_DIR": filepath.Join(t.TempDir(), "data"),
		"HOME":                os.Getenv("HOME"),
		"PATH":                os.Getenv("PATH"),
	}
}

// cliWith returns a runner of the CLI over env, quiet below warnings: it
// returns the exit code, stdout and stderr.
func cliWith(t *testing.T, env map[string]string) func(args ...string) (int, string, string) {
	return func(args ...string) (int, string, string) {
		var out, errb strings.Builder
		code := run(t.Context(), append(args, "--log-level", "warn"), getenvFrom(env), &out, &errb)
		return code, out.String(), errb.String()
	}
}

// startServe starts the real binary's serve on free loopback ports over env
// and returns it with its base URL once it listens. The caller kills it.
func startServe(t *testing.T, env map[string]string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0")
	cmd.Env = environ(env)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, listening(t, stdout)
}

func getenvFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func environ(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return out
}

func TestHelpEverywhere(t *testing.T) {
	var out, errb strings.Builder
	if code := run(t.Context(), []string{"--help"}, getenvFrom(nil), &out, &errb); code != 0 {
		t.Fatalf("--help exit %d", code)
	}
	top := out.String()
	for _, c := range newRoot(&env{getenv: getenvFrom(nil), stdout: io.Discard, stderr: io.Discard}).Commands() {
		if !strings.Contains(top, "  "+c.Name()+" ") {
			t.Errorf("top-level help does not list %s", c.Name())
		}
		out.Reset()
		if code := run(t.Context(), []string{c.Name(), "--help"}, getenvFrom(nil), &out, &errb); code != 0 {
			t.Errorf("%s --help: exit %d", c.Name(), code)
		}
		if !strings.Contains(out.String(), "Usage: opsmetrics "+c.Name()) {
			t.Errorf("%s --help printed %q", c.Name(), out.String())
		}
	}
	if code := run(t.Context(), []string{"frobnicate"}, getenvFrom(nil), &out, &errb); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
}

// listening waits for the "listening on" line and returns the base URL.
func listening(t *testing.T, r io.Reader) string {
	t.Helper()
	re := regexp.MustCompile(`listening on (http://\S+)`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		io.Copy(io.Discard, r)
	}()
	select {
	case u := <-found:
		return u
	case <-time.After(60 * time.Second):
		t.Fatal("opsmetrics did not start listening within 60s")
	}
	return ""
}

func getJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("GET %s: %d, body is not JSON: %v", url, resp.StatusCode, err)
	}
	return resp.StatusCode, body
}

// TestServeInProcess boots run() on :0 with the embedded engine, checks the
// health endpoints, the error handler and the body limit, then stops it.
func TestServeInProcess(t *testing.T) {
	env := testEnv(t)
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--body-limit", "1K", "--log-level", "warn"},
			getenvFrom(env), pw, io.Discard)
		pw.Close()
	}()
	base := listening(t, pr)

	var hc strings.Builder
	if code := run(t.Context(), []string{"healthcheck", "--url", base + "/readyz"}, getenvFrom(nil), &hc, io.Discard); code != 0 || hc.String() != "ready\n" {
		t.Errorf("healthcheck of a ready server: exit %d, %q", code, hc.String())
	}
	if code := run(t.Context(), []string{"healthcheck", "--url", base + "/nope"}, getenvFrom(nil), io.Discard, io.Discard); code != 1 {
		t.Errorf("healthcheck of a 404: exit %d, want 1", code)
	}
	if code, body := getJSON(t, base+"/healthz"); code != 200 || body["status"] != "ok" {
		t.Errorf("/healthz: %d %v", code, body)
	}
	if code, body := getJSON(t, base+"/readyz"); code != 200 || body["engine"] != "chdb" || body["status"] != "ready" {
		t.Errorf("/readyz: %d %v", code, body)
	}
	resp, err := http.Get(base + "/status")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "Running on chdb") || !strings.Contains(string(page), "Sign in") {
		t.Errorf("status page: %d %s", resp.StatusCode, page)
	}
	// A page that does not exist is a page that says so; an API path an error in JSON.
	resp, err = http.Get(base + "/no/such/page")
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(page), "Not Found") {
		t.Errorf("unknown page: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), page)
	}
	if code, body := getJSON(t, base+"/api/v1/no/such/route"); code/100 != 4 || body["error"] == nil {
		t.Errorf("unknown API path: %d %v", code, body)
	}
	resp, err = http.Post(base+"/api/v1/time_entries", "application/x-ndjson", strings.NewReader(strings.Repeat("x", 4096)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("4 KiB body over a 1 KiB limit: %d, want 413", resp.StatusCode)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exit %d after cancel", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30s of cancel")
	}
}

// TestSIGTERMAndDataDirLock runs the real binary: a second process on the
// same data directory gets a clear error, and SIGTERM stops the server
// gracefully with the embedded engine loaded.
func TestSIGTERMAndDataDirLock(t *testing.T) {
	env := testEnv(t)
	cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0")
	cmd.Env = environ(env)
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	base := listening(t, stdout)
	if code, _ := getJSON(t, base+"/healthz"); code != 200 {
		t.Fatalf("/healthz: %d", code)
	}

	second := exec.Command(binary, "migrate")
	second.Env = environ(env)
	out, err := second.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "in use by another opsmetrics process") {
		t.Errorf("second process on the same data dir: err=%v output=%s", err, out)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("no exit within 30s of SIGTERM\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "shutdown_complete") {
		t.Errorf("no graceful shutdown logged:\n%s", stderr.String())
	}
}

// TestWithoutLibchdb: the embedded engine says how to install libchdb, and
// commands that need no engine still work.
func TestWithoutLibchdb(t *testing.T) {
	env := testEnv(t)
	env["CHDB_LIB_PATH"] = filepath.Join(t.TempDir(), "missing", "libchdb.so")
	cmd := exec.Command(binary, "migrate")
	cmd.Env = environ(env)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "opsmetrics chdb install") || !strings.Contains(string(out), "--clickhouse-dsn") {
		t.Errorf("migrate without libchdb: err=%v output %q", err, out)
	}
	cmd = exec.Command(binary, "version")
	cmd.Env = environ(env)
	out, err = cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "not installed") {
		t.Errorf("version without libchdb: err=%v output %q", err, out)
	}
}

// TestKill9DuringDemoLoad kills a demo load with SIGKILL half way, loads again,
// and checks the store opens cleanly and holds every record exactly once.
func TestKill9DuringDemoLoad(t *testing.T) {
	env := testEnv(t)
	args := []string{"demo", "--entries", "1000000", "--orgs", "3"}
	first := exec.Command(binary, args...)
	first.Env = environ(env)
	stderr, _ := first.StderrPipe()
	var stdout strings.Builder
	first.Stdout = &stdout
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	var log strings.Builder
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "schema_migrated") {
			break
		}
	}
	go io.Copy(&log, stderr)
	time.Sleep(1500 * time.Millisecond)
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	if strings.Contains(stdout.String(), "time_entries") {
		t.Fatalf("the demo finished before the kill; the test needs a larger --entries:\n%s", log.String())
	}

	second := exec.Command(binary, args...)
	second.Env = environ(env)
	out, err := second.CombinedOutput()
	if err != nil {
		t.Fatalf("demo after kill -9: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`time_entries\s+1000000\b`).Match(out) {
		t.Fatalf("want exactly 1000000 time entries after the reload:\n%s", out)
	}

	// Without FINAL too: after the demo's merge, every natural key is stored once.
	s, err := chdb.Open(chdb.Config{LibPath: env["CHDB_LIB_PATH"], DataDir: env["OPSMETRICS_DATA_DIR"], Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.Query(t.Context(), "SELECT count(), uniqExact(org_id, source, external_id) FROM ops.time_entries", nil)
	if err != nil {
		t.Fatal(err)
	}
	var n, keys uint64
	if err := rows.Scan(0, &n, &keys); err != nil {
		t.Fatal(err)
	}
	if n != 1000000 || keys != 1000000 {
		t.Fatalf("stored rows %d, distinct keys %d; want 1000000 each", n, keys)
	}
}

// TestServerModeWithoutLibchdb runs the binary with no libchdb against a real
// clickhouse-server: the server engine needs no library, and the version guard
// refuses 18.16 naming both versions.
func TestServerModeWithoutLibchdb(t *testing.T) {
	srv, err := chtest.Start(t.TempDir())
	if err != nil {
		t.Fatalf("start clickhouse-server: %v", err)
	}
	defer srv.Stop()
	env := testEnv(t)
	env["CHDB_LIB_PATH"] = filepath.Join(t.TempDir(), "missing", "libchdb.so")
	// Through .../ops, as the README shows: a fresh server has no database ops yet.
	env["OPSMETRICS_CLICKHOUSE_DSN"] = strings.Replace(srv.DSN(chtest.Password), "/default?", "/ops?", 1)
	cmd := exec.Command(binary, "migrate")
	cmd.Env = environ(env)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "ClickHouse server 18.16") || !strings.Contains(string(out), "needs 24.8 or newer") {
		t.Errorf("migrate against 18.16: err=%v output %q", err, out)
	}
	if strings.Contains(string(out), "libchdb") {
		t.Errorf("server mode mentioned libchdb: %q", out)
	}
	env["OPSMETRICS_CLICKHOUSE_DSN"] = srv.DSN("wrong")
	cmd = exec.Command(binary, "migrate")
	cmd.Env = environ(env)
	out, _ = cmd.CombinedOutput()
	if !strings.Contains(string(out), "rejected user") || strings.Contains(string(out), "wrong@") {
		t.Errorf("wrong password: %q", out)
	}
}

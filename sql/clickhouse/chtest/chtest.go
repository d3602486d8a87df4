// Package chtest starts a real clickhouse-server process for tests: Debian's
// clickhouse-server package (18.16), which `make test` installs. It proves the
// transport, authentication errors and the version guard of the server engine.
package chtest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const (
	Password = "secret"       // user default's password on the test server
	Timezone = "Asia/Kolkata" // the server's own time zone: an odd offset east of UTC
)

// findServer looks for the binary on PATH and where the Debian package puts it.
func findServer() (string, error) {
	if p, err := exec.LookPath("clickhouse-server"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("clickhouse-server is not installed: run `make test`, " +
		"or `apt-get install clickhouse-server` (Debian), then rerun the tests")
}

// Server is a clickhouse-server process started for tests.
type Server struct {
	Addr string // native protocol address, 127.0.0.1:port
	dir  string
	stop func()
}

// Start writes a config under dir whose paths all point into dir, gives user
// default Password, starts the server on free loopback ports and waits until
// it accepts native connections. The caller must Stop it.
func Start(dir string) (*Server, error) {
	bin, err := findServer()
	if err != nil {
		return nil, err
	}
	config, err := os.ReadFile("/etc/clickhouse-server/config.xml")
	if err != nil {
		return nil, fmt.Errorf("read the packaged config (reinstall clickhouse-server): %w", err)
	}
	users, err := os.ReadFile("/etc/clickhouse-server/users.xml")
	if err != nil {
		return nil, fmt.Errorf("read the packaged users (reinstall clickhouse-server): %w", err)
	}
	config = []byte(strings.NewReplacer(
		"/var/lib/clickhouse/", filepath.Join(dir, "data")+"/",
		"/var/log/clickhouse-server/", filepath.Join(dir, "log")+"/",
		// A server east of UTC, at an odd offset: results must not depend on it.
		"<!-- <timezone>Europe/Moscow</timezone> -->", "<timezone>"+Timezone+"</timezone>",
	).Replace(string(config)))
	// The first <password> element is user default's.
	const empty = "<password></password>"
	if !strings.Contains(string(users), empty) {
		return nil, errors.New("users.xml has no empty <password> for user default")
	}
	users = []byte(strings.Replace(string(users), empty, "<password>"+Password+"</password>", 1))
	if err := os.WriteFile(filepath.Join(dir, "config.xml"), config, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "users.xml"), users, 0o600); err != nil {
		return nil, err
	}
	ports, err := FreePorts(3)
	if err != nil {
		return nil, err
	}
	out, err := os.Create(filepath.Join(dir, "stdout.log"))
	if err != nil {
		return nil, err
	}
	defer out.Close()
	cmd := exec.Command(bin, "--config-file="+filepath.Join(dir, "config.xml"), "--",
		"--tcp_port="+strconv.Itoa(ports[0]), "--http_port="+strconv.Itoa(ports[1]),
		"--interserver_http_port="+strconv.Itoa(ports[2]))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return &Server{Addr: addr, dir: dir, stop: stop}, nil
		}
		select {
		case <-exited:
			return nil, fmt.Errorf("clickhouse-server exited before listening:\n%s", serverLogTail(dir))
		default:
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("clickhouse-server did not listen on %s within 20 s:\n%s", addr, serverLogTail(dir))
		}
	}
}

// serverLogTail returns the end of the server's output and error log, which
// the deferred cleanup is about to delete.
func serverLogTail(dir string) string {
	var b strings.Builder
	for _, f := range []string{"stdout.log", "log/clickhouse-server.err.log"} {
		data, _ := os.ReadFile(filepath.Join(dir, f))
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		fmt.Fprintf(&b, "--- %s\n%s\n", f, strings.Join(lines[max(0, len(lines)-15):], "\n"))
	}
	return b.String()
}

// FreePorts returns n distinct loopback ports that were free a moment ago.
func FreePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close() // held until all are chosen, so none repeats
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Stop kills the server and waits for it to exit.
func (s *Server) Stop() { s.stop() }

// DSN is the DSN of the server for user default with password.
func (s *Server) DSN(password string) string {
	return "clickhouse://default:" + password + "@" + s.Addr + "/default?dial_timeout=5s"
}

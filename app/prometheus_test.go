package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/app"
	"github.com/opsmetrics/opsmetrics/app/apptest"
)

// prometheusBinary finds Debian's prometheus (make test-deps installs it).
// A missing binary fails the test: it never skips.
func prometheusBinary(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("PROMETHEUS"), "prometheus", "/usr/bin/prometheus"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Fatal("prometheus not found: install Debian's prometheus package (make test-deps does) or set PROMETHEUS")
	return ""
}

// freePort returns a loopback address nobody listens on.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestWriteOffAlertFiresInPrometheus is the alerting path end to end: app.Run
// serves the demo agency with its KPI gauges refreshed every second; an
// ops lead sets a low write-off threshold through the API; a real
// Prometheus scrapes /metrics with the shipped rules (deploy/prometheus/
// rules.yml) and the write-off alert fires, with the threshold's labels.
func TestWriteOffAlertFiresInPrometheus(t *testing.T) {
	prom := prometheusBinary(t)
	svc := apptest.New(t)
	svc.Demo(3)
	admin := svc.Token("acme", "admin")

	// The public URL as serve passes on --public-url https://ops.example.com/.
	base, stop := svc.Serve(func(o *app.Options) { o.KPIRefresh, o.PublicURL = time.Second, "https://ops.example.com" })
	defer stop()
	metricsURL := svc.MetricsURL

	code, body := call(t, "PUT", base+"/api/v1/alerts/thresholds/wo-low", admin,
		`{"kpi":"write_off_ratio","comparator":"gt","value":0.0001,"for":"0s","severity":"warning"}`)
	if code != 200 {
		t.Fatalf("set threshold: %d %s", code, body)
	}

	rules, err := filepath.Abs(filepath.Join("..", "deploy", "prometheus", "rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	target := strings.TrimPrefix(strings.TrimSuffix(metricsURL, "/metrics"), "http://")
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - %s
scrape_configs:
  - job_name: opsmetrics
    static_configs:
      - targets: [%q]
`, rules, target)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	cmd := exec.Command(prom, "--config.file="+filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr)
	var plog strings.Builder
	cmd.Stdout, cmd.Stderr = &plog, &plog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()

	deadline := time.Now().Add(90 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		time.Sleep(time.Second)
		resp, err := http.Get("http://" + addr + "/api/v1/alerts")
		if err != nil {
			continue
		}
		var alerts struct {
			Data struct {
				Alerts []struct {
					Labels      map[string]string
					Annotations map[string]string
					State       string
				}
			}
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		last = string(raw)
		if json.Unmarshal(raw, &alerts) != nil {
			continue
		}
		for _, a := range alerts.Data.Alerts {
			if a.State == "firing" && a.Labels["threshold_id"] == "wo-low" && a.Labels["org"] == "acme" && a.Labels["client"] == "" {
				if a.Labels["severity"] != "warning" || a.Annotations["summary"] == "" || a.Annotations["description"] == "" {
					t.Errorf("the alert lacks its severity or words: %+v", a)
				}
				// The org by its name, read from opsmetrics_name_info; the link
				// starts with --public-url (its trailing slash dropped).
				if !strings.HasPrefix(a.Annotations["summary"], "Write-off of org Acme Creative is ") {
					t.Errorf("summary %q does not name the org", a.Annotations["summary"])
				}
				if !strings.HasPrefix(a.Annotations["dashboard"], "https://ops.example.com/margin?org=acme&") {
					t.Errorf("dashboard link %q", a.Annotations["dashboard"])
				}
				t.Logf("firing: %s %v: %s", a.Labels["alertname"], a.Labels, a.Annotations["summary"])
				return
			}
		}
	}
	t.Fatalf("no firing write-off alert within 90 s; last /api/v1/alerts: %s\nprometheus log:\n%s", last, plog.String())
}

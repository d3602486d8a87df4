package app_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/app"
	"github.com/opsmetrics/opsmetrics/app/apptest"
)

// TestListeningReportsAddresses: Options.Listening gets the ports app.Run
// bound for :0, the API's and /metrics', once both answer; with /metrics
// off, no metrics address.
func TestListeningReportsAddresses(t *testing.T) {
	svc := apptest.New(t)
	base, stop := svc.Serve(nil)
	// /metrics after /healthz: it has observed that request.
	for _, c := range [][2]string{{base + "/healthz", `"ok"`}, {svc.MetricsURL, `opsmetrics_http_request_duration_seconds_count{code="2xx",method="GET",route="/healthz"} 1`}} {
		url, want := c[0], c[1]
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d, want 200 with %s:\n%.300s", url, resp.StatusCode, want, body)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	off := apptest.New(t)
	off.Serve(func(o *app.Options) { o.MetricsAddr = "" })
	if off.URL == "" || off.MetricsURL != "" {
		t.Errorf("with /metrics off: URL %q, metrics URL %q; want only the API's", off.URL, off.MetricsURL)
	}
}

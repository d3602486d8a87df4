package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/app"
	"github.com/opsmetrics/opsmetrics/app/apptest"
)

// trickle posts an NDJSON body of time entries, one line every interval,
// lines lines in all (0: until the request ends), and returns the status
// (0 when the request failed) and how long it took.
func trickle(ctx context.Context, url, token string, interval time.Duration, lines int) (int, time.Duration, error) {
	pr, pw := io.Pipe()
	go func() {
		defer pw.Close()
		for i := 0; lines == 0 || i < lines; i++ {
			line := fmt.Sprintf(`{"external_id":"t%d","person":"p1","date":"2026-04-01","hours":1,"billable":true}`+"\n", i)
			if _, err := pw.Write([]byte(line)); err != nil {
				return // the server stopped reading
			}
			select {
			case <-time.After(interval):
			case <-ctx.Done():
				return
			}
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, pr)
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer "+token)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		pr.CloseWithError(err)
		return 0, time.Since(start), err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	pr.CloseWithError(io.ErrClosedPipe)
	if resp.StatusCode != 200 {
		err = fmt.Errorf("%s", strings.TrimSpace(string(body)))
	}
	return resp.StatusCode, time.Since(start), err
}

// TestBodyReadTimeouts: a request body that stalls for --body-idle-timeout,
// or still trickles at --body-timeout, ends in a 408; one that arrives slowly
// but steadily within both is imported.
func TestBodyReadTimeouts(t *testing.T) {
	svc := apptest.New(t)
	token := svc.Token("slow", "ingest")
	base, stopServe := svc.Serve(func(o *app.Options) {
		o.MetricsAddr, o.BodyIdleTimeout, o.BodyTimeout = "", 700*time.Millisecond, 2*time.Second
	})
	defer stopServe()
	url := base + "/api/v1/time_entries"
	bounded, stop := context.WithTimeout(t.Context(), 15*time.Second) // without the limits, the trickle never ends
	defer stop()

	// Steady: a line every 200 ms for 1 s, never 700 ms without a byte.
	if code, took, err := trickle(bounded, url, token, 200*time.Millisecond, 5); code != 200 {
		t.Errorf("a slow but steady body: %d after %v (%v), want 200", code, took, err)
	}
	// Stalled: a line, then nothing for 3 s. The 408 must come well before
	// the next line would (the margin is for a loaded machine, where the
	// answer has been seen 900 ms late).
	if code, took, err := trickle(bounded, url, token, 3*time.Second, 2); code != http.StatusRequestTimeout || took > 2500*time.Millisecond {
		t.Errorf("a body stalled for 3 s: %d after %v (%v), want 408 after about 700 ms", code, took, err)
	} else if !strings.Contains(err.Error(), "700ms") {
		t.Errorf("408 does not say which limit: %v", err)
	}
	// A byte every 200 ms, never ending: the idle limit never fires, the
	// whole-body limit does.
	if code, took, err := trickle(bounded, url, token, 200*time.Millisecond, 0); code != http.StatusRequestTimeout || took > 2800*time.Millisecond {
		t.Errorf("an endless trickle: %d after %v (%v), want 408 after about 2 s", code, took, err)
	} else if !strings.Contains(err.Error(), "2s") {
		t.Errorf("408 does not say which limit: %v", err)
	}
}

package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/app/apptest"
)

// serveInProcess runs `opsmetrics serve` in-process on a free port and
// returns its base URL and a function that stops it and waits.
func serveInProcess(t *testing.T, env map[string]string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--log-level", "warn"}, getenvFrom(env), pw, io.Discard)
		pw.Close()
	}()
	return listening(t, pr), func() { cancel(); <-done }
}

// createToken runs `opsmetrics token create` in-process and returns the token.
func createToken(t *testing.T, env map[string]string, org, scope string) string {
	t.Helper()
	var out, errb strings.Builder
	if code := run(t.Context(), []string{"token", "create", "--org", org, "--scope", scope}, getenvFrom(env), &out, &errb); code != 0 {
		t.Fatalf("token create: %d %s", code, errb.String())
	}
	return strings.TrimSpace(out.String())
}

// TestAcknowledgedSurvivesKill9: a 2xx answer means the rows are stored,
// even if the process is killed right after answering.
func TestAcknowledgedSurvivesKill9(t *testing.T) {
	env := testEnv(t)
	token := createToken(t, env, "acme", "ingest")
	cmd, base := startServe(t, env)
	ids := make([]string, 5000)
	for i := range ids {
		ids[i] = fmt.Sprintf("te-%05d", i)
	}
	code, r := apptest.Post(t, base+"/api/v1/time_entries", token, "application/x-ndjson", strings.NewReader(apptest.NDJSONEntries(ids...)))
	if code != 200 || r.Entities["time_entry"].Written != 5000 {
		t.Fatalf("post: %d %+v", code, r)
	}
	cmd.Process.Kill() // SIGKILL straight after the answer
	cmd.Wait()

	if n, _ := countStored(t, env, "acme"); n != 5000 {
		t.Fatalf("after kill -9: %d entries, want 5000", n)
	}
}

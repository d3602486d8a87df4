package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/app/apptest"
)

// countStored opens the stopped server's data directory and returns the
// org's stored time entries and ingest batches by status.
func countStored(t *testing.T, env map[string]string, org string) (entries int, batches map[string]int) {
	t.Helper()
	return apptest.Stored(t, env["CHDB_LIB_PATH"], env["OPSMETRICS_DATA_DIR"], org)
}

// TestImportBrokenFile: the CLI keeps the rows of a file before a line that
// cannot be read, says so, exits 1, and importing the fixed file completes it
// without doubles.
func TestImportBrokenFile(t *testing.T) {
	env := testEnv(t)
	env["OPSMETRICS_IMPORT_BATCH_ROWS"] = "10" // three whole batches before the break, and part of a fourth
	file := filepath.Join(t.TempDir(), "entries.csv")
	os.WriteFile(file, []byte(apptest.CSVEntries(40, 36)), 0o644) // rows 1-34 on lines 2-35, then a broken line

	var out, errb strings.Builder
	code := run(t.Context(), []string{"import", "--org", "acme", file}, getenvFrom(env), &out, &errb)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out.String(), errb.String())
	}
	want := file + ": kept the rows up to line 35 (34 written); the rest of the file was not imported: " + file + ":36: not valid UTF-8"
	if !strings.Contains(out.String(), want) {
		t.Errorf("summary does not say what was kept; want %q in:\n%s", want, out.String())
	}
	if n, _ := countStored(t, env, "acme"); n != 34 {
		t.Fatalf("%d entries stored, want the 34 before the broken line", n)
	}

	os.WriteFile(file, []byte(apptest.CSVEntries(40, 0)), 0o644)
	out.Reset()
	if code := run(t.Context(), []string{"import", "--org", "acme", file}, getenvFrom(env), &out, &errb); code != 0 {
		t.Fatalf("fixed file: exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if n, _ := countStored(t, env, "acme"); n != 40 {
		t.Fatalf("after the fixed file: %d entries stored, want 40", n)
	}
}

// TestKill9MidRequest: a server killed while it reads a request leaves
// nothing of it visible, also rows it had already staged, and the next start
// drops the stage and records the batch as failed.
func TestKill9MidRequest(t *testing.T) {
	env := testEnv(t)
	token := createToken(t, env, "acme", "ingest")
	cmd, base := startServe(t, env)
	ids := make([]string, 40_000) // more than the 25,000 rows of one staged batch
	for i := range ids {
		ids[i] = fmt.Sprintf("te-%05d", i)
	}
	pr, pw := io.Pipe()
	go func() {
		req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/time_entries", pr)
		req.Header.Set("Content-Type", "application/x-ndjson")
		req.Header.Set("Authorization", "Bearer "+token)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	if _, err := io.WriteString(pw, apptest.NDJSONEntries(ids...)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // the server stages the first batch; the body never ends
	cmd.Process.Kill()
	cmd.Wait()
	pw.Close()

	var out, errb strings.Builder
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int, 1)
	r, w := io.Pipe()
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--metrics-addr", ""}, getenvFrom(env), w, &errb)
		w.Close()
	}()
	listening(t, r) // start-up recovery runs before the server listens
	go io.Copy(&out, r)
	cancel()
	<-done
	if n, batches := countStored(t, env, "acme"); n != 0 || batches["failed"] != 1 || len(batches) != 1 {
		t.Errorf("after kill -9 mid-request and a restart: %d entries, batches %v; want 0 and one failed batch", n, batches)
	}
}

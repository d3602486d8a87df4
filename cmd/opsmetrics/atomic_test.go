package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb"
)

// countStored opens the stopped server's data directory and returns the
// org's stored time entries and ingest batches by status.
func countStored(t *testing.T, env map[string]string, org string) (entries int, batches map[string]int) {
	t.Helper()
	s, err := chdb.Open(chdb.Config{LibPath: env["CHDB_LIB_PATH"], DataDir: env["OPSMETRICS_DATA_DIR"], Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	rows, err := s.Query(ctx, "SELECT count() FROM ops.time_entries FINAL WHERE org_id = {org:String}", store.Params{"org": org})
	if err != nil {
		t.Fatal(err)
	}
	if err := rows.Scan(0, &entries); err != nil {
		t.Fatal(err)
	}
	rows, err = s.Query(ctx, "SELECT toString(status), count() FROM ops.ingest_batches FINAL WHERE org_id = {org:String} GROUP BY status", store.Params{"org": org})
	if err != nil {
		t.Fatal(err)
	}
	batches = map[string]int{}
	for i := range rows.Len() {
		var status string
		var n int
		if err := rows.Scan(i, &status, &n); err != nil {
			t.Fatal(err)
		}
		batches[status] = n
	}
	return entries, batches
}

// chunked hides a body's length from net/http, which then sends it with
// chunked transfer encoding and no Content-Length.
type chunked struct{ r io.Reader }

func (c chunked) Read(p []byte) (int, error) { return c.r.Read(p) }

// csvEntries is a CSV body of n time entries, te-00001 to te-n; the row on
// line bad (the header is line 1), if any, holds a byte that is not UTF-8.
func csvEntries(n, bad int) string {
	var b strings.Builder
	b.WriteString("external_id,person,date,hours,billable\n")
	for i := 1; i <= n; i++ {
		notes := ""
		if i+1 == bad {
			notes = "\xff"
		}
		// A thousand people, one entry a day each: no one passes 24 hours a day.
		day := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i/1000)
		fmt.Fprintf(&b, "te-%05d%s,p%d,%s,1.5,true\n", i, notes, i%1000, day.Format(time.DateOnly))
	}
	return b.String()
}

// TestIntakeAllOrNothing: a request answered with an error leaves the store
// as it was, whatever part of its body was read before the error, and its
// answer says nothing was written; dry runs and strict refusals count no row
// as written.
func TestIntakeAllOrNothing(t *testing.T) {
	env := testEnv(t)
	// 4 MB holds some 40,000 of these 100-byte rows: more than one 25,000-row
	// batch is read before the limit is reached.
	env["OPSMETRICS_BODY_LIMIT"] = "4M"
	token := createToken(t, env, "acme", "ingest")
	base, stop := serveInProcess(t, env)
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()
	url := base + "/api/v1/time_entries"

	ids := make([]string, 60_000)
	for i := range ids {
		ids[i] = fmt.Sprintf("te-%05d-padding-to-make-the-row-long", i)
	}
	big := ndjsonEntries(ids...)
	if len(big) < 6<<20 {
		t.Fatalf("body of %d bytes: want one well over the 4 MB limit", len(big))
	}
	code, r := post(t, url, token, "application/x-ndjson", chunked{strings.NewReader(big)})
	if code != 413 || r.Error == "" || r.Written == nil || *r.Written {
		t.Errorf("chunked body over the limit: %d %+v, want 413 saying nothing was written", code, r)
	}

	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("file", "entries.ndjson")
	fw.Write([]byte(big))
	mw.Close()
	code, r = post(t, base+"/api/v1/import", token, mw.FormDataContentType(), chunked{&form})
	if code != 413 || r.Error == "" || r.Written == nil || *r.Written {
		t.Errorf("chunked upload over the limit: %d %+v, want 413 saying nothing was written", code, r)
	}

	// Row 30,001 is on line 30,002: 30,000 rows, one whole batch, before it.
	code, r = post(t, url, token, "text/csv", strings.NewReader(csvEntries(35_000, 30_002)))
	if code != 400 || !strings.Contains(r.Error, "request body:30002: not valid UTF-8") || r.Written == nil || *r.Written {
		t.Errorf("CSV broken at row 30,001: %d %+v, want 400 naming line 30002, nothing written", code, r)
	}
	for entity, c := range r.Entities {
		if c.Written != 0 || c.Deleted != 0 || c.New != 0 {
			t.Errorf("CSV broken at row 30,001: %s counts %+v, want nothing written", entity, c)
		}
	}

	broken := `[{"external_id":"j1","person":"p1","date":"2026-04-01","hours":1,"billable":true},
{"external_id":"j2" "person":"p1"},
{"external_id":"j3","person":"p1","date":"2026-04-01","hours":1,"billable":true}]`
	code, r = post(t, url, token, "application/json", strings.NewReader(broken))
	if code != 400 || !strings.Contains(r.Error, "request body:2") || r.Written == nil || *r.Written {
		t.Errorf("[{ok},{bad},{ok}]: %d %+v, want 400 at line 2, nothing written", code, r)
	}

	one := ndjsonEntries("d1")
	code, r = post(t, url+"?dry_run=true", token, "application/x-ndjson", strings.NewReader(one))
	if c := r.Entities["time_entry"]; code != 200 || r.Written == nil || *r.Written || c.Written != 0 || c.Valid != 1 || c.Read != 1 {
		t.Errorf("dry run: %d %+v, want written false, 1 valid, 0 written", code, r)
	}
	bad := ndjsonEntries("s1", "s2") + `{"external_id":"s3","person":"p1","date":"2026-04-01","hours":-1,"billable":true}` + "\n"
	code, r = post(t, url+"?strict=true", token, "application/x-ndjson", strings.NewReader(bad))
	if c := r.Entities["time_entry"]; code != 422 || r.Written == nil || *r.Written || c.Written != 0 || c.Valid != 2 || c.Rejected != 1 {
		t.Errorf("strict with a rejected row: %d %+v, want 422, written false, 2 valid, 0 written, 1 rejected", code, r)
	}

	stop()
	stopped = true
	n, batches := countStored(t, env, "acme")
	if n != 0 {
		t.Errorf("%d time entries stored after requests that were all refused or dry; want 0", n)
	}
	// The body over the limit, the two broken bodies and the strict refusal
	// each staged rows and were dropped; a dry run records no batch.
	if batches["failed"] != 4 || len(batches) != 1 {
		t.Errorf("ingest_batches by status %v, want 4 failed", batches)
	}
}

// TestImportBrokenFile: the CLI keeps the rows of a file before a line that
// cannot be read, says so, exits 1, and importing the fixed file completes it
// without doubles.
func TestImportBrokenFile(t *testing.T) {
	env := testEnv(t)
	env["OPSMETRICS_IMPORT_BATCH_ROWS"] = "10" // three whole batches before the break, and part of a fourth
	file := filepath.Join(t.TempDir(), "entries.csv")
	os.WriteFile(file, []byte(csvEntries(40, 36)), 0o644) // rows 1-34 on lines 2-35, then a broken line

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

	os.WriteFile(file, []byte(csvEntries(40, 0)), 0o644)
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
	if _, err := io.WriteString(pw, ndjsonEntries(ids...)); err != nil {
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

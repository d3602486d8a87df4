package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
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

type intakeReply struct {
	Written  *bool
	Entities map[string]struct{ Read, Valid, Written, New, Updated, Deleted, Rejected int }
	Rejected int
	Errors   []struct {
		Line                 int
		Field, Value, Reason string
	}
	Error string
}

func post(t *testing.T, url, token, contentType string, body io.Reader) (int, intakeReply) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, body)
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r intakeReply
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("POST %s: %d, not JSON: %s", url, resp.StatusCode, raw)
	}
	return resp.StatusCode, r
}

// ndjsonEntries returns entries of 1.5 hours, each its own person's: one
// person logs at most 24 hours a day.
func ndjsonEntries(ids ...string) string {
	var b strings.Builder
	for _, id := range ids {
		fmt.Fprintf(&b, `{"external_id":%q,"person":"p-%s","date":"2026-04-01","hours":1.5,"billable":true}`+"\n", id, id)
	}
	return b.String()
}

// TestIntakeAPI boots run() on :0 and drives the intake: tokens scoped to
// one org, idempotent re-posts, per-row errors, uploads, and the refusals.
func TestIntakeAPI(t *testing.T) {
	env := testEnv(t)
	acme := createToken(t, env, "acme", "ingest")
	globex := createToken(t, env, "globex", "ingest")
	reader := createToken(t, env, "acme", "read")

	base, stop := serveInProcess(t, env)
	defer stop()
	url := base + "/api/v1/time_entries"

	code, r := post(t, url, acme, "application/x-ndjson", strings.NewReader(ndjsonEntries("a", "b", "c")))
	if code != 200 || r.Entities["time_entry"].Written != 3 {
		t.Fatalf("first post: %d %+v", code, r)
	}
	code, r = post(t, url+"?changes=true", acme, "application/x-ndjson", strings.NewReader(ndjsonEntries("a", "b", "c")))
	if code != 200 || r.Entities["time_entry"].New != 0 || r.Entities["time_entry"].Updated != 3 {
		t.Fatalf("repeated post: %d %+v", code, r)
	}
	// The same ids under another org's token are another org's records.
	code, r = post(t, url+"?changes=true", globex, "application/x-ndjson", strings.NewReader(ndjsonEntries("a", "b", "c")))
	if code != 200 || r.Entities["time_entry"].New != 3 {
		t.Fatalf("other org: %d %+v", code, r)
	}
	bad := ndjsonEntries("d") + `{"external_id":"e","person":"p1","date":"2026-04-01","hours":-1,"billable":true}` + "\n"
	code, r = post(t, url, acme, "application/x-ndjson", strings.NewReader(bad))
	if code != http.StatusMultiStatus || r.Rejected != 1 || r.Errors[0].Line != 2 || r.Errors[0].Field != "hours" || r.Errors[0].Value != "-1" {
		t.Fatalf("partly bad post: %d %+v", code, r)
	}
	code, r = post(t, url+"?strict=true", acme, "application/x-ndjson", strings.NewReader(bad))
	if code != http.StatusUnprocessableEntity || r.Rejected != 1 {
		t.Fatalf("strict post: %d %+v", code, r)
	}
	// Every row rejected: a 422, and written says so (it said true, beside a
	// status that means nothing was written).
	allBad := `{"external_id":"e2","person":"p1","date":"2026-04-01","hours":-1,"billable":true}` + "\n"
	code, r = post(t, url, acme, "application/x-ndjson", strings.NewReader(allBad))
	if code != http.StatusUnprocessableEntity || r.Rejected != 1 || r.Written == nil || *r.Written {
		t.Fatalf("every row rejected: %d %+v, want 422 with written false", code, r)
	}
	jsonBody := `[{"external_id":"f","person":"p1","date":"2026-04-02","hours":2,"billable":false}]`
	if code, r = post(t, url, acme, "application/json", strings.NewReader(jsonBody)); code != 200 || r.Entities["time_entry"].Written != 1 {
		t.Fatalf("json array: %d %+v", code, r)
	}

	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("file", "harvest.csv")
	fw.Write([]byte("Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,First Name,Last Name,Roles,Employee?,Billable Rate,Billable Amount,Cost Rate,Cost Amount,Currency\n" +
		"2026-01-05,Acme Corp,Website,ACME,Design,Logo,2,Yes,No,Ana,García,Designer,Yes,150,300,60,120,United States Dollar - USD\n"))
	mw.Close()
	if code, r = post(t, base+"/api/v1/import", acme, mw.FormDataContentType(), &form); code != 200 || r.Entities["time_entry"].Written != 1 {
		t.Fatalf("upload: %d %+v", code, r)
	}

	refusals := []struct {
		name, url, token, ctype, body string
		status                        int
	}{
		{"no token", url, "", "application/x-ndjson", ndjsonEntries("x"), 401},
		{"wrong token", url, acme + "0", "application/x-ndjson", ndjsonEntries("x"), 401},
		{"read-only token", url, reader, "application/x-ndjson", ndjsonEntries("x"), 403},
		{"unknown entity", base + "/api/v1/widgets", acme, "application/x-ndjson", ndjsonEntries("x"), 404},
		{"unsupported type", url, acme, "text/plain", "hello", 415},
		{"malformed json array", url, acme, "application/json", "[{", 400},
	}
	for _, c := range refusals {
		code, r := post(t, c.url, c.token, c.ctype, strings.NewReader(c.body))
		if code != c.status || r.Error == "" {
			t.Errorf("%s: %d %+v, want %d with an error message", c.name, code, r, c.status)
		}
	}
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
	code, r := post(t, base+"/api/v1/time_entries", token, "application/x-ndjson", strings.NewReader(ndjsonEntries(ids...)))
	if code != 200 || r.Entities["time_entry"].Written != 5000 {
		t.Fatalf("post: %d %+v", code, r)
	}
	cmd.Process.Kill() // SIGKILL straight after the answer
	cmd.Wait()

	if n, _ := countStored(t, env, "acme"); n != 5000 {
		t.Fatalf("after kill -9: %d entries, want 5000", n)
	}
}

// TestIntakeDayLimit: two requests of 16 hours each for one person and day;
// the second would make 32 and is rejected, naming the 16 stored.
func TestIntakeDayLimit(t *testing.T) {
	env := testEnv(t)
	token := createToken(t, env, "acme", "ingest")
	base, stop := serveInProcess(t, env)
	defer stop()
	entry := func(id string) io.Reader {
		return strings.NewReader(fmt.Sprintf(`{"external_id":%q,"person":"p1","date":"2026-04-01","hours":16,"billable":true}`, id))
	}
	if code, r := post(t, base+"/api/v1/time_entries", token, "application/x-ndjson", entry("a")); code != 200 || r.Entities["time_entry"].Written != 1 {
		t.Fatalf("first: %d %+v", code, r)
	}
	code, r := post(t, base+"/api/v1/time_entries", token, "application/x-ndjson", entry("b"))
	if code != http.StatusUnprocessableEntity || r.Rejected != 1 || r.Errors[0].Field != "hours" || r.Errors[0].Value != "16" ||
		!strings.Contains(r.Errors[0].Reason, "p1 already has 16 hours on 2026-04-01 (16 stored") {
		t.Fatalf("second: %d %+v", code, r)
	}
	// Sending a again replaces it: 16 hours, not 32.
	if code, r := post(t, base+"/api/v1/time_entries", token, "application/x-ndjson", entry("a")); code != 200 || r.Rejected != 0 {
		t.Fatalf("a again: %d %+v", code, r)
	}
}

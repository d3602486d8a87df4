package app_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/app/apptest"
)

// TestIntakeAPI boots app.Run on :0 and drives the intake: tokens scoped to
// one org, idempotent re-posts, per-row errors, uploads, and the refusals.
func TestIntakeAPI(t *testing.T) {
	svc := apptest.New(t)
	acme := svc.Token("acme", "ingest")
	globex := svc.Token("globex", "ingest")
	reader := svc.Token("acme", "read")

	base, stop := svc.Serve(nil)
	defer stop()
	url := base + "/api/v1/time_entries"

	code, r := apptest.Post(t, url, acme, "application/x-ndjson", strings.NewReader(apptest.NDJSONEntries("a", "b", "c")))
	if code != 200 || r.Entities["time_entry"].Written != 3 {
		t.Fatalf("first post: %d %+v", code, r)
	}
	code, r = apptest.Post(t, url+"?changes=true", acme, "application/x-ndjson", strings.NewReader(apptest.NDJSONEntries("a", "b", "c")))
	if code != 200 || r.Entities["time_entry"].New != 0 || r.Entities["time_entry"].Updated != 3 {
		t.Fatalf("repeated post: %d %+v", code, r)
	}
	// The same ids under another org's token are another org's records.
	code, r = apptest.Post(t, url+"?changes=true", globex, "application/x-ndjson", strings.NewReader(apptest.NDJSONEntries("a", "b", "c")))
	if code != 200 || r.Entities["time_entry"].New != 3 {
		t.Fatalf("other org: %d %+v", code, r)
	}
	bad := apptest.NDJSONEntries("d") + `{"external_id":"e","person":"p1","date":"2026-04-01","hours":-1,"billable":true}` + "\n"
	code, r = apptest.Post(t, url, acme, "application/x-ndjson", strings.NewReader(bad))
	if code != http.StatusMultiStatus || r.Rejected != 1 || r.Errors[0].Line != 2 || r.Errors[0].Field != "hours" || r.Errors[0].Value != "-1" {
		t.Fatalf("partly bad post: %d %+v", code, r)
	}
	code, r = apptest.Post(t, url+"?strict=true", acme, "application/x-ndjson", strings.NewReader(bad))
	if code != http.StatusUnprocessableEntity || r.Rejected != 1 {
		t.Fatalf("strict post: %d %+v", code, r)
	}
	// Every row rejected: a 422, and written says so (it said true, beside a
	// status that means nothing was written).
	allBad := `{"external_id":"e2","person":"p1","date":"2026-04-01","hours":-1,"billable":true}` + "\n"
	code, r = apptest.Post(t, url, acme, "application/x-ndjson", strings.NewReader(allBad))
	if code != http.StatusUnprocessableEntity || r.Rejected != 1 || r.Written == nil || *r.Written {
		t.Fatalf("every row rejected: %d %+v, want 422 with written false", code, r)
	}
	jsonBody := `[{"external_id":"f","person":"p1","date":"2026-04-02","hours":2,"billable":false}]`
	if code, r = apptest.Post(t, url, acme, "application/json", strings.NewReader(jsonBody)); code != 200 || r.Entities["time_entry"].Written != 1 {
		t.Fatalf("json array: %d %+v", code, r)
	}

	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("file", "harvest.csv")
	fw.Write([]byte("Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,First Name,Last Name,Roles,Employee?,Billable Rate,Billable Amount,Cost Rate,Cost Amount,Currency\n" +
		"2026-01-05,Acme Corp,Website,ACME,Design,Logo,2,Yes,No,Ana,García,Designer,Yes,150,300,60,120,United States Dollar - USD\n"))
	mw.Close()
	if code, r = apptest.Post(t, base+"/api/v1/import", acme, mw.FormDataContentType(), &form); code != 200 || r.Entities["time_entry"].Written != 1 {
		t.Fatalf("upload: %d %+v", code, r)
	}

	refusals := []struct {
		name, url, token, ctype, body string
		status                        int
	}{
		{"no token", url, "", "application/x-ndjson", apptest.NDJSONEntries("x"), 401},
		{"wrong token", url, acme + "0", "application/x-ndjson", apptest.NDJSONEntries("x"), 401},
		{"read-only token", url, reader, "application/x-ndjson", apptest.NDJSONEntries("x"), 403},
		{"unknown entity", base + "/api/v1/widgets", acme, "application/x-ndjson", apptest.NDJSONEntries("x"), 404},
		{"unsupported type", url, acme, "text/plain", "hello", 415},
		{"malformed json array", url, acme, "application/json", "[{", 400},
	}
	for _, c := range refusals {
		code, r := apptest.Post(t, c.url, c.token, c.ctype, strings.NewReader(c.body))
		if code != c.status || r.Error == "" {
			t.Errorf("%s: %d %+v, want %d with an error message", c.name, code, r, c.status)
		}
	}
}

// TestIntakeDayLimit: two requests of 16 hours each for one person and day;
// the second would make 32 and is rejected, naming the 16 stored.
func TestIntakeDayLimit(t *testing.T) {
	svc := apptest.New(t)
	token := svc.Token("acme", "ingest")
	base, stop := svc.Serve(nil)
	defer stop()
	entry := func(id string) io.Reader {
		return strings.NewReader(fmt.Sprintf(`{"external_id":%q,"person":"p1","date":"2026-04-01","hours":16,"billable":true}`, id))
	}
	if code, r := apptest.Post(t, base+"/api/v1/time_entries", token, "application/x-ndjson", entry("a")); code != 200 || r.Entities["time_entry"].Written != 1 {
		t.Fatalf("first: %d %+v", code, r)
	}
	code, r := apptest.Post(t, base+"/api/v1/time_entries", token, "application/x-ndjson", entry("b"))
	if code != http.StatusUnprocessableEntity || r.Rejected != 1 || r.Errors[0].Field != "hours" || r.Errors[0].Value != "16" ||
		!strings.Contains(r.Errors[0].Reason, "p1 already has 16 hours on 2026-04-01 (16 stored") {
		t.Fatalf("second: %d %+v", code, r)
	}
	// Sending a again replaces it: 16 hours, not 32.
	if code, r := apptest.Post(t, base+"/api/v1/time_entries", token, "application/x-ndjson", entry("a")); code != 200 || r.Rejected != 0 {
		t.Fatalf("a again: %d %+v", code, r)
	}
}

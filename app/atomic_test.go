package app_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/app"
	"github.com/opsmetrics/opsmetrics/app/apptest"
)

// chunked hides a body's length from net/http, which then sends it with
// chunked transfer encoding and no Content-Length.
type chunked struct{ r io.Reader }

func (c chunked) Read(p []byte) (int, error) { return c.r.Read(p) }

// TestIntakeAllOrNothing: a request answered with an error leaves the store
// as it was, whatever part of its body was read before the error, and its
// answer says nothing was written; dry runs and strict refusals count no row
// as written.
func TestIntakeAllOrNothing(t *testing.T) {
	svc := apptest.New(t)
	// 4 MB holds some 40,000 of these 100-byte rows: more than one 25,000-row
	// batch is read before the limit is reached.
	token := svc.Token("acme", "ingest")
	base, stop := svc.Serve(func(o *app.Options) { o.BodyLimit = "4M" }) // stopped at the test's end if it fails first
	url := base + "/api/v1/time_entries"

	ids := make([]string, 60_000)
	for i := range ids {
		ids[i] = fmt.Sprintf("te-%05d-padding-to-make-the-row-long", i)
	}
	big := apptest.NDJSONEntries(ids...)
	if len(big) < 6<<20 {
		t.Fatalf("body of %d bytes: want one well over the 4 MB limit", len(big))
	}
	code, r := apptest.Post(t, url, token, "application/x-ndjson", chunked{strings.NewReader(big)})
	if code != 413 || r.Error == "" || r.Written == nil || *r.Written {
		t.Errorf("chunked body over the limit: %d %+v, want 413 saying nothing was written", code, r)
	}

	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("file", "entries.ndjson")
	fw.Write([]byte(big))
	mw.Close()
	code, r = apptest.Post(t, base+"/api/v1/import", token, mw.FormDataContentType(), chunked{&form})
	if code != 413 || r.Error == "" || r.Written == nil || *r.Written {
		t.Errorf("chunked upload over the limit: %d %+v, want 413 saying nothing was written", code, r)
	}

	// Row 30,001 is on line 30,002: 30,000 rows, one whole batch, before it.
	code, r = apptest.Post(t, url, token, "text/csv", strings.NewReader(apptest.CSVEntries(35_000, 30_002)))
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
	code, r = apptest.Post(t, url, token, "application/json", strings.NewReader(broken))
	if code != 400 || !strings.Contains(r.Error, "request body:2") || r.Written == nil || *r.Written {
		t.Errorf("[{ok},{bad},{ok}]: %d %+v, want 400 at line 2, nothing written", code, r)
	}

	one := apptest.NDJSONEntries("d1")
	code, r = apptest.Post(t, url+"?dry_run=true", token, "application/x-ndjson", strings.NewReader(one))
	if c := r.Entities["time_entry"]; code != 200 || r.Written == nil || *r.Written || c.Written != 0 || c.Valid != 1 || c.Read != 1 {
		t.Errorf("dry run: %d %+v, want written false, 1 valid, 0 written", code, r)
	}
	bad := apptest.NDJSONEntries("s1", "s2") + `{"external_id":"s3","person":"p1","date":"2026-04-01","hours":-1,"billable":true}` + "\n"
	code, r = apptest.Post(t, url+"?strict=true", token, "application/x-ndjson", strings.NewReader(bad))
	if c := r.Entities["time_entry"]; code != 422 || r.Written == nil || *r.Written || c.Written != 0 || c.Valid != 2 || c.Rejected != 1 {
		t.Errorf("strict with a rejected row: %d %+v, want 422, written false, 2 valid, 0 written, 1 rejected", code, r)
	}

	if err := stop(); err != nil {
		t.Fatal(err)
	}
	n, batches := svc.Stored("acme")
	if n != 0 {
		t.Errorf("%d time entries stored after requests that were all refused or dry; want 0", n)
	}
	// The body over the limit, the two broken bodies and the strict refusal
	// each staged rows and were dropped; a dry run records no batch.
	if batches["failed"] != 4 || len(batches) != 1 {
		t.Errorf("ingest_batches by status %v, want 4 failed", batches)
	}
}

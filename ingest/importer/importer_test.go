package importer_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	chdbtest.Close()
	os.Exit(code)
}

// newImporter returns an importer on the test process's one embedded engine,
// with tiny batches so that every test crosses batch boundaries.
func newImporter(t testing.TB) (*importer.Importer, *chdb.Store) {
	t.Helper()
	s := chdbtest.Shared(t)
	im, err := importer.New(importer.Config{Store: s, Logger: slog.New(slog.DiscardHandler), BatchRows: 3})
	if err != nil {
		t.Fatal(err)
	}
	return im, s
}

// totals are an org's deduplicated time entry count and hours.
func totals(t *testing.T, s *chdb.Store, org string) (int, string) {
	t.Helper()
	rows, err := s.Query(t.Context(), "SELECT count(), sum(hours) FROM ops.time_entries FINAL WHERE org_id = {org:String}", store.Params{"org": org})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var h decimal.Decimal
	if err := rows.Scan(0, &n, &h); err != nil {
		t.Fatal(err)
	}
	return n, h.String()
}

const harvestHeader = "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,First Name,Last Name,Roles,Employee?,Billable Rate,Billable Amount,Cost Rate,Cost Amount,Currency\n"

func harvestRow(date, notes, hours string) string {
	return fmt.Sprintf("%s,Acme Corp,Website,ACME,Design,%s,%s,Yes,No,Ana,García,Designer,Yes,150,0,60,0,United States Dollar - USD\n", date, notes, hours)
}

func importString(t *testing.T, im *importer.Importer, req importer.Request, body string) *importer.Summary {
	t.Helper()
	req.Body = strings.NewReader(body)
	if req.File == "" {
		req.File = "test.csv"
	}
	sum, err := im.Import(t.Context(), req)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return sum
}

// TestReimportAndOverlap: the same export twice, then an overlapping one,
// change no total; two identical rows stay two entries.
func TestReimportAndOverlap(t *testing.T) {
	im, s := newImporter(t)
	jan := harvestRow("2026-01-15", "Logo", "2") + harvestRow("2026-01-15", "Logo", "2") + harvestRow("2026-02-03", "Site", "1.5")
	febMar := harvestRow("2026-02-03", "Site", "1.5") + harvestRow("2026-03-10", "Copy", "4")
	req := importer.Request{Org: "reimport", CountChanges: true}

	sum := importString(t, im, req, harvestHeader+jan)
	if c := sum.Entities["time_entry"]; c.Read != 3 || c.New != 3 || c.Updated != 0 {
		t.Fatalf("first import: %+v", c)
	}
	if sum.Created["person"] != 1 || sum.Created["client"] != 1 || sum.Created["project"] != 1 {
		t.Errorf("created %v, want one person, client and project", sum.Created)
	}
	// 2 + 2 + 1.5 = 5.5 hours in 3 entries (the two identical rows are two entries).
	if n, h := totals(t, s, "reimport"); n != 3 || h != "5.5" {
		t.Fatalf("after first import: %d entries, %s hours; want 3, 5.5", n, h)
	}
	sum = importString(t, im, req, harvestHeader+jan)
	if c := sum.Entities["time_entry"]; c.New != 0 || c.Updated != 3 {
		t.Fatalf("re-import: %+v, want 0 new and 3 updated", c)
	}
	if len(sum.Created) != 0 && (sum.Created["person"]+sum.Created["client"]+sum.Created["project"]) != 0 {
		t.Errorf("re-import created %v", sum.Created)
	}
	sum = importString(t, im, req, harvestHeader+febMar)
	if c := sum.Entities["time_entry"]; c.New != 1 || c.Updated != 1 {
		t.Fatalf("overlapping import: %+v, want 1 new (Mar) and 1 updated (Feb)", c)
	}
	// 5.5 + 4 (March) = 9.5 hours in 4 entries.
	if n, h := totals(t, s, "reimport"); n != 4 || h != "9.5" {
		t.Fatalf("after overlap: %d entries, %s hours; want 4, 9.5", n, h)
	}
}

// TestEditAndTombstone: an entry with an id is replaced by its edit and
// removed by a tombstone; an older edit arriving later loses.
func TestEditAndTombstone(t *testing.T) {
	im, s := newImporter(t)
	req := importer.Request{Org: "edits", Entity: "time_entry", Format: importer.FormatNDJSON}
	line := func(id, hours, updated string, deleted bool) string {
		return fmt.Sprintf(`{"external_id":%q,"person":"p1","date":"2026-04-01","hours":%s,"billable":true,"updated_at":%q,"deleted":%t}`+"\n",
			id, hours, updated, deleted)
	}
	importString(t, im, req, line("a", "2", "2026-04-01T10:00:00Z", false)+line("b", "3", "2026-04-01T10:00:00Z", false))
	importString(t, im, req, line("a", "5", "2026-04-02T10:00:00Z", false))
	importString(t, im, req, line("a", "9", "2026-04-01T12:00:00Z", false)) // older than the edit: loses
	// a = 5 (the newest edit), b = 3.
	if n, h := totals(t, s, "edits"); n != 2 || h != "8" {
		t.Fatalf("after edits: %d entries, %s hours; want 2, 8", n, h)
	}
	sum := importString(t, im, req, `{"external_id":"b","deleted":true,"updated_at":"2026-04-03T00:00:00Z"}`+"\n")
	if c := sum.Entities["time_entry"]; c.Deleted != 1 {
		t.Fatalf("tombstone: %+v", c)
	}
	if n, h := totals(t, s, "edits"); n != 1 || h != "5" {
		t.Fatalf("after tombstone: %d entries, %s hours; want 1, 5", n, h)
	}
}

// TestRejectsStrictDryRun: rejected rows name file, line, field and value;
// valid rows are kept unless --strict; a dry run writes nothing.
func TestRejectsStrictDryRun(t *testing.T) {
	im, s := newImporter(t)
	body := harvestHeader + harvestRow("2026-01-05", "ok", "1") + harvestRow("2026-01-05", "neg", "-2") +
		harvestRow("2026-01-06", "ok2", "3") + harvestRow("2026-01-07", "long", "25")
	var seen []*ingest.RowError
	sum := importString(t, im, importer.Request{Org: "strict", File: "jan.csv", Strict: true, OnReject: func(e *ingest.RowError) { seen = append(seen, e) }}, body)
	if sum.Written || sum.Rejected() != 2 {
		t.Fatalf("strict: written=%v rejected=%d", sum.Written, sum.Rejected())
	}
	if n, _ := totals(t, s, "strict"); n != 0 {
		t.Fatalf("strict import with rejects wrote %d entries", n)
	}
	if len(seen) != 2 || seen[0].File != "jan.csv" || seen[0].Line != 3 || seen[0].Field != "Hours" || seen[0].Value != "-2" {
		t.Fatalf("first reject: %+v", seen[0])
	}
	if seen[1].Line != 5 || seen[1].Value != "25" {
		t.Errorf("second reject: %+v", seen[1])
	}
	sum = importString(t, im, importer.Request{Org: "strict", DryRun: true, CountChanges: true}, body)
	if c := sum.Entities["time_entry"]; sum.Written || c.Valid != 2 || c.Written != 0 || c.New != 0 {
		t.Fatalf("dry run: %+v", sum.Entities["time_entry"])
	}
	if n, _ := totals(t, s, "strict"); n != 0 {
		t.Fatalf("dry run wrote %d entries", n)
	}
	sum = importString(t, im, importer.Request{Org: "strict"}, body)
	if !sum.Written || sum.Rejected() != 2 || sum.Entities["time_entry"].Written != 2 {
		t.Fatalf("lenient: %+v", sum.Entities["time_entry"])
	}
	if n, h := totals(t, s, "strict"); n != 2 || h != "4" {
		t.Fatalf("lenient import: %d entries, %s hours; want 2, 4", n, h)
	}
}

// TestRateTooLarge: a rate with more digits than its column keeps
// (Decimal(18, 4): 14 before the point) rejects its row alone, naming the
// line, column and value; a strict import or a dry run reports it too.
func TestRateTooLarge(t *testing.T) {
	im, s := newImporter(t)
	huge := strings.Replace(harvestRow("2026-01-06", "huge", "2"), ",150,", ",123456789012345,", 1)
	body := harvestHeader + harvestRow("2026-01-05", "a", "1") + huge + harvestRow("2026-01-07", "b", "3")
	for _, req := range []importer.Request{{Org: "huge", Strict: true}, {Org: "huge", DryRun: true}} {
		sum := importString(t, im, req, body)
		if sum.Written || sum.Rejected() != 1 {
			t.Fatalf("strict %v dry run %v: written %v, rejected %d", req.Strict, req.DryRun, sum.Written, sum.Rejected())
		}
	}
	if n, _ := totals(t, s, "huge"); n != 0 {
		t.Fatalf("strict import or dry run wrote %d entries", n)
	}
	sum := importString(t, im, importer.Request{Org: "huge", File: "rates.csv"}, body)
	if sum.Rejected() != 1 || sum.Entities["time_entry"].Written != 2 {
		t.Fatalf("counts %+v", sum.Entities["time_entry"])
	}
	e := sum.Errors[0]
	if e.File != "rates.csv" || e.Line != 3 || e.Field != "Billable Rate" || e.Value != "123456789012345" ||
		!strings.Contains(e.Reason, "too large") {
		t.Errorf("reject %+v", e)
	}
	// 1 + 3 hours: the rows before and after the rejected one.
	if n, h := totals(t, s, "huge"); n != 2 || h != "4" {
		t.Errorf("%d entries, %s hours; want 2, 4", n, h)
	}
}

// TestSecondCurrencyRejected: an org keeps one currency.
func TestSecondCurrencyRejected(t *testing.T) {
	im, _ := newImporter(t)
	eur := strings.Replace(harvestRow("2026-01-05", "x", "1"), "United States Dollar - USD", "Euro - EUR", 1)
	sum := importString(t, im, importer.Request{Org: "currency"}, harvestHeader+harvestRow("2026-01-05", "y", "1")+eur)
	if sum.Rejected() != 1 || sum.Errors[0].Field != "currency" || sum.Errors[0].Value != "EUR" || sum.Errors[0].Line != 3 {
		t.Fatalf("errors %+v", sum.Errors)
	}
}

// TestFileErrors: what cannot be read at all is one clear error.
func TestFileErrors(t *testing.T) {
	im, _ := newImporter(t)
	cases := map[string]string{
		"empty":          "",
		"unknown header": "Foo,Bar\n1,2\n",
		"not utf-8":      harvestHeader + "2026-01-05,Acme \xff\xfe,Website,ACME,Design,x,1,Yes,No,Ana,G,D,Yes,1,1,1,1,USD\n",
	}
	for name, body := range cases {
		_, err := im.Import(t.Context(), importer.Request{Org: "files", File: "bad.csv", Body: strings.NewReader(body)})
		var fe *ingest.FileError
		if !errors.As(err, &fe) || fe.File != "bad.csv" {
			t.Errorf("%s: got %v, want a FileError naming bad.csv", name, err)
		}
	}
}

// TestResolveByEmailAcrossFormats: people imported first are matched by the
// export's names instead of being created again.
func TestResolveAcrossFormats(t *testing.T) {
	im, s := newImporter(t)
	people := "external_id,name,email,role,valid_from\nana,Ana García,ana@example.com,designer,2026-01-01\n"
	importString(t, im, importer.Request{Org: "resolve", File: "people.csv"}, people)
	sum := importString(t, im, importer.Request{Org: "resolve"}, harvestHeader+harvestRow("2026-01-05", "x", "1"))
	if sum.Created["person"] != 0 {
		t.Fatalf("created %v; Ana should match by name", sum.Created)
	}
	rows, err := s.Query(t.Context(), "SELECT person_id FROM ops.time_entries FINAL WHERE org_id = 'resolve'", nil)
	if err != nil || rows.Len() != 1 || rows.Data[0][0] != "ana" {
		t.Fatalf("person_id %v, %v", rows, err)
	}
}

// TestUnsortedExport: an export whose dates go back is read again with every
// date kept, so identical rows on a date that comes back stay distinct and a
// re-import still adds nothing.
func TestUnsortedExport(t *testing.T) {
	im, s := newImporter(t)
	body := harvestHeader + harvestRow("2026-01-05", "Logo", "2") + harvestRow("2026-01-06", "Site", "1") +
		harvestRow("2026-01-05", "Logo", "2") + harvestRow("2026-01-07", "Copy", "3")
	req := importer.Request{Org: "unsorted", CountChanges: true}
	sum := importString(t, im, req, body)
	if c := sum.Entities["time_entry"]; c.Read != 4 || c.Rejected != 0 {
		t.Fatalf("import: %+v", c)
	}
	// 2 + 1 + 2 + 3 = 8 hours in 4 entries: the two identical Jan 5 rows are two entries.
	if n, h := totals(t, s, "unsorted"); n != 4 || h != "8" {
		t.Fatalf("%d entries, %s hours; want 4, 8", n, h)
	}
	sum = importString(t, im, req, body)
	if c := sum.Entities["time_entry"]; c.New != 0 || c.Updated != 4 {
		t.Fatalf("re-import: %+v", c)
	}
	if n, _ := totals(t, s, "unsorted"); n != 4 {
		t.Fatalf("re-import changed the count to %d", n)
	}
}

// TestPauseMerges: with PauseMerges the engine's merges are stopped while
// an import writes, and running again when it ends, also after a failure.
func TestPauseMerges(t *testing.T) {
	s := chdbtest.Shared(t)
	im, err := importer.New(importer.Config{Store: s, Logger: slog.New(slog.DiscardHandler), BatchRows: 3, PauseMerges: true})
	if err != nil {
		t.Fatal(err)
	}
	// OPTIMIZE ... FINAL merges even one part; with merges stopped it fails.
	optimize := func() error {
		return s.Exec(t.Context(), "OPTIMIZE TABLE ops.time_entries FINAL SETTINGS optimize_throw_if_noop = 1", nil)
	}
	var body strings.Builder
	body.WriteString(harvestHeader)
	for i := range 10 {
		body.WriteString(harvestRow("2026-01-05", fmt.Sprintf("task %d", i), "1"))
	}
	// Line 12 is rejected after three batches were handed to the writer,
	// so the first one is written and merges are paused by then.
	body.WriteString(harvestRow("2026-01-05", "bad", "-1"))
	var during error
	req := importer.Request{Org: "pause", File: "pause.csv", Body: strings.NewReader(body.String()),
		OnReject: func(*ingest.RowError) { during = optimize() }}
	sum, err := im.Import(t.Context(), req)
	if err != nil || sum.Rejected() != 1 {
		t.Fatalf("import: %v, %d rejected; want 1 rejected", err, sum.Rejected())
	}
	if during == nil {
		t.Error("OPTIMIZE during the import succeeded: merges were not paused")
	}
	if err := optimize(); err != nil {
		t.Fatalf("OPTIMIZE after the import: %v (merges not resumed)", err)
	}
	if n, h := totals(t, s, "pause"); n != 10 || h != "10" {
		t.Fatalf("%d entries, %s hours; want 10 entries of 1 hour", n, h)
	}

	// A failed import resumes them too: the context ends after the first batch.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req = importer.Request{Org: "pause", File: "pause2.csv", Body: strings.NewReader(body.String()),
		OnReject: func(*ingest.RowError) { cancel() }}
	if _, err := im.Import(ctx, req); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled import: %v", err)
	}
	if err := optimize(); err != nil {
		t.Fatalf("OPTIMIZE after a failed import: %v (merges not resumed)", err)
	}
}

func TestEntityFromName(t *testing.T) {
	for name, want := range map[string]string{
		"people.ndjson": "person", "/x/time_entries.csv": "time_entry", "time-off.json": "time_off",
		"Allocations.NDJSON": "allocation", "person.csv": "person", "invoice_lines.csv": "invoice_line",
		"export.csv": "", "people-2026.ndjson": "",
	} {
		if got := importer.EntityFromName(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

// TestImportKeepsOrgSettings: an import that gives an org its currency
// writes the org's row again, keeping every other setting.
func TestImportKeepsOrgSettings(t *testing.T) {
	im, s := newImporter(t)
	w, err := ingest.NewWriter(ingest.WriterConfig{Store: s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	tz, days, hours, grace, overhead, stuck := "Europe/Berlin", "mon-thu", "08:00-16:30", 3, ingest.Text("7.25"), 24
	if _, err := w.UpdateOrg(t.Context(), s, "keeps", ingest.OrgPatch{TimeZone: &tz, Workdays: &days, BusinessHours: &hours,
		GraceDays: &grace, OverheadPerHour: &overhead, StuckReviewHours: &stuck}); err != nil {
		t.Fatal(err)
	}
	importString(t, im, importer.Request{Org: "keeps"}, harvestHeader+harvestRow("2026-01-05", "x", "1"))
	o, found, err := ingest.LoadOrg(t.Context(), s, "keeps")
	if err != nil || !found {
		t.Fatal(found, err)
	}
	want := ingest.OrgSettings{ID: "keeps", Name: "keeps", TimeZone: "Europe/Berlin", Currency: "USD", Workdays: "mon,tue,wed,thu",
		BusinessHours: "08:00-16:30", GraceDays: 3, OverheadPerHour: "7.25", StuckReviewHours: 24}
	if got := o.Settings(); got != want {
		t.Errorf("after the import %+v, want %+v", got, want)
	}
}

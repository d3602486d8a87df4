package importer_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
	"github.com/opsmetrics/opsmetrics/org"
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

// TestChanged: Config.Changed hears the org of an import that wrote, and
// not of a dry run.
func TestChanged(t *testing.T) {
	s := chdbtest.Shared(t)
	var heard []string
	im, err := importer.New(importer.Config{Store: s, Logger: slog.New(slog.DiscardHandler),
		Changed: func(_ context.Context, orgs []string) { heard = append(heard, orgs...) }})
	if err != nil {
		t.Fatal(err)
	}
	body := harvestHeader + harvestRow("2026-01-05", "ok", "1")
	importString(t, im, importer.Request{Org: "changed", DryRun: true}, body)
	if len(heard) != 0 {
		t.Fatalf("a dry run was heard: %v", heard)
	}
	importString(t, im, importer.Request{Org: "changed"}, body)
	importString(t, im, importer.Request{Org: "changed-staged", Stage: true}, body)
	if strings.Join(heard, ",") != "changed,changed-staged" {
		t.Errorf("heard %v, want [changed changed-staged]", heard)
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
	orgs, err := org.NewCache(org.Config{Store: s, Writer: w})
	if err != nil {
		t.Fatal(err)
	}
	tz, days, hours, grace, overhead, stuck := "Europe/Berlin", "mon-thu", "08:00-16:30", 3, org.Text("7.25"), 24
	if _, err := orgs.Update(t.Context(), "keeps", org.Patch{TimeZone: &tz, Workdays: &days, BusinessHours: &hours,
		GraceDays: &grace, OverheadPerHour: &overhead, StuckReviewHours: &stuck}); err != nil {
		t.Fatal(err)
	}
	importString(t, im, importer.Request{Org: "keeps"}, harvestHeader+harvestRow("2026-01-05", "x", "1"))
	o, found, err := org.Load(t.Context(), s, "keeps")
	if err != nil || !found {
		t.Fatal(found, err)
	}
	want := org.Shown{ID: "keeps", Name: "keeps", TimeZone: "Europe/Berlin", Currency: "USD", Workdays: "mon,tue,wed,thu",
		BusinessHours: "08:00-16:30", GraceDays: 3, OverheadPerHour: "7.25", StuckReviewHours: 24}
	if got := o.Show(); got != want {
		t.Errorf("after the import %+v, want %+v", got, want)
	}
}

// storedEntries is what the store holds for an org: live time entries (FINAL
// drops tombstones), and keys whose latest version is a tombstone.
func storedEntries(t *testing.T, s *chdb.Store, org string) (live, tombstones int) {
	t.Helper()
	rows, err := s.Query(t.Context(), `SELECT countIf(deleted = 0), countIf(deleted = 1) FROM (
		SELECT argMax(deleted, version) AS deleted FROM ops.time_entries WHERE org_id = {org:String} GROUP BY source, external_id)`,
		store.Params{"org": org})
	if err != nil {
		t.Fatal(err)
	}
	if err := rows.Scan(0, &live, &tombstones); err != nil {
		t.Fatal(err)
	}
	if n, _ := totals(t, s, org); n != live {
		t.Fatalf("FINAL holds %d entries, the latest versions %d live ones", n, live)
	}
	return live, tombstones
}

// TestRepeatedKeys: an input that gives a key more than once stores one
// record for it, and its counts say so, with and without CountChanges, in
// one batch (a) and across batches (b, c).
func TestRepeatedKeys(t *testing.T) {
	im, s := newImporter(t) // batches of 3 rows
	type row struct {
		id, hours string
		deleted   bool
	}
	// a 1 h, b 2 h, a 3 h | c 4 h, d 1 h, b 5 h | c deleted: a = 3 h, b = 5 h,
	// d = 1 h are stored (9 hours), c is a tombstone.
	rows := []row{{"a", "1", false}, {"b", "2", false}, {"a", "3", false}, {"c", "4", false}, {"d", "1", false},
		{"b", "5", false}, {"c", "", true}}
	var csvBody, ndjson strings.Builder
	csvBody.WriteString("external_id,person,date,hours,billable,deleted\n")
	for _, r := range rows {
		if r.deleted {
			fmt.Fprintf(&csvBody, "%s,,,,,true\n", r.id)
			fmt.Fprintf(&ndjson, `{"external_id":%q,"deleted":true}`+"\n", r.id)
			continue
		}
		fmt.Fprintf(&csvBody, "%s,p1,2026-04-01,%s,true,\n", r.id, r.hours)
		fmt.Fprintf(&ndjson, `{"external_id":%q,"person":"p1","date":"2026-04-01","hours":%s,"billable":true}`+"\n", r.id, r.hours)
	}
	inputs := []struct {
		name, format, body string
	}{{"csv", importer.FormatCSV, csvBody.String()}, {"ndjson", importer.FormatNDJSON, ndjson.String()}}
	for _, in := range inputs {
		for _, changes := range []bool{false, true} {
			org := fmt.Sprintf("repeats-%s-%t", in.name, changes)
			req := importer.Request{Org: org, Format: in.format, Entity: "time_entry", CountChanges: changes}
			// 7 rows read: 3 records written (a, b, d), 1 tombstone (c),
			// 3 rows repeating a key an earlier row had (a, b, c).
			want := importer.Counts{Read: 7, Valid: 7, Written: 3, Deleted: 1, Repeated: 3}
			if changes {
				want.New = 3
			}
			sum := importString(t, im, req, in.body)
			if c := *sum.Entities["time_entry"]; c != want {
				t.Errorf("%s: %+v, want %+v", org, c, want)
			}
			if live, gone := storedEntries(t, s, org); live != 3 || gone != 1 {
				t.Errorf("%s: store holds %d live entries and %d tombstones, want 3 and 1", org, live, gone)
			}
			if _, h := totals(t, s, org); h != "9" {
				t.Errorf("%s: %s hours stored, want 9 (a 3, b 5, d 1)", org, h)
			}
			// Again: a, b and d were stored, so they are updated now.
			if changes {
				want.New, want.Updated = 0, 3
			}
			sum = importString(t, im, req, in.body)
			if c := *sum.Entities["time_entry"]; c != want {
				t.Errorf("%s again: %+v, want %+v", org, c, want)
			}
		}
	}
}

// TestDayLimit: a person logs at most 24 hours a day, over the entries
// stored and those earlier in the input; the entry that would pass 24 hours
// is rejected, and one that replaces a stored entry counts once.
func TestDayLimit(t *testing.T) {
	encoding, s := newImporter(t) // batches of 3 rows
	// A store that does not take RowBinary gets records, not encoded rows.
	plain, err := importer.New(importer.Config{Store: struct{ importer.Store }{s}, Logger: slog.New(slog.DiscardHandler), BatchRows: 3})
	if err != nil {
		t.Fatal(err)
	}
	for org, im := range map[string]*importer.Importer{"daylimit": encoding, "daylimit-records": plain} {
		t.Run(org, func(t *testing.T) { testDayLimit(t, im, s, org) })
	}
}

func testDayLimit(t *testing.T, im *importer.Importer, s *chdb.Store, org string) {
	entry := func(id, person, date, hours string) string {
		return fmt.Sprintf(`{"external_id":%q,"person":%q,"date":%q,"hours":%s,"billable":true}`+"\n", id, person, date, hours)
	}
	req := importer.Request{Org: org, File: "day.ndjson", Format: importer.FormatNDJSON, Entity: "time_entry"}

	// One input, p1 on May 4: 10 + 10 = 20; c's 5 would make 25 (rejected,
	// line 3); d's 4 makes 24; e, f and g are on other person-days (May 5,
	// p2); h's 0.5 would make 24.5 (rejected, line 8, in the third batch).
	body := entry("a", "p1", "2026-05-04", "10") + entry("b", "p1", "2026-05-04", "10") + entry("c", "p1", "2026-05-04", "5") +
		entry("d", "p1", "2026-05-04", "4") + entry("e", "p1", "2026-05-05", "20") + entry("f", "p2", "2026-05-04", "24") +
		entry("g", "p2", "2026-05-05", "1") + entry("h", "p1", "2026-05-04", "0.5")
	sum := importString(t, im, req, body)
	if c := sum.Entities["time_entry"]; c.Read != 8 || c.Written != 6 || c.Rejected != 2 {
		t.Fatalf("counts %+v, want 8 read, 6 written, 2 rejected", c)
	}
	e := sum.Errors[0]
	if e.File != "day.ndjson" || e.Line != 3 || e.Field != "hours" || e.Value != "5" ||
		!strings.Contains(e.Reason, "p1") || !strings.Contains(e.Reason, "2026-05-04") || !strings.Contains(e.Reason, "20 hours") {
		t.Errorf("first reject %+v", e)
	}
	if e := sum.Errors[1]; e.Line != 8 || e.Value != "0.5" || !strings.Contains(e.Reason, "24 hours") {
		t.Errorf("second reject %+v", e)
	}
	// a 10 + b 10 + d 4 + e 20 + f 24 + g 1 = 69 hours.
	if n, h := totals(t, s, org); n != 6 || h != "69" {
		t.Fatalf("%d entries, %s hours; want 6, 69", n, h)
	}

	// The same input again replaces what it stored: nothing counts twice,
	// and c and h are rejected again.
	sum = importString(t, im, req, body)
	if c := sum.Entities["time_entry"]; c.Written != 6 || c.Rejected != 2 {
		t.Fatalf("again: %+v, want 6 written, 2 rejected", c)
	}

	// Another input: p1 on May 5 has e's 20 stored; i's 4 makes 24, j's
	// 0.25 would make 24.25. a replaced by 12 hours makes May 4 26: rejected.
	// b replaced by 6 makes May 4 20 (a 10 + b 6 + d 4); then k's 4 fits.
	sum = importString(t, im, importer.Request{Org: org, File: "more.ndjson", Format: importer.FormatNDJSON, Entity: "time_entry"},
		entry("i", "p1", "2026-05-05", "4")+entry("j", "p1", "2026-05-05", "0.25")+entry("a", "p1", "2026-05-04", "12")+
			entry("b", "p1", "2026-05-04", "6")+entry("k", "p1", "2026-05-04", "4"))
	if c := sum.Entities["time_entry"]; c.Written != 3 || c.Rejected != 2 {
		t.Fatalf("more: %+v, want 3 written (i, b, k), 2 rejected (j, a)", c)
	}
	if e := sum.Errors[0]; e.Line != 2 || e.Value != "0.25" || !strings.Contains(e.Reason, "24 hours") {
		t.Errorf("more, first reject %+v", e)
	}
	if e := sum.Errors[1]; e.Line != 3 || e.Value != "12" {
		t.Errorf("more, second reject %+v", e)
	}
	// 69 + i 4 - b 4 (10 → 6) + k 4 = 73 hours in 8 entries.
	if n, h := totals(t, s, org); n != 8 || h != "73" {
		t.Fatalf("more: %d entries, %s hours; want 8, 73", n, h)
	}

	// A dry run and a strict import find the same rejects.
	for _, r := range []importer.Request{{DryRun: true}, {Strict: true}} {
		r.Org, r.Format, r.Entity = org, importer.FormatNDJSON, "time_entry"
		sum := importString(t, im, r, entry("l", "p1", "2026-05-04", "1")+entry("m", "p3", "2026-05-06", "1"))
		if sum.Written || sum.Rejected() != 1 || sum.Errors[0].Line != 1 {
			t.Errorf("dry run %v strict %v: written %v, errors %+v", r.DryRun, r.Strict, sum.Written, sum.Errors)
		}
	}
}

// TestDayLimitExport: an export whose person-days hold 24 hours, split over
// batches, is accepted, and accepted again when imported again.
func TestDayLimitExport(t *testing.T) {
	im, s := newImporter(t) // batches of 3 rows
	body := harvestHeader
	for _, notes := range []string{"a", "b", "c", "d"} { // 4 × 6 = 24 hours on Jan 5, over two batches
		body += harvestRow("2026-01-05", notes, "6")
	}
	body += harvestRow("2026-01-06", "e", "24")
	for range 2 {
		sum := importString(t, im, importer.Request{Org: "dayexport", CountChanges: true}, body)
		if c := sum.Entities["time_entry"]; c.Read != 5 || c.Written != 5 || c.Rejected != 0 {
			t.Fatalf("counts %+v, errors %+v", c, sum.Errors)
		}
	}
	// 24 + 24 hours.
	if n, h := totals(t, s, "dayexport"); n != 5 || h != "48" {
		t.Fatalf("%d entries, %s hours; want 5, 48", n, h)
	}
	// One more hour on Jan 5, in another export, is one too many.
	sum := importString(t, im, importer.Request{Org: "dayexport"}, harvestHeader+harvestRow("2026-01-05", "f", "1"))
	if sum.Rejected() != 1 || sum.Errors[0].Field != "hours" || !strings.Contains(sum.Errors[0].Reason, "24 hours") {
		t.Fatalf("one more hour: %+v", sum.Errors)
	}
}

// TestDayLimitManyEntries: a day of many entries, one given again.
func TestDayLimitManyEntries(t *testing.T) {
	im, s := newImporter(t)
	var body strings.Builder
	for i := 1; i <= 30; i++ { // 30 entries of 1 hour: the 25th to the 30th pass 24
		fmt.Fprintf(&body, `{"external_id":"e%d","person":"p9","date":"2026-06-01","hours":1,"billable":true}`+"\n", i)
	}
	// e3 again with 0 hours frees its hour, which e31 then takes.
	body.WriteString(`{"external_id":"e3","person":"p9","date":"2026-06-01","hours":0,"billable":true}` + "\n")
	body.WriteString(`{"external_id":"e31","person":"p9","date":"2026-06-01","hours":1,"billable":true}` + "\n")
	// e5 moves to June 2, and frees its hour of June 1 for e32.
	body.WriteString(`{"external_id":"e5","person":"p9","date":"2026-06-02","hours":1,"billable":true}` + "\n")
	body.WriteString(`{"external_id":"e32","person":"p9","date":"2026-06-01","hours":1,"billable":true}` + "\n")
	sum := importString(t, im, importer.Request{Org: "many", Format: importer.FormatNDJSON, Entity: "time_entry"}, body.String())
	// 34 rows: 24 + e31 + e32 = 26 records, e3 and e5 repeated, e25 to e30 rejected.
	want := importer.Counts{Read: 34, Valid: 28, Written: 26, Repeated: 2, Rejected: 6}
	if c := *sum.Entities["time_entry"]; c != want {
		t.Fatalf("%+v, want %+v", c, want)
	}
	if sum.Errors[0].Line != 25 || sum.Errors[5].Line != 30 {
		t.Errorf("rejected lines %d to %d, want 25 to 30", sum.Errors[0].Line, sum.Errors[5].Line)
	}
	// June 1: 22 entries of 1 hour (e1 to e24 but e3 and e5), e3 of 0, e31
	// and e32 of 1; June 2: e5 of 1. 26 entries, 25 hours.
	if n, h := totals(t, s, "many"); n != 26 || h != "25" {
		t.Errorf("%d entries, %s hours; want 26, 25", n, h)
	}
}

// TestDayLimitExportWindows: an export of many days, read in windows of
// days ahead (and the next window in the background), twice.
func TestDayLimitExportWindows(t *testing.T) {
	im, s := newImporter(t)           // batches of 3 rows: 14 batches
	defer importer.SetWindowRows(8)() // windows of some 8 stored entries: the second import reads 5 or more
	day := func(i int) string {
		return time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format(time.DateOnly)
	}
	body := harvestHeader
	for i := range 40 { // 20 hours a day for 40 days; on day 35 another 5 (line 38) would make 25
		body += harvestRow(day(i), "work", "20")
		if i == 35 {
			body += harvestRow(day(i), "more", "5")
		}
	}
	for n, want := range []importer.Counts{{Read: 41, Valid: 40, Written: 40, New: 40, Rejected: 1}, {Read: 41, Valid: 40, Written: 40, Updated: 40, Rejected: 1}} {
		sum := importString(t, im, importer.Request{Org: "windows", CountChanges: true}, body)
		if c := *sum.Entities["time_entry"]; c != want || sum.Errors[0].Line != 38 || sum.Errors[0].Value != "5" {
			t.Fatalf("import %d: %+v, errors %+v; want %+v and line 38 rejected", n+1, c, sum.Errors, want)
		}
	}
	// 40 days of 20 hours.
	if n, h := totals(t, s, "windows"); n != 40 || h != "800" {
		t.Fatalf("%d entries, %s hours; want 40, 800", n, h)
	}
}

// TestDayLimitTombstones: a tombstone, even in a batch of tombstones alone,
// takes its entry's hours off the day, for the rows after it.
func TestDayLimitTombstones(t *testing.T) {
	im, _ := newImporter(t) // batches of 3 rows
	entry := func(id, person, hours string) string {
		return fmt.Sprintf(`{"external_id":%q,"person":%q,"date":"2026-07-01","hours":%s,"billable":true}`+"\n", id, person, hours)
	}
	gone := func(id string) string { return fmt.Sprintf(`{"external_id":%q,"deleted":true}`+"\n", id) }
	// a 20 | a, x, y deleted | b 10: p1 has 10 hours, not 30.
	body := entry("a", "p1", "20") + entry("x", "p2", "1") + entry("y", "p3", "1") + gone("a") + gone("x") + gone("y") + entry("b", "p1", "10")
	sum := importString(t, im, importer.Request{Org: "tombstones", Format: importer.FormatNDJSON, Entity: "time_entry"}, body)
	if c := *sum.Entities["time_entry"]; c.Rejected != 0 || c.Written != 1 || c.Deleted != 3 || c.Repeated != 3 {
		t.Fatalf("%+v, errors %+v; want b written, a, x and y deleted, nothing rejected", c, sum.Errors)
	}
}

// TestDayLimitStoredVersions: the day limit reads the latest stored version
// of each key, as FINAL would, also while older versions are not merged
// away, and a key whose latest version is a tombstone holds no hours.
func TestDayLimitStoredVersions(t *testing.T) {
	im, _ := newImporter(t)
	req := importer.Request{Org: "versions", Format: importer.FormatNDJSON, Entity: "time_entry"}
	entry := func(id, hours string) string {
		return fmt.Sprintf(`{"external_id":%q,"person":"p1","date":"2026-07-01","hours":%s,"billable":true}`+"\n", id, hours)
	}
	importString(t, im, req, entry("a", "10"))
	importString(t, im, req, entry("a", "20")) // a's second version: 20 hours
	// 20 stored + 5 = 25: rejected (the first version's 10 would have let it in).
	sum := importString(t, im, req, entry("b", "5"))
	if c := *sum.Entities["time_entry"]; c.Rejected != 1 || c.Written != 0 {
		t.Fatalf("b after a's 20 hours: %+v; want b rejected", c)
	}
	importString(t, im, req, `{"external_id":"a","deleted":true}`+"\n")
	// a deleted: 0 stored + 5 = 5.
	sum = importString(t, im, req, entry("b", "5"))
	if c := *sum.Entities["time_entry"]; c.Rejected != 0 || c.Written != 1 {
		t.Fatalf("b after a was deleted: %+v, errors %+v; want b written", c, sum.Errors)
	}
}

// TestPeopleSameName: an org's people file has two Sam Lees and no emails;
// a Harvest export then names Sam Lee. Either could be meant, so the
// export's Sam Lee is a third person, and the import's warning names the
// two. The file's third row, Ana García with 30 h, takes the place of the
// export's Ana García (created with an assumed 40 h week by the first
// export): one Ana, with 30 h, not two.
func TestPeopleSameName(t *testing.T) {
	im, s := newImporter(t)
	orgID := fmt.Sprintf("same-name-%d", time.Now().UnixNano())
	importString(t, im, importer.Request{Org: orgID}, harvestHeader+harvestRow("2026-01-15", "Logo", "2"))
	people := "external_id,valid_from,name,email,role,team,weekly_capacity_hours\n" +
		"p-sam1,2000-01-01,Sam Lee,,designer,,40\n" +
		"p-sam2,2000-01-01,Sam  lee,,developer,,40\n" +
		"p-ana,2000-01-01,Ana García,,designer,,30\n"
	sum := importString(t, im, importer.Request{Org: orgID, Format: "csv", Entity: "person", File: "people.csv"}, people)
	if len(sum.Warnings) != 0 || sum.Rejected() != 0 {
		t.Fatalf("people: %q %v", sum.Warnings, sum.Errors)
	}
	sam := "2026-01-16,Acme Corp,Website,ACME,Design,Copy,1,Yes,No,Sam,Lee,Designer,Yes,150,0,60,0,United States Dollar - USD\n"
	sum = importString(t, im, importer.Request{Org: orgID}, harvestHeader+sam)
	if len(sum.Warnings) != 1 || !strings.Contains(sum.Warnings[0], "(p-sam1, p-sam2)") {
		t.Errorf("warnings: %q", sum.Warnings)
	}
	if sum.Created["person"] != 1 {
		t.Errorf("created %v, want Sam Lee apart", sum.Created)
	}
	rows, err := s.Query(t.Context(), `SELECT arraySort(groupArray(concat(name, ' ', toString(weekly_capacity_hours),
			if(capacity_assumed = 1, ' assumed', '')))) FROM ops.people FINAL WHERE org_id = {org:String}`, store.Params{"org": orgID})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := rows.Scan(0, &got); err != nil {
		t.Fatal(err)
	}
	want := []string{"Ana García 30", "Sam  lee 40", "Sam Lee 40", "Sam Lee 40 assumed"} // sorted bytewise
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("people: %q, want %q", got, want)
	}
}

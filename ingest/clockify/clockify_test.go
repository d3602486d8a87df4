package clockify

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/parsertest"
)

// parseAll reads every row of r; it fails the test on any error but a
// *RowError.
func parseAll(t testing.TB, r io.Reader, opts ingest.Options) ([]ingest.Row, []*ingest.RowError, *Parser) {
	t.Helper()
	if opts.File == "" {
		opts.File = "c.csv"
	}
	opts.Org = "acme"
	ip, err := New(r, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	rows, bad := parsertest.Collect(t, ip)
	return rows, bad, ip.(*Parser)
}

func readFile(t testing.TB, name string) []byte { return parsertest.Testdata(t, name) }

func summary(row ingest.Row) string {
	e := row.Record.(ingest.TimeEntry)
	r := row.Refs
	ds := func(d *decimal.Decimal) string {
		if d == nil {
			return "-"
		}
		return d.String()
	}
	return fmt.Sprintf("%d %s h=%s b=%v %s inv=%q %s br=%s amt=%s tags=%q | %s <%s> group=%s client=%s project=%s task=%s notes=%q",
		row.Line, e.Date.Format(time.DateOnly), e.Hours, e.Billable, e.BillingStatus, e.InvoiceID, e.Currency,
		ds(e.BillRate), ds(e.BilledAmount), e.Tags, r.PersonName, r.PersonEmail, r.Role, r.Client, r.Project, e.Task, e.Notes)
}

var files = []struct {
	file   string
	order  string
	breaks int
	want   []string
}{
	{"detailed_mdy.csv", "", 1, []string{ // 12-hour times, a Break, Invoiced
		`2 2026-04-27 h=2.5 b=true billed inv="INV-2026-014" USD br=150 amt=375 tags=["design" "client-facing"] | Ana García <ana@studio.example> group=Design client=Acme Corp project=Website Redesign task=Design notes="Homepage wireframes"`,
		`3 2026-04-27 h=1.25 b=true unbilled inv="" USD br=140 amt=175 tags=["ops"] | Ben Okafor <ben@studio.example> group=Engineering client=Acme Corp project=Website Redesign task=Development notes="Deploy hotfix"`,
		`5 2026-04-29 h=1 b=true unbilled inv="" USD br=180 amt=180 tags=["meeting" "retainer"] | Chloé Dubois <chloe@studio.example> group=Strategy client=Globex project=Retainer 2026 task=Strategy notes="Planning call"`,
		`6 2026-05-04 h=0.333333 b=false unbilled inv="" USD br=0 amt=0 tags=[] | Ana García <ana@studio.example> group=Design client= project=Internal task= notes="Timesheets"`,
	}},
	{"detailed_dmy.csv", "", 0, []string{ // another column order, "(EURO)", 24-hour times, decimal commas
		`2 2026-06-03 h=3.5 b=true unbilled inv="" EUR br=120 amt=420 tags=[] | Lena Schmidt <lena@agentur.example> group=Entwicklung client=Müller GmbH project=Relaunch task=Entwicklung notes="Backend API"`,
		`3 2026-06-04 h=1 b=true unbilled inv="" EUR br=120 amt=120 tags=["workshop" "vor Ort"] | Jonas Becker <jonas@agentur.example> group=Projektleitung client=Müller GmbH project=Relaunch task=Konzeption notes="Workshop"`,
		`4 2026-06-22 h=3.5 b=true unbilled inv="" EUR br=120 amt=420 tags=[] | Lena Schmidt <lena@agentur.example> group=Entwicklung client=Müller GmbH project=Relaunch task=Entwicklung notes="Go-live"`,
	}},
	{"detailed_dotted.csv", "", 1, []string{ // DD.MM.YYYY, only Duration (decimal), a zero-length entry
		`2 2026-08-18 h=1.5 b=true unbilled inv="" EUR br=120 amt=180 tags=[] | Lena Schmidt <lena@agentur.example> group=Entwicklung client=Müller GmbH project=Relaunch task= notes="Abstimmung"`,
		`4 2026-09-02 h=0 b=false unbilled inv="" EUR br=- amt=- tags=[] | Lena Schmidt <lena@agentur.example> group=Entwicklung client=Müller GmbH project=Relaunch task= notes="Test"`,
	}},
	{"detailed_ambiguous.csv", "mdy", 0, []string{
		`2 2026-04-05 h=1 b=true unbilled inv="" USD br=150 amt=150 tags=[] | Ana García <ana@studio.example> group=Design client=Acme Corp project=Website Redesign task=Design notes="Homepage wireframes"`,
		`3 2026-05-06 h=0.5 b=true unbilled inv="" USD br=150 amt=75 tags=[] | Ana García <ana@studio.example> group=Design client=Acme Corp project=Website Redesign task=Design notes="Copy edits"`,
	}},
	{"detailed_ambiguous.csv", "dmy", 0, []string{
		`2 2026-05-04 h=1 b=true unbilled inv="" USD br=150 amt=150 tags=[] | Ana García <ana@studio.example> group=Design client=Acme Corp project=Website Redesign task=Design notes="Homepage wireframes"`,
		`3 2026-06-05 h=0.5 b=true unbilled inv="" USD br=150 amt=75 tags=[] | Ana García <ana@studio.example> group=Design client=Acme Corp project=Website Redesign task=Design notes="Copy edits"`,
	}},
}

// onlyReader hides every method but Read: an upload or a pipe.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestParseFiles(t *testing.T) {
	for _, tc := range files {
		for _, how := range []string{"seeker", "stream"} {
			t.Run(tc.file+"/"+tc.order+"/"+how, func(t *testing.T) {
				tmp := t.TempDir()
				t.Setenv("TMPDIR", tmp)
				var r io.Reader = bytes.NewReader(readFile(t, tc.file))
				if how == "stream" {
					r = onlyReader{r}
				}
				rows, bad, p := parseAll(t, r, ingest.Options{File: tc.file, DateOrder: tc.order})
				if len(bad) > 0 {
					t.Fatalf("rejected: %v", bad)
				}
				var got []string
				for _, r := range rows {
					got = append(got, summary(r))
					e := r.Record.(ingest.TimeEntry)
					if e.Org != "acme" || e.Source != Source || e.PersonID != "" || e.Date.Location() != time.UTC {
						t.Errorf("line %d: meta %+v", r.Line, e.Meta)
					}
				}
				if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
					t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
				}
				if p.Breaks() != tc.breaks {
					t.Errorf("breaks %d, want %d", p.Breaks(), tc.breaks)
				}
				if left, _ := os.ReadDir(tmp); len(left) > 0 || p.spool != nil {
					t.Errorf("temporary files left: %v (spool %v)", left, p.spool)
				}
			})
		}
	}
}

func TestPipeIsSpooled(t *testing.T) {
	// An *os.File that cannot seek, as stdin is when piped.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		_, _ = pw.Write(readFile(t, "detailed_mdy.csv"))
		_ = pw.Close()
	}()
	t.Setenv("TMPDIR", t.TempDir())
	rows, bad, _ := parseAll(t, pr, ingest.Options{})
	if len(rows) != 4 || len(bad) != 0 {
		t.Errorf("rows %d, rejected %v", len(rows), bad)
	}
}

func TestSeekerFromItsOffset(t *testing.T) {
	in := append([]byte("junk before the export\n"), readFile(t, "detailed_mdy.csv")...)
	r := bytes.NewReader(in)
	if _, err := r.Seek(int64(len("junk before the export\n")), io.SeekStart); err != nil {
		t.Fatal(err)
	}
	rows, _, _ := parseAll(t, r, ingest.Options{})
	if len(rows) != 4 {
		t.Errorf("rows %d, want 4", len(rows))
	}
}

func TestCloseEarly(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	p, err := New(onlyReader{bytes.NewReader(readFile(t, "detailed_mdy.csv"))}, ingest.Options{File: "c.csv"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Next(); err != nil {
		t.Fatal(err)
	}
	c := p.(io.Closer)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestDateOrderErrors(t *testing.T) {
	mdy := string(readFile(t, "detailed_mdy.csv"))
	dmy := string(readFile(t, "detailed_dmy.csv"))
	mixed := mdy + "Internal,,x,,Ana García,Design,ana@studio.example,,No,30/04/2026,10:00,30/04/2026,11:00,01:00:00,1.00,0.00,0.00,04/05/2026,Regular,No,\n"
	for _, tc := range []struct {
		name, in, order string
		line            int
		reason          string
	}{
		{"ambiguous", string(readFile(t, "detailed_ambiguous.csv")), "", 2,
			`every date in the file reads both as MM/DD/YYYY and as DD/MM/YYYY (first "04/05/2026"): pass --date-order mdy|dmy`},
		{"mixed", mixed, "", 7, `the dates disagree: "04/27/2026" on line 2 reads only as MM/DD/YYYY and "30/04/2026" on line 7 only as DD/MM/YYYY`},
		{"flag contradicts mdy file", mdy, "dmy", 2, `--date-order dmy contradicts the file: "04/27/2026" reads only as MM/DD/YYYY`},
		{"flag contradicts dmy file", dmy, "mdy", 4, `--date-order mdy contradicts the file: "22/06/2026" reads only as DD/MM/YYYY`},
		{"bad flag", mdy, "ymd", 0, `unknown date order "ymd" (want mdy or dmy)`},
	} {
		for _, how := range []string{"seeker", "stream"} {
			t.Run(tc.name+"/"+how, func(t *testing.T) {
				tmp := t.TempDir()
				t.Setenv("TMPDIR", tmp)
				var r io.Reader = strings.NewReader(tc.in)
				if how == "stream" {
					r = onlyReader{r}
				}
				_, err := New(r, ingest.Options{File: "c.csv", DateOrder: tc.order})
				var fe *ingest.FileError
				if !errors.As(err, &fe) || fe.File != "c.csv" || fe.Line != tc.line || fe.Reason != tc.reason {
					t.Errorf("got %v\nwant c.csv:%d: %s", err, tc.line, tc.reason)
				}
				if left, _ := os.ReadDir(tmp); len(left) > 0 {
					t.Errorf("temporary files left: %v", left)
				}
			})
		}
	}
}

const header = "Project,Client,Description,Task,User,Group,Email,Tags,Billable,Start Date,Start Time,End Date,End Time,Duration (h),Duration (decimal),Billable Rate (USD),Billable Amount (USD),Type,Invoiced\n"
const good = "Web,Acme,ok,,Ana,Design,ana@x.example,,Yes,04/30/2026,09:00 AM,04/30/2026,10:30 AM,01:30:00,1.50,100.00,150.00,Regular,No\n"

func TestRowErrors(t *testing.T) {
	for _, tc := range []struct {
		name, row, field, value, reason string
	}{
		{"over 24 hours", "Web,Acme,x,,Ana,Design,ana@x.example,,Yes,04/30/2026,09:00 AM,05/01/2026,10:30 AM,25:30:00,25.50,100.00,150.00,Regular,No", "Duration (h)", "25:30:00", ingest.ReasonTooManyHours},
		{"over 24 hours (decimal)", "Web,Acme,x,,Ana,Design,ana@x.example,,Yes,04/30/2026,,,,,25.50,100.00,150.00,Regular,No", "Duration (decimal)", "25.50", ingest.ReasonTooManyHours},
		{"bad decimal beside a good duration", "Web,Acme,x,,Ana,Design,ana@x.example,,Yes,04/30/2026,09:00 AM,04/30/2026,10:30 AM,01:30:00,1h30,100.00,150.00,Regular,No", "Duration (decimal)", "1h30", "not a number"},
		{"over 24 hours (h)", "Web,Acme,x,,Ana,Design,ana@x.example,,Yes,04/30/2026,09:00 AM,05/01/2026,10:30 AM,25:30:00,,100.00,150.00,Regular,No", "Duration (h)", "25:30:00", ingest.ReasonTooManyHours},
		{"negative hours", "Web,Acme,x,,Ana,Design,ana@x.example,,Yes,04/30/2026,09:00 AM,04/30/2026,10:30 AM,01:30:00,-1.50,100.00,150.00,Regular,No", "Duration (decimal)", "-1.50", ingest.ReasonNegativeHours},
		{"negative from times", "Web,Acme,x,,Ana,Design,ana@x.example,,Yes,04/30/2026,09:00 AM,04/30/2026,08:30 AM,,,100.00,150.00,Regular,No", "End Time", "08:30 AM", ingest.ReasonNegativeHours + " (from start to end)"},
		{"bad date", "Web,Acme,x,,Ana,Design,ana@x.example,,Yes,02/30/2026,09:00 AM,04/30/2026,10:30 AM,01:30:00,1.50,100.00,150.00,Regular,No", "Start Date", "02/30/2026", "no such day"},
		{"old date", "Web,Acme,x,,Ana,Design,ana@x.example,,Yes,04/30/1999,09:00 AM,04/30/1999,10:30 AM,01:30:00,1.50,100.00,150.00,Regular,No", "Start Date", "04/30/1999", "date before 2000-01-01"},
		{"bad time", "Web,Acme,x,,Ana,Design,ana@x.example,,Yes,04/30/2026,13:00 PM,04/30/2026,10:30 AM,01:30:00,1.50,100.00,150.00,Regular,No", "Start Time", "13:00 PM", "hour out of range for a 12-hour time"},
		{"bad number", "Web,Acme,x,,Ana,Design,ana@x.example,,Yes,04/30/2026,09:00 AM,04/30/2026,10:30 AM,01:30:00,1.50,1.0.0.0,150.00,Regular,No", "Billable Rate (USD)", "1.0.0.0", "bad thousands grouping"},
		{"bad invoiced", "Web,Acme,x,,Ana,Design,ana@x.example,,Yes,04/30/2026,09:00 AM,04/30/2026,10:30 AM,01:30:00,1.50,100.00,150.00,Regular,Partly", "Invoiced", "Partly", "not a yes/no value"},
		{"no user", "Web,Acme,x,,,Design,ana@x.example,,Yes,04/30/2026,09:00 AM,04/30/2026,10:30 AM,01:30:00,1.50,100.00,150.00,Regular,No", "User", "", "empty; every entry has a user"},
		{"no duration", "Web,Acme,x,,Ana,Design,ana@x.example,,Yes,04/30/2026,,04/30/2026,,,,100.00,150.00,Regular,No", "Duration (decimal)", "", "no duration, and no start and end time to compute it from"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, bad, _ := parseAll(t, strings.NewReader(header+good+tc.row+"\n"+good), ingest.Options{})
			if len(rows) != 2 || rows[1].Line != 4 {
				t.Errorf("want the good rows, got %d rows", len(rows))
			}
			if len(bad) != 1 {
				t.Fatalf("rejected %v, want one", bad)
			}
			want := ingest.RowError{File: "c.csv", Line: 3, Field: tc.field, Value: tc.value, Reason: tc.reason}
			if *bad[0] != want {
				t.Errorf("got  %+v\nwant %+v", *bad[0], want)
			}
		})
	}
}

// TestHoursExact: hours come from the exact "Duration (h)", else from
// start to end, and from the rounded "Duration (decimal)" only when nothing
// better is there. Clockify rounds the decimal column to 2 places, and some
// real exports hold 0.00 in it for entries of minutes.
func TestHoursExact(t *testing.T) {
	rows, bad, _ := parseAll(t, bytes.NewReader(readFile(t, "detailed_exact.csv")), ingest.Options{})
	if len(bad) > 0 {
		t.Fatal(bad)
	}
	want := map[int]string{
		2: "0.006944", // 00:00:25 = 25/3600 h = 0.0069444…, rounded to 6 places; the decimal column says 0.00
		3: "1.125",    // 01:07:30 = 4050/3600 h; the decimal column says 1.13
		4: "2.25",     // 02:15:00 across midnight, the same either way
		5: "0.21",     // no Duration (h): 13:00:00 to 13:12:36 is 756 s = 756/3600 h; the decimal column says 0.00
		6: "0.333333", // Duration (h) in decimal form (a workspace setting) is no better: 14:00 to 14:20 is 1/3 h
		7: "0.75",     // no duration and no times: only the decimal column
		8: "0.333333", // 23:50 to 00:10 with no end date: past midnight, 20 min = 1/3 h
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for _, r := range rows {
		if got := r.Record.(ingest.TimeEntry).Hours; !got.Equal(decimal.RequireFromString(want[r.Line])) {
			t.Errorf("line %d: %s hours, want %s", r.Line, got, want[r.Line])
		}
	}
}

// TestIDsKeepTheDecimalColumn: the row key hashes the hours as the decimal
// column says them, as it did when hours came from that column, so an
// export imported before hours came from "Duration (h)" keeps its ids, and
// importing it again corrects those entries' hours instead of adding them
// twice. The ids below are what the parser gave detailed_mdy.csv then.
func TestIDsKeepTheDecimalColumn(t *testing.T) {
	rows, bad, _ := parseAll(t, bytes.NewReader(readFile(t, "detailed_mdy.csv")), ingest.Options{})
	if len(bad) > 0 || len(rows) != 4 {
		t.Fatal(bad, len(rows))
	}
	last := rows[3].Record.(ingest.TimeEntry)
	if last.ExternalID != "clockify-289b333a739366e6fc3c477c-0" || !last.Hours.Equal(decimal.RequireFromString("0.333333")) {
		t.Errorf("line 6: id %s with %s hours, want clockify-289b333a739366e6fc3c477c-0 with 0.333333 (00:20:00)", last.ExternalID, last.Hours)
	}
	if first := rows[0].Record.(ingest.TimeEntry); first.ExternalID != "clockify-b362da62626a0718dd39dfe7-0" {
		t.Errorf("line 2: id %s, want clockify-b362da62626a0718dd39dfe7-0", first.ExternalID)
	}
}

func TestHoursFromTimes(t *testing.T) {
	h := "User,Start Date,Start Time,End Time,Duration (h)\n"
	rows, bad, _ := parseAll(t, strings.NewReader(h+"Ana,2026-04-30,11:00 PM,01:30 AM,\nAna,2026-04-30,9:00,9:45,\n"), ingest.Options{})
	if len(bad) > 0 || len(rows) != 2 {
		t.Fatal(bad)
	}
	for i, want := range []string{"2.5", "0.75"} {
		if e := rows[i].Record.(ingest.TimeEntry); !e.Hours.Equal(decimal.RequireFromString(want)) {
			t.Errorf("row %d: %s hours, want %s", i, e.Hours, want)
		}
	}
}

func TestFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		line     int
		reason   string
	}{
		{"not UTF-8", header + good + "Web,Acme,caf\xe9,,Ana,Design,ana@x.example,,Yes,04/30/2026,09:00 AM,04/30/2026,10:30 AM,01:30:00,1.50,100.00,150.00,Regular,No\n", 3, "not UTF-8"},
		{"truncated", header + good + "Web,Acme,\"cut", 3, "never closed"},
		{"truncated row", header + good + "Web,Acme,x,,Ana", 3, "the last row has 5 of the header's 19 fields"},
		{"duplicated header", strings.Replace(header, "Task", "Tags", 1), 1, `column "Tags" appears twice`},
		{"two currencies", strings.Replace(header, "Amount (USD)", "Amount (EUR)", 1), 1, `column "Billable Amount (EUR)": a second currency (USD in another column)`},
		{"no hours", "User,Start Date,Description\nAna,2026-04-30,x\n", 1, "cannot tell the hours"},
		{"empty", "", 1, "empty"},
	} {
		for _, how := range []string{"seeker", "stream"} {
			t.Run(tc.name+"/"+how, func(t *testing.T) {
				tmp := t.TempDir()
				t.Setenv("TMPDIR", tmp)
				var r io.Reader = strings.NewReader(tc.in)
				if how == "stream" {
					r = onlyReader{r}
				}
				p, err := New(r, ingest.Options{File: "c.csv"})
				for err == nil {
					_, err = p.Next()
					var re *ingest.RowError
					if errors.As(err, &re) {
						t.Fatalf("row error %v, want a file error", err)
					}
				}
				var fe *ingest.FileError
				if !errors.As(err, &fe) || fe.File != "c.csv" || fe.Line != tc.line || !strings.Contains(fe.Reason, tc.reason) {
					t.Errorf("got %v, want a *FileError on line %d with %q", err, tc.line, tc.reason)
				}
				if left, _ := os.ReadDir(tmp); len(left) > 0 {
					t.Errorf("temporary files left: %v", left)
				}
			})
		}
	}
}

func TestExternalIDs(t *testing.T) {
	in := readFile(t, "detailed_mdy.csv")
	idsOf := func(in []byte, order string) []string {
		rows, bad, _ := parseAll(t, bytes.NewReader(in), ingest.Options{DateOrder: order})
		if len(bad) > 0 {
			t.Fatal(bad)
		}
		var out []string
		for _, r := range rows {
			out = append(out, r.Record.(ingest.TimeEntry).ExternalID)
		}
		return out
	}
	first, second := idsOf(in, ""), idsOf(in, "")
	if strings.Join(first, ",") != strings.Join(second, ",") {
		t.Errorf("ids differ between two parses")
	}
	lines := strings.SplitAfter(string(in), "\n")
	twice := idsOf([]byte(lines[0]+lines[1]+lines[1]), "")
	if twice[0] != first[0] || twice[1] == twice[0] {
		t.Errorf("identical rows: %v", twice)
	}
	subset := idsOf([]byte(lines[0]+lines[5]+lines[2]), "")
	if subset[0] != first[3] || subset[1] != first[1] {
		t.Errorf("overlapping file: %v, want %s %s", subset, first[3], first[1])
	}
	// The same entry exported with DD/MM dates and 24-hour times keeps its id.
	dmy := strings.NewReplacer("04/27/2026", "27/04/2026", "09:00:00 AM", "09:00", "11:30:00 AM", "11:30").Replace(lines[0] + lines[1])
	if got := idsOf([]byte(dmy), ""); got[0] != first[0] {
		t.Errorf("DD/MM export: %s, want %s", got[0], first[0])
	}
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   bool
	}{
		{strings.TrimSpace(header), true},
		{"\ufeffUser,Email,Group,Start Date,Start Time,End Date,End Time,Project,Client,Task,Description,Tags,Billable,Duration (decimal)", true},
		{"User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,Tags,Amount (USD)", false},
		{"Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,First Name,Last Name", false},
	} {
		h, _ := csv.NewReader(strings.NewReader(tc.header)).Read()
		if got := Detect(h); got != tc.want {
			t.Errorf("Detect(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}

func FuzzClockify(f *testing.F) {
	for _, name := range []string{"detailed_mdy.csv", "detailed_dmy.csv", "detailed_dotted.csv", "detailed_ambiguous.csv"} {
		f.Add(readFile(f, name), uint8(0))
	}
	f.Add([]byte(header+good), uint8(1))
	f.Add(readFile(f, "detailed_ambiguous.csv"), uint8(2))
	f.Fuzz(func(t *testing.T, in []byte, how uint8) {
		opts := ingest.Options{File: "fuzz.csv", Org: "o", DateOrder: []string{"", "mdy", "dmy"}[how%3]}
		var r io.Reader = bytes.NewReader(in)
		if how&4 != 0 { // sometimes through the temporary file
			r = onlyReader{r}
		}
		p, err := New(r, opts)
		parsertest.CheckFuzzed(t, in, p, err)
	})
}

package harvest

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/parsertest"
)

// parseAll reads every row of in; it fails the test on a *FileError.
func parseAll(t testing.TB, name string, in []byte) ([]ingest.Row, []*ingest.RowError) {
	t.Helper()
	p, err := New(bytes.NewReader(in), ingest.Options{File: name, Org: "acme"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return parsertest.Collect(t, p)
}

func readFile(t testing.TB, name string) []byte { return parsertest.Testdata(t, name) }

// summary renders the fields of an entry the tests check.
func summary(row ingest.Row) string {
	e := row.Record.(ingest.TimeEntry)
	r := row.Refs
	ds := func(d *decimal.Decimal) string {
		if d == nil {
			return "-"
		}
		return d.String()
	}
	return fmt.Sprintf("%d %s %s h=%s b=%v %s %s br=%s cr=%s amt=%s | %s id=%s role=%s client=%s project=%s code=%s task=%s notes=%q",
		row.Line, e.Org, e.Date.Format(time.DateOnly), e.Hours, e.Billable, e.BillingStatus, e.Currency,
		ds(e.BillRate), ds(e.CostRate), ds(e.BilledAmount),
		r.PersonName, r.PersonID, r.Role, r.Client, r.Project, r.ProjectCode, e.Task, e.Notes)
}

func TestParseFiles(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"detailed_current.csv", []string{
			`2 acme 2026-04-27 h=2.5 b=true billed USD br=150 cr=60 amt=375 | Ana García id=E-104 role=Designer client=Acme Corp project=Website Redesign code=ACME-WEB task=Design notes="Homepage wireframes, v2"`,
			`3 acme 2026-04-27 h=1.25 b=true unbilled USD br=140 cr=55 amt=175 | Ben Okafor id=E-105 role=Developer, Frontend client=Acme Corp project=Website Redesign code=ACME-WEB task=Development notes="Fix nav bug\nsee ticket \"WEB-42\""`,
			`5 acme 2026-04-28 h=0.5 b=false unbilled USD br=0 cr=60 amt=0 | Ana García id=E-104 role=Designer client= project=Internal code=INT task=Admin notes="Timesheets"`,
			`6 acme 2026-04-28 h=1 b=true unbilled USD br=180 cr=90 amt=180 | Chloé Dubois id=E-110 role=Strategist client=Globex project=Retainer 2026 code=GLX-RET task=Strategy notes="Monthly planning call"`,
			`7 acme 2026-04-30 h=0.25 b=true unbilled USD br=140 cr=55 amt=35 | Ben Okafor id=E-105 role=Developer, Frontend client=Acme Corp project=Website Redesign code=ACME-WEB task=Meetings notes="Standup"`,
			`8 acme 2026-04-30 h=0.25 b=true unbilled USD br=140 cr=55 amt=35 | Ben Okafor id=E-105 role=Developer, Frontend client=Acme Corp project=Website Redesign code=ACME-WEB task=Meetings notes="Standup"`,
			`9 acme 2026-04-30 h=3.75 b=true unbilled USD br=140 cr=55 amt=525 | Ben Okafor id=E-105 role=Developer, Frontend client=Acme Corp project=Website Redesign code=ACME-WEB task=Development notes=""`,
		}},
		{"detailed_de.csv", []string{
			`2 acme 2026-05-04 h=1.5 b=true unbilled EUR br=120 cr=65 amt=180 | Jonas Becker id= role=Projektleitung client=Müller GmbH project=Relaunch code=MUE-01 task=Konzeption notes="Workshop vorbereiten"`,
			`3 acme 2026-05-04 h=10 b=true billed EUR br=200 cr=70 amt=2000 | Lena Schmidt id= role=Entwicklung client=Müller GmbH project=Relaunch code=MUE-01 task=Entwicklung notes="Sprint 3, Backend"`,
			`4 acme 2026-05-05 h=7.5 b=true unbilled EUR br=200 cr=70 amt=1500 | Lena Schmidt id= role=Entwicklung client=Müller GmbH project=Relaunch code=MUE-01 task=Entwicklung notes="Code-Review"`,
			`5 acme 2026-05-05 h=0.25 b=false unbilled EUR br=0 cr=65 amt=0 | Jonas Becker id= role=Projektleitung client= project=Intern code=INT task=Verwaltung notes="Zeiterfassung"`,
		}},
		{"detailed_legacy.csv", []string{ // Department, Hourly Rate, CRLF
			`2 acme 2026-03-02 h=2 b=true billed USD br=120 cr=50 amt=240 | Peter Gibbons id= role=Consulting client=Initech project=TPS Reports code=INI-TPS task=Consulting notes="Kickoff with Bill"`,
			`3 acme 2026-03-02 h=0.75 b=true unbilled USD br=110 cr=45 amt=82.5 | Samir Nagheenanajar id= role=Engineering client=Initech project=TPS Reports code=INI-TPS task=Consulting notes="Cover sheets"`,
			`4 acme 2026-03-03 h=4 b=false unbilled USD br=- cr=45 amt=- | Michael Bolton id= role=Engineering client= project=Bench code= task=Training notes="Go course"`,
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			rows, bad := parseAll(t, tc.file, readFile(t, tc.file))
			if len(bad) > 0 {
				t.Fatalf("rejected: %v", bad)
			}
			var got []string
			for _, r := range rows {
				got = append(got, summary(r))
				e := r.Record.(ingest.TimeEntry)
				if e.Source != Source || e.PersonID != "" || e.ProjectID != "" || e.ClientID != "" || e.Date.Location() != time.UTC {
					t.Errorf("line %d: source %q, ids %q %q %q, location %s", r.Line, e.Source, e.PersonID, e.ProjectID, e.ClientID, e.Date.Location())
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

const header = "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,First Name,Last Name,Billable Rate,Currency\n"
const good = "2026-04-30,Acme,Web,W,Design,ok,1.5,Yes,No,Ana,García,150,USD\n"

func TestRowErrors(t *testing.T) {
	for _, tc := range []struct {
		name, row, field, value, reason string
	}{
		{"negative hours", "2026-04-30,Acme,Web,W,Design,x,-1.5,Yes,No,Ana,García,150,USD", "Hours", "-1.5", ingest.ReasonNegativeHours},
		{"over 24 hours", "2026-04-30,Acme,Web,W,Design,x,\"2.000,0\",Yes,No,Ana,García,150,USD", "Hours", "2.000,0", ingest.ReasonTooManyHours},
		{"hours not a number", "2026-04-30,Acme,Web,W,Design,x,1.5h,Yes,No,Ana,García,150,USD", "Hours", "1.5h", "not a number"},
		{"bad date", "2026-02-30,Acme,Web,W,Design,x,1,Yes,No,Ana,García,150,USD", "Date", "2026-02-30", "no such day"},
		{"date before 2000", "1999-12-31,Acme,Web,W,Design,x,1,Yes,No,Ana,García,150,USD", "Date", "1999-12-31", "date before 2000-01-01"},
		{"date in the future", "2099-01-01,Acme,Web,W,Design,x,1,Yes,No,Ana,García,150,USD", "Date", "2099-01-01", "date more than a year in the future"},
		{"ambiguous date", "04/05/2026,Acme,Web,W,Design,x,1,Yes,No,Ana,García,150,USD", "Date", "04/05/2026", ingest.ReasonDateOrder},
		{"bad flag", "2026-04-30,Acme,Web,W,Design,x,1,Maybe,No,Ana,García,150,USD", "Billable?", "Maybe", "not a yes/no value"},
		{"empty flag", "2026-04-30,Acme,Web,W,Design,x,1,,No,Ana,García,150,USD", "Billable?", "", "empty; want Yes or No"},
		{"bad invoiced", "2026-04-30,Acme,Web,W,Design,x,1,Yes,Perhaps,Ana,García,150,USD", "Invoiced?", "Perhaps", "not a yes/no value"},
		{"bad rate", "2026-04-30,Acme,Web,W,Design,x,1,Yes,No,Ana,García,1.2.3,USD", "Billable Rate", "1.2.3", "bad thousands grouping"},
		{"negative rate", "2026-04-30,Acme,Web,W,Design,x,1,Yes,No,Ana,García,-150,USD", "Billable Rate", "-150", "negative rate"},
		{"bad currency", "2026-04-30,Acme,Web,W,Design,x,1,Yes,No,Ana,García,150,Dollars", "Currency", "Dollars", "unknown currency (want an ISO code such as USD or EUR)"},
		{"no person", "2026-04-30,Acme,Web,W,Design,x,1,Yes,No,,,150,USD", "First Name", "", "no person: First Name and Last Name are empty"},
		{"no project", "2026-04-30,Acme,,W,Design,x,1,Yes,No,Ana,García,150,USD", "Project", "", "empty; every Harvest entry has a project"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := header + good + tc.row + "\n" + good
			rows, bad := parseAll(t, "h.csv", []byte(in))
			if len(rows) != 2 || rows[0].Line != 2 || rows[1].Line != 4 {
				t.Errorf("want the good rows on lines 2 and 4, got %d rows", len(rows))
			}
			if len(bad) != 1 {
				t.Fatalf("rejected %v, want one", bad)
			}
			want := ingest.RowError{File: "h.csv", Line: 3, Field: tc.field, Value: tc.value, Reason: tc.reason}
			if *bad[0] != want {
				t.Errorf("got  %+v\nwant %+v", *bad[0], want)
			}
		})
	}
}

func TestFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		line     int
		reason   string
	}{
		{"not UTF-8", header + good + "2026-04-30,Acme,Web,W,Design,caf\xe9,1,Yes,No,Ana,García,150,USD\n", 3, "not UTF-8"},
		{"truncated", header + good + "2026-04-30,Acme,Web,W,Design,\"cut", 3, "never closed"},
		{"truncated row", header + good + "2026-04-30,Acme,Web", 3, "the last row has 3 of the header's 13 fields"},
		{"duplicated header", strings.Replace(header, "Notes", "Task", 1) + good, 1, `column "Task" appears twice`},
		{"missing column", strings.Replace(header, "Hours", "Duration", 1) + good, 1, `missing column "Hours"`},
		{"Roles and Department", strings.Replace(header, "Currency", "Roles,Department", 1), 1, `both mean "Roles"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(strings.NewReader(tc.in), ingest.Options{File: "h.csv", Org: "acme"})
			for err == nil {
				_, err = p.Next()
				var re *ingest.RowError
				if errors.As(err, &re) {
					t.Fatalf("row error %v, want a file error", err)
				}
			}
			var fe *ingest.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want a *FileError", err)
			}
			if fe.File != "h.csv" || fe.Line != tc.line || !strings.Contains(fe.Reason, tc.reason) {
				t.Errorf("got %v, want line %d and %q", fe, tc.line, tc.reason)
			}
		})
	}
}

func TestUnknownColumnsAreIgnored(t *testing.T) {
	in := strings.Replace(header, "Currency", "Currency,Is Running?,Custom Field 1", 1) +
		strings.Replace(good, "USD", "USD,No,whatever", 1)
	rows, bad := parseAll(t, "h.csv", []byte(in))
	if len(rows) != 1 || len(bad) != 0 {
		t.Fatalf("rows %d, rejected %v", len(rows), bad)
	}
}

func TestHoursAsDuration(t *testing.T) {
	// Accounts set to hh:mm export hours that way.
	rows, bad := parseAll(t, "h.csv", []byte(header+strings.Replace(good, "1.5", "1:20", 1)))
	if len(bad) > 0 || !rows[0].Record.(ingest.TimeEntry).Hours.Equal(decimal.RequireFromString("1.333333")) {
		t.Fatalf("rows %v, rejected %v", rows, bad)
	}
}

func ids(t *testing.T, in []byte) []string {
	t.Helper()
	rows, bad := parseAll(t, "h.csv", in)
	if len(bad) > 0 {
		t.Fatal(bad)
	}
	var out []string
	for _, r := range rows {
		out = append(out, r.Record.(ingest.TimeEntry).ExternalID)
	}
	return out
}

func TestExternalIDs(t *testing.T) {
	in := readFile(t, "detailed_current.csv")
	first, second := ids(t, in), ids(t, in)
	if strings.Join(first, ",") != strings.Join(second, ",") {
		t.Errorf("ids differ between two parses:\n%v\n%v", first, second)
	}
	seen := map[string]bool{}
	for _, id := range first {
		if seen[id] {
			t.Errorf("id %s twice", id)
		}
		seen[id] = true
		if !strings.HasPrefix(id, Source+"-") {
			t.Errorf("id %s lacks the source prefix", id)
		}
	}
	// Rows 5 and 6 of the file (lines 7 and 8) are identical: their ids differ only in the counter.
	if strings.TrimSuffix(first[4], "-0") != strings.TrimSuffix(first[5], "-1") {
		t.Errorf("identical rows: %s and %s", first[4], first[5])
	}

	// A later export overlapping this one: rows 1 and 3 to 5 again, in
	// another order, after a new row, with the first now invoiced and
	// its rates changed.
	lines := strings.SplitAfter(string(in), "\n")
	// lines[1] is row 1; lines[2:4] row 2 (two lines); lines[4] row 3; ...
	newRow := "2026-05-01,Acme Corp,Website Redesign,ACME-WEB,Design,New work,1.0,1.0,Yes,No,Yes,Ana,García,E-104,Designer,Yes,150.0,150.0,60.0,60.0,United States Dollar - USD,\n"
	row1 := strings.Replace(lines[1], "150.0,375.0,60.0", "155.0,387.5,62.0", 1)
	overlap := lines[0] + newRow + lines[6] + lines[5] + lines[4] + row1
	got := ids(t, []byte(overlap))
	want := []string{got[0], first[4], first[3], first[2], first[0]}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("overlapping export:\n got %v\nwant %v", got, want)
	}

	// The same entries in another locale keep their ids.
	de := strings.NewReplacer("2.5,2.5", `"2,5","2,5"`, "150.0,375.0,60.0,150.0", `"150,0","375,0","60,0","150,0"`).Replace(lines[0] + lines[1])
	if got := ids(t, []byte(de)); got[0] != first[0] {
		t.Errorf("comma locale: %s, want %s", got[0], first[0])
	}
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   bool
	}{
		{strings.TrimSpace(header), true},
		{"\ufeff" + strings.TrimSpace(header), true},
		{"Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,First Name,Last Name,Department,Employee?,Hourly Rate,Billable Amount,Cost Rate,Cost Amount,Currency", true},
		{"User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,Tags,Amount (USD)", false},
		{"Project,Client,Description,Task,User,Group,Email,Tags,Billable,Start Date,Start Time,End Date,End Time,Duration (h),Duration (decimal)", false},
		{"Date,Hours", false},
	} {
		h, err := csv.NewReader(strings.NewReader(tc.header)).Read()
		if err != nil {
			t.Fatal(err)
		}
		if got := Detect(h); got != tc.want {
			t.Errorf("Detect(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}

func FuzzHarvest(f *testing.F) {
	for _, name := range []string{"detailed_current.csv", "detailed_de.csv", "detailed_legacy.csv"} {
		f.Add(readFile(f, name))
	}
	f.Add([]byte(header + good))
	f.Add([]byte(header + "2026-04-30,Acme,Web,W,Design,\"cut"))
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := New(bytes.NewReader(in), ingest.Options{File: "fuzz.csv", Org: "o"})
		parsertest.CheckFuzzed(t, in, p, err)
	})
}

// benchCSV is n generated rows in the current Harvest layout.
func benchCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("Date,Client,Project,Project Code,Task,Notes,Hours,Hours Rounded,Billable?,Invoiced?,Approved?,First Name,Last Name,Employee Id,Roles,Employee?,Billable Rate,Billable Amount,Cost Rate,Cost Amount,Currency,External Reference URL\n")
	first := []string{"Ana", "Ben", "Chloé", "Dmitri", "Emma", "Farid", "Grace", "Hiro"}
	last := []string{"García", "Okafor", "Dubois", "Ivanov", "Smith", "Haddad", "Lee", "Tanaka"}
	clients := []string{"Acme Corp", "Globex", "Initech", "Umbrella", ""}
	tasks := []string{"Design", "Development", "Meetings", "Project Management", "QA"}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	perDay := n/365 + 1 // one year of entries, whatever n
	for i := range n {
		p := i % len(first)
		hours := []string{"0.25", "0.5", "1.0", "1.5", "2.25", "3.0", "4.75", "8.0"}[i%8]
		fmt.Fprintf(&b, "%s,%s,Project %d,P-%03d,%s,\"Ticket #%d, follow-up\",%s,%s,%s,%s,Yes,%s,%s,E-%d,\"Developer, Backend\",Yes,150.0,225.0,60.0,90.0,United States Dollar - USD,\n",
			start.AddDate(0, 0, i/perDay).Format(time.DateOnly), clients[i%len(clients)], i%40, i%40, tasks[i%len(tasks)], i,
			hours, hours, []string{"Yes", "No"}[i%3/2], []string{"Yes", "No"}[i%5/4], first[p], last[p], 100+p)
	}
	return b.Bytes()
}

// BenchmarkHarvest parses a generated 200k-row export held in memory:
//
//	go test -run '^$' -bench Harvest -benchtime 5x -cpu 1 ./ingest/harvest/
func BenchmarkHarvest(b *testing.B) {
	const n = 200_000
	in := benchCSV(n)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	rows := 0
	cpu0 := cpuTime()
	for b.Loop() {
		p, err := New(bytes.NewReader(in), ingest.Options{File: "bench.csv", Org: "acme"})
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := p.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	// Includes the garbage collector's work on other threads: with -cpu 1
	// this is close to what one core can do, however busy the machine.
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(rows)/cpu.Seconds(), "rows/cpu-s")
	}
}

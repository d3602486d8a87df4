package toggl

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/parsertest"
)

func parseAll(t testing.TB, name string, in []byte) ([]ingest.Row, []*ingest.RowError) {
	t.Helper()
	p, err := New(bytes.NewReader(in), ingest.Options{File: name, Org: "acme"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return parsertest.Collect(t, p)
}

func readFile(t testing.TB, name string) []byte { return parsertest.Testdata(t, name) }

func summary(row ingest.Row) string {
	e := row.Record.(ingest.TimeEntry)
	r := row.Refs
	amt := "-"
	if e.BilledAmount != nil {
		amt = e.BilledAmount.String()
	}
	return fmt.Sprintf("%d %s h=%s b=%v %s cur=%q amt=%s tags=%q | %s <%s> client=%s project=%s task=%s notes=%q",
		row.Line, e.Date.Format(time.DateOnly), e.Hours, e.Billable, e.BillingStatus, e.Currency, amt, e.Tags,
		r.PersonName, r.PersonEmail, r.Client, r.Project, e.Task, e.Notes)
}

func TestParseFiles(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"detailed_usd.csv", []string{ // BOM, midnight crossing, zero length
			`2 2026-04-27 h=2.5 b=true unbilled cur="USD" amt=375 tags=["design" "client-facing"] | Ana García <ana@studio.example> client=Acme Corp project=Website Redesign task=Design notes="Homepage wireframes"`,
			`3 2026-04-27 h=1.25 b=true unbilled cur="USD" amt=175 tags=["ops"] | Ben Okafor <ben@studio.example> client=Acme Corp project=Website Redesign task= notes="Deploy hotfix"`,
			`4 2026-04-28 h=0 b=false unbilled cur="USD" amt=- tags=[] | Ben Okafor <ben@studio.example> client= project=Internal task= notes="Timer started by mistake"`,
			`5 2026-04-29 h=0.333333 b=true unbilled cur="USD" amt=60 tags=["meeting" "retainer"] | Chloé Dubois <chloe@studio.example> client=Globex project=Retainer 2026 task=Strategy notes="Planning call, Q2"`,
		}},
		{"detailed_ja.csv", []string{ // はい/いいえ, "Amount ()"
			`2 2026-06-01 h=2.258333 b=true unbilled cur="" amt=- tags=["デザイン"] | 佐藤 花子 <hanako@example.jp> client=株式会社サンプル project=ウェブサイト task=デザイン notes="トップページ"`,
			`3 2026-06-01 h=0.75 b=false unbilled cur="" amt=- tags=["会議" "社内"] | 鈴木 一郎 <ichiro@example.jp> client= project=社内 task= notes="週次ミーティング"`,
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
				if e.Org != "acme" || e.Source != Source || e.PersonID != "" || e.Date.Location() != time.UTC {
					t.Errorf("line %d: meta %+v", r.Line, e.Meta)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

const header = "User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,Tags,Amount (EUR)\n"
const good = "Ana,ana@x.example,Acme,Web,,ok,Yes,2026-04-30,09:00:00,2026-04-30,10:30:00,1:30:00,,\n"

func TestRowErrors(t *testing.T) {
	for _, tc := range []struct {
		name, row, field, value, reason string
	}{
		{"over 24 hours", "Ana,ana@x.example,Acme,Web,,x,Yes,2026-04-30,09:00:00,2026-05-01,10:30:00,25:30:00,,", "Duration", "25:30:00", ingest.ReasonTooManyHours},
		{"negative duration", "Ana,ana@x.example,Acme,Web,,x,Yes,2026-04-30,09:00:00,2026-04-30,08:30:00,-0:30:00,,", "Duration", "-0:30:00", ingest.ReasonNegativeHours},
		{"negative from times", "Ana,ana@x.example,Acme,Web,,x,Yes,2026-04-30,09:00:00,2026-04-30,08:30:00,,,", "End time", "08:30:00", ingest.ReasonNegativeHours + " (from start to end)"},
		{"bad duration", "Ana,ana@x.example,Acme,Web,,x,Yes,2026-04-30,09:00:00,2026-04-30,10:30:00,1h30,,", "Duration", "1h30", "not a number"},
		{"bad date", "Ana,ana@x.example,Acme,Web,,x,Yes,2026-13-30,09:00:00,2026-04-30,10:30:00,1:30:00,,", "Start date", "2026-13-30", "no such month"},
		{"future date", "Ana,ana@x.example,Acme,Web,,x,Yes,2099-04-30,09:00:00,2099-04-30,10:30:00,1:30:00,,", "Start date", "2099-04-30", "date more than a year in the future"},
		{"bad end date", "Ana,ana@x.example,Acme,Web,,x,Yes,2026-04-30,09:00:00,soon,10:30:00,1:30:00,,", "End date", "soon", "not a date (want YYYY-MM-DD, MM/DD/YYYY, DD/MM/YYYY or DD.MM.YYYY)"},
		{"bad start time", "Ana,ana@x.example,Acme,Web,,x,Yes,2026-04-30,25:00:00,2026-04-30,10:30:00,1:30:00,,", "Start time", "25:00:00", "hour out of range (0-23)"},
		{"bad billable", "Ana,ana@x.example,Acme,Web,,x,Vielleicht,2026-04-30,09:00:00,2026-04-30,10:30:00,1:30:00,,", "Billable", "Vielleicht", "not a yes/no value"},
		{"bad amount", "Ana,ana@x.example,Acme,Web,,x,Yes,2026-04-30,09:00:00,2026-04-30,10:30:00,1:30:00,,12 EUR", "Amount (EUR)", "12 EUR", "not a number"},
		{"no user", ",ana@x.example,Acme,Web,,x,Yes,2026-04-30,09:00:00,2026-04-30,10:30:00,1:30:00,,", "User", "", "empty; every entry has a user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, bad := parseAll(t, "t.csv", []byte(header+good+tc.row+"\n"+good))
			if len(rows) != 2 || rows[1].Line != 4 {
				t.Errorf("want the good rows, got %d rows", len(rows))
			}
			if len(bad) != 1 {
				t.Fatalf("rejected %v, want one", bad)
			}
			want := ingest.RowError{File: "t.csv", Line: 3, Field: tc.field, Value: tc.value, Reason: tc.reason}
			if *bad[0] != want {
				t.Errorf("got  %+v\nwant %+v", *bad[0], want)
			}
		})
	}
}

func TestHoursFromTimes(t *testing.T) {
	in := header + "Ana,ana@x.example,Acme,Web,,late,Yes,2026-04-30,23:00:00,2026-05-01,01:15:00,,,\n"
	rows, bad := parseAll(t, "t.csv", []byte(in))
	if len(bad) > 0 || len(rows) != 1 {
		t.Fatal(bad)
	}
	e := rows[0].Record.(ingest.TimeEntry)
	if !e.Hours.Equal(decimal.RequireFromString("2.25")) || e.Date.Day() != 30 {
		t.Errorf("hours %s on %s, want 2.25 on the 30th", e.Hours, e.Date)
	}
	in = header + "Ana,ana@x.example,Acme,Web,,x,Yes,2026-04-30,,2026-04-30,,,,\n"
	_, bad = parseAll(t, "t.csv", []byte(in))
	if len(bad) != 1 || bad[0].Field != "Duration" {
		t.Errorf("no duration and no times: %v", bad)
	}
}

func TestFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		line     int
		reason   string
	}{
		{"not UTF-8", header + good + "Ana,ana@x.example,Acme,Web,,caf\xe9,Yes,2026-04-30,09:00:00,2026-04-30,10:30:00,1:30:00,,\n", 3, "not UTF-8"},
		{"truncated", header + good + "Ana,ana@x.example,Acme,Web,,\"cut", 3, "never closed"},
		{"duplicated header", strings.Replace(header, "Task", "Tags", 1), 1, `column "Tags" appears twice`},
		{"bad currency", strings.Replace(header, "(EUR)", "(Dollars)", 1), 1, `column "Amount (Dollars)": unknown currency`},
		{"missing duration", strings.Replace(header, "Duration", "Length", 1), 1, `missing column "Duration"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(strings.NewReader(tc.in), ingest.Options{File: "t.csv"})
			for err == nil {
				_, err = p.Next()
				var re *ingest.RowError
				if errors.As(err, &re) {
					t.Fatalf("row error %v, want a file error", err)
				}
			}
			var fe *ingest.FileError
			if !errors.As(err, &fe) || fe.File != "t.csv" || fe.Line != tc.line || !strings.Contains(fe.Reason, tc.reason) {
				t.Errorf("got %v, want a *FileError on line %d with %q", err, tc.line, tc.reason)
			}
		})
	}
}

func TestExternalIDs(t *testing.T) {
	in := readFile(t, "detailed_usd.csv")
	idsOf := func(in []byte) []string {
		rows, bad := parseAll(t, "t.csv", in)
		if len(bad) > 0 {
			t.Fatal(bad)
		}
		var out []string
		for _, r := range rows {
			out = append(out, r.Record.(ingest.TimeEntry).ExternalID)
		}
		return out
	}
	first, second := idsOf(in), idsOf(in)
	if strings.Join(first, ",") != strings.Join(second, ",") {
		t.Errorf("ids differ between two parses")
	}
	lines := strings.SplitAfter(string(in), "\n")
	twice := idsOf([]byte(lines[0] + lines[1] + lines[1]))
	if twice[0] != first[0] || twice[1] == twice[0] {
		t.Errorf("identical rows: %v", twice)
	}
	subset := idsOf([]byte(lines[0] + lines[4] + lines[2]))
	if subset[0] != first[3] || subset[1] != first[1] {
		t.Errorf("overlapping file: %v, want %s %s", subset, first[3], first[1])
	}
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   bool
	}{
		{strings.TrimSpace(header), true},
		{"\ufeffUser,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,Tags,Amount ()", true},
		{"Project,Client,Description,Task,User,Group,Email,Tags,Billable,Start Date,Start Time,End Date,End Time,Duration (h),Duration (decimal)", false},
		{"Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,First Name,Last Name", false},
	} {
		h, _ := csv.NewReader(strings.NewReader(tc.header)).Read()
		if got := Detect(h); got != tc.want {
			t.Errorf("Detect(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}

func FuzzToggl(f *testing.F) {
	for _, name := range []string{"detailed_usd.csv", "detailed_ja.csv"} {
		f.Add(readFile(f, name))
	}
	f.Add([]byte(header + good))
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := New(bytes.NewReader(in), ingest.Options{File: "fuzz.csv", Org: "o"})
		parsertest.CheckFuzzed(t, in, p, err)
	})
}

package ingest_test

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/canonical"
	"github.com/opsmetrics/opsmetrics/ingest/clockify"
	"github.com/opsmetrics/opsmetrics/ingest/harvest"
	"github.com/opsmetrics/opsmetrics/ingest/parsertest"
	"github.com/opsmetrics/opsmetrics/ingest/toggl"
)

// TestExtraCellsOneRule: every CSV format, the tools' exports and
// opsmetrics' own, tolerates the few empty cells a spreadsheet leaves after
// the last column and refuses a row with more, or with anything in them,
// naming its line and its cells against the header's columns.
func TestExtraCellsOneRule(t *testing.T) {
	formats := []struct {
		name, header, row string
		open              func(io.Reader) (ingest.Parser, error)
	}{
		{"harvest", "Date,Client,Project,Task,Notes,Hours,Billable?,First Name,Last Name",
			"2026-04-30,Acme,Web,Design,ok,1.5,Yes,Ana,García",
			func(r io.Reader) (ingest.Parser, error) {
				return harvest.New(r, ingest.Options{File: "f.csv", Org: "o"})
			}},
		{"toggl", "User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration",
			"Ana,ana@x.example,Acme,Web,,ok,Yes,2026-04-30,09:00:00,2026-04-30,10:30:00,1:30:00",
			func(r io.Reader) (ingest.Parser, error) { return toggl.New(r, ingest.Options{File: "f.csv", Org: "o"}) }},
		{"clockify", "User,Email,Start Date,Start Time,End Date,End Time,Duration (h)",
			"Ana,ana@x.example,2026-04-30,09:00,2026-04-30,10:30,1:30:00",
			func(r io.Reader) (ingest.Parser, error) {
				return clockify.New(r, ingest.Options{File: "f.csv", Org: "o"})
			}},
		{"opsmetrics csv", "external_id,name", "c-1,Acme",
			func(r io.Reader) (ingest.Parser, error) {
				return canonical.New(r, "client", canonical.FormatCSV, ingest.Options{File: "f.csv", Org: "o"})
			}},
	}
	width := func(header string) int { return strings.Count(header, ",") + 1 }
	for _, f := range formats {
		w := width(f.header)
		for _, tc := range []struct {
			name   string
			extra  string // appended to the row
			reason string // "" when the row is read
		}{
			{"3 empty cells", ",,,", ""},
			{"blank cells", ", ,\t", ""},
			{"the most empty cells", strings.Repeat(",", ingest.MaxEmptyExtraCells), ""},
			{"one empty cell too many", strings.Repeat(",", ingest.MaxEmptyExtraCells+1), fmt.Sprintf(
				"the row has %d cells but the header has %d columns: %d empty cells after the last column, more than the %d tolerated",
				w+ingest.MaxEmptyExtraCells+1, w, ingest.MaxEmptyExtraCells+1, ingest.MaxEmptyExtraCells)},
			{"50,000 empty cells", strings.Repeat(",", 50_000), fmt.Sprintf(
				"the row has %d cells but the header has %d columns: 50000 empty cells after the last column, more than the %d tolerated",
				w+50_000, w, ingest.MaxEmptyExtraCells)},
			{"a value past the last column", ",,x", fmt.Sprintf("the row has %d cells but the header has %d columns", w+2, w)},
		} {
			t.Run(f.name+"/"+tc.name, func(t *testing.T) {
				in := f.header + "\n" + f.row + "\n" + f.row + tc.extra + "\n" + f.row + "\n"
				p, err := f.open(strings.NewReader(in))
				if err != nil {
					t.Fatal(err)
				}
				rows, bad := parsertest.Collect(t, p)
				if tc.reason == "" {
					if len(bad) > 0 || len(rows) != 3 {
						t.Fatalf("%d rows, refused %v; want 3 rows", len(rows), bad)
					}
					return
				}
				if len(rows) != 2 || len(bad) != 1 {
					t.Fatalf("%d rows, refused %v; want 2 rows and line 3 refused", len(rows), bad)
				}
				if got := *bad[0]; got.File != "f.csv" || got.Line != 3 || got.Reason != tc.reason {
					t.Errorf("refused %+v\nwant line 3: %s", got, tc.reason)
				}
			})
		}
	}
}

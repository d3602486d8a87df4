package canonical

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// TestFileErrors covers inputs that cannot be trusted as a whole.
func TestFileErrors(t *testing.T) {
	long := strings.Repeat("x", maxRow+10)
	tests := []struct {
		name     string
		entity   string
		format   string
		input    string
		rows     int    // good rows before the error
		line     int    // the FileError's line
		reason   string // a substring of its reason
		rowErrs  int
		wantNone bool // no FileError at all
	}{
		{name: "unknown column", entity: "time_entry", format: FormatCSV,
			input: "external_id,person,date,hourz,billable\nte-1,p,2026-01-01,1,true\n",
			line:  1, reason: `unknown column "hourz" (did you mean "hours"?); the time_entry columns are: external_id, source, deleted, person, date, hours,`},
		{name: "two unknown columns", entity: "client", format: FormatCSV,
			input: "external_id,name,Currency Code,Notes\n",
			line:  1, reason: `unknown columns "currency code", "notes"; the client columns are: external_id, source, deleted, name, currency`},
		{name: "duplicated column", entity: "client", format: FormatCSV,
			input: "external_id,name,Name\nc,n,n\n", line: 1, reason: `column "name" appears twice`},
		{name: "column without a name", entity: "client", format: FormatCSV,
			input: "external_id,,name\n", line: 1, reason: "column 2 has no name"},
		{name: "missing required column", entity: "time_entry", format: FormatCSV,
			input: "external_id,person,date,billable\nte-1,p,2026-01-01,true\n",
			line:  1, reason: "missing required column hours (only a file with a deleted column"},
		{name: "missing required group", entity: "allocation", format: FormatCSV,
			input: "external_id,project,start_date,end_date,person\n",
			line:  1, reason: "missing required column hours_per_week or hours_per_day"},
		{name: "missing key column, even for tombstones", entity: "person", format: FormatCSV,
			input: "external_id,deleted\np-1,true\n", line: 1, reason: "missing required column valid_from or start_date"},
		{name: "empty CSV", entity: "client", format: FormatCSV, input: "", reason: "the file is empty"},
		{name: "only a BOM", entity: "client", format: FormatCSV, input: "\ufeff", reason: "the file is empty"},
		{name: "non-UTF-8 row", entity: "client", format: FormatCSV,
			input: "external_id,name\nc-1,Acme\nc-2,Caf\xe9 Noir\n", rows: 1, line: 3, reason: "not valid UTF-8"},
		{name: "non-UTF-8 in a later line of a quoted field", entity: "client", format: FormatCSV,
			input: "external_id,name\nc-1,\"Acme\n\xff\"\n", line: 2, reason: "not valid UTF-8"},
		{name: "non-UTF-8 header", entity: "client", format: FormatCSV,
			input: "external_id,n\xe4me\n", line: 1, reason: "not valid UTF-8"},
		{name: "truncated CSV", entity: "client", format: FormatCSV,
			input: "external_id,name\nc-1,Acme\nc-2,\"Globex\nRetail,c-3\n", rows: 1, line: 3, reason: "a quoted field is not closed (is the file truncated?)"},
		{name: "CSV row longer than 1 MiB is a row error", entity: "client", format: FormatCSV,
			input: "external_id,name\nc-1,Acme\nc-2,\"" + long + "\"\nc-3,x\n", rows: 2, rowErrs: 1, wantNone: true},
		{name: "CSV runaway quoted field", entity: "client", format: FormatCSV,
			input: "external_id,name\nc-1,Acme\nc-2,\"" + strings.Repeat("x\n", 3*maxRow) + "\nc-3,x\n", rows: 1, line: 3, reason: "longer than 4 MiB (is a quoted field not closed?)"},
		{name: "NDJSON holding a JSON array", entity: "client", format: FormatNDJSON,
			input: "\n[{\"external_id\":\"c\",\"name\":\"n\"}]\n", line: 2, reason: "import it as json"},
		{name: "JSON syntax error", entity: "client", format: FormatJSON,
			input: "[\n{\"external_id\":\"c-1\",\"name\":\"n\"},\n{\"external_id\":\"c-2\",\n \"name\" \"n\"}\n]",
			rows:  1, line: 4, reason: "invalid JSON: expected ':' after a field name"},
		{name: "JSON truncated", entity: "client", format: FormatJSON,
			input: "[\n{\"external_id\":\"c-1\",\"name\":\"n\"},\n{\"external_id\":\"c-2\",", rows: 1, line: 3, reason: "truncated"},
		{name: "JSON array not closed", entity: "client", format: FormatJSON,
			input: "[{\"external_id\":\"c-1\",\"name\":\"n\"}\n", rows: 1, line: 2, reason: "not closed"},
		{name: "JSON trailing comma", entity: "client", format: FormatJSON,
			input: "[{\"external_id\":\"c-1\",\"name\":\"n\"},\n]", rows: 1, line: 2, reason: "',' before ']'"},
		{name: "JSON data after the array", entity: "client", format: FormatJSON,
			input: "[]\n[]", line: 2, reason: "data after the closing ']'"},
		{name: "JSON object, not an array", entity: "client", format: FormatJSON,
			input: `{"external_id":"c-1","name":"n"}`, line: 1, reason: "expected a JSON array"},
		{name: "JSON empty input", entity: "client", format: FormatJSON, input: "  \n", line: 2, reason: "the input is empty"},
		{name: "JSON mismatched bracket", entity: "client", format: FormatJSON,
			input: `[{"external_id":"c-1","name":["n"}]`, line: 1, reason: "mismatched '}'"},
		{name: "JSON missing comma between elements", entity: "client", format: FormatJSON,
			input: "[{\"external_id\":\"c-1\",\"name\":\"n\"}\n {\"external_id\":\"c-2\",\"name\":\"n\"}]", rows: 1, line: 2, reason: "expected ',' or ']'"},
		{name: "JSON invalid scalar element", entity: "client", format: FormatJSON,
			input: "[tru]", line: 1, reason: "invalid JSON"},
		{name: "JSON element longer than 1 MiB is a row error", entity: "client", format: FormatJSON,
			input: "[{\"external_id\":\"c-1\",\"name\":\"" + long + "\"},\n{\"external_id\":\"c-2\",\"name\":\"n\"}]",
			rows:  1, rowErrs: 1, wantNone: true},
		{name: "empty JSON array", entity: "client", format: FormatJSON, input: " [ ] ", wantNone: true},
		{name: "CSV with a header only", entity: "client", format: FormatCSV, input: "external_id,name\n\n", wantNone: true},
		{name: "empty NDJSON", entity: "client", format: FormatNDJSON, input: "\n \n", wantNone: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, rowErrs, fileErr := parseAll(t, tc.entity, tc.format, tc.input)
			if len(rows) != tc.rows || len(rowErrs) != tc.rowErrs {
				t.Errorf("got %d rows and row errors %v, want %d and %d", len(rows), rowErrs, tc.rows, tc.rowErrs)
			}
			if tc.wantNone {
				if fileErr != nil {
					t.Errorf("unexpected FileError %v", fileErr)
				}
				return
			}
			if fileErr == nil {
				t.Fatal("no FileError")
			}
			if fileErr.File != "f" || fileErr.Line != tc.line || !strings.Contains(fileErr.Reason, tc.reason) {
				t.Errorf("got  %+v\nwant line %d, reason containing %q", *fileErr, tc.line, tc.reason)
			}
		})
	}
}

func TestNew(t *testing.T) {
	for _, tc := range []struct{ entity, format, reason string }{
		{"people", FormatCSV, `unknown entity "people" (one of person, client,`},
		{"person", "xlsx", `unknown format "xlsx" (one of csv, ndjson, json)`},
	} {
		_, err := New(strings.NewReader(""), tc.entity, tc.format, ingest.Options{File: "f"})
		var fe *ingest.FileError
		if !errors.As(err, &fe) || !strings.Contains(fe.Reason, tc.reason) {
			t.Errorf("New(%s, %s) = %v, want a FileError containing %q", tc.entity, tc.format, err, tc.reason)
		}
	}
	for _, e := range ingest.EntityNames() {
		for _, f := range []string{FormatCSV, FormatNDJSON, FormatJSON} {
			if _, err := New(strings.NewReader(""), e, f, ingest.Options{}); err != nil {
				t.Errorf("New(%s, %s): %v", e, f, err)
			}
		}
	}
	if len(schemas) != len(ingest.EntityNames()) {
		t.Errorf("%d schemas for %d entities", len(schemas), len(ingest.EntityNames()))
	}
}

// TestReadError checks that a failing reader is a FileError, not a panic or
// a row error.
func TestReadError(t *testing.T) {
	boom := errors.New("connection reset")
	for _, f := range []string{FormatCSV, FormatNDJSON, FormatJSON} {
		input := map[string]string{
			FormatCSV:    "external_id,name\nc-1,Acme\n",
			FormatNDJSON: `{"external_id":"c-1","name":"Acme"}` + "\n",
			FormatJSON:   `[{"external_id":"c-1","name":"Acme"},`,
		}[f]
		r := io.MultiReader(strings.NewReader(input), iotest.ErrReader(boom))
		p, _ := New(r, "client", f, ingest.Options{File: "f"})
		var last error
		for range 10 {
			if _, last = p.Next(); last != nil && !errors.As(last, new(*ingest.RowError)) {
				break
			}
		}
		var fe *ingest.FileError
		if !errors.As(last, &fe) || !strings.Contains(fe.Reason, "connection reset") {
			t.Errorf("%s: got %v, want a FileError naming the read error", f, last)
		}
	}
}

func TestCSVDetails(t *testing.T) {
	t.Run("BOM, padded and capitalised header, CRLF, trailing separator", func(t *testing.T) {
		input := "\ufeff External_ID , Name ,CURRENCY,\r\nc-1, Acme Foods ,eur,\r\nc-2,Globex,,\r\n"
		_, _, fileErr := parseAll(t, "client", FormatCSV, input)
		if fileErr == nil {
			t.Fatal("an unnamed trailing column is a header error; want a FileError")
		}
		input = "\ufeff External_ID , Name ,CURRENCY\r\nc-1, Acme Foods ,eur,\r\nc-2,Globex,\r\n"
		rows, rowErrs, fileErr := parseAll(t, "client", FormatCSV, input)
		if fileErr != nil || len(rowErrs) != 0 || len(rows) != 2 {
			t.Fatalf("%v %v %d rows", fileErr, rowErrs, len(rows))
		}
		want := ingest.Client{Meta: meta("c-1", "csv"), Name: "Acme Foods", Currency: "EUR"}
		if got := recJSON(t, rows[0].Record); got != recJSON(t, want) {
			t.Errorf("got %s", got)
		}
		if rows[1].Line != 3 {
			t.Errorf("second row on line %d, want 3", rows[1].Line)
		}
	})
	t.Run("quoted fields across lines keep physical line numbers", func(t *testing.T) {
		input := "\n\nexternal_id,name\n\nc-1,\"Acme\nFoods\n\"\n\nc-2,Globex\n"
		rows, _, fileErr := parseAll(t, "client", FormatCSV, input)
		if fileErr != nil || len(rows) != 2 {
			t.Fatalf("%v, %d rows", fileErr, len(rows))
		}
		if rows[0].Line != 5 || rows[1].Line != 9 {
			t.Errorf("lines %d, %d; want 5, 9", rows[0].Line, rows[1].Line)
		}
		if got := rows[0].Record.(ingest.Client).Name; got != "Acme\nFoods" {
			t.Errorf("name %q", got)
		}
	})
	t.Run("a stray quote rejects one row, the next row is read", func(t *testing.T) {
		input := "external_id,name\nc-1,Ac\"me\nc-2,Globex\n"
		rows, rowErrs, fileErr := parseAll(t, "client", FormatCSV, input)
		if fileErr != nil || len(rowErrs) != 1 || rowErrs[0].Line != 2 || len(rows) != 1 || rows[0].Line != 3 {
			t.Errorf("%v %v %v", fileErr, rowErrs, rows)
		}
	})
}

func TestNDJSONDetails(t *testing.T) {
	long := `{"external_id":"c-x","name":"` + strings.Repeat("x", maxRow) + `"}`
	input := "\ufeff" + `{"external_id":"c-1","name":"Acme"}` + "\r\n" + // 1
		"\n" + // 2: blank
		"   \t\n" + // 3: blank
		`{"external_id":"c-2","name":` + "\n" + // 4: invalid JSON
		long + "\n" + // 5: too long
		`{"external_id":"c-3","name":"Caf` + "\xe9" + `"}` + "\n" + // 6: not UTF-8
		`{"external_id":"c-4","name":"Globex"}` + "\n" + // 7
		`{"external_id":"c-5","name":"Initech\u002c Inc. \ud83d\ude00"}` // 8, no final newline
	rows, rowErrs, fileErr := parseAll(t, "client", FormatNDJSON, input)
	if fileErr != nil {
		t.Fatal(fileErr)
	}
	var lines []int
	for _, r := range rows {
		lines = append(lines, r.Line)
	}
	if fmt.Sprint(lines) != "[1 7 8]" {
		t.Errorf("rows on lines %v, want [1 7 8]", lines)
	}
	want := []ingest.RowError{
		{File: "f", Line: 4, Reason: "invalid JSON: expected a value (the input ends early)"},
		{File: "f", Line: 5, Reason: "line longer than 1 MiB"},
		{File: "f", Line: 6, Reason: "not valid UTF-8"},
	}
	if len(rowErrs) != len(want) {
		t.Fatalf("row errors %v", rowErrs)
	}
	for i := range want {
		if *rowErrs[i] != want[i] {
			t.Errorf("row error %d: got %+v, want %+v", i, *rowErrs[i], want[i])
		}
	}
	if got := rows[2].Record.(ingest.Client).Name; got != "Initech, Inc. 😀" {
		t.Errorf("escapes: got %q", got)
	}
}

// TestJSONArrayLines checks that each object's row carries the line where
// the object starts, however the array is laid out.
func TestJSONArrayLines(t *testing.T) {
	input := "\ufeff[\n" + // 1
		"  {\n" + // 2: c-1 starts
		"    \"external_id\": \"c-1\",\n" +
		"    \"name\": \"Acme\\nFoods\"\n" +
		"  },\n" + // 5
		"  {\"external_id\": \"c-2\", \"name\": \"Globex\"}, {\"external_id\": \"c-3\", \"name\": \"Initech\"},\n" + // 6: c-2 and c-3
		"\n" + // 7
		"  {\"external_id\": \"c-4\",\n" + // 8: c-4
		"   \"name\": \"Umbrella\", \"currency\": \"EURO\"},\n" + // c-4 is rejected on its start line
		"  {\"external_id\": \"c-5\", \"name\": \"Hooli\"}\n" + // 10
		"]\n"
	rows, rowErrs, fileErr := parseAll(t, "client", FormatJSON, input)
	if fileErr != nil {
		t.Fatal(fileErr)
	}
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%s@%d", r.Record.(ingest.Client).ExternalID, r.Line))
	}
	if fmt.Sprint(got) != "[c-1@2 c-2@6 c-3@6 c-5@10]" {
		t.Errorf("rows %v", got)
	}
	if len(rowErrs) != 1 || rowErrs[0].Line != 8 || rowErrs[0].Field != "currency" {
		t.Errorf("row errors %v, want currency on line 8", rowErrs)
	}
	if rows[0].Record.(ingest.Client).Name != "Acme\nFoods" {
		t.Errorf("name %q", rows[0].Record.(ingest.Client).Name)
	}
}

// TestTombstones checks that deleted=true needs only the natural key, in
// every entity and format.
func TestTombstones(t *testing.T) {
	keys := map[string]struct {
		csv, json string
		want      any
	}{
		"person": {"external_id,valid_from,deleted\np-1,2025-01-01,true\n", `{"external_id":"p-1","valid_from":"2025-01-01","deleted":true}`,
			ingest.Person{ValidFrom: day("2025-01-01"), WeeklyCapacityHours: dv("40")}},
		"client":      {"external_id,deleted\nx,yes\n", `{"external_id":"x","deleted":true}`, ingest.Client{}},
		"project":     {"external_id,deleted\nx,1\n", `{"external_id":"x","deleted":true}`, ingest.Project{BillableDefault: true}},
		"time_entry":  {"external_id,deleted\nx,TRUE\n", `{"external_id":"x","deleted":"true"}`, ingest.TimeEntry{BillingStatus: "unbilled"}},
		"deliverable": {"external_id,deleted\nx,true\n", `{"external_id":"x","deleted":true}`, ingest.Deliverable{InScope: true}},
		"task_event":  {"external_id,deleted\nx,true\n", `{"external_id":"x","deleted":true}`, ingest.TaskEvent{}},
		"allocation": {"external_id,deleted\nx,true\n", `{"external_id":"x","deleted":true}`,
			ingest.Allocation{Status: "confirmed", Probability: dv("1")}},
		"time_off":     {"external_id,deleted\nx,true\n", `{"external_id":"x","deleted":true}`, ingest.TimeOff{}},
		"holiday":      {"date,calendar,deleted\n2026-12-25,uk,true\n", `{"date":"2026-12-25","calendar":"uk","deleted":true}`, ingest.Holiday{}},
		"adjustment":   {"external_id,deleted\nx,true\n", `{"external_id":"x","deleted":true}`, ingest.Adjustment{}},
		"invoice_line": {"external_id,deleted\nx,true\n", `{"external_id":"x","deleted":true}`, ingest.InvoiceLine{}},
	}
	for _, e := range ingest.EntityNames() {
		k, ok := keys[e]
		if !ok {
			t.Errorf("no tombstone case for %s", e)
			continue
		}
		for _, f := range []struct{ format, input, source string }{{FormatCSV, k.csv, "csv"}, {FormatNDJSON, k.json, "api"}} {
			rows, rowErrs, fileErr := parseAll(t, e, f.format, f.input)
			if fileErr != nil || len(rowErrs) > 0 || len(rows) != 1 {
				t.Errorf("%s %s: %v %v", e, f.format, fileErr, rowErrs)
				continue
			}
			want := tombstone(k.want, f.source)
			if got := recJSON(t, rows[0].Record); got != recJSON(t, want) {
				t.Errorf("%s %s:\n got %s\nwant %s", e, f.format, got, recJSON(t, want))
			}
		}
	}

	// A tombstone still needs its key, and a live row everything.
	for _, tc := range []struct{ entity, input, field string }{
		{"person", `{"external_id":"p-1","deleted":true}`, "valid_from"},
		{"holiday", `{"calendar":"uk","deleted":true}`, "date"},
		{"time_entry", `{"deleted":true}`, "external_id"},
		{"time_entry", `{"external_id":"x","deleted":false}`, "person"},
	} {
		_, rowErrs, _ := parseAll(t, tc.entity, FormatNDJSON, tc.input)
		if len(rowErrs) != 1 || rowErrs[0].Field != tc.field {
			t.Errorf("%s %s: got %v, want an error on %s", tc.entity, tc.input, rowErrs, tc.field)
		}
	}

	// A CSV file mixing live rows and tombstones.
	input := "external_id,person,date,hours,billable,deleted\nte-1,p-1,2026-03-02,1,true,\nte-2,,,,,true\nte-3,,,,,false\n"
	rows, rowErrs, _ := parseAll(t, "time_entry", FormatCSV, input)
	if len(rows) != 2 || len(rowErrs) != 1 || rowErrs[0].Line != 4 || rowErrs[0].Field != "person" {
		t.Errorf("mixed file: %d rows, %v", len(rows), rowErrs)
	}
}

// tombstone stamps a record with the key and bookkeeping of the tombstone
// cases.
func tombstone(rec any, source string) any {
	m := ingest.Meta{Org: "org1", Source: source, ExternalID: "x", Deleted: true}
	switch r := rec.(type) {
	case ingest.Person:
		m.ExternalID = "p-1"
		r.Meta = m
		return r
	case ingest.Client:
		r.Meta = m
		return r
	case ingest.Project:
		r.Meta = m
		return r
	case ingest.TimeEntry:
		r.Meta = m
		return r
	case ingest.Deliverable:
		r.Meta = m
		return r
	case ingest.TaskEvent:
		r.Meta = m
		return r
	case ingest.Allocation:
		r.Meta = m
		return r
	case ingest.TimeOff:
		r.Meta = m
		return r
	case ingest.Holiday:
		return ingest.Holiday{Org: "org1", Calendar: "uk", Date: day("2026-12-25"), Deleted: true}
	case ingest.Adjustment:
		r.Meta = m
		return r
	case ingest.InvoiceLine:
		r.Meta = m
		return r
	}
	return nil
}

func TestDetectCSV(t *testing.T) {
	tests := []struct {
		header string
		entity string // "" for none
	}{
		{"external_id,name,email,role,valid_from", "person"},
		{"external_id,name,start_date", "person"},
		{"external_id,valid_from,deleted", "person"},
		{"external_id,name,currency", "client"},
		{"\ufeffExternal_ID, Name ,Currency", "client"},
		{"external_id,name,kind,client", "project"},
		{"external_id,person,date,hours,billable", "time_entry"},
		{"external_id,person,date,hours,project,client,task,notes,billable,tags", "time_entry"},
		{"external_id,name,client,project,due_date", "deliverable"},
		{"external_id,occurred_at,type", "task_event"},
		{"external_id,person,project,start_date,end_date,hours_per_week", "allocation"},
		{"external_id,role,project,start_date,end_date,hours_per_day,status,probability", "allocation"},
		{"external_id,person,start_date,end_date", "time_off"},
		{"date,name,calendar", "holiday"},
		{"date,name", "holiday"},
		{"external_id,kind,client,date,amount", "adjustment"},
		{"external_id,invoice_id,date,amount", "invoice_line"},
		// Two fits: project needs kind, so external_id,name is a client or a
		// deliverable, and neither more so.
		{"external_id,name", ""},
		// Tombstone-only headers fit every sourced entity.
		{"external_id,deleted", ""},
		// Not ours.
		{"Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?", ""},
		{"User,Email,Client,Project,Task,Description,Billable,Start date", ""},
		{"external_id,external_id,name,currency", ""},
		{"", ""},
	}
	for _, tc := range tests {
		var header []string
		if tc.header != "" {
			header = strings.Split(tc.header, ",")
		}
		got, ok := DetectCSV(header)
		if ok != (tc.entity != "") || got != tc.entity {
			t.Errorf("DetectCSV(%q) = %q, %v; want %q", tc.header, got, ok, tc.entity)
		}
	}
}

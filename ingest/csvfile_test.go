package ingest

import (
	"errors"
	"io"
	"strings"
	"testing"
)

var testColumns = ColumnSet{Columns: []Column{
	{Name: "Date", Required: true},
	{Name: "Hours", Aliases: []string{"Time (h)"}, Required: true},
	{Name: "Billable?", Aliases: []string{"Billable"}},
	{Name: "Notes"},
	{Name: "Amount", Unit: true},
}}

func ignoring(s ColumnSet) ColumnSet { s.IgnoreUnknown = true; return s }

// readAll opens in and returns each row as "line:Date|Hours|Billable?|Notes",
// and the errors along the way.
func readAll(t *testing.T, set ColumnSet, in string) ([]string, []error) {
	t.Helper()
	f, err := OpenCSV(strings.NewReader(in), "in.csv", set)
	if err != nil {
		return nil, []error{err}
	}
	var rows []string
	var errs []error
	for range 1000 {
		rec, line, err := f.Next()
		if errors.Is(err, io.EOF) {
			return rows, errs
		}
		if err != nil {
			errs = append(errs, err)
			var fe *FileError
			if errors.As(err, &fe) {
				// Sticky: the file stays failed.
				if _, _, again := f.Next(); again != err {
					t.Errorf("after %v, Next returned %v", err, again)
				}
				return rows, errs
			}
			continue
		}
		rows = append(rows, strings.Join([]string{itoa(line), rec.Get("Date"), rec.Get("Hours"), rec.Get("Billable?"), rec.Get("Notes")}, "|"))
	}
	t.Fatal("Next never returned io.EOF")
	return nil, nil
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

func TestOpenCSVMapsHeadersByName(t *testing.T) {
	in := "\ufeff notes ,BILLABLE,time (h), date \n" +
		"\"a, b\",Yes,1.5,2026-04-30\n" +
		"\n" + // blank lines are skipped
		",,,\n" +
		"\"two\nlines\",No,2,2026-05-01\r\n" +
		"x,No,3,2026-05-02,,\n" // trailing empty fields are tolerated
	rows, errs := readAll(t, testColumns, in)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want := []string{
		"2|2026-04-30|1.5|Yes|a, b",
		"5|2026-05-01|2|No|two\nlines",
		"7|2026-05-02|3|No|x",
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%q\nwant:\n%q", rows, want)
	}
}

func TestCSVFileAccessors(t *testing.T) {
	f, err := OpenCSV(strings.NewReader("Date,Hours,Amount (EURO)\n2026-04-30,1,10\n"), "in.csv", testColumns)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Has(4) || f.Unit(4) != "EURO" || f.Header(4) != "Amount (EURO)" {
		t.Errorf("Amount: has %v unit %q header %q", f.Has(4), f.Unit(4), f.Header(4))
	}
	if f.Has(3) || f.Header(3) != "Notes" || f.Unit(3) != "" {
		t.Errorf("Notes: has %v header %q", f.Has(3), f.Header(3))
	}
	if f.Index("Hours") != 1 || f.Index("nope") != -1 || f.HeaderLine() != 1 || f.File() != "in.csv" {
		t.Error("Index/HeaderLine/File")
	}
	rec, line, err := f.Next()
	if err != nil || line != 2 {
		t.Fatal(line, err)
	}
	if !rec.Has("Amount") || rec.Has("Notes") || rec.Get("Notes") != "" || rec.At(4) != "10" || rec.At(99) != "" || rec.Get("nope") != "" {
		t.Error("Record accessors")
	}
	if (Record{}).Get("Date") != "" || (Record{}).Has("Date") {
		t.Error("zero Record")
	}
	e := f.RowError(line, 1, "x", "bad")
	if e.File != "in.csv" || e.Line != 2 || e.Field != "Hours" || e.Value != "x" || e.Reason != "bad" {
		t.Errorf("RowError = %+v", e)
	}
	f2, _ := OpenCSV(strings.NewReader("Date,Hours,Amount ()\n"), "in.csv", testColumns)
	if !f2.Has(4) || f2.Unit(4) != "" {
		t.Error(`"Amount ()" should be the Amount column without a unit`)
	}
}

func TestOpenCSVFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		set      ColumnSet
		line     int
		reason   string // a part of the reason
	}{
		{"empty", "", testColumns, 1, "empty"},
		{"only a BOM", "\ufeff", testColumns, 1, "empty"},
		{"UTF-16", "\xff\xfeD\x00a\x00", testColumns, 1, "UTF-16"},
		{"missing column", "Date,Notes\n", testColumns, 1, `missing column "Hours"`},
		{"duplicated", "Date,Hours,Notes,notes\n", testColumns, 1, `column "notes" appears twice (columns 3 and 4)`},
		{"duplicated, ignoring unknown", "Date,Hours,Extra,Extra\n", ignoring(testColumns), 1, "appears twice"},
		{"alias twice", "Date,Hours,Billable,Billable?\n", ignoring(testColumns), 1, `both mean "Billable?"`},
		{"unknown", "Date,Hours,Colour\n", testColumns, 1, `unknown column "Colour"; known columns: Date, Hours, Billable?, Notes, Amount`},
		{"no name", "Date,Hours,\n", testColumns, 1, "column 3 has no name"},
		{"unit on a plain column", "Date,Hours,Notes (x)\n", testColumns, 1, `unknown column "Notes (x)"`},
		{"non-UTF-8 header", "Date,Hours,No\xe9s\n", testColumns, 1, "not UTF-8"},
		{"non-UTF-8 row", "Date,Hours\n2026-04-30,1\n2026-05-01,\"2\n\xff\"\n", testColumns, 4, "not UTF-8"},
		{"unterminated quote", "Date,Hours,Notes\n2026-04-30,1,ok\n2026-05-01,2,\"cut off\nhere", testColumns, 3, "never closed"},
		{"stray quote", "Date,Hours,Notes\n2026-04-30,1,\"a\"b\n2026-05-01,2,c\n", testColumns, 2, "stray"},
		{"bare quote", "Date,Hours,Notes\n2026-04-30,1,a\"b\n", testColumns, 2, `a " inside an unquoted field`},
		{"short last row", "Date,Hours,Notes\n2026-04-30,1,ok\n2026-05-01,2\n", testColumns, 3, "the last row has 2 of the header's 3 fields"},
		{"runaway header", "Date,Hours" + strings.Repeat(",", MaxEmptyExtraCells+1) + "\n2026-04-30,1\n", ignoring(testColumns), 1,
			"the header has 101 empty cells after its last named column, more than the 100 tolerated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := readAll(t, tc.set, tc.in)
			if len(errs) == 0 {
				t.Fatal("no error")
			}
			var fe *FileError
			if !errors.As(errs[len(errs)-1], &fe) {
				t.Fatalf("%T %v, want a *FileError", errs[len(errs)-1], errs[len(errs)-1])
			}
			if fe.File != "in.csv" || fe.Line != tc.line || !strings.Contains(fe.Reason, tc.reason) {
				t.Errorf("got %v (line %d), want line %d and %q", fe, fe.Line, tc.line, tc.reason)
			}
		})
	}
}

func TestCSVFileRowErrorsGoOn(t *testing.T) {
	in := "Date,Hours,Notes\n2026-04-30,1\n2026-05-01,2,ok\n2026-05-02,3,a,b\n2026-05-03,4,last\n"
	rows, errs := readAll(t, testColumns, in)
	if len(rows) != 2 || rows[0] != "3|2026-05-01|2||ok" || rows[1] != "5|2026-05-03|4||last" {
		t.Errorf("rows %q", rows)
	}
	if len(errs) != 2 {
		t.Fatalf("errors %v", errs)
	}
	for i, line := range []int{2, 4} {
		var re *RowError
		if !errors.As(errs[i], &re) || re.Line != line || re.File != "in.csv" || !strings.Contains(re.Reason, "but the header has 3") {
			t.Errorf("error %d = %v, want a RowError on line %d", i, errs[i], line)
		}
	}
}

func TestColumnSetMatch(t *testing.T) {
	if !testColumns.Match([]string{"\ufeffDate", "Hours"}) {
		t.Error("BOM in the first header")
	}
	if testColumns.Match([]string{"Date", "Notes"}) {
		t.Error("matched without Hours")
	}
	if !testColumns.Match([]string{"date", "hours", "Amount (USD)"}, "Amount") || testColumns.Match([]string{"date", "hours"}, "Amount") {
		t.Error("Match with also")
	}
	if testColumns.Match([]string{"Date", "Hours"}, "No such column") {
		t.Error("Match with an unknown also")
	}
}

func BenchmarkCSVFile(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("Date,Hours,Billable?,Notes\n")
	for range 10000 {
		sb.WriteString("2026-04-30,1.5,Yes,\"Some notes, with a comma\"\n")
	}
	in := sb.String()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := OpenCSV(strings.NewReader(in), "bench.csv", testColumns)
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, _, err := f.Next(); err != nil {
				break
			}
		}
	}
}

// Package parsertest holds the checks every export parser's tests share:
// collecting a file's rows and the body of the parsers' fuzz targets.
package parsertest

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// Collect reads every row of p. Rejected rows are returned beside the rows;
// any other error than io.EOF at the end fails t.
func Collect(t testing.TB, p ingest.Parser) ([]ingest.Row, []*ingest.RowError) {
	t.Helper()
	var rows []ingest.Row
	var bad []*ingest.RowError
	for {
		row, err := p.Next()
		if errors.Is(err, io.EOF) {
			return rows, bad
		}
		var re *ingest.RowError
		switch {
		case errors.As(err, &re):
			bad = append(bad, re)
		case err != nil:
			t.Fatalf("Next: %v", err)
		default:
			rows = append(rows, row)
		}
	}
}

// Testdata reads testdata/name of the package under test.
func Testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// CheckFuzzed is the body of a time-export parser's fuzz target, given what
// New returned for the fuzzed input: any input yields rows, row errors, a
// file error or the end, never a panic or another error, and never more rows
// than it has bytes; every row is a time entry with an id, a person and sane
// hours.
func CheckFuzzed(t *testing.T, in []byte, p ingest.Parser, err error) {
	var fe *ingest.FileError
	if err != nil {
		if !errors.As(err, &fe) {
			t.Fatalf("New: %T %v", err, err)
		}
		return
	}
	for n := 0; ; n++ {
		if n > len(in)+1 {
			t.Fatal("more rows than bytes")
		}
		row, err := p.Next()
		if errors.Is(err, io.EOF) || errors.As(err, &fe) {
			return
		}
		var re *ingest.RowError
		if err != nil && !errors.As(err, &re) {
			t.Fatalf("Next: %T %v", err, err)
		}
		if err == nil {
			e, ok := row.Record.(ingest.TimeEntry)
			if !ok || ingest.CheckHours(e.Hours) != "" || e.ExternalID == "" || row.Refs == nil || row.Line < 2 {
				t.Fatalf("bad row %+v", row)
			}
		}
	}
}

package canonical

import (
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// parseAll reads input to the end, or to the first FileError, and returns
// the rows and the row errors in order (errs[i] is nil for a good row).
func parseAll(t testing.TB, entity, format, input string) (rows []ingest.Row, rowErrs []*ingest.RowError, fileErr *ingest.FileError) {
	t.Helper()
	p, err := New(strings.NewReader(input), entity, format, ingest.Options{File: "f", Org: "org1"})
	if err != nil {
		t.Fatalf("New(%s, %s): %v", entity, format, err)
	}
	for range 1_000_000 {
		row, err := p.Next()
		var re *ingest.RowError
		switch {
		case err == nil:
			if row.Refs != nil {
				t.Errorf("row %d: Refs = %+v, want nil", row.Line, row.Refs)
			}
			rows = append(rows, row)
		case errors.Is(err, io.EOF):
			return rows, rowErrs, nil
		case errors.As(err, &re):
			rowErrs = append(rowErrs, re)
		case errors.As(err, &fileErr):
			// A FileError is sticky.
			if _, again := p.Next(); again != err {
				t.Errorf("after a FileError, Next returned %v, want the same error", again)
			}
			return rows, rowErrs, fileErr
		default:
			t.Fatalf("Next: unexpected error %T %v", err, err)
		}
	}
	t.Fatal("parser did not end")
	return
}

// recJSON renders a record for comparison: decimals as normalised strings,
// times with their zone, so a non-UTC time shows.
func recJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return reflect.TypeOf(v).String() + string(b)
}

func dp(s string) *decimal.Decimal {
	d := decimal.RequireFromString(s)
	return &d
}

func dv(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func dayp(s string) *time.Time {
	t := day(s)
	return &t
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func tsp(s string) *time.Time {
	t := ts(s)
	return &t
}

func meta(id, source string) ingest.Meta {
	return ingest.Meta{Org: "org1", Source: source, ExternalID: id}
}

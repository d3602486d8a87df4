package metrics

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"
)

// Cell formats one value in full precision, as CSV and the API's JSON write
// it: dates as YYYY-MM-DD, times in RFC 3339, decimals exactly, null as "".
func Cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case *decimal.Decimal:
		if x == nil {
			return ""
		}
		return x.String()
	case decimal.Decimal:
		return x.String()
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format(time.DateOnly)
		}
		return x.UTC().Format(time.RFC3339Nano)
	case *time.Time:
		if x == nil {
			return ""
		}
		return Cell(*x)
	case *float64:
		if x == nil {
			return ""
		}
		return Cell(*x)
	case float64:
		return fmt.Sprint(x)
	case *string:
		if x == nil {
			return ""
		}
		return *x
	default:
		return fmt.Sprint(x)
	}
}

// MarshalJSON writes the result with its rows as objects keyed by column.
// Numbers are JSON numbers in full precision (decimals are never rounded
// through a float); a null ratio is null. A KPI that can carry flags
// (Flagged) has "flags" on every row, [] for a sound one. An unknown
// currency is null.
func (r *Result) MarshalJSON() ([]byte, error) {
	type plain Result
	flagged := r.Flagged()
	rows := make([]map[string]any, len(r.Rows))
	for i, row := range r.Rows {
		obj := make(map[string]any, len(row)+1)
		if flagged {
			obj["flags"] = r.rowFlags(i)
		}
		for j, v := range row {
			s := Cell(v)
			switch {
			case isNull(v):
				obj[r.Columns[j].Name] = nil
			case r.Columns[j].Type == "number":
				obj[r.Columns[j].Name] = json.Number(s)
			default:
				obj[r.Columns[j].Name] = s
			}
		}
		rows[i] = obj
	}
	var currency *string
	if r.Currency != "" {
		currency = &r.Currency
	}
	return json.Marshal(struct {
		*plain
		Currency *string          `json:"currency"`
		Rows     []map[string]any `json:"rows"`
	}{(*plain)(r), currency, rows})
}

// rowFlags is row's flags, never nil.
func (r *Result) rowFlags(row int) []Flag {
	if row < len(r.Flags) && r.Flags[row] != nil {
		return r.Flags[row]
	}
	return []Flag{}
}

func isNull(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case *decimal.Decimal:
		return x == nil
	case *float64:
		return x == nil
	case *time.Time:
		return x == nil
	case *string:
		return x == nil
	}
	return false
}

// WriteCSV writes a header of column names and one line per row. A KPI
// that can carry flags (Flagged) ends each line with its flags, joined by
// ";" (empty for a sound row).
func (r *Result) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	flagged := r.Flagged()
	names := r.names()
	if flagged {
		names = append(names, "flags")
	}
	cw.Write(names)
	for n, row := range r.Rows {
		line := make([]string, len(row), len(row)+1)
		for i, v := range row {
			line[i] = Cell(v)
		}
		if flagged {
			line = append(line, FlagNames(r.rowFlags(n)))
		}
		cw.Write(line)
	}
	cw.Flush()
	return cw.Error()
}

// WriteTable writes aligned columns for a terminal: ratios as percentages,
// hours and money to two decimals, null as "–" (no data), or "unknown" where
// a flag explains it. When some row is flagged, a NOTES column says what its
// numbers rest on, and the notes follow the table.
func (r *Result) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	t := TableOf(r)
	notes := false
	for i := range r.Rows {
		notes = notes || len(r.rowFlags(i)) > 0
	}
	skip := r.repeatedName()
	var names []string
	for i, name := range r.names() {
		if i != skip {
			names = append(names, name)
		}
	}
	if notes {
		names = append(names, "notes")
	}
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(names, "\t")))
	for n, row := range r.Rows {
		line := make([]string, 0, len(row)+1)
		for i, v := range row {
			if i == skip {
				continue
			}
			if isNull(v) {
				line = append(line, t.nullText(n))
			} else {
				line = append(line, display(r.Columns[i], r.Unit, v))
			}
		}
		if notes {
			line = append(line, t.flagText(n))
		}
		fmt.Fprintln(tw, strings.Join(line, "\t"))
	}
	if len(r.Rows) == 0 {
		fmt.Fprintln(tw, "(no rows: nothing in this range)")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, note := range r.Notes {
		if _, err := fmt.Fprintln(w, "\n"+note); err != nil {
			return err
		}
	}
	return nil
}

// repeatedName is the index of the "name" column when it says nothing the
// group column does not (a team or a role is its own name), for the table
// to leave out; -1 otherwise. JSON and CSV keep it, so scripts find a name
// beside every grouping.
func (r *Result) repeatedName() int {
	g := slices.IndexFunc(r.Columns, func(c Column) bool { return c.Name == r.GroupBy })
	if g < 0 || g+1 >= len(r.Columns) || r.Columns[g+1].Name != "name" {
		return -1
	}
	for _, row := range r.Rows {
		if name := Cell(row[g+1]); name != Cell(row[g]) && (name != "" || Cell(row[g]) != "") {
			return -1
		}
	}
	return g + 1
}

func (r *Result) names() []string {
	out := make([]string, len(r.Columns))
	for i, c := range r.Columns {
		out[i] = c.Name
	}
	return out
}

// display rounds for people, never for the API.
func display(c Column, unit string, v any) string {
	if isNull(v) {
		return "–"
	}
	if c.Type != "number" {
		return Cell(v)
	}
	d, err := decimal.NewFromString(Cell(v))
	if err != nil {
		return Cell(v)
	}
	isRatio := strings.HasSuffix(c.Name, "rate") || strings.HasSuffix(c.Name, "_pct") || c.Name == "target" ||
		strings.HasSuffix(c.Name, "utilization") || strings.HasSuffix(c.Name, "_gap") || strings.HasSuffix(c.Name, "_ratio") ||
		(c.Name == "value" && unit == "ratio")
	if isRatio && !strings.HasSuffix(c.Name, "bill_rate") && !strings.HasSuffix(c.Name, "cost_rate") && c.Name != "effective_rate" && c.Name != "burn_rate" {
		return d.Shift(2).StringFixed(1) + "%"
	}
	return d.StringFixed(2)
}

// Float reads a result cell as a number: decimals, floats and integers, and
// their nullable forms. False for null or a cell that is not a number.
func Float(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case *float64:
		if x == nil {
			return 0, false
		}
		return *x, true
	case decimal.Decimal:
		return x.InexactFloat64(), true
	case *decimal.Decimal:
		if x == nil {
			return 0, false
		}
		return x.InexactFloat64(), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	}
	return 0, false
}

package metrics

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// A period in which deliverables appeared but nobody was employed or
// logged time still gets its row, in date order, with its due-date part
// alone: 1 of 4 with a due date, so value 1/4 over one part.
func TestJoinDataQualityDeliverablesAlone(t *testing.T) {
	mar2, mar9 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	main := &store.Rows{}
	for _, n := range dataQualityMain {
		main.Columns = append(main.Columns, store.Column{Name: n})
	}
	// Mar 9: logged 1/2, known 1, no billable entries, people 1/2.
	main.Data = [][]any{{mar9, "", 0.5, 1.0, nil, 0.5, decimal.NewFromInt(4), decimal.NewFromInt(8), uint64(2), uint64(2),
		uint64(0), uint64(0), uint64(2), uint64(1)}}
	deliverables := &store.Rows{Columns: []store.Column{{Name: "period"}, {Name: "deliverables"}, {Name: "deliverables_with_due"}},
		Data: [][]any{{mar2, uint64(4), uint64(1)}}}
	out, err := joinDataQuality(main, deliverables)
	if err != nil {
		t.Fatal(err)
	}
	if out.Len() != 2 || out.Data[0][0] != mar2 || out.Data[1][0] != mar9 {
		t.Fatalf("rows %v: want Mar 2, then Mar 9", out.Data)
	}
	get := func(row int, name string) any {
		for i, c := range out.Columns {
			if c.Name == name {
				return out.Data[row][i]
			}
		}
		t.Fatalf("no column %s in %v", name, out.Columns)
		return nil
	}
	if v, known := get(0, "value"), get(0, "parts_known"); v != 0.25 || known != uint8(1) {
		t.Errorf("Mar 2: value %v over %v parts, want 0.25 over 1", v, known)
	}
	if v := get(0, "logged_hours"); !v.(decimal.Decimal).IsZero() {
		t.Errorf("Mar 2 logged_hours = %v, want 0", v)
	}
	// Mar 9: (1/2 + 1 + 1/2) ÷ 3, no deliverables.
	if v, known, n := get(1, "value"), get(1, "parts_known"), get(1, "deliverables"); v != 2.0/3 || known != uint8(3) || n != uint64(0) {
		t.Errorf("Mar 9: value %v over %v parts, %v deliverables; want 2/3 over 3, 0", v, known, n)
	}
}

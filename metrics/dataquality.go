package metrics

import (
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// data_quality is two queries run at once, as maturity_level is
// (metrics/maturity.go): sql/queries/data_quality_deliverables.sql (the
// due-date part) beside kpi_data_quality.sql (the other four parts).
// joinDataQuality puts them together.

// dataQualityMain are the columns of kpi_data_quality.sql, in order.
var dataQualityMain = []string{"period", "grp", "logged_ratio", "known_client_project_ratio", "bill_rate_ratio",
	"cost_rate_ratio", "logged_hours", "available_hours", "entries", "known_entries", "billable_entries",
	"rated_billable_entries", "people", "people_with_cost_rate"}

// joinDataQuality returns the KPI's rows, one per period of either query,
// in the columns its header documents: main's parts and sums, the
// deliverables and due_date_ratio, parts_known (the parts that have data)
// and value, their mean (null when none has).
func joinDataQuality(main, deliverables *store.Rows) (*store.Rows, error) {
	if !slices.EqualFunc(main.Columns, dataQualityMain, func(c store.Column, name string) bool { return c.Name == name }) {
		return nil, fmt.Errorf("data_quality: columns %v: want %v", main.Columns, dataQualityMain)
	}
	type counts struct{ n, due uint64 }
	due := map[time.Time]counts{}
	periods := make([]time.Time, 0, main.Len()+deliverables.Len())
	for i := range deliverables.Len() {
		var p time.Time
		var c counts
		if err := deliverables.Scan(i, &p, &c.n, &c.due); err != nil {
			return nil, fmt.Errorf("data_quality deliverables: %w", err)
		}
		due[p] = c
		periods = append(periods, p)
	}
	parts := map[time.Time][]any{}
	for _, row := range main.Data {
		p, ok := row[0].(time.Time)
		if !ok {
			return nil, fmt.Errorf("data_quality: period %v (%T): want a date", row[0], row[0])
		}
		parts[p] = row
		if _, ok := due[p]; !ok {
			periods = append(periods, p)
		}
	}
	slices.SortFunc(periods, func(a, b time.Time) int { return a.Compare(b) })

	col := func(name, typ string) store.Column { return store.Column{Name: name, Type: typ} }
	ratio := "Nullable(Float64)"
	out := &store.Rows{Columns: []store.Column{col("period", "Date"), col("grp", "String"), col("value", ratio),
		col("logged_ratio", ratio), col("known_client_project_ratio", ratio), col("due_date_ratio", ratio),
		col("bill_rate_ratio", ratio), col("cost_rate_ratio", ratio), col("parts_known", "UInt8")}}
	out.Columns = append(out.Columns, main.Columns[6:10]...) // logged_hours … known_entries
	out.Columns = append(out.Columns, col("deliverables", "UInt64"), col("deliverables_with_due", "UInt64"))
	out.Columns = append(out.Columns, main.Columns[10:]...) // billable_entries … people_with_cost_rate
	for _, p := range periods {
		row, ok := parts[p]
		if !ok {
			// deliverables alone: no person-day and no entry in the period
			zero := decimal.Zero
			row = []any{p, "", nil, nil, nil, nil, zero, zero, uint64(0), uint64(0), uint64(0), uint64(0), uint64(0), uint64(0)}
		}
		c := due[p]
		var dueRatio any
		if c.n > 0 {
			dueRatio = float64(c.due) / float64(c.n)
		}
		// the mean in the order the header lists the parts
		ratios := []any{row[2], row[3], dueRatio, row[4], row[5]}
		var sum float64
		var known uint8
		for _, r := range ratios {
			if f, ok := r.(float64); ok {
				sum += f
				known++
			}
		}
		var value any
		if known > 0 {
			value = sum / float64(known)
		}
		r := []any{p, row[1], value}
		r = append(r, ratios...)
		r = append(r, known)
		r = append(r, row[6:10]...)
		r = append(r, c.n, c.due)
		r = append(r, row[10:]...)
		out.Data = append(out.Data, r)
	}
	return out, nil
}

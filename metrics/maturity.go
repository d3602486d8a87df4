package metrics

import (
	"fmt"
	"slices"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// maturity_level is two queries run at once (sql/queries/maturity_loop.sql
// beside kpi_maturity_level.sql): the engine plans a query on one core,
// and the two halves, planned together on two cores, answer sooner than
// one query twice their size. joinMaturity puts them together.

// maturityLoopColumns are the loop evidence's columns of maturity_level,
// as its header documents them (kpi_maturity_level.sql).
var maturityLoopColumns = []store.Column{
	{Name: "deliverables", Type: "UInt64"}, {Name: "due_and_intake_ratio", Type: "Nullable(Float64)"},
	{Name: "delivered", Type: "UInt64"}, {Name: "canonical_loop_ratio", Type: "Nullable(Float64)"},
}

// joinMaturity returns the KPI's rows: main's (layers 4 and 5 and their
// evidence) with the loop's evidence (layers 2 and 3, one row) and the
// level, the first layer whose conditions do not all hold, else 5.
func joinMaturity(main, loop *store.Rows) (*store.Rows, error) {
	if loop.Len() != 1 {
		return nil, fmt.Errorf("maturity loop evidence: %d rows, want 1", loop.Len())
	}
	var appeared, appearedOK, done, doneOK uint64
	if err := loop.Scan(0, &appeared, &appearedOK, &done, &doneOK); err != nil {
		return nil, fmt.Errorf("maturity loop evidence: %w", err)
	}
	// l2: at least half of the deliverables that appeared have a due date
	// and an intake; l3: at least 80% of those delivered followed the loop.
	ratio := func(n, of uint64) any {
		if of == 0 {
			return nil
		}
		return float64(n) / float64(of)
	}
	l2 := of01(appeared > 0 && float64(appearedOK)/float64(appeared) >= 0.5)
	l3 := of01(done > 0 && float64(doneOK)/float64(done) >= 0.8)

	col := func(name string) int {
		return slices.IndexFunc(main.Columns, func(c store.Column) bool { return c.Name == name })
	}
	after := col("l4_fresh_data")       // period, grp before it
	evidence := col("last_ingested_at") // the conditions before it
	if after < 0 || evidence-after != 5 {
		return nil, fmt.Errorf("maturity_level: columns %v: want the five l4 and l5 conditions from l4_fresh_data to last_ingested_at", main.Columns)
	}
	out := &store.Rows{}
	out.Columns = append(out.Columns, main.Columns[:after]...)
	out.Columns = append(out.Columns, store.Column{Name: "value", Type: "UInt8"}, store.Column{Name: "l2_due_and_intake", Type: "UInt8"},
		store.Column{Name: "l3_canonical_loop", Type: "UInt8"})
	out.Columns = append(out.Columns, main.Columns[after:evidence]...)
	out.Columns = append(out.Columns, maturityLoopColumns...)
	out.Columns = append(out.Columns, main.Columns[evidence:]...)
	for _, row := range main.Data {
		held := []uint64{l2, l3}
		for _, v := range row[after:evidence] {
			u, _ := v.(uint64)
			held = append(held, u)
		}
		// layers: 2 = {l2}, 3 = {l3}, 4 = the two l4 conditions, 5 = the
		// three l5 conditions (main's columns in that order)
		level := uint64(5)
		for i, layer := range [][]uint64{held[:1], held[1:2], held[2:4], held[4:]} {
			if slices.Contains(layer, 0) {
				level = uint64(i + 1)
				break
			}
		}
		r := slices.Clone(row[:after])
		r = append(r, level, l2, l3)
		r = append(r, row[after:evidence]...)
		r = append(r, appeared, ratio(appearedOK, appeared), done, ratio(doneOK, done))
		r = append(r, row[evidence:]...)
		out.Data = append(out.Data, r)
	}
	return out, nil
}

func of01(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

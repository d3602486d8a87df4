package ingest

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// rowBatch collects rows into the typed column slices a store.Batch carries.
// The first row fixes each column's slice type from its values.
type rowBatch struct {
	table string
	cols  []string
	vals  []any
	n     int
}

func newRowBatch(table string, cols ...string) *rowBatch {
	return &rowBatch{table: table, cols: cols, vals: make([]any, len(cols))}
}

// add appends one row. A value of another type than the column's first value
// is a programming error and panics, naming the column.
func (b *rowBatch) add(vals ...any) {
	if len(vals) != len(b.cols) {
		panic(fmt.Sprintf("%s: %d values for %d columns", b.table, len(vals), len(b.cols)))
	}
	for i, v := range vals {
		if b.n == 0 {
			b.vals[i] = emptySlice(v)
		}
		if !appendValue(&b.vals[i], v) {
			panic(fmt.Sprintf("%s.%s: value %T does not fit %T", b.table, b.cols[i], v, b.vals[i]))
		}
	}
	b.n++
}

func emptySlice(v any) any {
	switch v.(type) {
	case string:
		return []string(nil)
	case uint8:
		return []uint8(nil)
	case uint64:
		return []uint64(nil)
	case time.Time:
		return []time.Time(nil)
	case decimal.Decimal:
		return []decimal.Decimal(nil)
	case *decimal.Decimal:
		return []*decimal.Decimal(nil)
	case *time.Time:
		return []*time.Time(nil)
	case []string:
		return [][]string(nil)
	}
	panic(fmt.Sprintf("rowBatch: unsupported value type %T", v))
}

func appendValue(col *any, v any) bool {
	switch s := (*col).(type) {
	case []string:
		x, ok := v.(string)
		*col = append(s, x)
		return ok
	case []uint8:
		x, ok := v.(uint8)
		*col = append(s, x)
		return ok
	case []uint64:
		x, ok := v.(uint64)
		*col = append(s, x)
		return ok
	case []time.Time:
		x, ok := v.(time.Time)
		*col = append(s, x)
		return ok
	case []decimal.Decimal:
		x, ok := v.(decimal.Decimal)
		*col = append(s, x)
		return ok
	case []*decimal.Decimal:
		x, ok := v.(*decimal.Decimal)
		*col = append(s, x)
		return ok
	case []*time.Time:
		x, ok := v.(*time.Time)
		*col = append(s, x)
		return ok
	case [][]string:
		x, ok := v.([]string)
		*col = append(s, x)
		return ok
	}
	return false
}

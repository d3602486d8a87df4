// Package sql is opsmetrics' storage boundary: the Store interface that both
// ClickHouse engines (embedded chDB and a ClickHouse server) implement, the
// typed errors every engine error is classified into, the embedded schema
// migrations and the query files. The same SQL text runs on both engines.
// What only some engines can do (RowBinary inserts, pausing merges, counting
// writes, being this process's alone) are the small interfaces of
// abilities.go, which callers ask for instead of an engine's name.
//
// Import it under an alias (for example store) where database/sql is also used.
package sql

import (
	"context"
	"fmt"
)

// Database is the ClickHouse database that holds every opsmetrics table. SQL
// text always qualifies tables with it (ops.time_entries): chDB reads a bare
// name as a file in the working directory.
const Database = "ops"

// Params are the values for a query's typed placeholders ({from:Date}). Keys are
// placeholder names. Values are formatted for the type the placeholder declares
// (see FormatParam) and bound by the engine; they never become SQL text.
type Params map[string]any

// Store runs ClickHouse SQL on one engine. Implementations are safe for
// concurrent use by many goroutines.
type Store interface {
	// Exec runs a statement that returns no rows (DDL, OPTIMIZE, ALTER ... DELETE).
	Exec(ctx context.Context, query string, params Params) error
	// Query runs a statement and returns its whole result, decoded into Go values
	// (see Rows for the value types). Results are materialized: use it for
	// aggregates and pages, not for unbounded scans.
	Query(ctx context.Context, query string, params Params) (*Rows, error)
	// Insert writes one columnar batch in a single INSERT. Either every row is
	// written or the call returns an error.
	Insert(ctx context.Context, b *Batch) error
	// Ping checks that the engine answers.
	Ping(ctx context.Context) error
	// Info describes the engine, for logs, /readyz and `opsmetrics version`.
	Info() EngineInfo
	// Close releases the engine. The Store must not be used afterwards.
	Close() error
}

// EngineInfo names an engine and its ClickHouse version.
type EngineInfo struct {
	Name    string // "chdb" or "clickhouse"
	Version string // e.g. "26.7.3.1" or "24.8.4.13"
	Detail  string // data directory or server address, never a password
}

// Batch is a columnar insert into one table. Values[i] holds the values of
// Columns[i] as a typed slice, and every slice has the same length. Supported
// slice types: []string, []bool, []uint8, []uint16, []uint32, []uint64, []int32,
// []int64, []float64, []time.Time, []decimal.Decimal, []*string,
// []*time.Time, []*decimal.Decimal, []*float64, [][]string. A []time.Time column
// writes Date, Date32, DateTime or DateTime64 as the table declares (dates are
// taken as the UTC calendar day).
type Batch struct {
	Table   string // qualified table name, e.g. ops.time_entries
	Columns []string
	Values  []any
}

// Len reports the number of rows in the batch, or an error when the columns
// disagree on it or a value is not a slice.
func (b *Batch) Len() (int, error) {
	if len(b.Columns) != len(b.Values) {
		return 0, fmt.Errorf("batch for %s: %d columns but %d value slices", b.Table, len(b.Columns), len(b.Values))
	}
	n := -1
	for i, v := range b.Values {
		l, ok := sliceLen(v)
		if !ok {
			return 0, fmt.Errorf("batch for %s: column %s: unsupported value type %T", b.Table, b.Columns[i], v)
		}
		if n >= 0 && l != n {
			return 0, fmt.Errorf("batch for %s: column %s has %d values, want %d", b.Table, b.Columns[i], l, n)
		}
		n = l
	}
	if n < 0 {
		n = 0
	}
	return n, nil
}

// Column describes one result column.
type Column struct {
	Name string
	Type string // ClickHouse type, e.g. Nullable(Decimal(18, 4))
}

// Rows is a materialized query result. Values are normalized so both engines
// return the same Go types: String, FixedString, Enum, UUID and LowCardinality
// strings as string; Int* as int64; UInt* as uint64; Float* as float64; Bool as
// bool; Decimal as decimal.Decimal; Date, Date32, DateTime and DateTime64 as
// time.Time in UTC; Nullable as nil or the value; Array as []any.
type Rows struct {
	Columns []Column
	Data    [][]any
}

// Len reports the number of rows.
func (r *Rows) Len() int { return len(r.Data) }

// Scan copies row i into dest, one pointer per column. See Assign for the
// conversions it makes.
func (r *Rows) Scan(i int, dest ...any) error {
	if i < 0 || i >= len(r.Data) {
		return fmt.Errorf("scan row %d of %d", i, len(r.Data))
	}
	if len(dest) != len(r.Columns) {
		return fmt.Errorf("scan row %d: %d destinations for %d columns", i, len(dest), len(r.Columns))
	}
	for c, d := range dest {
		if err := Assign(d, r.Data[i][c]); err != nil {
			return fmt.Errorf("scan row %d column %s: %w", i, r.Columns[c].Name, err)
		}
	}
	return nil
}

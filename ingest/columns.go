package ingest

import (
	"time"

	"github.com/shopspring/decimal"
)

// columns builds a columnar store.Batch one column at a time: each column is
// a typed slice filled by a getter over the records, so no value is boxed.
type columns struct {
	table string
	n     int
	names []string
	vals  []any
}

func newColumns(table string, n int) *columns { return &columns{table: table, n: n} }

// col appends the column name whose i-th value is get(i).
func col[T any](c *columns, name string, get func(i int) T) {
	v := make([]T, c.n)
	for i := range v {
		v[i] = get(i)
	}
	c.names = append(c.names, name)
	c.vals = append(c.vals, v)
}

// source adds the natural key of a source entity table.
func (c *columns) source(meta func(i int) *Meta) {
	col(c, "org_id", func(i int) string { return meta(i).Org })
	col(c, "source", func(i int) string { return meta(i).Source })
	col(c, "external_id", func(i int) string { return meta(i).ExternalID })
}

// bookkeeping adds version, deleted, ingested_at and batch_id. updatedAt may
// be nil for entities without one.
func (c *columns) bookkeeping(st stamp, meta func(i int) *Meta, updatedAt func(i int) *time.Time) {
	col(c, "version", func(i int) uint64 {
		if updatedAt == nil {
			return st.version
		}
		return st.versionOf(updatedAt(i))
	})
	col(c, "deleted", func(i int) uint8 { return flag(meta(i).Deleted) })
	col(c, "ingested_at", func(int) time.Time { return st.at })
	col(c, "batch_id", func(int) string { return st.batch })
}

// Getter shorthands keep the per-entity column lists to one line a column.
type (
	dec  = decimal.Decimal
	pdec = *decimal.Decimal
	ptm  = *time.Time
)

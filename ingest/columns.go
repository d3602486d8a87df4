package ingest

import (
	"slices"
	"sync"
	"time"

	"github.com/shopspring/decimal"
)

// columns builds a columnar store.Batch one column at a time: each column is
// a typed slice filled by a getter over the records, so no value is boxed.
type columns struct {
	pool  *columnPool
	table string
	n     int
	names []string
	vals  []any
	spare []any // the columns of an earlier batch of the table, to fill again
}

// begin starts a batch of n rows for table.
func (c *columns) begin(table string, n int) {
	c.table, c.n = table, n
	if n > 0 && c.pool != nil {
		c.spare = c.pool.get(table)
	}
}

// col appends the column name whose i-th value is get(i).
func col[T any](c *columns, name string, get func(i int) T) {
	v := column[T](c, name)
	for i := range v {
		v[i] = get(i)
	}
}

// column appends the column name and returns its values for the caller to
// set, all c.n of them.
func column[T any](c *columns, name string) []T {
	var v []T
	if k := len(c.vals); k < len(c.spare) {
		if s, ok := c.spare[k].([]T); ok && cap(s) >= c.n {
			v = s[:c.n]
		}
	}
	if v == nil {
		v = make([]T, c.n)
	}
	c.names = append(c.names, name)
	c.vals = append(c.vals, v)
	return v
}

// orgs returns the distinct values of the batch's org_id column, in the
// order they first appear.
func (c *columns) orgs() []string {
	for k, name := range c.names {
		ids, ok := c.vals[k].([]string)
		if name != "org_id" || !ok {
			continue
		}
		var out []string
		for _, id := range ids {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
		return out
	}
	return nil
}

// columnPool keeps the columns of written batches, by table, for later
// batches to fill again rather than allocate: a batch of time entries has
// some 500 bytes of columns a row, most of an import's garbage. Being
// sync.Pools, they go back to the garbage collector once writes stop, and
// with them the strings of old rows that they still hold.
type columnPool struct {
	tables sync.Map // table -> *sync.Pool of *[]any
}

func (p *columnPool) get(table string) []any {
	if tp, ok := p.tables.Load(table); ok {
		if v, ok := tp.(*sync.Pool).Get().(*[]any); ok {
			return *v
		}
	}
	return nil
}

// put hands c's columns to the next batch of its table. The caller must be
// done with them: the store has returned from writing them.
func (p *columnPool) put(c *columns) {
	tp, ok := p.tables.Load(c.table)
	if !ok {
		tp, _ = p.tables.LoadOrStore(c.table, &sync.Pool{})
	}
	tp.(*sync.Pool).Put(&c.vals)
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

package sql

import "context"

// Abilities: what some engines can do beyond Store. Each is a small
// interface that an engine implements (with a compile-time assertion beside
// it) or does not; a caller asks for one with a type assertion where it is
// configured, and never by comparing EngineInfo.Name. The embedded engine
// has them all; a ClickHouse server, shared with other processes, has only
// Exclusive (and answers false).

// RowBinaryInserter is an engine that takes rows already encoded as
// RowBinary (RowBinaryEncoder), so that a writer can hold a batch once, as
// compact bytes, rather than as records and then again as columns.
type RowBinaryInserter interface {
	// ColumnTypes returns the declared ClickHouse types of cols in table, in
	// the order given; an error when the table or a column does not exist.
	ColumnTypes(ctx context.Context, table string, cols []string) ([]string, error)
	// InsertRowBinary writes data, rows encoded for cols, in one INSERT:
	// every row is written or the call returns an error. The caller keeps
	// data.
	InsertRowBinary(ctx context.Context, table string, cols []string, data []byte) error
}

// MergePauser is an engine whose background merges a writer may stop while
// it writes a large input, and start again after. Only an engine that this
// process uses alone implements it: stopping a shared server's merges would
// hold up every other user of it.
type MergePauser interface {
	// PauseMerges stops background merges until ResumeMerges.
	PauseMerges(ctx context.Context) error
	// ResumeMerges lets background merges run again.
	ResumeMerges(ctx context.Context) error
}

// WriteCounter is an engine that is the only writer of its data and counts
// the statements that may have changed it. While the count has not moved,
// anything derived from the data is still current, without asking the
// engine.
type WriteCounter interface {
	// Writes is the count; it only grows.
	Writes() uint64
}

// Exclusive is an engine that can say whether this process is its only
// user.
type Exclusive interface {
	// Exclusive reports whether no other process reads or writes the store's
	// data while it is open: then whatever a previous run left half done
	// was cut off, not still under way elsewhere.
	Exclusive() bool
}

// IsExclusive reports whether s says this process is its only user. A store
// that does not say is taken to be shared, the answer that never drops
// another process's work.
func IsExclusive(s any) bool {
	e, ok := s.(Exclusive)
	return ok && e.Exclusive()
}

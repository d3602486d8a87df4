package importer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"sync/atomic"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// spill is where an import keeps what it gave each key in earlier batches
// (ops.import_keys, sql/schema/0012_import_keys.sql), instead of a map of
// every key of the input: after a batch, the keys it touched are written
// there and the maps are emptied; before the next, the states of its keys
// are read back. What an import holds is then one batch's keys, whatever
// the size of its input. An import of one batch neither writes nor reads:
// nothing comes after its batch.
type spill struct {
	st      Store
	run     string // the partition of this run: each reading of an input has its own
	seq     [spillKinds]uint32
	written atomic.Bool
}

// The kinds of key state that spill, each with its own map and writer
// goroutine: the counts' (run.seen) and the day limit's (dayLimit.keys).
const (
	spillCount uint8 = iota
	spillDay
	spillKinds
)

// spillRow is a key's state as ops.import_keys holds it.
type spillRow struct {
	value  int64
	person uint64
	day    int32
	flags  uint8
}

func newSpill(st Store) *spill {
	b := make([]byte, 8)
	rand.Read(b)
	return &spill{st: st, run: hex.EncodeToString(b)}
}

// load calls found with the latest state of each of keys that an earlier
// write of kind holds. Each kind is used by one goroutine at a time.
func (s *spill) load(ctx context.Context, kind uint8, keys []uint64, found func(key uint64, r spillRow)) error {
	if s.seq[kind] == 0 || len(keys) == 0 {
		return nil // nothing of kind was written yet
	}
	var list strings.Builder
	list.Grow(len(keys) * 21)
	for i, k := range keys {
		if i > 0 {
			list.WriteByte(',')
		}
		list.WriteString(strconv.FormatUint(k, 10))
	}
	rows, err := s.st.Query(ctx, store.QueryText("import_keys_get"),
		store.Params{"run": s.run, "kind": int(kind), "keys": list.String()})
	if err != nil {
		return err
	}
	for i := range rows.Len() {
		var key, person, flags uint64
		var value, day int64
		if err := rows.Scan(i, &key, &value, &person, &day, &flags); err != nil {
			return err
		}
		found(key, spillRow{value: value, person: person, day: int32(day), flags: uint8(flags)})
	}
	return nil
}

// write stores the states of kind's keys that a batch touched, as one
// INSERT; a later write of a key replaces what an earlier one said.
func (s *spill) write(ctx context.Context, kind uint8, keys []uint64, rows []spillRow) error {
	if len(keys) == 0 {
		return nil
	}
	s.seq[kind]++
	n := len(keys)
	value, person, day, flags := make([]int64, n), make([]uint64, n), make([]int32, n), make([]uint8, n)
	for i, r := range rows {
		value[i], person[i], day[i], flags[i] = r.value, r.person, r.day, r.flags
	}
	kinds, seqs, runs := make([]uint8, n), make([]uint32, n), make([]string, n)
	for i := range n {
		kinds[i], seqs[i], runs[i] = kind, s.seq[kind], s.run
	}
	s.written.Store(true)
	return s.st.Insert(ctx, &store.Batch{Table: store.Database + ".import_keys",
		Columns: []string{"run_id", "kind", "key", "seq", "value", "person", "day", "flags"},
		Values:  []any{runs, kinds, keys, seqs, value, person, day, flags}})
}

// drop removes the run's rows once the import ended. They are never read
// again, so a failure is only logged: the table's TTL removes them a day
// later, as it does on a cluster, where the partition cannot be dropped.
func (s *spill) drop(im *Importer) {
	if !s.written.Load() || im.cfg.Distributed {
		return
	}
	err := s.st.Exec(context.Background(), store.QueryText("import_keys_drop"), store.Params{"run": s.run})
	if err != nil {
		im.cfg.Logger.Warn("import_keys_drop_failed", "run", s.run, "err", err)
	}
}

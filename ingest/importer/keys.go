package importer

import (
	"context"
	"hash/maphash"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// version is what, beside its Meta, decides a row's key and which of two
// rows with that key the store keeps.
type version struct {
	key       string     // the rest of the key: a person's valid_from, a holiday's calendar and date
	updatedAt *time.Time // the source's updated_at, for time entries and deliverables
}

// rowKey is a row's key, hashed, and what decides whether it replaces an
// earlier row with the same key.
type rowKey struct {
	hash    uint64
	micros  int64 // updated_at in microseconds; 0 when the row has none
	deleted bool
	stored  bool // stored and live before this import, when pending.storedKnown
}

// keys remembers the key of every row an input gave so far, as a 64-bit
// hash. Two different keys of one input share a hash with a probability of
// n²/2⁶⁵ (below 10⁻⁷ for a million keys); the seed is random, so no input
// can aim for it. m holds the keys of the job being counted alone: the
// earlier jobs' are in the store (spill), read back for the keys a job has.
type keys struct {
	seed   maphash.Seed
	m      map[uint64]keyState
	hashes []uint64   // load's and save's buffers, one job's worth
	states []spillRow //
}

// keyState is the row of a key that the store keeps: the one with the
// greatest version (updated_at, else the time it is written), the later one
// of two with equal versions.
type keyState struct {
	micros  int64
	deleted bool
	existed bool // stored and live before this import (known with CountChanges)
}

func newKeys() keys { return keys{seed: maphash.MakeSeed(), m: map[uint64]keyState{}} }

// load empties m and fills it with what earlier jobs gave the keys of
// batches' rows.
func (k *keys) load(ctx context.Context, sp *spill, batches []*pending) error {
	clear(k.m)
	k.hashes = k.hashes[:0]
	for _, p := range batches {
		for _, row := range p.rows {
			k.hashes = append(k.hashes, row.hash)
		}
	}
	return sp.load(ctx, spillCount, k.hashes, func(key uint64, r spillRow) {
		k.m[key] = keyState{micros: r.value, deleted: r.flags&1 != 0, existed: r.flags&2 != 0}
	})
}

// save writes m, the states of a job's keys, for the jobs after it.
func (k *keys) save(ctx context.Context, sp *spill) error {
	k.hashes, k.states = k.hashes[:0], k.states[:0]
	for h, st := range k.m {
		var flags uint8
		if st.deleted {
			flags |= 1
		}
		if st.existed {
			flags |= 2
		}
		k.hashes = append(k.hashes, h)
		k.states = append(k.states, spillRow{value: st.micros, flags: flags})
	}
	return sp.write(ctx, spillCount, k.hashes, k.states)
}

func (k *keys) rowKey(m ingest.Meta, v version) rowKey {
	var h maphash.Hash
	h.SetSeed(k.seed)
	h.WriteString(m.Source)
	h.WriteByte(0)
	h.WriteString(m.ExternalID)
	h.WriteByte(0)
	h.WriteString(v.key)
	rk := rowKey{hash: h.Sum64(), deleted: m.Deleted}
	if v.updatedAt != nil {
		rk.micros = v.updatedAt.UnixMicro()
	}
	return rk
}

// replacedBy reports whether row, coming after the kept one, wins. now
// stands for the version of a row without updated_at, which the writer
// stamps with the time it writes it.
func (s keyState) replacedBy(row rowKey, now int64) bool {
	v := func(micros int64) int64 {
		if micros == 0 {
			return now
		}
		return micros
	}
	return v(row.micros) >= v(s.micros)
}

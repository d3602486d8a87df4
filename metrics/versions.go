package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// Data versions: every org has a version that moves whenever a write lands
// that can change one of its numbers, so that an answer computed at one
// version is exact for as long as the version stands (Cache), and the
// Prometheus collector recomputes only the orgs whose version moved.
//
// Nobody bumps a version by hand: the engine tells Versions of every write
// once it has landed (store.WriteWatcher), with its table and orgs. A write
// of derived or private tables (staging, entry facts, import keys) moves
// nothing; a write whose orgs are not known moves every org's version.
//
// On the embedded engine, which one process uses alone, the versions are
// kept in memory, prefixed by this process's start so that a version never
// repeats across restarts. On a shared store (a ClickHouse server with
// several `serve` replicas, or a CLI import beside them) each landed write
// also adds a row to ops.data_versions (sql/schema/0020_data_versions.sql),
// and a version is read from there on every ask: what another process wrote
// is seen at once, at the cost of one small query.

// VersionStore is the store versions are kept in.
type VersionStore interface {
	Querier
	Insert(ctx context.Context, b *store.Batch) error
}

// quietTables move no version: derived tables whose reads carry the build
// they read (entry facts), tables only writers read (staging, import keys,
// the seen ids of a sync, leases), and the versions themselves.
var quietTables = map[string]bool{
	"ops.entry_facts": true, "ops.entry_fact_builds": true, "ops.adjustment_facts": true, "ops.entry_days": true,
	"ops.import_keys": true, "ops.sync_seen": true, "ops.data_versions": true,
	// Sessions are read by auth alone, through the store, never through
	// the cache; a session's last use is written every five minutes of
	// activity, and would empty its org's cache as often.
	"ops.sessions": true,
	// Leases are read by their holders alone, through the store; an org's
	// facts build, a sync and a hook's reconciliation each claim one.
	"ops.source_leases": true,
}

// quiet reports whether a write of table moves no version.
func quiet(table string) bool {
	return quietTables[table] || strings.HasPrefix(table, "ops.staging_")
}

// Versions keeps every org's data version. It is safe for concurrent use;
// one serves one store.
type Versions struct {
	s      VersionStore
	log    *slog.Logger
	shared bool   // the store is shared: versions are read from it
	boot   string // this process's start, so a version never repeats

	mu   sync.Mutex
	seq  uint64            // bumps so far in this process
	orgs map[string]uint64 // org -> seq of its last bump
	any  uint64            // seq of the last write of unknown orgs
}

// NewVersions returns the versions of s's orgs and starts watching s's
// writes. Errors: s cannot tell of its writes.
func NewVersions(s VersionStore, log *slog.Logger) (*Versions, error) {
	w, ok := s.(store.WriteWatcher)
	if !ok {
		return nil, errors.New("data versions: the store does not tell of its writes")
	}
	v := &Versions{s: s, log: log, shared: !store.IsExclusive(s), orgs: map[string]uint64{},
		boot: strconv.FormatInt(time.Now().UnixNano(), 36)}
	w.WatchWrites(v.wrote)
	return v, nil
}

// wrote moves the versions a landed write may have changed.
func (v *Versions) wrote(ctx context.Context, w store.Write) {
	if quiet(w.Table) {
		return
	}
	orgs := w.Orgs
	if orgs == nil {
		orgs = []string{""}
	}
	v.mu.Lock()
	v.seq++
	for _, o := range orgs {
		if o == "" {
			v.any = v.seq
		} else {
			v.orgs[o] = v.seq
		}
	}
	v.mu.Unlock()
	if !v.shared {
		return
	}
	// The write has landed: its bump must land too, even when the request
	// that wrote has given up waiting.
	ones := make([]uint64, len(orgs))
	for i := range ones {
		ones[i] = 1
	}
	err := v.s.Insert(context.WithoutCancel(ctx), &store.Batch{Table: "ops.data_versions",
		Columns: []string{"org_id", "bumps"}, Values: []any{orgs, ones}})
	if err != nil {
		// This process still sees its own write (the local part of the
		// version moved); another replica sees it at its next write.
		v.log.Warn("data_version_bump_failed", "orgs", orgs, "table", w.Table, "err", err)
	}
}

// Of returns org's data version: equal versions mean no write that can
// change its numbers landed between them.
func (v *Versions) Of(ctx context.Context, org string) (string, error) {
	all, err := v.Many(ctx, []string{org})
	return all[org], err
}

// Many returns the data versions of orgs, in one query on a shared store.
func (v *Versions) Many(ctx context.Context, orgs []string) (map[string]string, error) {
	out := make(map[string]string, len(orgs))
	v.mu.Lock()
	for _, o := range orgs {
		out[o] = v.boot + "." + strconv.FormatUint(max(v.orgs[o], v.any), 36)
	}
	v.mu.Unlock()
	if !v.shared {
		return out, nil
	}
	rows, err := v.s.Query(ctx, store.QueryText("data_versions"), store.Params{"orgs": orgs})
	if err != nil {
		return nil, fmt.Errorf("data versions: %w", err)
	}
	stored := map[string]uint64{}
	for i := range rows.Len() {
		var org string
		var n uint64
		if err := rows.Scan(i, &org, &n); err != nil {
			return nil, fmt.Errorf("data versions: %w", err)
		}
		stored[org] = n
	}
	for _, o := range orgs {
		out[o] += "." + strconv.FormatUint(stored[o], 36) + "." + strconv.FormatUint(stored[""], 36)
	}
	return out, nil
}

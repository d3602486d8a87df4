package metrics

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// Entry facts: every time entry of an org with its bill and cost rate, role,
// team, client, project kind, billed value and retainer excess resolved once
// (ops.entry_facts, sql/schema/0002_entry_facts.sql), and every write-off
// and write-up adjustment dated and valued (ops.adjustment_facts), so that the KPIs read
// plain columns. Resolving them per request was most of the money KPIs'
// time (docs/benchmarks.md, issue #4).
//
// A build is named by a hash of what it was built from: per source table,
// the org's stored rows, newest ingest time and newest version
// (sql/queries/entry_facts_sources.sql), and the text of the build query.
// Any write to those tables, or a new build query, gives a new name, and
// the next KPI that reads the facts builds them first (both tables). Before every such
// KPI the sources are summed up again (a few milliseconds), except on a
// store that knows nobody else writes: the embedded engine counts its own
// writes (chdb.Store.Writes), and while that count stands the last answer
// holds.

// Execer runs statements without a result; the build needs it.
type Execer interface {
	Exec(ctx context.Context, query string, params store.Params) error
}

// writeCounter is a store that is the only writer of its data.
type writeCounter interface {
	Writes() uint64
}

type factsKey struct {
	q   Querier
	org string
}

// orgFacts is what is known of one org's facts in one store. mu is held
// while they are checked or built, so one org is built once at a time.
type orgFacts struct {
	mu      sync.Mutex
	writes  uint64 // the store's write count when sources was read
	sources string
	build   string
}

var (
	factsMu  sync.Mutex
	factsFor = map[factsKey]*orgFacts{}
)

// factsBuildHash names the build query, so a changed query builds anew.
var factsBuildHash = sync.OnceValue(func() string {
	sum := sha256.Sum256([]byte(store.QueryText("entry_facts_build") + store.QueryText("adjustment_facts_build")))
	return hex.EncodeToString(sum[:8])
})

// ensureFacts returns the id of the org's current entry facts build,
// building it when the data changed since the last one.
func ensureFacts(ctx context.Context, q Querier, org string) (string, error) {
	factsMu.Lock()
	if len(factsFor) > 10_000 { // bounded: forgetting only costs a check
		clear(factsFor)
	}
	f := factsFor[factsKey{q, org}]
	if f == nil {
		f = &orgFacts{}
		factsFor[factsKey{q, org}] = f
	}
	factsMu.Unlock()

	f.mu.Lock()
	defer f.mu.Unlock()
	wc, sole := q.(writeCounter)
	var writes uint64
	if sole {
		writes = wc.Writes()
		if f.build != "" && f.writes == writes {
			return f.build, nil
		}
	}
	sources, err := factSources(ctx, q, org)
	if err != nil {
		return "", err
	}
	if f.build == "" || sources != f.sources {
		sum := sha256.Sum256([]byte(factsBuildHash() + "\n" + org + "\n" + sources))
		build := hex.EncodeToString(sum[:12])
		if err := buildFacts(ctx, q, org, build); err != nil {
			return "", err
		}
		f.sources, f.build = sources, build
	}
	if sole {
		f.writes = writes
	}
	return f.build, nil
}

// factSources sums up the tables the org's facts are built from.
func factSources(ctx context.Context, q Querier, org string) (string, error) {
	rows, err := q.Query(ctx, store.QueryText("entry_facts_sources"), store.Params{"org": org})
	if err != nil {
		return "", fmt.Errorf("entry facts sources: %w", err)
	}
	var b strings.Builder
	for i := range rows.Len() {
		var table string
		var n, version uint64
		var at time.Time
		if err := rows.Scan(i, &table, &n, &at, &version); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%s %d %d %d\n", table, n, at.UnixMilli(), version)
	}
	return b.String(), nil
}

// buildFacts makes sure the build exists and is whole: built by this or
// another process already, or built now. Then it drops the org's other
// builds.
func buildFacts(ctx context.Context, q Querier, org, build string) error {
	ex, ok := q.(Execer)
	if !ok {
		return fmt.Errorf("entry facts: the store cannot run statements")
	}
	p := store.Params{"org": org, "facts": build}
	rows, err := q.Query(ctx, store.QueryText("entry_facts_built"), p)
	if err != nil {
		return fmt.Errorf("entry facts: %w", err)
	}
	var recorded, want, present uint64
	if err := rows.Scan(0, &recorded, &want, &present); err != nil {
		return err
	}
	if recorded > 0 && want == present {
		return nil
	}
	// A build cut short (a crash, a cancelled request) left some rows: the
	// same rows are written again, and FINAL reads each once.
	for _, name := range []string{"entry_facts_build", "adjustment_facts_build", "entry_facts_record"} {
		if err := ex.Exec(ctx, store.QueryText(name), p); err != nil {
			return fmt.Errorf("entry facts (%s): %w", name, err)
		}
	}
	// Dropping the other builds is housekeeping: no query reads them. It
	// fails where the tables take no mutations (a Distributed table on a
	// cluster), and then they stay; the build rows go first, so a build row
	// never outlives its facts.
	if ex.Exec(ctx, store.QueryText("entry_facts_prune_builds"), p) == nil {
		_ = ex.Exec(ctx, store.QueryText("entry_facts_prune"), p)
		_ = ex.Exec(ctx, store.QueryText("adjustment_facts_prune"), p)
	}
	return nil
}

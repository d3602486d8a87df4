package metrics

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
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
// time (docs/benchmarks.md, issue #4). Each build also sums its entry facts
// per day, person, project and client into a daily rollup (ops.entry_days,
// sql/schema/0021_entry_days.sql), which the hours and money KPIs read: it
// is exactly as current as the facts because it is part of their build.
//
// A build is named by a hash of what it was built from: per source table,
// the org's stored rows, newest ingest time and newest version
// (sql/queries/entry_facts_sources.sql), and the text of the build query.
// Any write to those tables, or a new build query, gives a new name.
//
// Facts are built when data changes, not when it is read: whoever writes
// calls Changed (the importer after an import or intake batch is visible,
// the ingest writer after each write), the demo calls RefreshAll after its
// load, and serve at start, for what changed while it was down. Changed
// hands the org to a refresh in the background, so a writer never waits
// for a build; a refresh sums the sources up (a few milliseconds), and
// builds only when they changed.
//
// A KPI read never builds. It takes the org's current build when nothing
// can have changed since: on a store that counts its own writes
// (store.WriteCounter: the embedded engine, which nobody else writes),
// while that count stands. Otherwise it asks for a refresh and waits for
// it: one under way already (a write's) is joined, and one that finds the
// sources as they were ends after the sum. So a read right after a write
// waits for that write's build and its numbers include it, and numbers are
// never silently stale: when a process without the callback wrote (another
// replica on a ClickHouse server, a crash between commit and rebuild), the
// read finds the sources changed, takes a whole build that matches them if
// another process made one (entry_facts_built), and otherwise waits for
// the refresh to build it, outside the request: a cancelled request stops
// waiting, not the build, and the refresh is logged as a read's.

// Execer runs statements without a result; the build needs it.
type Execer interface {
	Exec(ctx context.Context, query string, params store.Params) error
}

// FactsStore is the part of the store entry facts are built in.
type FactsStore interface {
	Querier
	Execer
}

// FactsConfig configures Facts.
type FactsConfig struct {
	Store  FactsStore
	Logger *slog.Logger
	// Versions, when set on a store this process uses alone, say when an
	// org's build is still current: while its data version stands. Writes
	// of other orgs, and of derived tables (the facts' own prunes), then
	// leave it current; without them any write of the store makes the next
	// read sum the sources up again.
	Versions *Versions
	// Hold, on a store other processes write too (several serve replicas,
	// a CLI beside them), takes org's facts lease, so that one process at
	// a time builds an org's facts: nil and no error while another holds
	// it. Required there (app.NewFacts holds collect's leases); unused on a
	// store this process uses alone.
	Hold func(ctx context.Context, org string) (FactsLease, error)
}

// FactsLease is one hold of an org's facts lease (a *collect.Lease): kept
// (renewed) while its build runs, checked before the build is recorded,
// released after the prune.
type FactsLease interface {
	Keep(ctx context.Context) (stop func())
	Check(ctx context.Context) error
	Release(ctx context.Context) error
}

// Validate reports what is missing.
func (c *FactsConfig) Validate() error {
	if c.Store == nil || c.Logger == nil {
		return errors.New("entry facts: store and logger are required")
	}
	return nil
}

// Facts keeps each org's entry facts built for the KPIs that read them. It
// is safe for concurrent use; one Facts serves one store, for every reader
// of it in the process (the API, the pages, the collector).
type Facts struct {
	cfg    FactsConfig
	counts store.WriteCounter // nil unless the store counts its writes
	mu     sync.Mutex
	orgs   map[string]*orgFacts // one per org asked about: bounded by the store's orgs
	wg     sync.WaitGroup       // refreshes running
}

// orgFacts is what is known of one org's facts. Refreshes are numbered:
// asking for one raises want, and one runs while done < want, taking in
// every ask made before it started, so that many changes and reads share
// one refresh.
type orgFacts struct {
	want, done uint64
	running    bool
	changed    bool          // Changed asked since the last refresh started
	ended      chan struct{} // closed, and replaced, when a refresh ends
	writes     uint64        // the store's write count when sources were read
	version    string        // the org's data version when sources were read (Versions)
	sources    string
	build      string
	err        error // of the last refresh
}

// NewFacts returns Facts for cfg's store, or the configuration error.
func NewFacts(cfg FactsConfig) (*Facts, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	f := &Facts{cfg: cfg, orgs: map[string]*orgFacts{}}
	f.counts, _ = cfg.Store.(store.WriteCounter)
	if store.IsExclusive(cfg.Store) {
		f.cfg.Hold = nil
		return f, nil
	}
	// Another process may have written without telling: the sources are
	// summed on every read.
	f.cfg.Versions = nil
	if f.cfg.Hold == nil {
		return nil, errors.New("entry facts: a store other processes write needs Hold, the org's facts lease (app.NewFacts)")
	}
	return f, nil
}

// factsLeasePoll is how often a process waiting for another's build of an
// org looks again.
const factsLeasePoll = 200 * time.Millisecond

// factsBuildHash names the build query, so a changed query builds anew.
var factsBuildHash = sync.OnceValue(func() string {
	sum := sha256.Sum256([]byte(store.QueryText("entry_facts_build") + store.QueryText("adjustment_facts_build") +
		store.QueryText("entry_days_build")))
	return hex.EncodeToString(sum[:8])
})

// Changed says that orgs' data may have changed: their facts are refreshed
// in the background, and a KPI read of them waits for that. It has the
// signature of ingest.WriterConfig.Changed and importer.Config.Changed.
func (f *Facts) Changed(ctx context.Context, orgs []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, org := range orgs {
		f.ask(ctx, org, true)
	}
}

// RefreshAll refreshes every org's facts in the background (Changed of
// every org), for a server that starts on data written while it was down,
// or after a bulk load. It returns once the orgs are listed; Wait waits for
// the refreshes.
func (f *Facts) RefreshAll(ctx context.Context) error {
	rows, err := f.cfg.Store.Query(ctx, store.QueryText("org_list"), nil)
	if err != nil {
		return fmt.Errorf("entry facts: list orgs: %w", err)
	}
	orgs := make([]string, rows.Len())
	for i := range orgs {
		var name string
		if err := rows.Scan(i, &orgs[i], &name); err != nil {
			return fmt.Errorf("entry facts: list orgs: %w", err)
		}
	}
	f.Changed(ctx, orgs)
	return nil
}

// Wait returns once no refresh runs: before the store closes, or before a
// command that changed data exits.
func (f *Facts) Wait() { f.wg.Wait() }

// current returns the id of the org's build for a KPI read: the last one
// while the store's write count stands, else the one a refresh asked for
// now finds or makes.
func (f *Facts) current(ctx context.Context, org string) (string, error) {
	version := f.version(ctx, org)
	f.mu.Lock()
	o := f.orgs[org]
	if o != nil && o.done == o.want && o.build != "" && o.err == nil && f.stands(o, version) {
		b := o.build
		f.mu.Unlock()
		return b, nil
	}
	o, n := f.ask(ctx, org, false)
	f.mu.Unlock()
	return f.wait(ctx, o, n)
}

// version is org's data version when Versions are set, else "".
func (f *Facts) version(ctx context.Context, org string) string {
	if f.cfg.Versions == nil {
		return ""
	}
	v, err := f.cfg.Versions.Of(ctx, org)
	if err != nil {
		return "" // never equal to a build's: the sources are summed
	}
	return v
}

// stands reports whether nothing can have changed o's sources since they
// were read: the org's data version (version, read now) when Versions are
// set, else the store's write count. f.mu must be held.
func (f *Facts) stands(o *orgFacts, version string) bool {
	if f.cfg.Versions != nil {
		return version != "" && o.version == version
	}
	return f.counts != nil && o.writes == f.counts.Writes()
}

// ask asks for a refresh of org that starts after this call, starting one
// unless one runs (which then goes on), and returns the number to wait
// for; changed says a write asks, not a read. f.mu must be held.
func (f *Facts) ask(ctx context.Context, org string, changed bool) (*orgFacts, uint64) {
	o := f.orgs[org]
	if o == nil {
		o = &orgFacts{ended: make(chan struct{})}
		f.orgs[org] = o
	}
	o.changed = o.changed || changed
	o.want++
	if !o.running {
		o.running = true
		f.wg.Add(1)
		// Outside the caller's request: a caller that stops waiting does
		// not cut the build short.
		go f.refresh(context.WithoutCancel(ctx), org, o)
	}
	return o, o.want
}

// wait returns the outcome of the refresh that took in ask number n, or
// ctx's error when ctx ends first.
func (f *Facts) wait(ctx context.Context, o *orgFacts, n uint64) (string, error) {
	for {
		f.mu.Lock()
		done, build, err, ended := o.done, o.build, o.err, o.ended
		f.mu.Unlock()
		if done >= n {
			return build, err
		}
		select {
		case <-ended:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// refresh runs refreshes of org until every ask is taken in.
func (f *Facts) refresh(ctx context.Context, org string, o *orgFacts) {
	defer f.wg.Done()
	f.mu.Lock()
	for o.done < o.want {
		target, changed := o.want, o.changed
		o.changed = false
		sources, build := o.sources, o.build
		f.mu.Unlock()

		var writes uint64
		if f.counts != nil {
			writes = f.counts.Writes() // before the sum: a write during it moves the count
		}
		version := f.version(ctx, org) // before the sum too
		newSources, err := factSources(ctx, f.cfg.Store, org)
		var pruning string
		release := func() {}
		if err == nil && (build == "" || newSources != sources) {
			start := time.Now()
			var built bool
			newSources, build, built, release, err = f.build(ctx, org, newSources)
			if built && err == nil {
				pruning = build
				// Asked by a read alone, it follows a write no Changed
				// reported: another process's, or one whose process
				// stopped before its refresh.
				f.cfg.Logger.Info("entry_facts_built", "org", org, "build", build, "seconds", time.Since(start).Seconds(),
					"asked_by_change", changed)
			}
		}
		if err != nil {
			f.cfg.Logger.Warn("entry_facts_refresh_failed", "org", org, "err", err)
		}

		f.mu.Lock()
		o.done, o.err = target, err
		if err == nil {
			o.sources, o.build, o.writes, o.version = newSources, build, writes, version
		}
		close(o.ended)
		o.ended = make(chan struct{})
		// After the waiters are let go: the reads take the new build while
		// the old ones are dropped, and then the lease is let go.
		f.mu.Unlock()
		if pruning != "" {
			pruneFacts(ctx, f.cfg.Store, org, pruning)
		}
		release()
		f.mu.Lock()
	}
	o.running = false
	f.mu.Unlock()
}

// buildID names org's build from sources.
func buildID(org, sources string) string {
	sum := sha256.Sum256([]byte(factsBuildHash() + "\n" + org + "\n" + sources))
	return hex.EncodeToString(sum[:12])
}

// build makes sure org's build from sources exists and is whole
// (buildFacts), and returns the sources and build it ended with, whether
// it built, and release, to call after the prune. On a store other
// processes write it builds under the org's facts lease, so one process at
// a time builds an org: two at once, an older build finishing last would
// drop the newer one (its prune) and be taken for current. Holding the
// lease, it reads the sources again (whoever held it before may have
// built from newer ones); waiting for it, it takes the build another
// process makes once that is whole. release renews the lease until called.
func (f *Facts) build(ctx context.Context, org, sources string) (string, string, bool, func(), error) {
	none := func() {}
	if f.cfg.Hold == nil {
		id := buildID(org, sources)
		built, err := buildFacts(ctx, f.cfg.Store, org, id, nil)
		return sources, id, built, none, err
	}
	for {
		id := buildID(org, sources)
		if whole, err := factsWhole(ctx, f.cfg.Store, org, id); err != nil || whole {
			return sources, id, false, none, err
		}
		lease, err := f.cfg.Hold(ctx, org)
		if err != nil {
			return sources, id, false, none, fmt.Errorf("entry facts lease: %w", err)
		}
		if lease != nil {
			stop := lease.Keep(ctx)
			release := func() {
				stop()
				if err := lease.Release(ctx); err != nil {
					f.cfg.Logger.Warn("entry_facts_lease_release_failed", "org", org, "err", err)
				}
			}
			if sources, err = factSources(ctx, f.cfg.Store, org); err != nil {
				release()
				return sources, id, false, none, err
			}
			id = buildID(org, sources)
			built, err := buildFacts(ctx, f.cfg.Store, org, id, lease.Check)
			if err != nil {
				release()
				return sources, id, false, none, err
			}
			return sources, id, built, release, nil
		}
		// Another process builds the org: look again in a while.
		select {
		case <-ctx.Done():
			return sources, id, false, none, ctx.Err()
		case <-time.After(factsLeasePoll):
		}
		if sources, err = factSources(ctx, f.cfg.Store, org); err != nil {
			return sources, id, false, none, err
		}
	}
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

// factsWhole reports whether org's build finished and is whole.
func factsWhole(ctx context.Context, q Querier, org, build string) (bool, error) {
	rows, err := q.Query(ctx, store.QueryText("entry_facts_built"), store.Params{"org": org, "facts": build})
	if err != nil {
		return false, fmt.Errorf("entry facts: %w", err)
	}
	var recorded, want, present uint64
	if err := rows.Scan(0, &recorded, &want, &present); err != nil {
		return false, err
	}
	return recorded > 0 && want == present, nil
}

// buildFacts makes sure the build exists and is whole: built by this or
// another process already, or built now (then it reports built). check,
// when set, runs before the build is recorded, and its error leaves it
// unrecorded (the lease it was built under was lost).
func buildFacts(ctx context.Context, s FactsStore, org, build string, check func(context.Context) error) (built bool, err error) {
	p := store.Params{"org": org, "facts": build}
	if whole, err := factsWhole(ctx, s, org, build); err != nil || whole {
		return false, err
	}
	// A build cut short (a crash, a stopped process) left some rows: the
	// same rows are written again, and FINAL reads each once.
	// The daily rollup is summed from the entry facts just written, so it
	// comes after them; the record counts all three tables' rows.
	for _, name := range []string{"entry_facts_build", "adjustment_facts_build", "entry_days_build", "entry_facts_record"} {
		if name == "entry_facts_record" && check != nil {
			if err := check(ctx); err != nil {
				return false, fmt.Errorf("entry facts: %w", err)
			}
		}
		if err := s.Exec(ctx, store.QueryText(name), p); err != nil {
			return false, fmt.Errorf("entry facts (%s): %w", name, err)
		}
	}
	return true, nil
}

// pruneFacts drops the org's builds other than build. It is housekeeping:
// no query reads them, so it runs after the build's waiters are let go (it
// took as long as the build). It fails where the tables take no mutations
// (a Distributed table on a cluster), and then they stay; the build rows
// go first, so a build row never outlives its facts.
func pruneFacts(ctx context.Context, s FactsStore, org, build string) {
	p := store.Params{"org": org, "facts": build}
	if s.Exec(ctx, store.QueryText("entry_facts_prune_builds"), p) == nil {
		_ = s.Exec(ctx, store.QueryText("entry_facts_prune"), p)
		_ = s.Exec(ctx, store.QueryText("adjustment_facts_prune"), p)
		_ = s.Exec(ctx, store.QueryText("entry_days_prune"), p)
	}
}

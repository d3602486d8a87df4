package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/collect"
	"github.com/opsmetrics/opsmetrics/metrics"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// The money KPIs read each org's entry and adjustment facts (rates, billed
// values and adjustments resolved once). Every kind of write they are built
// from must show in the next answer: a new entry, a changed rate, a
// tombstone, an adjustment.
func TestFactsFollowWrites(t *testing.T) {
	const org = "facts-test"
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: org, Source: "test", ExternalID: id} }
	ana := ingest.Person{Meta: meta("ana"), ValidFrom: d("2025-01-01"), Name: "Ana", Role: "designer", Team: "Studio",
		WeeklyCapacityHours: dec("40"), BillRate: pdec("100"), StartDate: pd("2025-01-01")}
	entry := func(id, day, hours string) ingest.TimeEntry {
		return ingest.TimeEntry{Meta: meta(id), PersonID: "ana", Date: d(day), Hours: dec(hours), Billable: true}
	}
	revenue := func(what, want string) {
		t.Helper()
		res := compute(t, metrics.Request{KPI: "revenue", Org: org, From: d("2026-01-01"), To: d("2026-02-01")})
		exact(t, what, cell(t, res, "", "", "value"), want)
	}

	write(t, []ingest.Person{ana}, []ingest.TimeEntry{entry("e1", "2026-01-05", "2")})
	revenue("one entry", "200") // 2 h × 100 (T&M work without a project, at the person's rate)

	write(t, []ingest.TimeEntry{entry("e2", "2026-01-06", "1")})
	revenue("a second entry", "300") // (2 + 1) h × 100

	ana.BillRate = pdec("150")
	write(t, []ingest.Person{ana})
	revenue("a new bill rate", "450") // 3 h × 150

	gone := entry("e1", "2026-01-05", "2")
	gone.Deleted = true
	write(t, []ingest.TimeEntry{gone})
	revenue("a tombstone", "150") // 1 h × 150

	write(t, []ingest.Adjustment{{Meta: meta("a1"), Kind: "write_off", PersonID: "ana", TimeEntryID: "e2",
		Amount: pdec("50"), Reason: "goodwill"}})
	revenue("a write-off", "100") // 150 − 50 written off on T&M work

	// Only the current build is left recorded (older ones are dropped,
	// after the build's waiters are let go: wait for that).
	testFacts(t).Wait()
	var builds int
	rows := must(testStore(t).Query(t.Context(),
		"SELECT count() FROM ops.entry_fact_builds FINAL WHERE org_id = {org:String}", store.Params{"org": org}))
	if err := rows.Scan(0, &builds); err != nil || builds != 1 {
		t.Errorf("recorded builds = %d (%v), want 1", builds, err)
	}
}

// A build cut short (rows written, no build row) is built again, and its
// rows are counted once.
func TestFactsCutShortBuiltAgain(t *testing.T) {
	const org = "facts-cut"
	s := testStore(t)
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: org, Source: "test", ExternalID: id} }
	write(t, []ingest.Person{{Meta: meta("bo"), ValidFrom: d("2025-01-01"), Name: "Bo", Role: "dev",
		WeeklyCapacityHours: dec("40"), BillRate: pdec("80"), StartDate: pd("2025-01-01")}},
		[]ingest.TimeEntry{{Meta: meta("e1"), PersonID: "bo", Date: d("2026-01-05"), Hours: dec("3"), Billable: true}})
	r := metrics.Request{KPI: "revenue", Org: org, From: d("2026-01-01"), To: d("2026-02-01"), Now: testNow}
	if _, err := metrics.Compute(t.Context(), s, testFacts(t), r); err != nil {
		t.Fatal(err)
	}
	// Forget that the build finished, as if the process had died before
	// recording it; a store seen for the first time (a new process) checks.
	must(0, s.Exec(t.Context(), "ALTER TABLE ops.entry_fact_builds DELETE WHERE org_id = {org:String} SETTINGS mutations_sync = 1",
		store.Params{"org": org}))
	other := processFacts(t, newProcess{s})
	res, err := metrics.Compute(t.Context(), newProcess{s}, other, r)
	if err != nil {
		t.Fatal(err)
	}
	exact(t, "revenue after a rebuild over the cut-short rows", cell(t, res, "", "", "value"), "240") // 3 h × 80, once
}

// newProcess is the store as another process would see it: a Querier the
// facts have not met, which does not count its writes.
type newProcess struct {
	s interface {
		metrics.Querier
		metrics.Execer
		Insert(ctx context.Context, b *store.Batch) error
	}
}

func (p newProcess) Insert(ctx context.Context, b *store.Batch) error { return p.s.Insert(ctx, b) }

// processFacts are the entry facts of another process over s, a store it
// shares: builds take the org's facts lease, which settles in 20 ms
// (a ClickHouse server's default of 2 s would only slow the tests).
func processFacts(t testing.TB, s metrics.FactsStore) *metrics.Facts {
	ls, ok := s.(collect.Store)
	if !ok {
		t.Fatalf("%T takes no inserts", s)
	}
	leases := must(collect.NewLeases(collect.LeasesConfig{Store: ls, Settle: 20 * time.Millisecond}))
	owner := fmt.Sprintf("%s-%p", t.Name(), leases)
	hold := func(ctx context.Context, org string) (metrics.FactsLease, error) {
		l, err := leases.Hold(ctx, org, "entry-facts", owner)
		if l == nil || err != nil {
			return nil, err
		}
		return l, nil
	}
	return must(metrics.NewFacts(metrics.FactsConfig{Store: s, Logger: slog.New(slog.DiscardHandler), Hold: hold}))
}

func (p newProcess) Query(ctx context.Context, q string, params store.Params) (*store.Rows, error) {
	return p.s.Query(ctx, q, params)
}

func (p newProcess) Exec(ctx context.Context, q string, params store.Params) error {
	return p.s.Exec(ctx, q, params)
}

// builds counts the entry facts builds run through a store that, as a
// ClickHouse server, does not count its writes.
type builds struct {
	newProcess
	n       atomic.Int64
	onBuild func() // when set, runs as a build begins
}

func (b *builds) Exec(ctx context.Context, q string, params store.Params) error {
	if q == store.QueryText("entry_facts_build") {
		b.n.Add(1)
		if b.onBuild != nil {
			b.onBuild()
		}
	}
	return b.newProcess.Exec(ctx, q, params)
}

// newFactsOrg gives org one person billed at rate with one entry of hours
// on 2026-01-05, and returns Facts of their own over a store that counts
// builds, and a revenue request for January. With report the writes are
// reported to those Facts (Changed); without, they are another process's.
func newFactsOrg(t *testing.T, org, rate, hours string, report bool) (*builds, *metrics.Facts, metrics.Request) {
	t.Helper()
	s := &builds{newProcess: newProcess{testStore(t)}}
	facts := processFacts(t, s)
	var changed func(context.Context, []string)
	if report {
		changed = facts.Changed
	}
	writeTo(t, changed, []ingest.Person{{Meta: factsMeta(org, "p"), ValidFrom: d("2025-01-01"), Name: "P", Role: "dev",
		WeeklyCapacityHours: dec("40"), BillRate: pdec(rate), StartDate: pd("2025-01-01")}},
		[]ingest.TimeEntry{{Meta: factsMeta(org, "e1"), PersonID: "p", Date: d("2026-01-05"), Hours: dec(hours), Billable: true}})
	return s, facts, metrics.Request{KPI: "revenue", Org: org, From: d("2026-01-01"), To: d("2026-02-01"), Now: testNow}
}

func factsMeta(org, id string) ingest.Meta {
	return ingest.Meta{Org: org, Source: "test", ExternalID: id}
}

// A KPI read does not build entry facts: a write that reports its org
// (Changed) has them built, and the reads after it find them current.
func TestFactsReadDoesNotBuild(t *testing.T) {
	s, facts, r := newFactsOrg(t, "facts-read", "90", "2", true)
	facts.Wait()
	built := s.n.Load()
	if built == 0 {
		t.Fatal("the writes built no entry facts")
	}
	for range 3 {
		res, err := metrics.Compute(t.Context(), s, facts, r)
		if err != nil {
			t.Fatal(err)
		}
		exact(t, "revenue", cell(t, res, "", "", "value"), "180") // 2 h × 90
	}
	if n := s.n.Load(); n != built {
		t.Errorf("reads built entry facts %d times", n-built)
	}
}

// A write no Changed reports (another process's) is in the next answer:
// the reads find the sources moved and wait for one build, made outside
// them, however many there are.
func TestFactsUnreportedWrite(t *testing.T) {
	const org = "facts-unreported"
	s, facts, r := newFactsOrg(t, org, "100", "1", false)
	res := must(metrics.Compute(t.Context(), s, facts, r))
	exact(t, "revenue", cell(t, res, "", "", "value"), "100")

	writeTo(t, nil, []ingest.TimeEntry{{Meta: factsMeta(org, "e2"), PersonID: "p", Date: d("2026-01-06"), Hours: dec("2"), Billable: true}})
	before := s.n.Load()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			res, err := metrics.Compute(t.Context(), s, facts, r)
			if err != nil {
				t.Error(err)
				return
			}
			exact(t, "revenue after another process wrote", cell(t, res, "", "", "value"), "300") // 3 h × 100
		})
	}
	wg.Wait()
	if n := s.n.Load() - before; n != 1 {
		t.Errorf("8 reads after one write built %d times, want 1", n)
	}
}

// A read that stops waiting does not stop the build it waits for.
func TestFactsCancelledRead(t *testing.T) {
	s, facts, r := newFactsOrg(t, "facts-cancelled", "50", "4", false)
	// The read is cancelled once the build has begun, and the build goes
	// on only after the read has returned.
	ctx, cancel := context.WithCancel(t.Context())
	returned := make(chan struct{})
	s.onBuild = func() { cancel(); <-returned }
	_, err := metrics.Compute(ctx, s, facts, r)
	close(returned)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled read: %v, want context.Canceled", err)
	}
	facts.Wait()
	s.onBuild = nil
	res := must(metrics.Compute(t.Context(), s, facts, r))
	exact(t, "revenue", cell(t, res, "", "", "value"), "200") // 4 h × 50
	if s.n.Load() != 1 {
		t.Errorf("builds = %d, want 1: the cancelled read's build was whole", s.n.Load())
	}
}

// Two processes that share a store build an org's facts one at a time
// (the org's facts lease). Both at once, the older build, finishing last,
// dropped the newer one: the next reader found the current build gone and
// built it again, and a reader holding it read rows being deleted.
func TestFactsOneBuildAtATime(t *testing.T) {
	const org = "facts-replicas"
	writeTo(t, nil, []ingest.Person{{Meta: factsMeta(org, "p"), ValidFrom: d("2025-01-01"), Name: "P", Role: "dev",
		WeeklyCapacityHours: dec("40"), BillRate: pdec("100"), StartDate: pd("2025-01-01")}},
		[]ingest.TimeEntry{{Meta: factsMeta(org, "e1"), PersonID: "p", Date: d("2026-01-05"), Hours: dec("1"), Billable: true}})
	r := metrics.Request{KPI: "revenue", Org: org, From: d("2026-01-01"), To: d("2026-02-01"), Now: testNow}
	var running, most atomic.Int64
	gate, building := make(chan struct{}), make(chan struct{})
	a := &spans{newProcess: newProcess{testStore(t)}, running: &running, most: &most, gate: gate, building: building}
	b := &spans{newProcess: newProcess{testStore(t)}, running: &running, most: &most}
	factsA, factsB := processFacts(t, a), processFacts(t, b)

	read := func(s *spans, f *metrics.Facts) chan string {
		out := make(chan string, 1)
		go func() {
			res, err := metrics.Compute(t.Context(), s, f, r)
			if err != nil {
				t.Error(err)
				out <- ""
				return
			}
			out <- cell(t, res, "", "", "value")
		}()
		return out
	}
	// A builds from the first write and stops there; another process
	// writes meanwhile; B reads.
	readA := read(a, factsA)
	<-building
	writeTo(t, nil, []ingest.TimeEntry{{Meta: factsMeta(org, "e2"), PersonID: "p", Date: d("2026-01-06"), Hours: dec("2"),
		Billable: true}})
	readB := read(b, factsB)
	select {
	case v := <-readB:
		t.Errorf("B answered %s while A was building the org's facts", v)
		readB <- v
	case <-time.After(time.Second):
	}
	close(gate)
	// A asked before the second entry: its build may read it or not.
	if v := <-readA; v != "100" && v != "300" {
		t.Errorf("A's revenue = %s, want 100 (1 h × 100) or 300 (with the 2 h written meanwhile)", v)
	}
	if v := <-readB; v != "300" {
		t.Errorf("B's revenue = %s, want 300: (1 + 2) h × 100", v)
	}
	factsA.Wait()
	factsB.Wait()
	if n := most.Load(); n != 1 {
		t.Errorf("%d builds of the org ran at once, want 1", n)
	}
	// A third process finds B's build whole: nothing dropped it.
	c := &builds{newProcess: newProcess{testStore(t)}}
	res := must(metrics.Compute(t.Context(), c, processFacts(t, c), r))
	exact(t, "revenue read by a third process", cell(t, res, "", "", "value"), "300")
	if n := c.n.Load(); n != 0 {
		t.Errorf("the third process built the facts again (%d builds): the current build was dropped", n)
	}
}

// spans counts the entry facts builds under way, from their first
// statement to their record, in running, and the most at once in most.
// With gate set, a build stops at its first statement until gate closes,
// once building is closed.
type spans struct {
	newProcess
	running, most *atomic.Int64
	gate          chan struct{}
	building      chan struct{}
}

func (s *spans) Exec(ctx context.Context, q string, params store.Params) error {
	if q == store.QueryText("entry_facts_build") {
		n := s.running.Add(1)
		for m := s.most.Load(); n > m && !s.most.CompareAndSwap(m, n); m = s.most.Load() {
		}
		if s.gate != nil {
			close(s.building)
			<-s.gate
			s.gate = nil
		}
	}
	err := s.newProcess.Exec(ctx, q, params)
	if q == store.QueryText("entry_facts_record") {
		s.running.Add(-1)
	}
	return err
}

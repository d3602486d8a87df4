package importer_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

// count returns one number a query finds for org.
func count(t *testing.T, s *chdb.Store, query, org string) int {
	t.Helper()
	rows, err := s.Query(context.Background(), query, store.Params{"org": org})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := rows.Scan(0, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// stored is what an org has in the tables the KPIs read, and what its
// batches left in the staging tables.
type stored struct {
	entries, people, orgs, staged int
	status                        string // of its one ingest batch
}

func storedOf(t *testing.T, s *chdb.Store, org string) stored {
	t.Helper()
	var st stored
	st.entries = count(t, s, "SELECT count() FROM ops.time_entries FINAL WHERE org_id = {org:String}", org)
	st.people = count(t, s, "SELECT count() FROM ops.people FINAL WHERE org_id = {org:String}", org)
	st.orgs = count(t, s, "SELECT count() FROM ops.orgs FINAL WHERE org_id = {org:String}", org)
	st.staged = count(t, s, `SELECT (SELECT count() FROM ops.staging_time_entries WHERE org_id = {org:String})
		+ (SELECT count() FROM ops.staging_people WHERE org_id = {org:String})
		+ (SELECT count() FROM ops.staging_orgs WHERE org_id = {org:String})`, org)
	rows, err := s.Query(context.Background(), "SELECT groupArray(toString(status)) FROM ops.ingest_batches FINAL WHERE org_id = {org:String}", store.Params{"org": org})
	if err != nil {
		t.Fatal(err)
	}
	var statuses []string
	if err := rows.Scan(0, &statuses); err != nil {
		t.Fatal(err)
	}
	st.status = strings.Join(statuses, ",")
	return st
}

// dyingStore is the engine as a process sees it when it is killed: every
// call after the one die picks fails, as if the process were gone, and what
// was written before stays. It takes RowBinary, as the engine does.
type dyingStore struct {
	s   *chdb.Store
	die func(op string, p store.Params) bool
	mu  sync.Mutex
	n   map[string]int // calls per op
	off bool
}

var (
	_ importer.Store          = (*dyingStore)(nil)
	_ store.RowBinaryInserter = (*dyingStore)(nil)
)

var errKilled = errors.New("killed")

// dead counts a call to op and reports whether the store is gone; die sees
// the call as "op#n", n counting from 1.
func (d *dyingStore) dead(op string, p store.Params) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.n == nil {
		d.n = map[string]int{}
	}
	d.n[op]++
	if !d.off && d.die(fmt.Sprintf("%s#%d", op, d.n[op]), p) {
		d.off = true
	}
	return d.off
}

func (d *dyingStore) Insert(ctx context.Context, b *store.Batch) error {
	if d.dead("insert "+b.Table, nil) {
		return errKilled
	}
	return d.s.Insert(ctx, b)
}

func (d *dyingStore) InsertRowBinary(ctx context.Context, table string, cols []string, data []byte) error {
	if d.dead("insert "+table, nil) {
		return errKilled
	}
	return d.s.InsertRowBinary(ctx, table, cols, data)
}

func (d *dyingStore) ColumnTypes(ctx context.Context, table string, cols []string) ([]string, error) {
	if d.dead("columns", nil) {
		return nil, errKilled
	}
	return d.s.ColumnTypes(ctx, table, cols)
}

func (d *dyingStore) Exec(ctx context.Context, q string, p store.Params) error {
	if d.dead("exec", p) {
		return errKilled
	}
	return d.s.Exec(ctx, q, p)
}

func (d *dyingStore) Query(ctx context.Context, q string, p store.Params) (*store.Rows, error) {
	if d.dead("query", p) {
		return nil, errKilled
	}
	return d.s.Query(ctx, q, p)
}

// harvestDays is a Harvest export of n rows, one per day from 2026-01-01, by
// one person on one project: importing it creates an org, a person, a client
// and a project, and writes n time entries.
func harvestDays(n int) string {
	var b strings.Builder
	b.WriteString(harvestHeader)
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		b.WriteString(harvestRow(day.AddDate(0, 0, i).Format(time.DateOnly), "work", "1"))
	}
	return b.String()
}

// TestStagedKilled: an import killed while it stages leaves nothing visible,
// and Recover drops its stage; one killed while it commits may leave part of
// itself visible, and Recover completes it. Either way the store ends with
// all of the input or none of it.
func TestStagedKilled(t *testing.T) {
	s := chdbtest.Shared(t)
	log := slog.New(slog.DiscardHandler)
	killedAt := func(die func(op string, p store.Params) bool) *importer.Importer {
		im, err := importer.New(importer.Config{Store: &dyingStore{s: s, die: die}, Logger: log, BatchRows: 3})
		if err != nil {
			t.Fatal(err)
		}
		return im
	}
	recovered, err := importer.New(importer.Config{Store: s, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	body := harvestDays(10) // four batches of at most 3 entries

	// Killed as the third batch of entries is staged: two are staged.
	im := killedAt(func(op string, _ store.Params) bool { return op == "insert ops.staging_time_entries#3" })
	_, err = im.Import(t.Context(), importer.Request{Org: "killed-staging", File: "h.csv", Body: strings.NewReader(body), Stage: true})
	if !errors.Is(err, errKilled) {
		t.Fatalf("import: %v, want the kill", err)
	}
	if got := storedOf(t, s, "killed-staging"); got.entries != 0 || got.people != 0 || got.orgs != 0 || got.staged != 8 || got.status != "staging" {
		// staged: 6 entries in two batches, the person and the org
		t.Fatalf("after the kill while staging: %+v, want nothing visible, 8 rows staged, the batch staging", got)
	}

	// Killed between copying the person and the entries: the person and the
	// org are visible, the entries not yet.
	im = killedAt(func(op string, p store.Params) bool {
		return strings.HasPrefix(op, "exec#") && p["table"] == "time_entries"
	})
	_, err = im.Import(t.Context(), importer.Request{Org: "killed-commit", File: "h.csv", Body: strings.NewReader(body), Stage: true})
	if !errors.Is(err, errKilled) {
		t.Fatalf("import: %v, want the kill", err)
	}
	if got := storedOf(t, s, "killed-commit"); got.entries != 0 || got.people != 1 || got.status != "committing" {
		t.Fatalf("after the kill while committing: %+v, want the person but no entries visible, the batch committing", got)
	}

	committed, dropped, err := recovered.Recover(t.Context(), time.Now())
	if err != nil || committed != 1 || dropped != 1 {
		t.Fatalf("recover: %d committed, %d dropped, %v; want 1 and 1", committed, dropped, err)
	}
	if got := storedOf(t, s, "killed-staging"); got != (stored{status: "failed"}) {
		t.Errorf("the batch killed while staging, recovered: %+v, want nothing anywhere, failed", got)
	}
	if got := storedOf(t, s, "killed-commit"); got != (stored{entries: 10, people: 1, orgs: 1, status: "done"}) {
		t.Errorf("the batch killed while committing, recovered: %+v, want all 10 entries, the person and the org, nothing staged, done", got)
	}
	// Recovering again finds nothing, and copies nothing twice.
	if c, d, err := recovered.Recover(t.Context(), time.Now()); c != 0 || d != 0 || err != nil {
		t.Errorf("second recover: %d, %d, %v", c, d, err)
	}
}

// cancelAfter cancels its context once n bytes were read.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.n <= 0 {
		c.cancel()
	}
	n, err := c.r.Read(p[:min(len(p), 64)])
	c.n -= n
	return n, err
}

// TestStagedCancelledAndStrict: a staged import whose client goes away part
// way, or a strict one with a rejected row, leaves nothing, and its summary
// counts no row as written; a clean one writes everything.
func TestStagedCancelledAndStrict(t *testing.T) {
	im, s := newImporter(t) // batches of 3 rows
	body := harvestDays(20)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	r := &cancelAfter{r: strings.NewReader(body), n: len(body) / 2, cancel: cancel}
	// The Harvest file is read through a 256 KB buffer: hide it behind a
	// reader that yields 64 bytes at a time, so that the cancel comes while
	// rows are still being read.
	sum, err := im.Import(ctx, importer.Request{Org: "cancelled", File: "h.csv", Body: r, Format: importer.FormatHarvest, Stage: true})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("import: %v, want context.Canceled", err)
	}
	if c := sum.Entities["time_entry"]; sum.Written || c == nil || c.Written != 0 || c.Valid == 0 {
		t.Errorf("cancelled summary: written %v, %+v; want nothing written, some rows valid", sum.Written, c)
	}
	if got := storedOf(t, s, "cancelled"); got != (stored{status: "failed"}) {
		t.Errorf("cancelled: %+v, want nothing visible or staged, the batch failed", got)
	}

	bad := body + harvestRow("2026-02-01", "neg", "-1")
	sum, err = im.Import(t.Context(), importer.Request{Org: "staged-strict", File: "h.csv", Body: strings.NewReader(bad), Stage: true, Strict: true})
	if c := sum.Entities["time_entry"]; err != nil || sum.Written || c.Valid != 20 || c.Rejected != 1 || c.Written != 0 || len(sum.Created) != 0 {
		t.Errorf("strict with a rejected row: %v, written %v, %+v, created %v; want 20 valid, 1 rejected, nothing written or created", err, sum.Written, c, sum.Created)
	}
	if got := storedOf(t, s, "staged-strict"); got != (stored{status: "failed"}) {
		t.Errorf("strict with a rejected row: %+v, want nothing visible or staged, the batch failed", got)
	}

	sum, err = im.Import(t.Context(), importer.Request{Org: "staged-ok", File: "h.csv", Body: strings.NewReader(body), Stage: true, Strict: true, CountChanges: true})
	if c := sum.Entities["time_entry"]; err != nil || !sum.Written || c.Valid != 20 || c.Written != 20 || c.New != 20 {
		t.Errorf("clean staged import: %v, written %v, %+v; want 20 written, all new", err, sum.Written, c)
	}
	if got := storedOf(t, s, "staged-ok"); got != (stored{entries: 20, people: 1, orgs: 1, status: "done"}) {
		t.Errorf("clean staged import: %+v, want 20 entries, the person and the org, nothing staged, done", got)
	}
}

// TestUnstagedBrokenFile: without staging, a file that breaks part way keeps
// the valid rows before the break and its summary says up to which line.
func TestUnstagedBrokenFile(t *testing.T) {
	im, s := newImporter(t) // batches of 3 rows
	// Lines 2-8 hold seven rows, line 9 a quote never closed.
	body := harvestDays(7) + `2026-02-01,Acme Corp,"Website` + "\n"
	sum, err := im.Import(t.Context(), importer.Request{Org: "broken", File: "h.csv", Body: strings.NewReader(body), CountChanges: true})
	var fe *ingest.FileError
	if !errors.As(err, &fe) || fe.Line != 9 {
		t.Fatalf("import: %v, want a file error at line 9", err)
	}
	if c := sum.Entities["time_entry"]; !sum.Written || sum.KeptThroughLine != 8 || c.Written != 7 || c.New != 7 {
		t.Errorf("summary: written %v, kept through %d, %+v; want 7 rows kept through line 8", sum.Written, sum.KeptThroughLine, c)
	}
	if got := storedOf(t, s, "broken"); got.entries != 7 || got.status != "failed" {
		t.Errorf("stored: %+v, want the 7 rows before the break, the batch failed", got)
	}
}

// lateCancel is the embedded engine when a request's context ends while
// its first INSERT into ops.ingest_batches runs: the engine cannot be
// interrupted, so the row is written, and the call returns the context's
// error (chdb.Store.withConn).
type lateCancel struct {
	*chdb.Store
	cancel context.CancelFunc
	once   sync.Once
}

func (l *lateCancel) Insert(ctx context.Context, b *store.Batch) error {
	if b.Table != "ops.ingest_batches" {
		return l.Store.Insert(ctx, b)
	}
	hit := false
	l.once.Do(func() { hit = true })
	if !hit {
		return l.Store.Insert(ctx, b)
	}
	if err := l.Store.Insert(context.WithoutCancel(ctx), b); err != nil {
		return err
	}
	l.cancel()
	return ctx.Err()
}

// TestCancelledWhileRecorded: a staged import whose context ends while its
// batch is being recorded (the record written, the call cancelled) leaves
// its batch failed, not "staging" until the next start; a sync of a
// connected source cancelled early showed it.
func TestCancelledWhileRecorded(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	s := &lateCancel{Store: chdbtest.Shared(t), cancel: cancel}
	im, err := importer.New(importer.Config{Store: s, Logger: slog.New(slog.DiscardHandler), BatchRows: 3})
	if err != nil {
		t.Fatal(err)
	}
	_, err = im.Import(ctx, importer.Request{Org: "late-cancel", File: "h.csv", Body: strings.NewReader(harvestDays(5)),
		Format: importer.FormatHarvest, Stage: true})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("import: %v, want context.Canceled", err)
	}
	if got := storedOf(t, s.Store, "late-cancel"); got != (stored{status: "failed"}) {
		t.Errorf("cancelled while recorded: %+v, want nothing visible or staged, the batch failed", got)
	}
}

// TestStagedBeforeCommit: a staged import whose BeforeCommit refuses writes
// nothing, says why in its batch and returns the refusal; one it allows is
// written. The second refused import would fit one INSERT (its person,
// client and project exist), which without BeforeCommit is written
// unstaged, with no point to check before: with it, it is staged too.
func TestStagedBeforeCommit(t *testing.T) {
	s := chdbtest.Shared(t)
	im, err := importer.New(importer.Config{Store: s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	orgID := fmt.Sprintf("before-commit-%d", time.Now().UnixNano())
	errLost := errors.New("lease lost")
	calls := 0
	refuse := func(context.Context) error { calls++; return errLost }
	imp := func(days int, check func(context.Context) error) (*importer.Summary, error) {
		return im.Import(t.Context(), importer.Request{Org: orgID, File: "h.csv", Body: strings.NewReader(harvestDays(days)),
			Stage: true, BeforeCommit: check})
	}

	sum, err := imp(1, refuse)
	if !errors.Is(err, errLost) || sum.Written || calls != 1 {
		t.Fatalf("refused import: written %v, %d checks, %v; want not written, 1 check, the refusal", sum.Written, calls, err)
	}
	if got := storedOf(t, s, orgID); got != (stored{status: "failed"}) {
		t.Fatalf("after the refused import: %+v, want nothing anywhere, the batch failed", got)
	}
	if _, err := imp(1, func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	// One new entry (2026-01-02) of the person the first import created.
	sum, err = imp(2, refuse)
	if !errors.Is(err, errLost) || sum.Written || calls != 2 {
		t.Fatalf("refused one-INSERT import: written %v, %d checks, %v; want not written, 2 checks, the refusal", sum.Written, calls, err)
	}
	if got := storedOf(t, s, orgID); got.entries != 1 || got.staged != 0 || strings.Count(got.status, "failed") != 2 || strings.Count(got.status, "done") != 1 {
		t.Errorf("after the refused one-INSERT import: %+v, want 1 entry, nothing staged, batches failed twice and done once", got)
	}
}

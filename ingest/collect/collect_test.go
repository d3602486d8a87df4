package collect_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/collect"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	chdbtest.Close()
	os.Exit(code)
}

const testToken = "hv-pat-0123456789abcdef-SECRET"

type rig struct {
	s       *chdb.Store
	sealer  *auth.Sealer
	sources *collect.Sources
	col     *collect.Collector
	im      *importer.Importer
	log     *bytes.Buffer
	mu      sync.Mutex
	sleeps  []time.Duration
}

func newRig(t testing.TB, orgID string) *rig { return newRigRows(t, orgID, 3) }

// newRigRows is newRig with batchRows rows per INSERT (3: every test
// crosses batch boundaries; 0: the importer's default).
func newRigRows(t testing.TB, orgID string, batchRows int) *rig {
	t.Helper()
	s := chdbtest.Shared(t)
	r := &rig{s: s, log: &bytes.Buffer{}}
	logger := slog.New(slog.NewTextHandler(r.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w, err := ingest.NewWriter(ingest.WriterConfig{Store: s, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(t.Context(), "test-org", []org.Settings{org.New(orgID)}); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, auth.KeySize)
	rand.Read(key)
	r.sealer, err = auth.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	r.sources, err = collect.NewSources(collect.SourcesConfig{Store: s, Sealer: r.sealer})
	if err != nil {
		t.Fatal(err)
	}
	r.im, err = importer.New(importer.Config{Store: s, Logger: logger, BatchRows: batchRows})
	if err != nil {
		t.Fatal(err)
	}
	r.col, err = collect.New(collect.Config{Sources: r.sources, Importer: r.im, Store: s, Logger: logger,
		Sleep: func(ctx context.Context, d time.Duration) error {
			r.mu.Lock()
			r.sleeps = append(r.sleeps, d)
			r.mu.Unlock()
			return ctx.Err()
		}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) add(t testing.TB, orgID, baseURL string) collect.Source {
	t.Helper()
	src, err := r.sources.Add(t.Context(), collect.Source{Org: orgID, Kind: "harvest", AccountID: "123456", BaseURL: baseURL,
		Since: time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)}, testToken)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// totals are an org's live time entries: count, hours, billable hours and
// billable amount.
type totals struct {
	n                       int
	hours, billable, amount string
}

func sums(t *testing.T, s *chdb.Store, orgID string) totals {
	t.Helper()
	rows, err := s.Query(t.Context(), `SELECT count(), sum(hours), sumIf(hours, billable = 1), sumIf(ifNull(billed_amount, 0), billable = 1)
		FROM ops.time_entries FINAL WHERE org_id = {org:String}`, store.Params{"org": orgID})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var h, b, a decimal.Decimal
	if err := rows.Scan(0, &n, &h, &b, &a); err != nil {
		t.Fatal(err)
	}
	return totals{n, h.String(), b.String(), a.String()}
}

// TestHarvestDoneWhen is issue 15's "done when": the documented example
// page of GET /v2/time_entries holds four entries of Kim Allen:
//
//	636709355  2017-03-02  2.11 h  billable at 100.0  -> 211.00
//	636708723  2017-03-01  1.35 h  billable at 100.0  -> 135.00 (invoiced)
//	636708574  2017-03-01  1.00 h  not billable
//	636707831  2017-03-01  2.00 h  billable at 100.0  -> 200.00 (invoiced)
//
// 6.46 hours, 5.46 of them billable, worth 546.00. After 636708574 is
// edited to 1.5 h and 636707831 deleted: 3 entries, 4.96 h, 3.46 billable,
// 346.00.
func TestHarvestDoneWhen(t *testing.T) {
	orgID := uniq("hv-done")
	r := newRig(t, orgID)
	fake, srv := newFakeHarvest(t, testToken, "123456")
	src := r.add(t, orgID, srv.URL)

	res, err := r.col.Sync(t.Context(), orgID, src.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	want := totals{4, "6.46", "5.46", "546"}
	if got := sums(t, r.s, orgID); got != want {
		t.Fatalf("after the first sync: %+v, want %+v", got, want)
	}
	if res.Added != 4+3+2+2 { // entries, users, clients, projects
		t.Errorf("first sync added %d, want 11: %+v", res.Added, res)
	}
	for _, ua := range fake.agents {
		if !strings.Contains(ua, "opsmetrics") || !strings.Contains(ua, "@") {
			t.Fatalf("User-Agent %q names no app and contact", ua)
		}
	}

	res, err = r.col.Sync(t.Context(), orgID, src.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added+res.Updated+res.Deleted != 0 {
		t.Errorf("a second sync changed something: %+v", res)
	}
	if got := sums(t, r.s, orgID); got != want {
		t.Fatalf("after the second sync: %+v, want %+v", got, want)
	}

	fake.edit(636708574, map[string]any{"hours": 1.5})
	fake.remove(636707831)
	res, err = r.col.Sync(t.Context(), orgID, src.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	want = totals{3, "4.96", "3.46", "346"}
	if got := sums(t, r.s, orgID); got != want {
		t.Fatalf("after the edit, the deletion and a full sync: %+v, want %+v (%+v)", got, want, res)
	}
	if res.Deleted != 1 {
		t.Errorf("full sync deleted %d, want 1: %+v", res.Deleted, res)
	}
	st, err := r.sources.Get(t.Context(), orgID, src.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.State.LastSuccess == nil || st.State.LastError != "" || st.State.RowsDeleted != 1 {
		t.Errorf("state after success: %+v", st.State)
	}
}

// TestHarvestCSVThenAPI: an org imported Harvest's CSV export of the
// documented entries, then connects the API: the API's entries replace the
// CSV's on the dates the API covers, and the hours are counted once.
func TestHarvestCSVThenAPI(t *testing.T) {
	orgID := uniq("hv-csv")
	r := newRig(t, orgID)
	csv := "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,First Name,Last Name,Roles,Employee?,Billable Rate,Billable Amount,Cost Rate,Cost Amount,Currency\n" +
		"2017-03-02,ABC Corp,Marketing Website,,Graphic Design,Adding CSS styling,2.11,Yes,No,Kim,Allen,Designer,Yes,100,211,50,105.5,\n" +
		"2017-03-01,123 Industries,Online Store - Phase 1,,Programming,Importing products,1.35,Yes,Yes,Kim,Allen,Designer,Yes,100,135,50,67.5,\n" +
		"2017-03-01,123 Industries,Online Store - Phase 1,,Research,Evaluating 3rd party libraries,1.0,No,No,Kim,Allen,Designer,Yes,,0,50,50,\n" +
		"2017-03-01,123 Industries,Online Store - Phase 1,,Project Management,Planning meetings,2.0,Yes,Yes,Kim,Allen,Designer,Yes,100,200,50,100,\n"
	sum, err := r.im.Import(t.Context(), importer.Request{Org: orgID, File: "harvest.csv", Body: strings.NewReader(csv)})
	if err != nil || sum.Rejected() != 0 {
		t.Fatalf("CSV import: %v %+v", err, sum.Errors)
	}
	want := totals{4, "6.46", "5.46", "546"}
	if got := sums(t, r.s, orgID); got != want {
		t.Fatalf("after the CSV: %+v, want %+v", got, want)
	}
	_, srv := newFakeHarvest(t, testToken, "123456")
	src := r.add(t, orgID, srv.URL)
	res, err := r.col.Sync(t.Context(), orgID, src.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := sums(t, r.s, orgID); got != want {
		t.Fatalf("after the API sync: %+v, want %+v (hours counted twice?) %+v", got, want, res)
	}
	if res.Deleted != 4 {
		t.Errorf("the sync should replace the 4 CSV rows: %+v", res)
	}
	rows, err := r.s.Query(t.Context(), `SELECT count() FROM ops.time_entries FINAL WHERE org_id = {org:String} AND external_id LIKE 'api:%'`,
		store.Params{"org": orgID})
	if err != nil {
		t.Fatal(err)
	}
	var api int
	rows.Scan(0, &api)
	if api != 4 {
		t.Errorf("%d entries from the API, want 4", api)
	}
}

// TestHarvestPolite: paging, a 429 waits its Retry-After, a 5xx on a page
// fails the sync with nothing applied and the rerun ends with the same
// totals, and a 401 marks the source needs-token. The token appears in no
// error, state or log line.
func TestHarvestPolite(t *testing.T) {
	orgID := uniq("hv-polite")
	r := newRig(t, orgID)
	fake, srv := newFakeHarvest(t, testToken, "123456")
	src := r.add(t, orgID, srv.URL)
	fake.set(func(f *fakeHarvest) { f.maxPage, f.failPage = 1, 3 }) // a sync cut after two pages of entries

	_, err := r.col.Sync(t.Context(), orgID, src.ID, false)
	if err == nil {
		t.Fatal("a sync whose third page fails succeeded")
	}
	if got := sums(t, r.s, orgID); got.n != 0 {
		t.Fatalf("a failed sync left %+v visible", got)
	}
	st, _ := r.sources.Get(t.Context(), orgID, src.ID)
	if st.State.LastError == "" || st.State.FailingSince == nil || st.State.LastSuccess != nil {
		t.Errorf("state after a failure: %+v", st.State)
	}

	fake.set(func(f *fakeHarvest) { f.failPage, f.tooMany, f.after = 0, 2, "7" })
	if _, err := r.col.Sync(t.Context(), orgID, src.ID, false); err != nil {
		t.Fatal(err)
	}
	if got, want := sums(t, r.s, orgID), (totals{4, "6.46", "5.46", "546"}); got != want {
		t.Fatalf("after the rerun: %+v, want %+v", got, want)
	}
	// The rerun's success clears the failure: the state's newest row has no
	// failing_since (NULL), which an argMax over the column would skip,
	// showing the older failure again (and firing the failing alert).
	st, _ = r.sources.Get(t.Context(), orgID, src.ID)
	if st.State.FailingSince != nil || st.State.LastError != "" || st.State.LastSuccess == nil {
		t.Errorf("state after the rerun succeeded: failing since %v, error %q, last success %v",
			st.State.FailingSince, st.State.LastError, st.State.LastSuccess)
	}
	r.waitedTwice(t, "7s")

	fake.set(func(f *fakeHarvest) { f.refuse = true })
	r.refusedToken(t, orgID, src.ID, testToken)
}

// waitedTwice checks that the rig's syncs slept twice for d (such as "7s"):
// the Retry-After of the two 429s a fake answered.
func (r *rig) waitedTwice(t *testing.T, d string) {
	t.Helper()
	r.mu.Lock()
	waited := durations(r.sleeps)
	r.mu.Unlock()
	if !strings.Contains(waited, d+" "+d) {
		t.Errorf("waits %s; want two of %s (Retry-After)", waited, d)
	}
}

// refusedToken syncs source srcID of orgID, whose fake now answers 401,
// and checks that the sync fails with ErrNeedsToken, the source is marked
// needs-token, and no secret (the token, an encoding of it) is in the
// error, the source's state or the log.
func (r *rig) refusedToken(t *testing.T, orgID, srcID string, secrets ...string) {
	t.Helper()
	_, err := r.col.Sync(t.Context(), orgID, srcID, false)
	if !errors.Is(err, collect.ErrNeedsToken) {
		t.Fatalf("a 401 gave %v", err)
	}
	st, _ := r.sources.Get(t.Context(), orgID, srcID)
	if !st.State.NeedsToken {
		t.Errorf("a 401 did not mark the source needs-token: %+v", st.State)
	}
	for what, text := range map[string]string{"error": err.Error(), "state": st.State.LastError, "log": r.log.String()} {
		for _, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("a secret is in the %s: %s", what, text)
			}
		}
	}
}

func durations(ds []time.Duration) string {
	var b strings.Builder
	for i, d := range ds {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(d.String())
	}
	return b.String()
}

func TestAddErrors(t *testing.T) {
	orgID := uniq("hv-add")
	r := newRig(t, orgID)
	for _, tc := range []struct {
		src  collect.Source
		want string
	}{
		{collect.Source{Org: orgID, Kind: "harvet", AccountID: "1"}, `unknown source kind "harvet"`},
		{collect.Source{Org: "nobody", Kind: "harvest", AccountID: "1"}, `no org "nobody"`},
		{collect.Source{Org: orgID, Kind: "harvest"}, "--account-id"},
	} {
		_, err := r.sources.Add(t.Context(), tc.src, testToken)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Add(%+v) = %v, want %q", tc.src, err, tc.want)
		}
	}
	if _, err := r.sources.Get(t.Context(), orgID, "src_nope"); !errors.Is(err, collect.ErrNotFound) || !strings.Contains(err.Error(), "src_nope") {
		t.Errorf("Get of an unknown source: %v", err)
	}
}

// TestHarvestKilledMidway: a sync stopped while it reads the third page of
// entries (its context cancelled, as a shutdown does) leaves nothing
// visible and its cursor where it was; the next sync ends with the totals
// of an uninterrupted one.
func TestHarvestKilledMidway(t *testing.T) {
	orgID := uniq("hv-killed")
	r := newRig(t, orgID)
	fake, srv := newFakeHarvest(t, testToken, "123456")
	src := r.add(t, orgID, srv.URL)
	ctx, cancel := context.WithCancel(t.Context())
	fake.set(func(f *fakeHarvest) {
		f.maxPage = 1
		f.onPage = func(page int) {
			if page == 3 {
				cancel()
			}
		}
	})
	if _, err := r.col.Sync(ctx, orgID, src.ID, false); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled sync: %v", err)
	}
	if got := sums(t, r.s, orgID); got.n != 0 {
		t.Fatalf("a cancelled sync left %+v visible", got)
	}
	fake.set(func(f *fakeHarvest) { f.onPage = nil })
	if _, err := r.col.Sync(t.Context(), orgID, src.ID, false); err != nil {
		t.Fatal(err)
	}
	if got, want := sums(t, r.s, orgID), (totals{4, "6.46", "5.46", "546"}); got != want {
		t.Fatalf("after the rerun: %+v, want %+v", got, want)
	}
	// The cancelled one is recorded failed, or not at all when it was
	// stopped before its first write; none is left half done.
	rows, err := r.s.Query(t.Context(), `SELECT countIf(status = 'done'), countIf(status NOT IN ('done', 'failed'))
		FROM ops.ingest_batches FINAL WHERE org_id = {org:String}`, store.Params{"org": orgID})
	if err != nil {
		t.Fatal(err)
	}
	var done, open uint64
	rows.Scan(0, &done, &open)
	if done != 1 || open != 0 {
		t.Errorf("batches: %d done, %d neither done nor failed; want 1 and 0", done, open)
	}
}

// TestHarvestBadPaging: a page whose next_page or links are not what
// Harvest documents fails the sync, rather than ending the listing there,
// which would read the rest of the account as deleted.
func TestHarvestBadPaging(t *testing.T) {
	orgID := uniq("hv-bad-paging")
	r := newRig(t, orgID)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		name := strings.TrimPrefix(req.URL.Path, "/v2/")
		fmt.Fprintf(w, `{%q:[],"next_page":"two","links":{"next":null}}`, name)
	}))
	t.Cleanup(srv.Close)
	src := r.add(t, orgID, srv.URL)
	if _, err := r.col.Sync(t.Context(), orgID, src.ID, false); err == nil || !strings.Contains(err.Error(), "next_page") {
		t.Errorf("a page with next_page \"two\": %v, want the sync to fail naming next_page", err)
	}
}

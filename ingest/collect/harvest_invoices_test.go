package collect_test

import (
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest/collect"
	"github.com/opsmetrics/opsmetrics/metrics"
	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb"
)

// The payloads are testdata/harvest/invoices.json, the documented example
// answer of GET /v2/invoices (https://help.getharvest.com/api-v2/invoices-api/
// invoices/invoices/), and time_entries.json, the documented example of GET
// /v2/time_entries, whose entries 636708723 and 636707831 name invoice
// 13150403 (number 1001).

// lineTotals are an org's live invoice lines: count, Σ amount, Σ hours.
type lineTotals struct {
	n             int
	amount, hours string
}

func lineSums(t *testing.T, s *chdb.Store, orgID string) lineTotals {
	t.Helper()
	rows, err := s.Query(t.Context(), `SELECT count(), sum(amount), sum(ifNull(hours, 0))
		FROM ops.invoice_lines FINAL WHERE org_id = {org:String} AND deleted = 0`, store.Params{"org": orgID})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var a, h decimal.Decimal
	if err := rows.Scan(0, &n, &a, &h); err != nil {
		t.Fatal(err)
	}
	return lineTotals{n, a.String(), h.String()}
}

// realization is the realization_rate KPI of March 2017 (the entries'
// month) on the synced data: value, billed value, standard value.
func realization(t *testing.T, r *rig, facts *metrics.Facts, orgID string) (value, billed, standard float64) {
	t.Helper()
	facts.Changed(t.Context(), []string{orgID})
	res, err := metrics.Compute(t.Context(), r.s, facts, metrics.Request{KPI: "realization_rate", Org: orgID,
		From: time.Date(2017, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2017, 4, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 {
		t.Fatalf("realization_rate: %d rows, want 1: %v", len(res.Rows), res.Rows)
	}
	col := func(name string) float64 {
		for i, c := range res.Columns {
			if c.Name == name {
				f, err := strconv.ParseFloat(metrics.Cell(res.Rows[0][i]), 64)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				return f
			}
		}
		t.Fatalf("realization_rate has no column %s", name)
		return 0
	}
	return col("value"), col("billed_value"), col("standard_value")
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-6 {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func newFacts(t *testing.T, r *rig) *metrics.Facts {
	facts, err := metrics.NewFacts(metrics.FactsConfig{Store: r.s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(facts.Wait)
	return facts
}

// TestHarvestInvoices: the documented invoices become invoice lines that
// the billed-value KPIs read, an edit of an invoice and a deletion between
// syncs are applied, and paging and a 429 on GET /v2/invoices behave as on
// the time entries.
//
// The documented data, by hand:
//
//	invoice 13150403 (1001), issued 2017-04-01, client 123 Industries, project
//	Online Store - Phase 1, period 2017-03-01..2017-03-01, discount 10% = 30.0:
//	  53341602  Service  2.0 × 100.0 = 200.0
//	  53341603  Service  1.0 × 100.0 = 100.0
//	  discount                        −30.0
//	invoice 13150378 (1000), issued 2017-02-01, free-form, no period:
//	  53341450  Service  100.0 × 100.0 = 10000.0 (lists no entries: none names it)
//
// 4 lines, Σ amount 200 + 100 − 30 + 10000 = 10270, Σ hours 2 + 1 = 3 (the
// free-form item's quantity is no hours: it lists no time).
//
// The entries of invoice 1001 are 636708723 (1.35 h × 100 = 135.00) and
// 636707831 (2.00 h × 100 = 200.00): the closed work of March 2017 is worth
// 335.00 at standard, and the lines bill 200 + 100 − 30 = 270 for it:
// realization 270 ÷ 335 = 0.80597… (without the invoice lines it would be
// the entries' billed amounts, 335 ÷ 335 = 1).
//
// Edit (an incremental sync, whose 60-day window does not reach 2017, so the
// tool reads the invoice's entries by its period): item 53341603 is changed
// to 1.35 × 100 = 135.0 and the discount to 33.5 (10% of 335): lines
// 200 + 135 − 33.5 = 301.5, realization 301.5 ÷ 335 = 0.9; Σ amount
// 301.5 + 10000 = 10301.5, Σ hours 2 + 1.35 = 3.35.
//
// Deletion (then a full sync): invoice 1000 is deleted in Harvest: 3 lines,
// Σ amount 301.5, Σ hours 3.35, realization still 0.9.
func TestHarvestInvoices(t *testing.T) {
	orgID := uniq("hv-invoices")
	r := newRig(t, orgID)
	facts := newFacts(t, r)
	fake, srv := newFakeHarvest(t, testToken, "123456")
	fake.set(func(f *fakeHarvest) {
		f.lists["invoices"] = load(t, "invoices")
		f.maxPage = 1 // one invoice a page: two pages
		f.at = map[string]int{"/v2/invoices": http.StatusTooManyRequests}
		f.after = "9"
	})
	src := r.add(t, orgID, srv.URL)

	res, err := r.col.Sync(t.Context(), orgID, src.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := lineSums(t, r.s, orgID), (lineTotals{4, "10270", "3"}); got != want {
		t.Fatalf("after the first sync: lines %+v, want %+v (%+v)", got, want, res)
	}
	if res.Added != 4+3+2+2+4 { // entries, users, clients, projects, invoice lines
		t.Errorf("first sync added %d, want 15: %+v", res.Added, res)
	}
	r.mu.Lock()
	waited := durations(r.sleeps)
	r.mu.Unlock()
	if !strings.Contains(waited, "9s") {
		t.Errorf("waits %s; want 9s (the invoices' Retry-After)", waited)
	}
	// The entries and the lines name the invoice with one key, as a CSV's
	// invoice_id does; the lines list the entries by their keys.
	rows, err := r.s.Query(t.Context(), `SELECT
		(SELECT groupUniqArray(invoice_id) FROM ops.time_entries FINAL WHERE org_id = {org:String} AND invoice_id != ''),
		(SELECT arraySort(groupUniqArrayArray(time_entry_ids)) FROM ops.invoice_lines FINAL WHERE org_id = {org:String})`,
		store.Params{"org": orgID})
	if err != nil {
		t.Fatal(err)
	}
	var invoiceIDs, listed []string
	if err := rows.Scan(0, &invoiceIDs, &listed); err != nil {
		t.Fatal(err)
	}
	if strings.Join(invoiceIDs, ",") != "api:123456:invoice:13150403" ||
		strings.Join(listed, ",") != "api:123456:entry:636707831,api:123456:entry:636708723" {
		t.Errorf("entries' invoice ids %v, lines' entries %v", invoiceIDs, listed)
	}
	v, billed, standard := realization(t, r, facts, orgID)
	near(t, "billed value", billed, 270)
	near(t, "standard value", standard, 335)
	near(t, "realization", v, 270.0/335)

	// A sync with nothing changed changes nothing.
	res, err = r.col.Sync(t.Context(), orgID, src.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added+res.Updated+res.Deleted != 0 {
		t.Errorf("a second sync changed something: %+v", res)
	}

	// The edit.
	fake.editInvoice(13150403, func(inv map[string]any) {
		item := inv["line_items"].([]any)[1].(map[string]any)
		item["quantity"], item["amount"] = 1.35, 135.0
		inv["discount_amount"] = 33.5
	})
	res, err = r.col.Sync(t.Context(), orgID, src.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := lineSums(t, r.s, orgID), (lineTotals{4, "10301.5", "3.35"}); got != want {
		t.Fatalf("after the edit: lines %+v, want %+v (%+v)", got, want, res)
	}
	if res.Updated != 3 || res.Added != 0 || res.Deleted != 0 { // invoice 1001's two items and its discount
		t.Errorf("the edit's sync: %+v, want 3 updated", res)
	}
	v, billed, _ = realization(t, r, facts, orgID)
	near(t, "billed value after the edit", billed, 301.5)
	near(t, "realization after the edit", v, 0.9)

	// The deletion.
	fake.removeInvoice(13150378)
	res, err = r.col.Sync(t.Context(), orgID, src.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := lineSums(t, r.s, orgID), (lineTotals{3, "301.5", "3.35"}); got != want {
		t.Fatalf("after the deletion: lines %+v, want %+v (%+v)", got, want, res)
	}
	if res.Deleted != 1 {
		t.Errorf("the deletion's sync deleted %d, want 1: %+v", res.Deleted, res)
	}
	v, _, _ = realization(t, r, facts, orgID)
	near(t, "realization after the deletion", v, 0.9)
	if got, want := sums(t, r.s, orgID), (totals{4, "6.46", "5.46", "546"}); got != want {
		t.Errorf("time entries %+v, want %+v", got, want)
	}
}

// TestHarvestInvoicesRefused: a 401 on GET /v2/invoices marks the source
// needing a token and applies nothing of the sync; a 403 there (a token
// that may not see invoices) syncs the time and leaves the invoice lines
// as they were, none deleted.
func TestHarvestInvoicesRefused(t *testing.T) {
	orgID := uniq("hv-invoices-401")
	r := newRig(t, orgID)
	fake, srv := newFakeHarvest(t, testToken, "123456")
	fake.set(func(f *fakeHarvest) {
		f.lists["invoices"] = load(t, "invoices")
		f.at = map[string]int{"/v2/invoices": http.StatusUnauthorized}
	})
	src := r.add(t, orgID, srv.URL)
	_, err := r.col.Sync(t.Context(), orgID, src.ID, false)
	if !errors.Is(err, collect.ErrNeedsToken) {
		t.Fatalf("a 401 on the invoices gave %v", err)
	}
	st, _ := r.sources.Get(t.Context(), orgID, src.ID)
	if !st.State.NeedsToken || strings.Contains(st.State.LastError, testToken) {
		t.Errorf("state after a 401: %+v", st.State)
	}
	if got := sums(t, r.s, orgID); got.n != 0 {
		t.Fatalf("a refused sync left %+v visible", got)
	}
	// (a new token given, or Harvest's hiccup over: Sync runs anyway)
	if _, err := r.col.Sync(t.Context(), orgID, src.ID, false); err != nil {
		t.Fatal(err)
	}
	if got, want := lineSums(t, r.s, orgID), (lineTotals{4, "10270", "3"}); got != want {
		t.Fatalf("lines %+v, want %+v", got, want)
	}
	fake.set(func(f *fakeHarvest) { f.at = map[string]int{"/v2/invoices": http.StatusForbidden} })
	res, err := r.col.Sync(t.Context(), orgID, src.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := lineSums(t, r.s, orgID), (lineTotals{4, "10270", "3"}); got != want || res.Deleted != 0 {
		t.Errorf("after a 403 on the invoices: lines %+v, want %+v; %+v", got, want, res)
	}
}

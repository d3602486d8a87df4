package metrics_test

import (
	"errors"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
)

// TestReportRecords: commentary keeps every edit, actions open and close
// with their owner's name, a retro is one per quarter, and a client's
// report carries its kind's default sections until settings are saved.
func TestReportRecords(t *testing.T) {
	const o = "reports-rec"
	s := testStore(t)
	ctx := t.Context()
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: o, Source: "test", ExternalID: id} }
	write(t, []ingest.Person{{Meta: meta("p1"), Name: "Ada Lovelace"}},
		[]ingest.Client{{Meta: meta("c1"), Name: "Acme"}, {Meta: meta("c2"), Name: "Globex"}, {Meta: meta("c3"), Name: "Our studio"}},
		[]ingest.Project{{Meta: meta("pr1"), Name: "Care plan", ClientID: "c1", Kind: "retainer"},
			{Meta: meta("pr2"), Name: "Site", ClientID: "c2", Kind: "fixed_fee"},
			{Meta: meta("pr3"), Name: "Admin", ClientID: "c3", Kind: "internal"}})
	month := d("2026-02-01")
	now := testNow

	for i, body := range []string{"First draft", "First draft", "Second draft"} {
		if _, err := metrics.SaveNote(ctx, s, o, metrics.Note{Client: "c1", Period: month, Field: metrics.NoteCommentary, Body: body, Author: "ann@example.com"}, now.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	notes, err := metrics.LoadNotes(ctx, s, o, "c1", month)
	if err != nil {
		t.Fatal(err)
	}
	// three saves, the second the same text as the first: two versions
	if got := notes.Edits(metrics.NoteCommentary); got != 2 || notes.Text(metrics.NoteCommentary) != "Second draft" {
		t.Errorf("commentary: %d versions, text %q; want 2, Second draft", got, notes.Text(metrics.NoteCommentary))
	}
	if _, err := metrics.SaveNote(ctx, s, o, metrics.Note{Client: "c1", Period: month, Field: "margin", Body: "x"}, now); !errors.Is(err, metrics.ErrBadRequest) {
		t.Errorf("field margin: %v, want a bad request", err)
	}

	a, err := metrics.AddAction(ctx, s, o, "ann@example.com", metrics.Action{Client: "Acme", Period: month, Title: "Send the  brief", Owner: "ada lovelace", Due: d("2026-03-05")}, now)
	if err != nil {
		t.Fatal(err)
	}
	if a.Client != "c1" || a.Owner != "p1" || a.OwnerName != "Ada Lovelace" || a.Title != "Send the brief" || a.Status != metrics.ActionOpen {
		t.Errorf("added %+v", a)
	}
	if !a.Overdue(d("2026-03-10")) || a.Overdue(d("2026-03-05")) {
		t.Errorf("overdue: due 2026-03-05 is overdue on the 10th, not on the 5th")
	}
	if _, err := metrics.AddAction(ctx, s, o, "x", metrics.Action{Client: "c1", Period: month, Title: "t", Owner: "nobody", Due: d("2026-03-05")}, now); !errors.Is(err, metrics.ErrBadRequest) {
		t.Errorf("unknown owner: %v", err)
	}
	closed, found, err := metrics.SetActionStatus(ctx, s, o, "bob@example.com", a.ID, true, now.Add(time.Hour))
	if err != nil || !found || closed.Status != metrics.ActionClosed || closed.ClosedBy != "bob@example.com" {
		t.Fatalf("close: %+v %v %v", closed, found, err)
	}
	open, err := metrics.ListActions(ctx, s, o, metrics.ActionFilter{OpenOnly: true})
	if err != nil || len(open) != 0 {
		t.Errorf("open after closing: %v %v", open, err)
	}
	if _, found, _ := metrics.SetActionStatus(ctx, s, o, "x", "ac_000000000000", true, now); found {
		t.Error("an unknown action was found")
	}

	q, _ := metrics.ParseQuarter("2026-q1")
	if _, err := metrics.SaveRetro(ctx, s, o, "ann@example.com", metrics.Retro{Quarter: q, HeldOn: d("2026-03-20")}, d("2026-03-10"), now); !errors.Is(err, metrics.ErrBadRequest) {
		t.Errorf("a retro in the future: %v", err)
	}
	if _, err := metrics.SaveRetro(ctx, s, o, "ann@example.com", metrics.Retro{Quarter: q, HeldOn: d("2026-03-09")}, d("2026-03-10"), now); err != nil {
		t.Fatal(err)
	}
	retros, err := metrics.ListRetros(ctx, s, o)
	if err != nil || len(retros) != 1 || !retros[0].HeldOn.Equal(d("2026-03-09")) {
		t.Errorf("retros %+v %v", retros, err)
	}

	all, err := metrics.LoadReportSettings(ctx, s, o, "")
	if err != nil || len(all) != 3 {
		t.Fatalf("report settings %+v %v", all, err)
	}
	// c3's only project is internal work: no report, no draft
	if all[0].Internal || all[1].Internal || !all[2].Internal {
		t.Errorf("internal: %v %v %v, want only c3", all[0].Internal, all[1].Internal, all[2].Internal)
	}
	if n, err := metrics.PrepareDrafts(ctx, s, o, d("2026-01-01"), now); err != nil || n != 2 {
		t.Errorf("prepared %d drafts (%v), want 2: Acme and Globex, not the internal client", n, err)
	}
	if !all[0].Retainer || !all[0].Has(metrics.SectionRetainerHours) || all[1].Has(metrics.SectionRetainerHours) || !all[1].Has(metrics.SectionBudgetBurn) {
		t.Errorf("defaults: %+v", all)
	}
	target := dec("0.9")
	saved, err := metrics.SaveReportSettings(ctx, s, o, "ann@example.com", metrics.ReportSettings{Client: "Globex",
		Contract: []metrics.ContractKPI{{Section: metrics.SectionDeliverables, Target: &target}}, Recipients: []string{"CEO@Globex.example"}}, now)
	if err != nil {
		t.Fatal(err)
	}
	got, err := metrics.LoadReportSettings(ctx, s, o, "c2")
	if err != nil || !got[0].Stored || got[0].Has(metrics.SectionBudgetBurn) || !got[0].Target(metrics.SectionDeliverables).Equal(target) ||
		got[0].Recipients[0] != "ceo@globex.example" || saved.Client != "c2" {
		t.Errorf("saved settings read back as %+v (%v)", got, err)
	}
	if _, err := metrics.LoadReportSettings(ctx, s, o, "Initech"); !errors.Is(err, metrics.ErrBadRequest) {
		t.Errorf("unknown client: %v", err)
	}

	if err := metrics.WriteDraft(ctx, s, o, metrics.Draft{Client: "c1", Month: month, Status: metrics.DraftPrepared, PreparedAt: now}, now); err != nil {
		t.Fatal(err)
	}
	drafts, err := metrics.ListDrafts(ctx, s, o, month)
	if err != nil || len(drafts) != 1 || drafts[0].ClientName != "Acme" || drafts[0].Status != metrics.DraftPrepared {
		t.Errorf("drafts %+v %v", drafts, err)
	}
}

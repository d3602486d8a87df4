package ingest

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	store "github.com/opsmetrics/opsmetrics/sql"
)

type recorder struct{ batches []*store.Batch }

func (r *recorder) Insert(_ context.Context, b *store.Batch) error {
	r.batches = append(r.batches, b)
	return nil
}

func TestWriteEveryRecordType(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rec := &recorder{}
	w, err := NewWriter(WriterConfig{Store: rec, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	m := Meta{Org: "acme", Source: "test", ExternalID: "x1"}
	day := time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)
	one := decimal.NewFromInt(1)
	edited := now.Add(-time.Hour)
	cases := []struct {
		records any
		table   string
	}{
		{[]Org{{ID: "acme", Name: "Acme"}}, "ops.orgs"},
		{[]Role{{Org: "acme", Role: "designer", ValidFrom: day, BillRate: &one}}, "ops.roles"},
		{[]Person{{Meta: m, ValidFrom: day, Name: "Ana", WeeklyCapacityHours: decimal.NewFromInt(40)}}, "ops.people"},
		{[]Client{{Meta: m, Name: "Globex"}}, "ops.clients"},
		{[]Project{{Meta: m, Name: "Site", Kind: KindTM}}, "ops.projects"},
		{[]TimeEntry{{Meta: m, PersonID: "p", Date: day, Hours: one, UpdatedAt: &edited}}, "ops.time_entries"},
		{[]Deliverable{{Meta: m, Name: "Logo"}}, "ops.deliverables"},
		{[]TaskEvent{{Meta: m, OccurredAt: now, Type: EventCreated}}, "ops.task_events"},
		{[]Allocation{{Meta: m, StartDate: day, EndDate: day, Status: Tentative, Probability: decimal.RequireFromString("0.5")}}, "ops.allocations"},
		{[]TimeOff{{Meta: m, PersonID: "p", StartDate: day, EndDate: day}}, "ops.time_off"},
		{[]Holiday{{Org: "acme", Date: day, Name: "Founders' day"}}, "ops.holidays"},
		{[]Adjustment{{Meta: m, Kind: WriteOff, Date: day, Amount: &one, Reason: "goodwill"}}, "ops.adjustments"},
		{[]InvoiceLine{{Meta: m, Date: day, Amount: one}}, "ops.invoice_lines"},
		{[]BatchRecord{{ID: "b1", StartedAt: now, Status: BatchRunning}}, "ops.ingest_batches"},
	}
	for _, c := range cases {
		n, err := w.Write(t.Context(), "batch-1", c.records)
		if err != nil || n != 1 {
			t.Fatalf("%s: wrote %d, %v", c.table, n, err)
		}
		b := rec.batches[len(rec.batches)-1]
		if b.Table != c.table {
			t.Errorf("table %s, want %s", b.Table, c.table)
		}
		if rows, err := b.Len(); err != nil || rows != 1 {
			t.Errorf("%s: %d rows, %v", c.table, rows, err)
		}
		seen := map[string]bool{}
		for _, col := range b.Columns {
			if seen[col] {
				t.Errorf("%s: column %s twice", c.table, col)
			}
			seen[col] = true
		}
	}
	// The version of an entry with updated_at is that time, not the ingest time.
	te := rec.batches[5]
	for i, col := range te.Columns {
		switch col {
		case "version":
			if v := te.Values[i].([]uint64)[0]; v != uint64(edited.UnixMicro()) {
				t.Errorf("version %d, want updated_at %d", v, edited.UnixMicro())
			}
		case "billing_status":
			if s := te.Values[i].([]string)[0]; s != Unbilled {
				t.Errorf("empty billing status stored as %q", s)
			}
		}
	}
	if _, err := w.Write(t.Context(), "b", []int{1}); err == nil || !strings.Contains(err.Error(), "cannot write") {
		t.Errorf("unknown record type: %v", err)
	}
	if n, err := w.Write(t.Context(), "b", []TimeEntry{}); n != 0 || err != nil {
		t.Errorf("empty write: %d, %v", n, err)
	}
}

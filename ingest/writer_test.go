package ingest

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/org"
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
		{[]org.Settings{{ID: "acme", Name: "Acme"}}, "ops.orgs"},
		{[]Role{{Org: "acme", Role: "designer", ValidFrom: day, BillRate: &one}}, "ops.roles"},
		{[]Person{{Meta: m, ValidFrom: day, Name: "Ana", WeeklyCapacityHours: decimal.NewFromInt(40)}}, "ops.people"},
		{[]Client{{Meta: m, Name: "Globex"}}, "ops.clients"},
		{[]Project{{Meta: m, Name: "Site", Kind: KindTM}}, "ops.projects"},
		{[]TimeEntry{{Meta: m, PersonID: "p", Date: day, Hours: one, UpdatedAt: &edited}}, "ops.time_entries"},
		{[]Deliverable{{Meta: m, Name: "Logo"}}, "ops.deliverables"},
		{[]TaskEvent{{Meta: m, OccurredAt: now, Type: EventCreated}}, "ops.task_events"},
		{[]Allocation{{Meta: m, StartDate: day, EndDate: day, Status: Tentative, Probability: decimal.RequireFromString("0.5"),
			UpdatedAt: &edited}}, "ops.allocations"},
		{[]TimeOff{{Meta: m, PersonID: "p", StartDate: day, EndDate: day, UpdatedAt: &edited}}, "ops.time_off"},
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
	// The version of an entry, an allocation and a time off with
	// updated_at is that time, not the ingest time.
	for _, k := range []int{5, 8, 9} {
		b := rec.batches[k]
		for i, col := range b.Columns {
			switch col {
			case "version":
				if v := b.Values[i].([]uint64)[0]; v != uint64(edited.UnixMicro()) {
					t.Errorf("%s: version %d, want updated_at %d", b.Table, v, edited.UnixMicro())
				}
			case "billing_status":
				if s := b.Values[i].([]string)[0]; s != Unbilled {
					t.Errorf("empty billing status stored as %q", s)
				}
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

// rowBinaryRecorder also takes encoded rows, with the column types of
// ops.time_entries (sql/schema/0001_init.sql).
type rowBinaryRecorder struct {
	recorder
	table string
	cols  []string
	data  []byte
}

var timeEntryTypes = map[string]string{
	"org_id": "String", "source": "LowCardinality(String)", "external_id": "String", "person_id": "String",
	"date": "Date", "hours": "Decimal(18, 6)", "project_id": "String", "client_id": "String", "task": "String",
	"notes": "String", "billable": "UInt8", "bill_rate": "Nullable(Decimal(18, 4))", "cost_rate": "Nullable(Decimal(18, 4))",
	"billing_status": "LowCardinality(String)", "invoice_id": "String", "billed_amount": "Nullable(Decimal(18, 4))",
	"currency": "LowCardinality(String)", "tags": "Array(String)", "phase": "LowCardinality(String)",
	"deliverable_id": "String", "updated_at": "Nullable(DateTime64(3, 'UTC'))", "version": "UInt64",
	"deleted": "UInt8", "ingested_at": "DateTime64(3, 'UTC')", "batch_id": "String",
}

func (r *rowBinaryRecorder) ColumnTypes(_ context.Context, _ string, cols []string) ([]string, error) {
	types := make([]string, len(cols))
	for i, c := range cols {
		types[i] = timeEntryTypes[c]
	}
	return types, nil
}

func (r *rowBinaryRecorder) InsertRowBinary(_ context.Context, table string, cols []string, data []byte) error {
	r.table, r.cols, r.data = table, cols, append([]byte(nil), data...)
	return nil
}

// TestEntryEncoder: time entries encoded one at a time are the bytes the
// batch path encodes for the same records; a value its column cannot hold
// is an EncodeError naming the column, and leaves nothing of its row.
func TestEntryEncoder(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rec := &rowBinaryRecorder{}
	w, err := NewWriter(WriterConfig{Store: rec, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)
	rate, huge := decimal.RequireFromString("150.5"), decimal.RequireFromString("123456789012345")
	edited := now.Add(-time.Hour)
	entries := []TimeEntry{
		{Meta: Meta{Org: "acme", Source: "harvest", ExternalID: "e1"}, PersonID: "p1", Date: day, Hours: decimal.RequireFromString("1.25"),
			ProjectID: "pr", ClientID: "cl", Task: "Design", Notes: "Logo", Billable: true, BillRate: &rate, Currency: "USD", Tags: []string{"a", "b"}},
		{Meta: Meta{Org: "acme", Source: "harvest", ExternalID: "e2", Deleted: true}, UpdatedAt: &edited},
	}
	enc, err := w.NewEntryEncoder(t.Context())
	if err != nil || enc == nil {
		t.Fatalf("encoder %v, %v", enc, err)
	}
	enc.Begin(w, "batch-1")
	for i := range entries {
		if err := enc.Append(&entries[i]); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			bad := entries[0]
			bad.BillRate = &huge
			var ee *store.EncodeError
			if err := enc.Append(&bad); !errors.As(err, &ee) || ee.Column != "bill_rate" || !strings.Contains(ee.Err.Error(), "123456789012345") {
				t.Fatalf("a rate of %s: %v", huge, err)
			}
		}
	}
	if n, err := w.WriteEncoded(t.Context(), enc); n != 2 || err != nil {
		t.Fatalf("wrote %d, %v", n, err)
	}
	if _, err := w.Write(t.Context(), "batch-1", entries); err != nil {
		t.Fatal(err)
	}
	b := rec.batches[0]
	types, _ := rec.ColumnTypes(t.Context(), b.Table, b.Columns)
	be, err := store.NewRowBinaryEncoder(b, types)
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	for i := range be.Rows() {
		if want, err = be.AppendRow(want, i); err != nil {
			t.Fatal(err)
		}
	}
	if rec.table != "ops.time_entries" || strings.Join(rec.cols, ",") != strings.Join(b.Columns, ",") || !bytes.Equal(rec.data, want) {
		t.Errorf("encoded %s (%v), %d bytes; the batch path: %s (%v), %d bytes", rec.table, rec.cols, len(rec.data), b.Table, b.Columns, len(want))
	}
}

// Changed hears the orgs of every stored Write, once each, and nothing of
// a Write that was not stored.
func TestWriterChanged(t *testing.T) {
	var heard [][]string
	w, err := NewWriter(WriterConfig{Store: &recorder{}, Logger: slog.New(slog.DiscardHandler),
		Changed: func(_ context.Context, orgs []string) { heard = append(heard, orgs) }})
	if err != nil {
		t.Fatal(err)
	}
	entry := func(org, id string) TimeEntry {
		return TimeEntry{Meta: Meta{Org: org, Source: "test", ExternalID: id}, PersonID: "p", Date: time.Now(), Hours: decimal.NewFromInt(1)}
	}
	if _, err := w.Write(t.Context(), "b", []TimeEntry{entry("a", "1"), entry("b", "2"), entry("a", "3")}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(t.Context(), "b", []Person{}); err != nil {
		t.Fatal(err)
	}
	if len(heard) != 1 || strings.Join(heard[0], ",") != "a,b" {
		t.Errorf("heard %v, want [[a b]]", heard)
	}
}

package org

import (
	"context"
	"errors"
	"strings"
	"testing"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// auditSink keeps the audit batches it is given.
type auditSink struct{ batches []*store.Batch }

func (a *auditSink) Insert(_ context.Context, b *store.Batch) error {
	a.batches = append(a.batches, b)
	return nil
}

// TestUpdateByRecords: a change is stored and recorded once with who and
// the settings as shown before and after; a patch that changes nothing, or
// one refused, records nothing (and the refused one stores nothing).
func TestUpdateByRecords(t *testing.T) {
	f := &fakeStore{tz: "UTC", queries: map[string]int{}}
	sink := &auditSink{}
	c, err := NewCache(Config{Store: f, Writer: f, Audit: sink})
	if err != nil {
		t.Fatal(err)
	}
	tz := "Europe/Berlin"
	if _, err := c.UpdateBy(t.Context(), "ada@example.com", "acme", Patch{TimeZone: &tz}); err != nil {
		t.Fatal(err)
	}
	if len(f.written) != 1 || len(sink.batches) != 1 {
		t.Fatalf("%d settings written, %d audit batches; want 1 and 1", len(f.written), len(sink.batches))
	}
	b := sink.batches[0]
	col := func(name string) string {
		for i, c := range b.Columns {
			if c == name {
				return b.Values[i].([]string)[0]
			}
		}
		t.Fatalf("no column %s", name)
		return ""
	}
	if b.Table != "ops.audit" || col("who") != "ada@example.com" || col("kind") != AuditSettings || col("subject") != "acme" ||
		!strings.Contains(col("before"), `"time_zone":"UTC"`) || !strings.Contains(col("after"), `"time_zone":"Europe/Berlin"`) {
		t.Errorf("recorded %v", b.Values)
	}
	// The same again changes nothing: stored, not recorded.
	if _, err := c.UpdateBy(t.Context(), "ada@example.com", "acme", Patch{TimeZone: &tz}); err != nil {
		t.Fatal(err)
	}
	bad := -1
	if _, err := c.UpdateBy(t.Context(), "ada@example.com", "acme", Patch{GraceDays: &bad}); !errors.Is(err, ErrBadSetting) {
		t.Fatalf("grace days -1: %v", err)
	}
	if len(sink.batches) != 1 || len(f.written) != 2 {
		t.Errorf("%d audit batches and %d writes after a no-op and a refused patch, want 1 and 2", len(sink.batches), len(f.written))
	}
}

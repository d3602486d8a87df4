package org_test

import (
	"context"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/org"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

func TestAudit(t *testing.T) {
	ctx := context.Background()
	s := chdbtest.Shared(t)
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	err := org.Record(ctx, s,
		org.Change{Org: "audit-a", At: t0, Who: "ann@example.com", Kind: org.AuditSettings, Before: `{"grace_days":0}`, After: `{"grace_days":2}`},
		org.Change{Org: "audit-a", At: t0.Add(time.Minute), Who: "token abc", Kind: org.AuditPerson, Subject: "p1", Name: "Ann", After: org.JSON(map[string]int{"capacity": 40})},
		org.Change{Org: "audit-b", At: t0, Who: "cli", Kind: org.AuditSettings})
	if err != nil {
		t.Fatal(err)
	}
	all, err := org.AuditLog(ctx, s, "audit-a", "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Kind != org.AuditPerson || all[0].After != `{"capacity":40}` || all[1].Who != "ann@example.com" || !all[1].At.Equal(t0) {
		t.Fatalf("org a's trail, newest first: %+v", all)
	}
	one, err := org.AuditLog(ctx, s, "audit-a", org.AuditPerson, "p1", 0)
	if err != nil || len(one) != 1 || one[0].Name != "Ann" {
		t.Fatalf("person p1: %+v %v", one, err)
	}
	if err := org.Record(ctx, s, org.Change{Org: "audit-a", Kind: "x"}); err == nil {
		t.Fatal("a change without who was recorded")
	}
}

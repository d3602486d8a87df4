package hook_test

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/hook"
	"github.com/opsmetrics/opsmetrics/org"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

// mapOrg creates an org unique to this run with two clients, each with a
// project named "Website", and returns its id and Mappings over the
// shared store.
func mapOrg(t *testing.T) (string, *hook.Mappings) {
	t.Helper()
	s := chdbtest.Shared(t)
	b := make([]byte, 4)
	rand.Read(b)
	id := "mapcfg-" + hex.EncodeToString(b)
	w, err := ingest.NewWriter(ingest.WriterConfig{Store: s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	meta := func(ext string) ingest.Meta { return ingest.Meta{Org: id, Source: "test", ExternalID: ext} }
	for _, recs := range []any{
		[]org.Settings{org.New(id)},
		[]ingest.Client{{Meta: meta("c-1"), Name: "Nordlicht GmbH"}, {Meta: meta("c-2"), Name: "Acme <Brands>"}},
		[]ingest.Project{{Meta: meta("p-1"), Name: "Website", ClientID: "c-1"}, {Meta: meta("p-2"), Name: "Website", ClientID: "c-2"},
			{Meta: meta("p-3"), Name: "Rebrand", ClientID: "c-2"}},
	} {
		if _, err := w.Write(t.Context(), "test", recs); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := hook.NewMappings(hook.MappingsConfig{Store: s})
	if err != nil {
		t.Fatal(err)
	}
	return id, ms
}

// TestMappingsRoundTrip sets, overrides and resets an org's phases,
// outcomes and targets, and reads them back over the defaults.
func TestMappingsRoundTrip(t *testing.T) {
	orgID, ms := mapOrg(t)
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(ms.SetPhase(ctx, orgID, "jira", "Awaiting  Sign-off", hook.PhaseClientReview))
	must(ms.SetPhase(ctx, orgID, "jira", "Done", hook.PhaseReported)) // overrides the default "done" → delivered
	must(ms.SetOutcome(ctx, orgID, "jira", "Signed Off", hook.OutcomeApproved))
	must(ms.SetTarget(ctx, orgID, "jira", "WEB", "nordlicht gmbh", "Website")) // names: stored as c-1 and its p-1
	must(ms.SetTarget(ctx, orgID, "jira", "BRAND", "c-2", ""))
	m, err := ms.Mapping(ctx, orgID, "jira")
	must(err)
	for status, want := range map[string]string{
		"awaiting sign-off": hook.PhaseClientReview, // the org's
		"Done":              hook.PhaseReported,     // the org's, over the default
		"In Progress":       hook.PhaseProduction,   // the default, untouched
	} {
		if got, _ := m.Phase(status); got != want {
			t.Errorf("Phase(%q) = %q, want %q", status, got, want)
		}
	}
	if got := m.Outcome("signed off"); got != hook.OutcomeApproved {
		t.Errorf("Outcome = %q", got)
	}
	if got := m.Target("WEB"); got != (hook.Target{Client: "c-1", Project: "p-1"}) {
		t.Errorf("Target(WEB) = %+v", got)
	}
	if got := m.Target("BRAND"); got != (hook.Target{Client: "c-2"}) {
		t.Errorf("Target(BRAND) = %+v", got)
	}
	// Another tool of the same org keeps the defaults only.
	other, err := ms.Mapping(ctx, orgID, "trello")
	must(err)
	if got, _ := other.Phase("Done"); got != hook.PhaseDelivered || len(other.Targets) != 0 || len(other.Outcomes) != 0 {
		t.Errorf("trello: done = %q, targets %v, outcomes %v", got, other.Targets, other.Outcomes)
	}

	// The list says which rules are the org's and names the targets.
	list, err := ms.List(ctx, orgID, "jira")
	must(err)
	find := func(status string) hook.StatusRule {
		for _, r := range list.Statuses {
			if r.Status == status {
				return r
			}
		}
		t.Fatalf("no %q in %+v", status, list.Statuses)
		return hook.StatusRule{}
	}
	if r := find("done"); r.Phase != hook.PhaseReported || r.Set != "org" {
		t.Errorf("done: %+v", r)
	}
	if r := find("doing"); r.Phase != hook.PhaseProduction || r.Set != "default" {
		t.Errorf("doing: %+v", r)
	}
	if r := find("signed off"); r.Phase != "" || r.Outcome != hook.OutcomeApproved || r.Set != "org" {
		t.Errorf("signed off: %+v", r)
	}
	// The loop's order: the first status is an intake one, the one with no
	// phase last.
	if first, last := list.Statuses[0], list.Statuses[len(list.Statuses)-1]; first.Phase != hook.PhaseIntake || last.Status != "signed off" {
		t.Errorf("order: first %+v, last %+v", first, last)
	}
	want := []hook.TargetRule{
		{Container: "BRAND", Client: "c-2", ClientName: "Acme <Brands>"},
		{Container: "WEB", Client: "c-1", ClientName: "Nordlicht GmbH", Project: "p-1", ProjectName: "Website"},
	}
	if len(list.Targets) != 2 || list.Targets[0] != want[0] || list.Targets[1] != want[1] {
		t.Errorf("targets %+v, want %+v", list.Targets, want)
	}

	// Resets fall back to the default; a reset of what was never set is no error.
	must(ms.ResetStatus(ctx, orgID, "jira", "DONE"))
	must(ms.ResetStatus(ctx, orgID, "jira", "Signed Off"))
	must(ms.ResetTarget(ctx, orgID, "jira", "WEB"))
	must(ms.ResetTarget(ctx, orgID, "jira", "NEVER-SET"))
	m, err = ms.Mapping(ctx, orgID, "jira")
	must(err)
	if got, _ := m.Phase("done"); got != hook.PhaseDelivered {
		t.Errorf("after reset, done = %q", got)
	}
	if m.Outcome("signed off") != "" || len(m.Targets) != 1 || m.Targets["BRAND"].Client != "c-2" {
		t.Errorf("after reset: outcomes %v, targets %v", m.Outcomes, m.Targets)
	}
	// Set again after a reset: the newer row wins over the tombstone.
	must(ms.SetPhase(ctx, orgID, "jira", "done", hook.PhaseReported))
	if m, _ = ms.Mapping(ctx, orgID, "jira"); m.Phases["done"] != hook.PhaseReported {
		t.Errorf("set after reset: done = %q", m.Phases["done"])
	}
}

// TestMappingsRefuse: every refusal names its field and value, and leaves
// the mapping as it was, even when the rest of the patch was good.
func TestMappingsRefuse(t *testing.T) {
	orgID, ms := mapOrg(t)
	ctx := t.Context()
	str := func(s string) *string { return &s }
	for _, c := range []struct {
		name  string
		org   string
		tool  string
		patch hook.MappingPatch
		field string
		value string
		says  string
	}{
		{"unknown tool", orgID, "jra", hook.MappingPatch{Phases: map[string]*string{"x": str(hook.PhaseBrief)}}, "tool", "jra", "one of jira, clickup, asana, trello, github"},
		{"unknown org", orgID + "-nope", "jira", hook.MappingPatch{Phases: map[string]*string{"x": str(hook.PhaseBrief)}}, "org", orgID + "-nope", "no such org"},
		{"bad phase", orgID, "jira", hook.MappingPatch{Phases: map[string]*string{"QA": str("testing")}}, "phase", "testing", "one of intake, brief, production"},
		{"bad outcome", orgID, "jira", hook.MappingPatch{Outcomes: map[string]*string{"Done": str("accepted")}}, "outcome", "accepted", "approved, changes_requested"},
		{"empty status", orgID, "jira", hook.MappingPatch{Phases: map[string]*string{"  ": str(hook.PhaseBrief)}}, "phases status", "  ", "is empty"},
		{"unknown client", orgID, "jira", hook.MappingPatch{
			Phases:  map[string]*string{"Blocked": str(hook.PhaseProduction)},
			Targets: map[string]*hook.Target{"WEB": {Client: "Nordlict"}}}, "client", "Nordlict", "no such client in org " + orgID},
		{"no client", orgID, "jira", hook.MappingPatch{Targets: map[string]*hook.Target{"WEB": {Project: "p-1"}}}, "client", "", "needs a client"},
		{"unknown project", orgID, "jira", hook.MappingPatch{Targets: map[string]*hook.Target{"WEB": {Client: "c-1", Project: "Intranet"}}}, "project", "Intranet", "no such project"},
		{"another client's project", orgID, "jira", hook.MappingPatch{Targets: map[string]*hook.Target{"WEB": {Client: "c-1", Project: "Rebrand"}}}, "project", "Rebrand", "belongs to client c-2 (Acme <Brands>), not to c-1 (Nordlicht GmbH)"},
		{"empty container", orgID, "jira", hook.MappingPatch{Targets: map[string]*hook.Target{"": {Client: "c-1"}}}, "container", "", "is empty"},
		{"empty patch", orgID, "jira", hook.MappingPatch{}, "patch", "{}", "changes nothing"},
	} {
		err := ms.Apply(ctx, c.org, c.tool, c.patch)
		var me *hook.MappingError
		if !errors.As(err, &me) || me.Field != c.field || me.Value != c.value || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v (%+v); want field %q value %q saying %q", c.name, err, me, c.field, c.value, c.says)
		}
	}
	// "Website" names a project of each client: the client's own is taken.
	if err := ms.SetTarget(ctx, orgID, "github", "acme/site", "Acme <Brands>", "website"); err != nil {
		t.Fatal(err)
	}
	m, err := ms.Mapping(ctx, orgID, "github")
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Target("acme/site"); got != (hook.Target{Client: "c-2", Project: "p-2"}) {
		t.Errorf("Website of Acme: %+v", got)
	}
	// Nothing of the refused patches was kept.
	m, err = ms.Mapping(ctx, orgID, "jira")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Phase("Blocked"); ok || len(m.Targets) != 0 {
		t.Errorf("a refused patch left blocked = %q, targets %v", m.Phases["blocked"], m.Targets)
	}
}

package metrics_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	settings "github.com/opsmetrics/opsmetrics/org"
)

const namesOrg = "names-test"

// writeNames stores a small agency whose clients, teams and roles are named
// the way people type them wrong: two clients of one name, a team and a
// role in capitals, and a client id only time entries use.
func writeNames(t *testing.T) {
	t.Helper()
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: namesOrg, Source: "api", ExternalID: id} }
	person := func(id, name, role, team string) ingest.Person {
		return ingest.Person{Meta: meta(id), ValidFrom: d("2025-01-01"), Name: name, Role: role, Team: team,
			WeeklyCapacityHours: dec("40"), StartDate: pd("2025-01-01")}
	}
	entry := func(id, person, client, day, hours string) ingest.TimeEntry {
		return ingest.TimeEntry{Meta: meta(id), PersonID: person, ClientID: client, Date: d(day), Hours: dec(hours), Billable: true}
	}
	write(t,
		[]settings.Settings{{ID: namesOrg, Name: "Names", TimeZone: "UTC", Currency: "EUR"}},
		[]ingest.Client{{Meta: meta("c-0003"), Name: "Nordlicht GmbH"}, {Meta: meta("c-0004"), Name: "Südwind AG"},
			{Meta: meta("c-0005"), Name: "Twin"}, {Meta: meta("c-0006"), Name: "TWIN"}},
		[]ingest.Person{person("p-ana", "Ana Lind", "Designer", "Brand"), person("p-ben", "Ben Ode", "Developer", "Web")},
		[]ingest.TimeEntry{
			entry("e1", "p-ana", "c-0003", "2026-02-02", "3"),
			entry("e2", "p-ana", "c-0003", "2026-02-03", "2.5"),
			entry("e3", "p-ben", "c-0003", "2026-02-03", "4"),
			entry("e4", "p-ben", "c-0004", "2026-02-04", "6"),
			entry("e5", "p-ana", "c-raw", "2026-02-05", "1"),
		},
	)
}

// TestFiltersByName: a filter takes an id or a unique name (any case and
// spacing) and gives the same numbers; a name of several things, or of
// nothing, is an error that names it and its candidates.
func TestFiltersByName(t *testing.T) {
	writeNames(t)
	logged := func(filters map[string]string) string {
		t.Helper()
		return cell(t, compute(t, metrics.Request{KPI: "logged_hours", Org: namesOrg, From: d("2026-02-01"), To: d("2026-03-01"),
			Filters: filters}), "", "", "value")
	}
	// Nordlicht GmbH (c-0003): e1 3 + e2 2.5 + e3 4 = 9.5 h.
	exact(t, "client c-0003", logged(map[string]string{"client": "c-0003"}), "9.5")
	exact(t, "client Nordlicht GmbH", logged(map[string]string{"client": "Nordlicht GmbH"}), "9.5")
	exact(t, "client nordlicht  gmbh", logged(map[string]string{"client": " nordlicht  GMBH"}), "9.5")
	// Team Brand is Ana's: e1 3 + e2 2.5 + e5 1 = 6.5 h, asked as "brand".
	exact(t, "team brand", logged(map[string]string{"team": "brand"}), "6.5")
	// Role Developer is Ben's: e3 4 + e4 6 = 10 h, asked as "developer".
	exact(t, "role developer", logged(map[string]string{"role": "developer"}), "10")
	// A person by name: Ben Ode, 10 h; with client Südwind AG: e4 6 h.
	exact(t, "person ben ode", logged(map[string]string{"person": "ben ode"}), "10")
	exact(t, "person and client", logged(map[string]string{"person": "Ben Ode", "client": "südwind ag"}), "6")
	// c-raw has no client record, but an entry uses it: e5 1 h.
	exact(t, "client c-raw", logged(map[string]string{"client": "c-raw"}), "1")

	refused := func(filters map[string]string) *metrics.FilterError {
		t.Helper()
		_, err := metrics.Compute(t.Context(), testStore(t), testFacts(t), metrics.Request{KPI: "logged_hours", Org: namesOrg,
			From: d("2026-02-01"), To: d("2026-03-01"), Filters: filters})
		var fe *metrics.FilterError
		if !errors.As(err, &fe) || !errors.Is(err, metrics.ErrBadRequest) {
			t.Fatalf("%v: err %v, want a FilterError", filters, err)
		}
		return fe
	}
	for _, c := range []struct {
		filters map[string]string
		want    string
	}{
		{map[string]string{"client": "nosuch"}, `client "nosuch" not found in org names-test`},
		{map[string]string{"client": "Nordlict"}, `client "Nordlict" not found in org names-test; close matches: Nordlicht GmbH (c-0003)`},
		{map[string]string{"client": "Nordlicht"}, `close matches: Nordlicht GmbH (c-0003)`},
		{map[string]string{"client": "twin"}, `client "twin" is ambiguous in org names-test: it names Twin (c-0005), TWIN (c-0006); give the id`},
		{map[string]string{"team": "Brnad"}, `team "Brnad" not found in org names-test; close matches: Brand`},
		{map[string]string{"role": "designr"}, `close matches: Designer`},
		{map[string]string{"project": "Website"}, `project "Website" not found`},
		{map[string]string{"person": "Ana"}, `person "Ana" not found in org names-test; close matches: Ana Lind (p-ana)`},
	} {
		if got := refused(c.filters).Error(); !strings.Contains(got, c.want) {
			t.Errorf("%v: %q, want it to contain %q", c.filters, got, c.want)
		}
	}
	if fe := refused(map[string]string{"client": "twin"}); !fe.Ambiguous || fe.Kind != "client" || len(fe.Candidates) != 2 {
		t.Errorf("ambiguous: %+v", fe)
	}

	if err := metrics.CheckOrg(t.Context(), testStore(t), namesOrg); err != nil {
		t.Errorf("CheckOrg(%s): %v", namesOrg, err)
	}
	err := metrics.CheckOrg(t.Context(), testStore(t), "names-tset")
	if !errors.Is(err, metrics.ErrBadRequest) || !strings.Contains(err.Error(), `org "names-tset" not found; close matches: names-test`) {
		t.Errorf("CheckOrg(names-tset): %v", err)
	}
}

// TestOwnName: a team or a role spelt as an identifier reads as words; one
// spelt as words, or with capitals, is left as it is.
func TestOwnName(t *testing.T) {
	for in, want := range map[string]string{
		"creative_director": "Creative director",
		"project-manager":   "Project manager",
		"designer":          "Designer",
		"qa_2":              "Qa 2",
		"Brand":             "Brand",
		"UX Research":       "UX Research",
		"brand studio":      "brand studio", // has a space: written as words already
		"__":                "__",
		"":                  "",
	} {
		if got := metrics.OwnName(in); got != want {
			t.Errorf("OwnName(%q) = %q, want %q", in, got, want)
		}
	}
}

package demo

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
	settings "github.com/opsmetrics/opsmetrics/org"
)

// The Counts keys of the entities, in emission order (orgs and roles are
// demo.go's).
const (
	namePeople       = "people"
	nameClients      = "clients"
	nameProjects     = "projects"
	nameHolidays     = "holidays"
	nameTimeOff      = "time_off"
	nameAllocations  = "allocations"
	nameDeliverables = "deliverables"
	nameTaskEvents   = "task_events"
	nameTimeEntries  = "time_entries"
	nameAdjustments  = "adjustments"
	nameInvoiceLines = "invoice_lines"
)

var testEnd = time.Date(2026, time.May, 1, 0, 0, 0, 0, time.UTC)

// dataset is everything one Generate call emitted, copied out of the reused chunks.
type dataset struct {
	orgs         []settings.Settings
	roles        []ingest.Role
	people       []ingest.Person
	clients      []ingest.Client
	projects     []ingest.Project
	holidays     []ingest.Holiday
	timeOff      []ingest.TimeOff
	allocations  []ingest.Allocation
	deliverables []ingest.Deliverable
	events       []ingest.TaskEvent
	entries      []ingest.TimeEntry
	adjustments  []ingest.Adjustment
	lines        []ingest.InvoiceLine
	calls        []string // entity of each emit call, in order
	counts       Counts
}

func (ds *dataset) add(t testing.TB, recs any) {
	switch r := recs.(type) {
	case []settings.Settings:
		ds.orgs = append(ds.orgs, r...)
		ds.calls = append(ds.calls, nameOrgs)
	case []ingest.Role:
		ds.roles = append(ds.roles, r...)
		ds.calls = append(ds.calls, nameRoles)
	case []ingest.Person:
		ds.people = append(ds.people, r...)
		ds.calls = append(ds.calls, namePeople)
	case []ingest.Client:
		ds.clients = append(ds.clients, r...)
		ds.calls = append(ds.calls, nameClients)
	case []ingest.Project:
		ds.projects = append(ds.projects, r...)
		ds.calls = append(ds.calls, nameProjects)
	case []ingest.Holiday:
		ds.holidays = append(ds.holidays, r...)
		ds.calls = append(ds.calls, nameHolidays)
	case []ingest.TimeOff:
		ds.timeOff = append(ds.timeOff, r...)
		ds.calls = append(ds.calls, nameTimeOff)
	case []ingest.Allocation:
		ds.allocations = append(ds.allocations, r...)
		ds.calls = append(ds.calls, nameAllocations)
	case []ingest.Deliverable:
		ds.deliverables = append(ds.deliverables, r...)
		ds.calls = append(ds.calls, nameDeliverables)
	case []ingest.TaskEvent:
		ds.events = append(ds.events, r...)
		ds.calls = append(ds.calls, nameTaskEvents)
	case []ingest.TimeEntry:
		ds.entries = append(ds.entries, r...)
		ds.calls = append(ds.calls, nameTimeEntries)
	case []ingest.Adjustment:
		ds.adjustments = append(ds.adjustments, r...)
		ds.calls = append(ds.calls, nameAdjustments)
	case []ingest.InvoiceLine:
		ds.lines = append(ds.lines, r...)
		ds.calls = append(ds.calls, nameInvoiceLines)
	default:
		t.Fatalf("emit got %T", recs)
	}
	if n := reflect.ValueOf(recs).Len(); n == 0 || n > ChunkSize {
		t.Fatalf("emit got %d %T, want 1 to %d", n, recs, ChunkSize)
	}
}

func generate(t testing.TB, cfg Config) *dataset {
	t.Helper()
	ds := &dataset{}
	counts, err := Generate(t.Context(), cfg, func(recs any) error {
		ds.add(t, recs)
		return nil
	})
	if err != nil {
		t.Fatalf("Generate(%+v): %v", cfg, err)
	}
	ds.counts = counts
	return ds
}

// fingerprint hashes every emitted record as JSON, per entity.
func fingerprint(t *testing.T, cfg Config) map[string]string {
	t.Helper()
	hashes := map[string]hash.Hash{}
	_, err := Generate(t.Context(), cfg, func(recs any) error {
		name := fmt.Sprintf("%T", recs)
		if hashes[name] == nil {
			hashes[name] = sha256.New()
		}
		b, err := json.Marshal(recs)
		if err != nil {
			return err
		}
		hashes[name].Write(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]string{}
	for name, h := range hashes {
		sums[name] = fmt.Sprintf("%x", h.Sum(nil))
	}
	return sums
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		want    Config // after defaults, when no error
		wantErr string
	}{
		{name: "defaults", cfg: Config{End: testEnd},
			want: Config{Orgs: 1, People: 18, Months: 12, ForwardWeeks: 26, End: testEnd}},
		{name: "end truncated to its UTC date",
			cfg:  Config{Seed: 7, Orgs: 2, People: 5, Months: 3, Entries: 10, ForwardWeeks: 4, End: time.Date(2026, 5, 1, 23, 30, 0, 0, time.FixedZone("X", -3600))},
			want: Config{Seed: 7, Orgs: 2, People: 5, Months: 3, Entries: 10, ForwardWeeks: 4, End: time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)}},
		{name: "no end", cfg: Config{}, wantErr: "End is required"},
		{name: "end too early", cfg: Config{End: time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)}, wantErr: "outside the years"},
		{name: "negative orgs", cfg: Config{Orgs: -1, End: testEnd}, wantErr: "Orgs is -1"},
		{name: "negative people", cfg: Config{People: -3, End: testEnd}, wantErr: "People is -3, it cannot be negative"},
		{name: "negative entries", cfg: Config{Entries: -1, End: testEnd}, wantErr: "Entries is -1"},
		{name: "negative forward weeks", cfg: Config{ForwardWeeks: -2, End: testEnd}, wantErr: "ForwardWeeks is -2"},
		{name: "too many people", cfg: Config{People: 5001, End: testEnd}, wantErr: "People is 5001, above the limit of 5000"},
		{name: "too many months", cfg: Config{Months: 121, End: testEnd}, wantErr: "Months is 121, above the limit of 120"},
		{name: "too many orgs", cfg: Config{Orgs: 1001, End: testEnd}, wantErr: "Orgs is 1001"},
		{name: "too many entries", cfg: Config{Entries: 2_000_000_000, End: testEnd}, wantErr: "Entries is 2000000000"},
		{name: "too many people in all", cfg: Config{Orgs: 100, People: 5000, End: testEnd}, wantErr: "500000 people"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			err := cfg.Validate()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Validate() = %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Validate() = %v", err)
			}
			if cfg != tt.want {
				t.Errorf("Validate() left %+v, want %+v", cfg, tt.want)
			}
		})
	}
}

func TestGenerateRejectsBadConfig(t *testing.T) {
	called := false
	_, err := Generate(t.Context(), Config{People: -1, End: testEnd}, func(any) error { called = true; return nil })
	if err == nil || called {
		t.Fatalf("Generate with People -1: err %v, emit called %v", err, called)
	}
}

func TestDeterministic(t *testing.T) {
	cfg := Config{Seed: 42, Orgs: 2, People: 12, Months: 6, End: testEnd}
	first, again := fingerprint(t, cfg), fingerprint(t, cfg)
	if !reflect.DeepEqual(first, again) {
		t.Fatal("two runs with the same config differ")
	}

	other := cfg
	other.Seed = 43
	differs := fingerprint(t, other)
	for _, typ := range []string{"[]ingest.Person", "[]ingest.TimeEntry", "[]ingest.TaskEvent"} {
		if first[typ] == differs[typ] {
			t.Errorf("seeds 42 and 43 give the same %s", typ)
		}
	}

	// Asking for a different volume of entries leaves everything else alone.
	scaled := cfg
	scaled.Entries = 3000
	volume := fingerprint(t, scaled)
	for typ, sum := range first {
		switch typ {
		case "[]ingest.TimeEntry", "[]ingest.Adjustment", "[]ingest.InvoiceLine":
			continue
		}
		if volume[typ] != sum {
			t.Errorf("Entries 3000 changed %s", typ)
		}
	}
}

func TestExactEntries(t *testing.T) {
	tests := []struct {
		orgs, people, months, entries int
	}{
		{1, 18, 12, 5000},
		{3, 7, 3, 12345},
		{2, 5, 1, 1},
		{4, 3, 2, 999},
		{1, 18, 12, 120_000}, // more than two chunks
		{2, 2, 1, 200_000},   // more entries than quarter hours: finer units
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d orgs %d people %d months %d entries", tt.orgs, tt.people, tt.months, tt.entries), func(t *testing.T) {
			cfg := Config{Seed: 3, Orgs: tt.orgs, People: tt.people, Months: tt.months, Entries: tt.entries, End: testEnd}
			ds := generate(t, cfg)
			if len(ds.entries) != tt.entries || ds.counts[nameTimeEntries] != tt.entries {
				t.Fatalf("got %d entries (counted %d), want %d", len(ds.entries), ds.counts[nameTimeEntries], tt.entries)
			}
			ids := map[string]bool{}
			for _, e := range ds.entries {
				key := e.Org + "/" + e.ExternalID
				if ids[key] {
					t.Fatalf("duplicate time entry %s", key)
				}
				ids[key] = true
			}
			checkCalendar(t, ds)
			checkReferences(t, ds)
		})
	}
}

// TestShapes runs small, odd and large configurations through the same checks.
func TestShapes(t *testing.T) {
	midMonth := time.Date(2025, time.January, 15, 0, 0, 0, 0, time.UTC)
	tests := []Config{
		{Seed: 5, People: 1, Months: 1, End: testEnd},
		{Seed: 6, People: 2, Months: 2, ForwardWeeks: 1, End: midMonth},
		{Seed: 7, Orgs: 12, People: 3, Months: 3, End: midMonth},
		{Seed: 8, People: 40, Months: 36, End: time.Date(2024, time.March, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, cfg := range tests {
		t.Run(fmt.Sprintf("%d orgs %d people %d months to %s", cfg.Orgs, cfg.People, cfg.Months, cfg.End.Format(time.DateOnly)), func(t *testing.T) {
			ds := generate(t, cfg)
			checkCalendar(t, ds)
			checkReferences(t, ds)
			checkDecimals(t, ds)
			if len(ds.entries) == 0 || len(ds.holidays) == 0 {
				t.Errorf("%d entries, %d holidays", len(ds.entries), len(ds.holidays))
			}
			if cfg.Orgs == 12 && (ds.orgs[0].ID != "acme" || ds.orgs[11].ID != "org-0012") {
				t.Errorf("org ids %s ... %s", ds.orgs[0].ID, ds.orgs[11].ID)
			}
		})
	}
}

func TestEmitOrderAndChunks(t *testing.T) {
	ds := generate(t, Config{Seed: 1, Orgs: 3, People: 10, Months: 3, Entries: 120_000, End: testEnd})
	order := []string{nameOrgs, nameRoles, namePeople, nameClients, nameProjects, nameHolidays, nameTimeOff,
		nameAllocations, nameDeliverables, nameTaskEvents, nameTimeEntries, nameAdjustments, nameInvoiceLines}
	var got []string
	for _, c := range ds.calls {
		if len(got) == 0 || got[len(got)-1] != c {
			got = append(got, c)
		}
	}
	if !slices.Equal(got, order) {
		t.Errorf("emit order %v, want %v", got, order)
	}
	if n := strings.Count(strings.Join(ds.calls, " "), nameTimeEntries); n != 3 {
		t.Errorf("120000 entries came in %d chunks, want 3", n)
	}
	for _, name := range order {
		if _, ok := ds.counts[name]; !ok {
			t.Errorf("counts lack %q", name)
		}
	}
	if ds.counts[nameOrgs] != 3 || ds.counts[namePeople] != len(ds.people) || ds.counts[nameTaskEvents] != len(ds.events) {
		t.Errorf("counts %v do not match what was emitted", ds.counts)
	}
}

func TestNaturalVolume(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		ds := generate(t, Config{Seed: seed, End: testEnd})
		days := map[string]bool{}
		for _, e := range ds.entries {
			days[e.PersonID+e.Date.String()] = true
		}
		perDay := float64(len(ds.entries)) / float64(len(days))
		if perDay < 2 || perDay > 4 || len(ds.entries) < 8000 || len(ds.entries) > 16000 {
			t.Errorf("seed %d: %d entries over %d person-days (%.2f a day), want 2-4 a day and 8000-16000",
				seed, len(ds.entries), len(days), perDay)
		}
		// 18 people, about 225 workdays each, most of them logged.
		if len(days) < 3000 || len(days) > 4200 {
			t.Errorf("seed %d: %d person-days logged", seed, len(days))
		}
		checkCalendar(t, ds)
		checkReferences(t, ds)
		checkDecimals(t, ds)
	}
}

// checkCalendar asserts that every entry is on one of the person's workdays
// (as the version in force defines them), inside employment, and not on a
// holiday or a full day off.
func checkCalendar(t *testing.T, ds *dataset) {
	t.Helper()
	versions := map[string][]ingest.Person{}
	for _, p := range ds.people {
		key := p.Org + "/" + p.ExternalID
		versions[key] = append(versions[key], p)
	}
	holidays := map[string]bool{}
	for _, h := range ds.holidays {
		holidays[h.Org+h.Date.String()] = true
	}
	type span struct {
		from, to time.Time
		half     bool
	}
	off := map[string][]span{}
	for _, o := range ds.timeOff {
		key := o.Org + "/" + o.PersonID
		off[key] = append(off[key], span{o.StartDate, o.EndDate, o.HoursPerDay != nil})
	}
	bad := 0
	for _, e := range ds.entries {
		key := e.Org + "/" + e.PersonID
		var v *ingest.Person
		for i := range versions[key] {
			if !versions[key][i].ValidFrom.After(e.Date) {
				v = &versions[key][i]
			}
		}
		if v == nil {
			t.Fatalf("entry %s/%s of %s on %s: before the person's first version", e.Org, e.ExternalID, e.PersonID, e.Date)
		}
		problem := ""
		wd := v.Workdays
		if wd == 0 {
			wd = monToFri
		}
		switch {
		case e.Date.Before(*v.StartDate) || v.EndDate != nil && !e.Date.Before(*v.EndDate):
			problem = "outside employment"
		case wd&weekdayBit(e.Date.Weekday()) == 0:
			problem = "not a workday"
		case holidays[e.Org+e.Date.String()]:
			problem = "a holiday"
		}
		for _, s := range off[key] {
			if !s.half && !e.Date.Before(s.from) && !e.Date.After(s.to) {
				problem = "a day off"
			}
		}
		if !e.Date.Equal(e.Date.Truncate(24*time.Hour)) || e.Date.Location() != time.UTC {
			problem = "not a UTC date"
		}
		if problem != "" {
			if bad++; bad < 5 {
				t.Errorf("entry %s/%s of %s on %s: %s", e.Org, e.ExternalID, e.PersonID, e.Date.Format(time.DateOnly), problem)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d entries on days their person does not work", bad)
	}
}

// checkReferences asserts that every id a record refers to exists in its org.
func checkReferences(t *testing.T, ds *dataset) {
	t.Helper()
	ids := map[string]bool{}
	put := func(kind, org, id string) { ids[kind+"/"+org+"/"+id] = true }
	orgs := map[string]bool{}
	for _, o := range ds.orgs {
		orgs[o.ID] = true
	}
	for _, p := range ds.people {
		put("person", p.Org, p.ExternalID)
	}
	for _, c := range ds.clients {
		put("client", c.Org, c.ExternalID)
	}
	for _, p := range ds.projects {
		put("project", p.Org, p.ExternalID)
	}
	for _, d := range ds.deliverables {
		put("deliverable", d.Org, d.ExternalID)
	}
	entries := map[string]*ingest.TimeEntry{}
	for i, e := range ds.entries {
		entries[e.Org+"/"+e.ExternalID] = &ds.entries[i]
	}
	missing := 0
	need := func(kind, org, id, from string) {
		if !orgs[org] {
			t.Errorf("%s refers to unknown org %q", from, org)
		}
		if id != "" && !ids[kind+"/"+org+"/"+id] {
			if missing++; missing < 10 {
				t.Errorf("%s refers to unknown %s %s/%s", from, kind, org, id)
			}
		}
	}
	for _, p := range ds.projects {
		need("client", p.Org, p.ClientID, "project "+p.ExternalID)
	}
	for _, e := range ds.entries {
		from := "entry " + e.ExternalID
		need("person", e.Org, e.PersonID, from)
		need("project", e.Org, e.ProjectID, from)
		need("client", e.Org, e.ClientID, from)
		need("deliverable", e.Org, e.DeliverableID, from)
	}
	for _, d := range ds.deliverables {
		need("project", d.Org, d.ProjectID, "deliverable "+d.ExternalID)
		need("client", d.Org, d.ClientID, "deliverable "+d.ExternalID)
		need("person", d.Org, d.OwnerID, "deliverable "+d.ExternalID)
	}
	for _, ev := range ds.events {
		need("deliverable", ev.Org, ev.DeliverableID, "event "+ev.ExternalID)
		need("project", ev.Org, ev.ProjectID, "event "+ev.ExternalID)
		need("client", ev.Org, ev.ClientID, "event "+ev.ExternalID)
	}
	for _, a := range ds.allocations {
		need("person", a.Org, a.PersonID, "allocation "+a.ExternalID)
		need("project", a.Org, a.ProjectID, "allocation "+a.ExternalID)
		if a.PersonID == "" && a.Role == "" {
			t.Errorf("allocation %s has neither person nor role", a.ExternalID)
		}
	}
	for _, o := range ds.timeOff {
		need("person", o.Org, o.PersonID, "time off "+o.ExternalID)
	}
	for _, a := range ds.adjustments {
		need("client", a.Org, a.ClientID, "adjustment "+a.ExternalID)
		need("project", a.Org, a.ProjectID, "adjustment "+a.ExternalID)
		need("person", a.Org, a.PersonID, "adjustment "+a.ExternalID)
		if a.TimeEntryID != "" && entries[a.Org+"/"+a.TimeEntryID] == nil {
			t.Errorf("adjustment %s refers to unknown entry %s", a.ExternalID, a.TimeEntryID)
		}
	}
	for _, l := range ds.lines {
		need("client", l.Org, l.ClientID, "invoice line "+l.ExternalID)
		need("project", l.Org, l.ProjectID, "invoice line "+l.ExternalID)
		for _, id := range l.TimeEntryIDs {
			e := entries[l.Org+"/"+id]
			if e == nil || e.InvoiceID != l.InvoiceID || e.BillingStatus != ingest.Billed || e.ProjectID != l.ProjectID {
				t.Errorf("invoice line %s covers %s, which is not a billed entry of its invoice", l.ExternalID, id)
				break
			}
		}
	}
	// Every record of an org carries the org, the demo source and a unique id.
	seen := map[string]bool{}
	check := func(kind string, m ingest.Meta) {
		key := kind + "/" + m.Org + "/" + m.ExternalID
		if m.Source != Source || m.ExternalID == "" || m.Deleted || seen[key] && kind != "person" {
			t.Errorf("%s %s: bad meta %+v", kind, m.ExternalID, m)
		}
		seen[key] = true
	}
	for _, c := range ds.clients {
		check("client", c.Meta)
	}
	for _, p := range ds.projects {
		check("project", p.Meta)
	}
	for _, p := range ds.people {
		check("person", p.Meta)
	}
	for _, d := range ds.deliverables {
		check("deliverable", d.Meta)
	}
	for _, ev := range ds.events {
		check("event", ev.Meta)
	}
	for _, a := range ds.allocations {
		check("allocation", a.Meta)
	}
	for _, o := range ds.timeOff {
		check("time off", o.Meta)
	}
	for _, a := range ds.adjustments {
		check("adjustment", a.Meta)
	}
	for _, l := range ds.lines {
		check("invoice line", l.Meta)
	}
}

// checkDecimals asserts hours in quarter hours, money with at most 4 decimal
// places, and that billed amounts are hours times rate or less.
func checkDecimals(t *testing.T, ds *dataset) {
	t.Helper()
	quarter := decimal.New(25, -2)
	places := func(d *decimal.Decimal, max int32) bool {
		return d == nil || d.Equal(d.Truncate(max))
	}
	for _, e := range ds.entries {
		if !e.Hours.Mod(quarter).IsZero() || !e.Hours.IsPositive() || !places(e.BillRate, 4) || !places(e.CostRate, 4) ||
			!places(e.BilledAmount, 4) || e.Currency == "" {
			t.Fatalf("entry %s: hours %s, rate %v, cost %v, billed %v, currency %q", e.ExternalID, e.Hours,
				e.BillRate, e.CostRate, e.BilledAmount, e.Currency)
		}
		switch {
		case e.Billable && e.BillRate == nil:
			t.Fatalf("billable entry %s has no bill rate", e.ExternalID)
		case e.BillingStatus == ingest.Billed && (e.InvoiceID == "" || e.BilledAmount == nil ||
			e.BilledAmount.GreaterThan(e.Hours.Mul(*e.BillRate).Round(4))):
			t.Fatalf("billed entry %s: invoice %q, %s h at %s billed %v", e.ExternalID, e.InvoiceID, e.Hours, e.BillRate, e.BilledAmount)
		case e.BillingStatus != ingest.Billed && (e.InvoiceID != "" || e.BilledAmount != nil):
			t.Fatalf("%s entry %s has invoice %q", e.BillingStatus, e.ExternalID, e.InvoiceID)
		case !e.Billable && e.BillingStatus != ingest.Unbilled:
			t.Fatalf("non-billable entry %s is %s", e.ExternalID, e.BillingStatus)
		}
	}
	for _, p := range ds.people {
		if !places(p.BillRate, 4) || !places(p.CostRate, 4) || p.CostRate == nil || p.BillRate == nil {
			t.Fatalf("person %s rates %v %v", p.ExternalID, p.BillRate, p.CostRate)
		}
	}
}

// TestStories checks that the default dataset has what the dashboards are
// meant to show.
func TestStories(t *testing.T) {
	for _, seed := range []int64{1, 99} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			ds := generate(t, Config{Seed: seed, End: testEnd})
			checkBilling(t, ds)
			checkDelivery(t, ds)
			checkPeopleAndPlans(t, ds)
		})
	}
}

func checkBilling(t *testing.T, ds *dataset) {
	statuses := map[string]int{}
	billable := 0
	type projectMonth struct{ project, month string }
	retainerHours := map[projectMonth]decimal.Decimal{}
	kinds := map[string]ingest.Project{}
	for _, p := range ds.projects {
		kinds[p.ExternalID] = p
	}
	onboarding, delivLinked, internal := 0, 0, 0
	for _, e := range ds.entries {
		if e.Billable {
			billable++
			statuses[e.BillingStatus]++
			if kinds[e.ProjectID].Kind == ingest.KindRetainer {
				k := projectMonth{e.ProjectID, e.Date.Format("2006-01")}
				retainerHours[k] = retainerHours[k].Add(e.Hours)
			}
		}
		if slices.Contains(e.Tags, "onboarding") {
			onboarding++
		}
		if e.DeliverableID != "" && e.Phase != "" {
			delivLinked++
		}
		if kinds[e.ProjectID].Kind == ingest.KindInternal {
			internal++
			if e.Billable {
				t.Fatalf("entry %s on the internal project is billable", e.ExternalID)
			}
		}
	}
	for _, s := range []string{ingest.Billed, ingest.Unbilled, ingest.WrittenOff} {
		if statuses[s] == 0 {
			t.Errorf("no %s entries", s)
		}
	}
	if share := float64(statuses[ingest.WrittenOff]) / float64(billable); share < 0.01 || share > 0.06 {
		t.Errorf("%.1f%% of billable entries written off, want a few percent", share*100)
	}
	// The latest month is not invoiced yet, older ones mostly are.
	lastMonth := testEnd.AddDate(0, -1, 0)
	recent, old := map[string]int{}, map[string]int{}
	for _, e := range ds.entries {
		if !e.Billable {
			continue
		}
		if e.Date.Before(lastMonth) {
			old[e.BillingStatus]++
		} else {
			recent[e.BillingStatus]++
		}
	}
	if recent[ingest.Billed] > 0 || old[ingest.Billed] < 3*old[ingest.Unbilled] {
		t.Errorf("billing by age: last month %v, earlier %v", recent, old)
	}
	over := false
	for k, h := range retainerHours {
		if h.GreaterThan(*kinds[k.project].RetainerHoursMonthly) {
			over = true
		}
	}
	if !over {
		t.Error("no retainer month over its hours")
	}
	if onboarding == 0 || delivLinked == 0 || internal == 0 {
		t.Errorf("onboarding entries %d, entries on deliverables %d, internal entries %d", onboarding, delivLinked, internal)
	}

	standard := map[string]decimal.Decimal{}
	for _, e := range ds.entries {
		if e.BillRate != nil {
			standard[e.ExternalID] = e.Hours.Mul(*e.BillRate)
		}
	}
	discounted, listed := false, false
	for _, l := range ds.lines {
		if len(l.TimeEntryIDs) == 0 {
			continue
		}
		listed = true
		sum := decimal.Zero
		for _, id := range l.TimeEntryIDs {
			sum = sum.Add(standard[id])
		}
		if l.Amount.LessThan(sum) {
			discounted = true
		}
	}
	if !listed || !discounted {
		t.Errorf("invoice lines listing entries: %v, one billing less than standard: %v", listed, discounted)
	}
	reasons := map[string]bool{}
	for _, a := range ds.adjustments {
		reasons[a.Kind+"/"+a.Reason] = true
		if a.Amount == nil || !a.Amount.IsPositive() {
			t.Errorf("adjustment %s has amount %v", a.ExternalID, a.Amount)
		}
	}
	for _, want := range []string{"write_off/goodwill", "write_off/internal_error", "write_off/estimate_overrun",
		"write_off/over_service", "write_up/other"} {
		if !reasons[want] {
			t.Errorf("no %s adjustment; have %v", want, reasons)
		}
	}
}

func checkDelivery(t *testing.T, ds *dataset) {
	// Whatever the org's time zone, the end of the due day is within 12 hours of due + 24 h UTC.
	late, onTime, delivered, openOverdue, openNotDue, slipped := 0, 0, 0, 0, 0, 0
	for _, d := range ds.deliverables {
		switch {
		case d.DeliveredAt == nil && d.DueDate.Before(testEnd):
			openOverdue++
		case d.DeliveredAt == nil:
			openNotDue++
		case d.DeliveredAt.After(d.DueDate.Add(48 * time.Hour)):
			late++
		case d.DeliveredAt.Before(d.DueDate.Add(24 * time.Hour)): // deliveries happen in working hours
			onTime++
		}
		if d.DeliveredAt != nil {
			delivered++
		}
		if d.DueDate.After(*d.CommittedDueDate) {
			slipped++
		}
		if d.DeliveredAt != nil && !d.DeliveredAt.Before(testEnd) {
			t.Errorf("deliverable %s delivered after End, at %s", d.ExternalID, d.DeliveredAt)
		}
	}
	if late == 0 || onTime == 0 || openOverdue == 0 || openNotDue == 0 || slipped == 0 {
		t.Errorf("deliverables: late %d, on time %d, open overdue %d, open not due %d, slipped %d",
			late, onTime, openOverdue, openNotDue, slipped)
	}
	if rate := float64(onTime) / float64(delivered); rate < 0.65 || rate > 0.92 {
		t.Errorf("on-time share %.2f", rate)
	}

	byDeliverable := map[string][]ingest.TaskEvent{}
	types := map[string]int{}
	for _, ev := range ds.events {
		types[ev.Type]++
		if ev.OccurredAt.Location() != time.UTC || !ev.OccurredAt.Before(testEnd) {
			t.Fatalf("event %s at %s", ev.ExternalID, ev.OccurredAt)
		}
		if ev.DeliverableID != "" {
			byDeliverable[ev.DeliverableID] = append(byDeliverable[ev.DeliverableID], ev)
		}
	}
	for _, typ := range []string{ingest.EventCreated, ingest.EventStatusChanged, ingest.EventDueDateChanged,
		ingest.EventClientReviewRequested, ingest.EventClientChangesRequested, ingest.EventClientApproved,
		ingest.EventDelivered, ingest.EventRetroHeld} {
		if types[typ] == 0 {
			t.Errorf("no %s events", typ)
		}
	}
	pending, skippedQA, maxRounds := 0, 0, 0
	for id, evs := range byDeliverable {
		if !slices.IsSortedFunc(evs, func(a, b ingest.TaskEvent) int { return a.OccurredAt.Compare(b.OccurredAt) }) {
			t.Errorf("events of %s are out of order", id)
		}
		open, rounds, qa := false, 0, false
		for _, ev := range evs {
			switch ev.Type {
			case ingest.EventClientReviewRequested:
				if open {
					t.Errorf("deliverable %s: a second review request before a decision", id)
				}
				open = true
			case ingest.EventClientApproved, ingest.EventClientChangesRequested:
				if !open {
					t.Errorf("deliverable %s: a decision without a request", id)
				}
				open = false
				if ev.Type == ingest.EventClientChangesRequested {
					rounds++
				}
			case ingest.EventStatusChanged:
				if ev.ToStatus == "Internal Review" {
					qa = true
				}
				if ev.ToStatus == "Client Review" && !qa {
					skippedQA++
				}
			}
		}
		if open {
			pending++
		}
		maxRounds = max(maxRounds, rounds)
	}
	if pending == 0 || skippedQA == 0 || maxRounds < 3 {
		t.Errorf("reviews pending %d, skipping internal review %d, most revision rounds %d", pending, skippedQA, maxRounds)
	}
}

func checkPeopleAndPlans(t *testing.T, ds *dataset) {
	rows := map[string]int{}
	partTime4, leavers, hires := 0, 0, 0
	historyStart := testEnd.AddDate(-1, 0, 0)
	for _, p := range ds.people {
		rows[p.ExternalID]++
		if p.Workdays == monToThu {
			partTime4++
		}
		if p.EndDate != nil {
			leavers++
		}
		if p.StartDate.After(historyStart) {
			hires++
		}
	}
	changed := 0
	for _, n := range rows {
		if n > 1 {
			changed++
		}
	}
	if changed < 1 || changed > 2 || partTime4 == 0 || leavers == 0 || hires < 2 {
		t.Errorf("people with changes %d, 4-day part-timers %d, leaver rows %d, hires %d", changed, partTime4, leavers, hires)
	}

	holidays := map[time.Time]bool{}
	for _, h := range ds.holidays {
		holidays[h.Date] = true
	}
	overlap, half := false, false
	for _, o := range ds.timeOff {
		for d := o.StartDate; !d.After(o.EndDate); d = d.AddDate(0, 0, 1) {
			overlap = overlap || holidays[d]
		}
		half = half || o.HoursPerDay != nil && o.HoursPerDay.Equal(decimal.NewFromInt(4))
		if o.EndDate.Before(o.StartDate) {
			t.Errorf("time off %s ends before it starts", o.ExternalID)
		}
	}
	if !overlap || !half {
		t.Errorf("time off overlapping a holiday: %v, half day: %v", overlap, half)
	}

	horizon := testEnd.AddDate(0, 0, 7*26)
	tentative, placeholder, future := 0, 0, false
	for _, a := range ds.allocations {
		if a.Status == ingest.Tentative {
			tentative++
			if !a.Probability.LessThan(decimal.NewFromInt(1)) || !a.Probability.IsPositive() {
				t.Errorf("tentative allocation %s with probability %s", a.ExternalID, a.Probability)
			}
		}
		if a.PersonID == "" {
			placeholder++
		}
		if (a.HoursPerWeek == nil) == (a.HoursPerDay == nil) || a.EndDate.Before(a.StartDate) || !a.EndDate.Before(horizon) {
			t.Errorf("allocation %s: %+v", a.ExternalID, a)
		}
		future = future || a.EndDate.AddDate(0, 0, 1).Equal(horizon)
	}
	if tentative == 0 || placeholder == 0 || !future {
		t.Errorf("allocations: tentative %d, role placeholders %d, reaching the horizon %v", tentative, placeholder, future)
	}
}

func TestEmitErrorStops(t *testing.T) {
	boom := errors.New("disk full")
	for _, failAt := range []int{1, 4, 11} {
		calls := 0
		_, err := Generate(t.Context(), Config{Seed: 1, End: testEnd}, func(any) error {
			calls++
			if calls == failAt {
				return boom
			}
			return nil
		})
		if !errors.Is(err, boom) || calls != failAt {
			t.Errorf("failing call %d: err %v after %d calls", failAt, err, calls)
		}
	}
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	calls := 0
	_, err := Generate(ctx, Config{Seed: 1, Entries: 200_000, End: testEnd}, func(recs any) error {
		calls++
		if _, ok := recs.([]ingest.TimeEntry); ok {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Generate after cancel = %v", err)
	}
}

// BenchmarkGenerate measures time entries generated per second at benchmark
// scale: run it with -benchtime 2000000x or more.
func BenchmarkGenerate(b *testing.B) {
	cfg := Config{Seed: 1, Orgs: 10, People: 250, Entries: b.N, End: testEnd}
	_, err := Generate(b.Context(), cfg, func(any) error { return nil })
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

package demo

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

// TestAgencies: the agencies are the generated orgs' people and clients
// (not the agency itself), each account led by a person employed at End
// who heads its team, with the retro days of the task events; the same
// Config gives the same agencies.
func TestAgencies(t *testing.T) {
	cfg := Config{Seed: 7, Orgs: 2, End: time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)}
	got, err := Agencies(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Agencies(t.Context(), cfg)
	if !reflect.DeepEqual(got, again) {
		t.Error("the same Config gave different agencies")
	}
	if len(got) != 2 || got[0].Org != "acme" || got[1].Org != "northwind" {
		t.Fatalf("orgs %+v", got)
	}
	valid := cfg
	if err := valid.Validate(); err != nil {
		t.Fatal(err)
	}
	for i, a := range got {
		o := newOrg(valid, i)
		if want := len(o.clients) - 1; len(a.Clients) != want { // all but the internal client
			t.Errorf("%s: %d clients, want %d", a.Org, len(a.Clients), want)
		}
		people := map[string]bool{}
		for _, p := range a.People {
			people[p.ID] = true
		}
		for _, c := range a.Clients {
			if c.Name == a.Name || !people[c.Lead] || len(c.Team) == 0 || c.Team[0] != c.Lead || c.Contact == "" {
				t.Errorf("%s: account %+v", a.Org, c)
			}
			for _, id := range c.Team {
				if !people[id] {
					t.Errorf("%s: %s's team has %s, who is not employed at End", a.Org, c.ID, id)
				}
			}
		}
		if len(a.RetroDays) < 3 || !slices.IsSortedFunc(a.RetroDays, time.Time.Compare) ||
			a.RetroDays[0].Before(a.HistoryStart) || !a.RetroDays[len(a.RetroDays)-1].Before(cfg.End) {
			t.Errorf("%s: retro days %v", a.Org, a.RetroDays)
		}
	}
}

func TestDomainOf(t *testing.T) {
	for name, want := range map[string]string{
		"Northwind Foods":   "northwind-foods.example",
		"Aurora Foods 2":    "aurora-foods-2.example",
		"Café Müller & Co.": "cafe-muller-co.example",
	} {
		if got := domainOf(name); got != want {
			t.Errorf("domainOf(%q) = %q, want %q", name, got, want)
		}
	}
}

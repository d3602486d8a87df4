package hook

import "testing"

func TestMappingDefaults(t *testing.T) {
	m := DefaultMapping()
	for status, want := range map[string]string{"In  Progress ": PhaseProduction, "CLIENT REVIEW": PhaseClientReview, "Done": PhaseDelivered} {
		if got, ok := m.Phase(status); !ok || got != want {
			t.Errorf("Phase(%q) = %q, %v; want %q", status, got, ok, want)
		}
	}
	if p, ok := m.Phase("Blocked"); ok {
		t.Errorf("Phase(Blocked) = %q; want unmapped", p)
	}
	m.Default = Target{Client: "c1"}
	m.Targets["10001"] = Target{Client: "c2", Project: "p2"}
	if got := m.Target("10001"); got.Client != "c2" || got.Project != "p2" {
		t.Errorf("Target(10001) = %+v", got)
	}
	if got := m.Target("other"); got.Client != "c1" {
		t.Errorf("Target(other) = %+v; want the default", got)
	}
}

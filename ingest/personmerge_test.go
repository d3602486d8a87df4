package ingest

import (
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestMergePerson(t *testing.T) {
	d := func(s string) time.Time { v, _ := time.Parse(time.DateOnly, s); return v }
	rate := func(s string) *decimal.Decimal { v := decimal.RequireFromString(s); return &v }
	word := func(source, from string, p Person) PersonSource {
		p.Source, p.ExternalID, p.ValidFrom = source, source+"-1", d(from)
		return PersonSource{Person: p, PersonID: "p"}
	}
	harvest := word("harvest", "2000-01-01", Person{Name: "Kim", Email: "kim@x", Role: "Designer",
		WeeklyCapacityHours: decimal.NewFromInt(35), CostRate: rate("50"), BillRate: rate("100")})
	float := word("float", "2000-01-01", Person{Name: "Kim A.", Team: "Studio", WeeklyCapacityHours: decimal.NewFromInt(40),
		BillRate: rate("120")})
	toggl := word("toggl", "2000-01-01", Person{Name: "Kim", WeeklyCapacityHours: decimal.NewFromInt(40), CapacityAssumed: true})
	hr := word("hr", "2025-01-01", Person{Name: "Kim Allen", WeeklyCapacityHours: decimal.NewFromInt(32), CostRate: rate("60")})
	runn := word("runn", "2024-06-01", Person{WeeklyCapacityHours: decimal.NewFromInt(30), CostRate: rate("40")})
	resolved := word(ResolvedSource, "2000-01-01", Person{Name: "kim", Role: "Design", WeeklyCapacityHours: decimal.NewFromInt(40),
		CapacityAssumed: true})
	gone := harvest
	gone.Deleted = true

	// version is one merged version as "from name team role capacity assumed cost bill".
	version := func(p Person) string {
		s := func(r *decimal.Decimal) string {
			if r == nil {
				return "-"
			}
			return r.String()
		}
		a := ""
		if p.CapacityAssumed {
			a = " assumed"
		}
		return p.ValidFrom.Format(time.DateOnly) + " " + p.Name + "/" + p.Team + "/" + p.Role + " " +
			p.WeeklyCapacityHours.String() + a + " " + s(p.CostRate) + " " + s(p.BillRate)
	}
	for _, tc := range []struct {
		name  string
		words []PersonSource
		want  []string
	}{
		{"tracker's rates, booking tool's capacity", []PersonSource{float, harvest},
			[]string{"2000-01-01 Kim/Studio/Designer 40 50 100"}},
		{"two assumed capacities: the tracker's over first sight", []PersonSource{toggl, resolved},
			[]string{"2000-01-01 Kim//Design 40 assumed - -"}},
		{"the tracker's real capacity over an assumed one", []PersonSource{resolved, toggl, harvest},
			[]string{"2000-01-01 Kim//Designer 35 50 100"}},
		{"the org's word from its date only", []PersonSource{hr, float, harvest}, []string{
			"2000-01-01 Kim/Studio/Designer 40 50 100",
			"2025-01-01 Kim Allen/Studio/Designer 32 60 100"}},
		{"a booking tool's dated version changes capacity from its date; its cost rate loses to the tracker's",
			[]PersonSource{runn, harvest}, []string{
				"2000-01-01 Kim//Designer 35 50 100",
				"2024-06-01 Kim//Designer 30 50 100"}},
		{"a deleted word is no word", []PersonSource{float, gone}, []string{"2000-01-01 Kim A./Studio/ 40 - 120"}},
	} {
		got := func(words []PersonSource) []string {
			var out []string
			for _, p := range MergePerson(Meta{Org: "o", Source: "float", ExternalID: "p"}, words) {
				out = append(out, version(p))
			}
			return out
		}
		if g := got(tc.words); !slices.Equal(g, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, g, tc.want)
		}
		// Whichever order the words arrive in.
		rev := slices.Clone(tc.words)
		slices.Reverse(rev)
		if g := got(rev); !slices.Equal(g, tc.want) {
			t.Errorf("%s, reversed: %q, want %q", tc.name, g, tc.want)
		}
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCapacityCommand imports one designer and a booking, then asks the CLI
// for the earliest start and the grid.
func TestCapacityCommand(t *testing.T) {
	env := testEnv(t)
	dir := t.TempDir()
	people, allocs := filepath.Join(dir, "people.ndjson"), filepath.Join(dir, "allocations.ndjson")
	// One designer, 40 h a week Monday to Friday, booked 30 h a week in the
	// weeks of 2027-03-01 and 2027-03-08: 10 h free there, 40 after.
	os.WriteFile(people, []byte(`{"external_id":"p1","valid_from":"2026-01-01","name":"Ana","role":"designer","team":"studio","weekly_capacity_hours":40,"start_date":"2026-01-01"}`+"\n"), 0o644)
	os.WriteFile(allocs, []byte(`{"external_id":"a1","person":"p1","project":"x","start_date":"2027-03-01","end_date":"2027-03-12","hours_per_week":30,"status":"confirmed"}`+"\n"), 0o644)
	cli := func(args ...string) (int, string, string) {
		var out, errb strings.Builder
		code := run(t.Context(), args, getenvFrom(env), &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, out, errs := cli("import", people, allocs, "--org", "cap-cli"); code != 0 {
		t.Fatalf("import: %d\n%s\n%s", code, out, errs)
	}
	// 20 h a week for 2 weeks from 2027-03-01: the first two weeks have 10 h
	// free, so the earliest start is Monday 15 March 2027; starting on the 1st
	// both weeks are 10 h short; over 4 weeks (10 h a week) it fits from the 1st.
	// Booked with the job, the weeks of the 15th and 22nd go from 0 of 80 h to
	// 2 × 20 = 40 of 80: 0% to 50%.
	code, out, errs := cli("capacity", "earliest-start", "--org", "cap-cli", "--need", "designer=20", "--weeks", "2",
		"--not-before", "2027-03-01", "--horizon", "8")
	if code != 0 {
		t.Fatalf("earliest-start: %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{
		"Earliest start: week of Monday 15 March 2027",
		"Designer: the tightest week is 2027-03-15, with 20.0 h to spare",
		"2 role-weeks fall short",
		"Spread over 4 weeks instead of 2, the same hours could start the week of 2027-03-01",
		"Designer               0.0% ->  50.0%",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Roles are matched as filters are, case and spacing ignored: DESIGNER
	// is designer, with the same answer; a role the org lacks is refused
	// with the roles it has; so is an org that does not exist.
	code, out2, errs := cli("capacity", "earliest-start", "--org", "cap-cli", "--need", "DESIGNER=20", "--weeks", "2",
		"--not-before", "2027-03-01", "--horizon", "8")
	if code != 0 || out2 != out {
		t.Errorf("--need DESIGNER=20: exit %d %s\n%s\nwant the answer of designer=20:\n%s", code, errs, out2, out)
	}
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"--org", "cap-cli", "--need", "painter=5"}, `role "painter" is not a role of org cap-cli: its roles are designer`},
		{[]string{"--org", "cap-cli", "--need", "designer=5", "--need", "Designer=6"}, `role designer is asked twice, as "Designer" and "designer"`},
		{[]string{"--org", "cap-cil", "--need", "designer=5"}, `org "cap-cil" not found; close matches: cap-cli`},
	} {
		code, out, errs := cli(append([]string{"capacity", "earliest-start", "--weeks", "2"}, c.args...)...)
		if code != 2 || out != "" || !strings.Contains(errs, c.says) {
			t.Errorf("%v: exit %d, %q %q; want exit 2 saying %q", c.args, code, out, errs, c.says)
		}
	}
	if code, _, errs := cli("capacity", "grid", "--org", "nosuchorg"); code != 2 || !strings.Contains(errs, `org "nosuchorg" not found`) {
		t.Errorf("grid --org nosuchorg: exit %d %s", code, errs)
	}
	code, out, _ = cli("capacity", "grid", "--org", "cap-cli", "--from", "2027-03-01", "--to", "2027-03-15", "--format", "csv")
	if want := "role,name,week,available,booked,tentative,free,assumed_hours\ndesigner,Designer,2027-03-01,40,30,0,10,0\ndesigner,Designer,2027-03-08,40,30,0,10,0\n"; code != 0 || out != want {
		t.Errorf("grid: %d %q, want %q", code, out, want)
	}
	if code, _, errs := cli("capacity", "earliest-start", "--org", "cap-cli", "--need", "designer", "--weeks", "2"); code != 2 || !strings.Contains(errs, "ROLE=HOURS") {
		t.Errorf("bad --need: %d %s", code, errs)
	}
	// The flags it needs are named as flags, not as the API's fields ("weeks 0:
	// want 1 to 52" when --weeks was left out).
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"--need", "designer=20"}, "--weeks is required: how many weeks the job runs, 1 to 52"},
		{[]string{"--need", "designer=20", "--weeks", "60"}, "--weeks 60: how many weeks the job runs, 1 to 52"},
		{[]string{"--weeks", "2"}, "--need is required: hours per week of a role, e.g. --need designer=20"},
	} {
		code, out, errs := cli(append([]string{"capacity", "earliest-start", "--org", "cap-cli"}, c.args...)...)
		if code != 2 || out != "" || !strings.Contains(errs, c.says) {
			t.Errorf("%v: exit %d, %q %q; want exit 2 saying %q", c.args, code, out, errs, c.says)
		}
	}
}

// TestNeedsFlag: --need reads ROLE=HOURS or ROLE:HOURS, one role a flag. Two
// needs in one flag ("designer=20,developer=10") are a usage error in the
// flag's own words, not a search for the role "designer=20,developer".
func TestNeedsFlag(t *testing.T) {
	n := needs{}
	for _, v := range []string{"designer=20", "Developer:10", "ux:lead=5"} {
		if err := n.Set(v); err != nil {
			t.Errorf("--need %s: %v", v, err)
		}
	}
	if got, want := n.String(), "Developer=10,designer=20,ux:lead=5"; got != want {
		t.Errorf("needs: %q, want %q", got, want)
	}
	for _, v := range []string{"designer=20,developer=10", "designer=20=5", "designer", "=20"} {
		err := needs{}.Set(v)
		if err == nil || !strings.Contains(err.Error(), "want ROLE=HOURS_PER_WEEK, e.g. designer=20") {
			t.Errorf("--need %s: %v, want the ROLE=HOURS usage error", v, err)
		}
	}
}

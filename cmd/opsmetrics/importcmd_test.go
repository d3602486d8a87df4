package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportCommand runs `opsmetrics import` on a Harvest export with one bad
// row: the good rows are written, the bad one is reported with its file,
// line, field and value (also in --reject-file), and the exit code is 1.
func TestImportCommand(t *testing.T) {
	env := testEnv(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "harvest.csv")
	os.WriteFile(file, []byte("Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,First Name,Last Name,Roles,Employee?,Billable Rate,Billable Amount,Cost Rate,Cost Amount,Currency\n"+
		"2026-01-05,Acme Corp,Website,ACME,Design,Logo,2,Yes,No,Ana,García,Designer,Yes,150,300,60,120,United States Dollar - USD\n"+
		"2026-01-06,Acme Corp,Website,ACME,Design,Oops,abc,Yes,No,Ana,García,Designer,Yes,150,300,60,120,United States Dollar - USD\n"+
		"2026-01-07,Acme Corp,Website,ACME,Design,Icons,1.5,Yes,No,Ana,García,Designer,Yes,150,225,60,90,United States Dollar - USD\n"), 0o644)
	rejects := filepath.Join(dir, "rejects.csv")

	var out, errb strings.Builder
	code := run(t.Context(), []string{"import", file, "--org", "acme", "--reject-file", rejects}, getenvFrom(env), &out, &errb)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (a row was rejected)\n%s\n%s", code, out.String(), errb.String())
	}
	if !strings.Contains(errb.String(), file+`:3: Hours "abc"`) {
		t.Errorf("stderr does not name file, line, field and value:\n%s", errb.String())
	}
	if !strings.Contains(out.String(), "time_entry  3     2      2") {
		t.Errorf("summary:\n%s", out.String())
	}
	f, err := os.Open(rejects)
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := csv.NewReader(f).ReadAll()
	f.Close()
	if len(recs) != 2 || recs[1][1] != "3" || recs[1][2] != "Hours" || recs[1][3] != "abc" {
		t.Errorf("reject file: %q", recs)
	}

	// Again, as JSON: nothing new, the two good rows updated in place.
	out.Reset()
	run(t.Context(), []string{"import", "--org", "acme", "--output", "json", file}, getenvFrom(env), &out, &errb)
	var sums []struct {
		Entities map[string]struct{ Read, New, Updated, Rejected int }
	}
	if err := json.Unmarshal([]byte(out.String()), &sums); err != nil {
		t.Fatalf("--output json: %v\n%s", err, out.String())
	}
	if c := sums[0].Entities["time_entry"]; c.New != 0 || c.Updated != 2 || c.Rejected != 1 {
		t.Errorf("re-import: %+v", c)
	}
	if code := run(t.Context(), []string{"import", "--org", "acme"}, getenvFrom(env), &out, &errb); code != 2 {
		t.Errorf("no file: exit %d, want 2", code)
	}
}

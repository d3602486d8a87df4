package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportCommand: report writes a client's PDF (found by name), says
// where, how many pages and how large; pdftotext finds the client and the
// month in it; an unknown client is exit 2 naming it and writes nothing;
// a Chromium that is not there is exit 1 naming the path.
func TestReportCommand(t *testing.T) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext not found: install Debian's poppler-utils (make test-deps does)")
	}
	env := testEnv(t)
	dir := t.TempDir()
	clients, entries := filepath.Join(dir, "clients.ndjson"), filepath.Join(dir, "time_entries.ndjson")
	os.WriteFile(clients, []byte(`{"external_id":"c-0003","name":"Nordlicht GmbH"}`+"\n"), 0o644)
	os.WriteFile(entries, []byte(`{"external_id":"e1","person":"p1","date":"2026-11-03","hours":3,"billable":true,"client":"c-0003"}`+"\n"), 0o644)
	cli := cliWith(t, env)
	if code, out, errs := cli("import", clients, entries, "--org", "nord"); code != 0 {
		t.Fatalf("import: %d\n%s\n%s", code, out, errs)
	}
	out := filepath.Join(dir, "nordlicht.pdf")
	code, stdout, stderr := cli("report", "--org", "nord", "--client", "Nordlicht GmbH", "--month", "2026-11", "--out", out)
	if code != 0 {
		t.Fatalf("report: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// "wrote F: 2 pages, 169 KB (name)": the report's sections, then its
	// commentary and actions
	var pages int
	if _, err := fmt.Sscanf(strings.TrimPrefix(stdout, "wrote "+out+": "), "%d page", &pages); err != nil || pages < 1 ||
		!strings.Contains(stdout, "(Nordlicht-GmbH-2026-11-report.pdf)") {
		t.Errorf("stdout %q, want \"wrote %s: N pages, …\" naming the file (%v)", stdout, out, err)
	}
	pdf, err := os.ReadFile(out)
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("%s: %v, %.20q", out, err, pdf)
	}
	text, err := exec.Command(pdftotext, out, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Nordlicht GmbH", "November 2026", fmt.Sprintf("page %d of %d", pages, pages), "Commentary"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the PDF does not say %q:\n%s", want, text)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".nordlicht.pdf.*")); len(left) > 0 {
		t.Errorf("temporary files left beside the PDF: %v", left)
	}

	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"--client", "Nordlict"}, 2, `client "Nordlict" not found in org nord; close matches: Nordlicht GmbH (c-0003)`},
		{[]string{"--client", "c-0003", "--month", "2026-13"}, 2, `--month "2026-13": not a month as YYYY-MM`},
		{[]string{"--client", "c-0003", "--view", "partner"}, 2, `--view "partner": client or internal`},
		{[]string{"--client", "c-0003", "--org", "nosuchorg"}, 2, `org "nosuchorg" not found`},
		{[]string{"--client", "c-0003", "--chromium", filepath.Join(dir, "no-chromium")}, 1, filepath.Join(dir, "no-chromium") + `" (--chromium or OPSMETRICS_CHROMIUM) is not an executable file`},
	} {
		file := filepath.Join(dir, "refused.pdf")
		args := append([]string{"report", "--org", "nord", "--month", "2026-11", "--out", file}, c.args...)
		code, stdout, stderr := cli(args...)
		if code != c.code || !strings.Contains(stderr, c.says) {
			t.Errorf("%v: exit %d, %q %q; want exit %d saying %q", c.args, code, stdout, stderr, c.code, c.says)
		}
		if _, err := os.Stat(file); err == nil {
			t.Errorf("%v: wrote %s", c.args, file)
		}
	}
}

package metrics_test

import (
	"bufio"
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/dashboards"
	"github.com/opsmetrics/opsmetrics/metrics"
)

var update = flag.Bool("update", false, "rewrite deploy/prometheus/rules.yml from metrics.AlertRules")

// promDir holds the rules file and its promtool tests.
const promDir = "../deploy/prometheus"

// TestRulesFileIsGenerated fails when the committed rules file is not what
// AlertRules generates; -update rewrites it.
func TestRulesFileIsGenerated(t *testing.T) {
	got := metrics.AlertRules()
	if !bytes.Equal(got, metrics.AlertRules()) {
		t.Fatal("AlertRules differs between two calls")
	}
	path := filepath.Join(promDir, "rules.yml")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("deploy/prometheus/rules.yml is not what metrics.AlertRules generates. Regenerate it with\n" +
			"  go run ./cmd/opsmetrics alerts rules > deploy/prometheus/rules.yml\n" +
			"or go test ./metrics -run TestRulesFileIsGenerated -update")
	}
}

// TestRulesPromtool checks the committed rules file with promtool and runs
// its unit tests (deploy/prometheus/rules_test.yml).
func TestRulesPromtool(t *testing.T) {
	bin, err := exec.LookPath("promtool")
	if err != nil {
		bin = "/usr/bin/promtool"
		if _, err := os.Stat(bin); err != nil {
			t.Fatal("promtool is not on PATH nor at /usr/bin/promtool: `make test-deps` installs it (Debian's prometheus package)")
		}
	}
	for _, args := range [][]string{{"check", "rules", "rules.yml"}, {"test", "rules", "rules_test.yml"}} {
		cmd := exec.CommandContext(t.Context(), bin, args...)
		cmd.Dir = promDir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// thresholdSelector is a rule's selection of thresholds.
var thresholdSelector = regexp.MustCompile(`opsmetrics_alert_threshold\{kpi=~?"([^"]+)", comparator="(gt|lt)", for="([^"]+)"\}`)

// TestRulesCoverEveryThreshold checks that every threshold the API accepts
// (each KPI, comparator and for bucket) is read by exactly one rule, whose
// for-duration is the bucket's.
func TestRulesCoverEveryThreshold(t *testing.T) {
	seen := map[string]int{}
	for _, r := range splitRules(t, metrics.AlertRules()) {
		for _, m := range thresholdSelector.FindAllStringSubmatch(r.body, -1) {
			if r.forDur != m[3] {
				t.Errorf("%s: selects for=%q thresholds with for: %s", r.alert, m[3], r.forDur)
			}
			for _, kpi := range strings.Split(m[1], "|") {
				if _, ok := metrics.ThresholdKPIs[kpi]; !ok {
					t.Errorf("%s: selects thresholds of kpi %q, which the API does not accept", r.alert, kpi)
				}
				seen[kpi+" "+m[2]+" "+m[3]]++
			}
		}
	}
	var buckets []string
	for _, b := range metrics.ForBuckets {
		buckets = append(buckets, metrics.ForLabel(b))
	}
	for kpi := range metrics.ThresholdKPIs {
		for _, c := range []string{"gt", "lt"} {
			for _, b := range buckets {
				if n := seen[kpi+" "+c+" "+b]; n != 1 {
					t.Errorf("thresholds kpi=%s comparator=%s for=%s: read by %d rules, want 1", kpi, c, b, n)
				}
			}
		}
	}
	if len(seen) != len(metrics.ThresholdKPIs)*2*len(buckets) {
		t.Errorf("rules select %d kinds of thresholds, want %d: %v", len(seen), len(metrics.ThresholdKPIs)*2*len(buckets), seen)
	}
}

// TestRulesHaveTests checks that rules_test.yml expects each alert to fire,
// and each threshold alert in every for bucket its rules exist for.
func TestRulesHaveTests(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(promDir, "rules_test.yml"))
	if err != nil {
		t.Fatal(err)
	}
	// Lines are "alertname: X" then, for each alert expected, its labels,
	// among them `for: "15m"` for a threshold alert.
	fired := map[string][]string{}
	var alert string
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "alertname: "):
			alert = strings.TrimPrefix(line, "alertname: ")
		case line == "- exp_labels:":
			fired[alert] = append(fired[alert], "")
		case strings.HasPrefix(line, "for: "):
			fired[alert] = append(fired[alert], strings.Trim(strings.TrimPrefix(line, "for: "), `"'`))
		}
	}
	for _, r := range splitRules(t, metrics.AlertRules()) {
		if len(fired[r.alert]) == 0 {
			t.Errorf("%s: rules_test.yml never expects it to fire", r.alert)
			continue
		}
		if thresholdSelector.MatchString(r.body) && !slices.Contains(fired[r.alert], r.forDur) {
			t.Errorf("%s: rules_test.yml never expects its for=%q rule to fire", r.alert, r.forDur)
		}
	}
}

// TestRulesDashboardLinks checks that the dashboard annotations open pages
// that exist.
func TestRulesDashboardLinks(t *testing.T) {
	pages := []string{"/status"}
	for _, p := range dashboards.Pages {
		pages = append(pages, p.Path)
	}
	link := regexp.MustCompile(`(?:'|\}\})(/[a-z]*)(?:\?|'|\{\{)`)
	for _, r := range splitRules(t, metrics.AlertRules()) {
		i := strings.Index(r.body, "dashboard: ")
		if i < 0 {
			t.Errorf("%s: no dashboard annotation", r.alert)
			continue
		}
		line, _, _ := strings.Cut(r.body[i:], "\n")
		found := link.FindAllStringSubmatch(line, -1)
		if len(found) == 0 {
			t.Errorf("%s: no page in %s", r.alert, line)
		}
		for _, m := range found {
			if !slices.Contains(pages, m[1]) {
				t.Errorf("%s: the dashboard annotation opens %s, which is not a page (%v)", r.alert, m[1], pages)
			}
		}
	}
}

// ruleText is one rule of the generated file, as text.
type ruleText struct {
	alert, forDur, body string
}

// splitRules cuts the generated file into its rules.
func splitRules(t *testing.T, file []byte) []ruleText {
	t.Helper()
	var out []ruleText
	for _, part := range strings.Split(string(file), "      - alert: ")[1:] {
		name, body, _ := strings.Cut(part, "\n")
		m := regexp.MustCompile(`(?m)^        for: (\S+)$`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("%s: no for", name)
		}
		out = append(out, ruleText{alert: name, forDur: m[1], body: body})
	}
	if len(out) == 0 {
		t.Fatal("no rules")
	}
	return out
}

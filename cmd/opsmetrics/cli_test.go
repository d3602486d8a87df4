package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// cli runs the CLI with getenv over env (nil: an empty environment) and
// returns its exit code, stdout and stderr.
func cli(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb strings.Builder
	code := run(t.Context(), args, getenvFrom(env), &out, &errb)
	return code, out.String(), errb.String()
}

// commandPaths lists every command below the root, parents before their
// subcommands, as the words that call it.
func commandPaths(c *cobra.Command, path []string) [][]string {
	var out [][]string
	for _, sub := range c.Commands() {
		p := append(slices.Clone(path), sub.Name())
		out = append(out, p)
		out = append(out, commandPaths(sub, p)...)
	}
	return out
}

// TestHelpOnEveryCommand: --help on every command and subcommand exits 0 and
// prints, on stdout, the usage line and each of the command's own flags
// with two dashes, as the README writes them.
func TestHelpOnEveryCommand(t *testing.T) {
	root := newRoot(&env{getenv: getenvFrom(nil), stdout: io.Discard, stderr: io.Discard})
	paths := commandPaths(root, nil)
	if len(paths) < 25 {
		t.Fatalf("found %d commands; the walk misses some", len(paths))
	}
	for _, path := range paths {
		code, out, errs := cli(t, nil, append(path, "--help")...)
		name := strings.Join(path, " ")
		if code != 0 || errs != "" {
			t.Errorf("%s --help: exit %d, stderr %q", name, code, errs)
		}
		if !strings.Contains(out, "Usage: opsmetrics "+name) || !strings.Contains(out, "--help") {
			t.Errorf("%s --help printed %q", name, out)
		}
		// A flag without a default shows none, not its Go zero value.
		for _, zero := range []string{"(default map[])", "(default [])", "(default <nil>)"} {
			if strings.Contains(out, zero) {
				t.Errorf("%s --help shows %s:\n%s", name, zero, out)
			}
		}
		c, _, err := root.Find(path)
		if err != nil {
			t.Fatal(err)
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if !strings.Contains(out, "      --"+f.Name+" ") {
				t.Errorf("%s --help does not show --%s:\n%s", name, f.Name, out)
			}
		})
	}
}

// TestFlagsPerCommand: each subcommand shows and takes only its own flags;
// an unknown flag is a usage error (exit 2) that names it.
func TestFlagsPerCommand(t *testing.T) {
	for _, c := range []struct {
		cmd       []string
		has, lack []string
	}{
		{[]string{"token", "create"}, []string{"--org", "--scope", "--ttl", "--data-dir", "--log-level"}, []string{"--id"}},
		{[]string{"token", "revoke"}, []string{"--org", "--id"}, []string{"--scope", "--ttl", "--name"}},
		{[]string{"token", "list"}, []string{"--org", "--clickhouse-dsn"}, []string{"--id", "--scope"}},
		{[]string{"alerts", "thresholds", "list"}, []string{"--format"}, []string{"--kpi", "--value", "--id"}},
		{[]string{"alerts", "thresholds", "delete"}, []string{"--id"}, []string{"--kpi", "--format"}},
		{[]string{"org", "show"}, []string{"--org", "--format"}, []string{"--time-zone", "--grace-days"}},
		{[]string{"org", "set"}, []string{"--time-zone", "--stuck-review-hours"}, nil},
		{[]string{"healthcheck"}, []string{"--url", "--timeout"}, []string{"--data-dir", "--log-level"}},
	} {
		_, out, _ := cli(t, nil, append(c.cmd, "--help")...)
		for _, f := range c.has {
			if !strings.Contains(out, f+" ") {
				t.Errorf("%v --help lacks %s:\n%s", c.cmd, f, out)
			}
		}
		for _, f := range c.lack {
			if strings.Contains(out, f+" ") {
				t.Errorf("%v --help lists %s, a flag of another command:\n%s", c.cmd, f, out)
			}
		}
	}
	code, out, errs := cli(t, nil, "token", "create", "--org", "acme", "--id", "x")
	if code != 2 || out != "" || !strings.Contains(errs, "opsmetrics token create: unknown flag: --id") {
		t.Errorf("token create --id: exit %d, %q %q; want exit 2 naming --id", code, out, errs)
	}
}

// TestSuggestions: a mistyped command or subcommand is a usage error that
// says which one was meant.
func TestSuggestions(t *testing.T) {
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"tokn"}, "unknown command \"tokn\"\n\nDid you mean this?\n\ttoken\n"},
		{[]string{"capacity", "gird"}, "unknown subcommand \"gird\"\n\nDid you mean this?\n\tgrid\n"},
		{[]string{"alerts", "thresholds", "lsit", "--org", "acme"}, "Did you mean this?\n\tlist\n"},
		{[]string{"completion", "bsh"}, "unknown subcommand \"bsh\"\n\nDid you mean this?\n\tbash\n"},
		{[]string{"completion", "tcsh"}, "unknown subcommand \"tcsh\"\n"},
	} {
		code, out, errs := cli(t, nil, c.args...)
		if code != 2 || out != "" || !strings.Contains(errs, c.says) {
			t.Errorf("%v: exit %d, %q %q; want exit 2 saying %q", c.args, code, out, errs, c.says)
		}
	}
}

// TestCompletion: the shell scripts, and what they ask the binary for:
// subcommands, KPI names from the catalog and a flag's fixed values.
func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		code, out, errs := cli(t, nil, "completion", shell)
		// Every script calls the binary back through its __complete subcommand.
		if code != 0 || len(out) < 1000 || !strings.Contains(out, "__complete") {
			t.Errorf("completion %s: exit %d, %d bytes, stderr %q", shell, code, len(out), errs)
		}
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{""}, []string{"token\t", "capacity\t", "completion\t"}},
		{[]string{"tok"}, []string{"token\t"}},
		{[]string{"token", ""}, []string{"create\t", "list\t", "revoke\t"}},
		{[]string{"kpi", "billable_u"}, []string{"billable_utilization\t"}},
		{[]string{"kpi", "billable_ratio", "--format", ""}, []string{"table\n", "json\n", "csv\n"}},
		{[]string{"import", "--output", ""}, []string{"table\n", "json\n", "csv\n"}},
		{[]string{"capacity", "grid", "--by", ""}, []string{"role\n", "team\n", "person\n"}},
		{[]string{"alerts", "thresholds", "set", "--severity", ""}, []string{"info\n", "warning\n", "critical\n"}},
		{[]string{"serve", "--log-level", ""}, []string{"debug\n", "info\n", "warn\n", "error\n"}},
	} {
		code, out, errs := cli(t, nil, append([]string{"__complete"}, c.args...)...)
		for _, w := range c.want {
			if code != 0 || !strings.Contains(out, w) {
				t.Errorf("complete %q: exit %d, %q %q; want %q", c.args, code, out, errs, w)
			}
		}
	}
}

// TestFlagOverEnvOverDefault: a flag given wins over its OPSMETRICS_*
// variable, which wins over the default; help shows the variable's value
// as the default.
func TestFlagOverEnvOverDefault(t *testing.T) {
	ready := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer ready.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) }))
	defer down.Close()
	env := map[string]string{"OPSMETRICS_HEALTHCHECK_URL": ready.URL}
	if code, out, errs := cli(t, env, "healthcheck"); code != 0 || out != "ready\n" {
		t.Errorf("healthcheck with the variable: exit %d %q %q", code, out, errs)
	}
	if code, _, errs := cli(t, env, "healthcheck", "--url", down.URL); code != 1 || !strings.Contains(errs, "503") {
		t.Errorf("healthcheck with the variable and --url: exit %d %q, want the flag's server", code, errs)
	}
	if _, out, _ := cli(t, env, "healthcheck", "--help"); !strings.Contains(out, `(default "`+ready.URL+`")`) {
		t.Errorf("help does not show the variable's value as the default:\n%s", out)
	}
	if _, out, _ := cli(t, nil, "healthcheck", "--help"); !strings.Contains(out, `(default "http://127.0.0.1:8080/readyz")`) {
		t.Errorf("help without the variable:\n%s", out)
	}
}

// TestSingleDash: long flags with one dash, as the CLI took them before, are
// read as with two; a flag's value is left as it is.
func TestSingleDash(t *testing.T) {
	root := newRoot(&env{getenv: getenvFrom(nil), stdout: io.Discard, stderr: io.Discard})
	for _, c := range []struct{ in, want string }{
		{"token create -org acme -scope read", "token create --org acme --scope read"},
		{"token create -org=acme -h", "token create --org=acme -h"},
		{"kpi billable_ratio -org acme -from 2026-01-01", "kpi billable_ratio --org acme --from 2026-01-01"},
		{"import -dry-run a.csv -org x", "import --dry-run a.csv --org x"},
		{"token create --name -org -org acme", "token create --name -org --org acme"},
		{"org set -help", "org set --help"},
		{"org set -nosuch x", "org set -nosuch x"},
		{"import -org x -- -org", "import --org x -- -org"},
	} {
		if got := strings.Join(singleDash(root, strings.Fields(c.in)), " "); got != c.want {
			t.Errorf("%s: got %s, want %s", c.in, got, c.want)
		}
	}
	if code, out, errs := cli(t, nil, "token", "create", "-org", "acme", "-scope", "read", "-h"); code != 0 || !strings.Contains(out, "--scope") {
		t.Errorf("token create -org acme -scope read -h: exit %d %q", code, errs)
	}
}

// TestHelpHidesTheDSN: the ClickHouse DSN may hold a password, so help never
// prints the variable's value as the flag's default; the variable is still
// used, and the error of a server that cannot be reached does not print the
// password either.
func TestHelpHidesTheDSN(t *testing.T) {
	env := map[string]string{"OPSMETRICS_CLICKHOUSE_DSN": "clickhouse://ops:s3cret-pw@127.0.0.1:1/ops"}
	code, out, errs := cli(t, env, "migrate", "--help")
	if code != 0 || strings.Contains(out+errs, "s3cret-pw") || !strings.Contains(out, "--clickhouse-dsn") {
		t.Errorf("migrate --help: exit %d, the password shows or the flag is missing:\n%s%s", code, out, errs)
	}
	code, out, errs = cli(t, env, "migrate")
	if code != 1 || strings.Contains(out+errs, "s3cret-pw") || !strings.Contains(errs, "127.0.0.1:1") {
		t.Errorf("migrate against the variable's unreachable server: exit %d, want 1 naming the address without the password:\n%s%s", code, out, errs)
	}
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// command is one subcommand. run returns the process exit code.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) int
}

// env is what every subcommand gets from main: its I/O and the environment.
type env struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

func commands() []command {
	return []command{
		{"serve", "serve the HTTP API and dashboards", cmdServe},
		{"migrate", "create or upgrade the schema", cmdMigrate},
		{"demo", "load a generated demo agency", cmdDemo},
		{"import", "import time exports and opsmetrics CSV/NDJSON files", cmdImport},
		{"token", "create, list and revoke API tokens", cmdToken},
		{"kpi", "compute a KPI (utilization, on-time delivery, write-off, margin, ...)", cmdKPI},
		{"capacity", "free hours by week, and the earliest start for a job (for sales)", cmdCapacity},
		{"org", "show or change an org's settings (time zone, workdays, currency, ...)", cmdOrg},
		{"alerts", "alert rules and thresholds for Prometheus", cmdAlerts},
		{"chdb", "install or locate the embedded engine library (libchdb)", cmdChdb},
		{"healthcheck", "exit 0 when a running server is ready (for container healthchecks)", cmdHealthcheck},
		{"version", "print version information", cmdVersion},
	}
}

// run is the whole program: main only adds signals and os.Exit, so tests can
// start it in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	e := &env{getenv: getenv, stdout: stdout, stderr: stderr}
	if len(args) == 0 || isHelp(args[0]) {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(stderr, "opsmetrics: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func isHelp(s string) bool { return s == "-h" || s == "--help" || s == "-help" || s == "help" }

func usage(w io.Writer) {
	fmt.Fprintln(w, "opsmetrics: operations metrics and capacity analytics for agencies")
	fmt.Fprintln(w, "\nUsage: opsmetrics <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun `opsmetrics <command> --help` for a command's flags. Every flag can also be set")
	fmt.Fprintln(w, "with an OPSMETRICS_* environment variable, shown in each command's help.")
}

// newFlags returns a flag set whose usage names the command and what it does.
func newFlags(e *env, name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: opsmetrics %s\n\n%s\n\nFlags:\n", synopsis, about)
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
		fs.SetOutput(e.stderr)
	}
	return fs
}

// parse parses flags. It returns the exit code to stop with, or -1 to go on.
func parse(fs *flag.FlagSet, args []string) int {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		return 2
	case fs.NArg() > 0:
		fmt.Fprintf(fs.Output(), "unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		return 2
	}
	return -1
}

// parseWithLog parses flags and builds the logger they ask for. It returns
// the exit code to stop with, or -1 to go on.
func parseWithLog(e *env, fs *flag.FlagSet, args []string, lo *logOptions) (*slog.Logger, int) {
	if code := parse(fs, args); code >= 0 {
		return nil, code
	}
	log, err := lo.logger(e.stderr)
	if err != nil {
		return nil, fail(e, err)
	}
	return log, -1
}

// logOptions are the logging flags every command takes.
type logOptions struct {
	level  string
	format string
}

func (o *logOptions) register(fs *flag.FlagSet, e *env) {
	fs.StringVar(&o.level, "log-level", envOr(e, "OPSMETRICS_LOG_LEVEL", "info"), "log level: debug, info, warn, error (OPSMETRICS_LOG_LEVEL)")
	fs.StringVar(&o.format, "log-format", envOr(e, "OPSMETRICS_LOG_FORMAT", "text"), "log format: text or json (OPSMETRICS_LOG_FORMAT)")
}

func (o *logOptions) logger(w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(o.level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", o.level)
	}
	hopts := &slog.HandlerOptions{Level: lvl}
	switch o.format {
	case "text":
		return slog.New(slog.NewTextHandler(w, hopts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, hopts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", o.format)
}

func envOr(e *env, key, def string) string {
	if v := e.getenv(key); v != "" {
		return v
	}
	return def
}

// printJSON writes v as indented JSON, the CLI's --format json.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // a terminal or a script reads it, not a browser
	return enc.Encode(v)
}

// subcommandUsage prints "Usage: opsmetrics USAGE [flags]" and about when
// args name no subcommand (exit code 2) or ask for help (0); done is false
// when a subcommand is named.
func subcommandUsage(e *env, args []string, usage, about string) (code int, done bool) {
	if len(args) > 0 && !isHelp(args[0]) {
		return 0, false
	}
	fmt.Fprintf(e.stdout, "Usage: opsmetrics %s [flags]\n\n%s\n", usage, about)
	if len(args) == 0 {
		return 2, true
	}
	return 0, true
}

// fail prints an error for the user and returns exit code 1.
func fail(e *env, err error) int {
	fmt.Fprintf(e.stderr, "opsmetrics: %v\n", err)
	return 1
}

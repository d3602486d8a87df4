package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// env is what every subcommand gets from main: its I/O and the environment.
type env struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

// newRoot builds the command tree over e. Every flag's default is read from
// e's environment here, so a flag given on the command line wins over its
// OPSMETRICS_* variable, which wins over the built-in default.
func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "opsmetrics COMMAND",
		Short: "operations metrics and capacity analytics for agencies",
		Long: `opsmetrics: operations metrics and capacity analytics for agencies.

Every flag can also be set with an OPSMETRICS_* environment variable, shown in
each command's help; a flag given wins over its variable.`,
		SilenceErrors: true, // run prints errors, with the exit code it chooses
		SilenceUsage:  true,
	}
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetHelpTemplate(helpTemplate)
	root.SetUsageTemplate(helpTemplate)
	group(root,
		cmdServe(e),
		cmdMigrate(e),
		cmdDemo(e),
		cmdImport(e),
		cmdToken(e),
		cmdUser(e),
		cmdSource(e),
		cmdHook(e),
		cmdKPI(e),
		cmdReport(e),
		cmdCapacity(e),
		cmdOrg(e),
		cmdAlerts(e),
		cmdAction(e),
		cmdChdb(e),
		cmdHealthcheck(e),
		cmdVersion(e),
	)
	// cobra's completion command, made here rather than when the root runs,
	// so that it is a group like the others: a shell it does not know
	// ("completion bsh") is a usage error with a suggestion, not its help
	// and exit 0.
	root.InitDefaultCompletionCmd()
	if c, _, err := root.Find([]string{"completion"}); err == nil && c != root {
		c.Short = "print a shell completion script: bash, zsh, fish or powershell"
		group(c)
	}
	return root
}

// helpTemplate is every command's --help, on stdout: the usage line, what
// the command does, its subcommands and its own flags with two dashes.
const helpTemplate = `Usage: {{.UseLine}}

{{with .Long}}{{.}}{{else}}{{.Short}}{{end}}
{{- if .HasAvailableSubCommands}}

Commands:
{{- range .Commands}}{{if .IsAvailableCommand}}
  {{rpad .Name .NamePadding}} {{.Short}}{{end}}{{end}}
{{- end}}
{{- if .HasAvailableLocalFlags}}

Flags:
{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}
{{- end}}
{{- if .HasAvailableSubCommands}}

Run "{{.CommandPath}} COMMAND --help" for a command's flags.
{{- end}}
`

// run is the whole program: main only adds signals and os.Exit, so tests can
// start it in-process. It returns 0, 1 when a command failed, or 2 for a
// usage error (an unknown command or flag, a bad flag value, a missing
// argument).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	root := newRoot(&env{getenv: getenv, stdout: stdout, stderr: stderr})
	root.SetArgs(singleDash(root, args))
	cmd, err := root.ExecuteContextC(ctx)
	var code exitCode
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	}
	fmt.Fprintf(stderr, "%s: %v\n", cmd.CommandPath(), err)
	fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	return 2
}

// exitCode is what a command's action returns: cobra passes it up to run
// as an error, and run exits with it.
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit code %d", int(c)) }

// exit turns a command's exit code into the error cobra passes up to run.
func exit(code int) error {
	if code == 0 {
		return nil
	}
	return exitCode(code)
}

// newCommand returns a command and its flag set. use is its name and
// arguments as the usage line shows them; short is its line in its parent's
// list, long what its --help says (short when long is empty). The command
// takes no arguments until its caller says otherwise.
func newCommand(use, short, long string) (*cobra.Command, flags) {
	cmd := &cobra.Command{Use: use, Short: short, Long: long, Args: noArgs}
	return cmd, flags{cmd.Flags(), cmd}
}

// flags is a command's own flag set, and the command, which keeps the
// completions of its flags.
type flags struct {
	*pflag.FlagSet
	cmd *cobra.Command
}

// enum completes flag name with values, the fixed set it takes.
func (fs flags) enum(name string, values ...string) {
	err := fs.cmd.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
	if err != nil {
		panic(err) // a flag not declared, or completed twice: a mistake in the command's code
	}
}

// noArgs refuses arguments beyond the flags, naming them.
func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(args, " "))
	}
	return nil
}

// runs makes body the command's action: cobra has parsed the flags, body
// gets the arguments left and returns the exit code.
func runs(cmd *cobra.Command, body func(ctx context.Context, args []string) int) {
	cmd.RunE = func(c *cobra.Command, args []string) error { return exit(body(c.Context(), args)) }
}

// runsWithLog is runs for a command that logs: it builds the logger the
// log flags of lo ask for (exit 1 when they are wrong) before body runs.
func runsWithLog(e *env, cmd *cobra.Command, lo *logOptions, body func(ctx context.Context, log *slog.Logger, args []string) int) {
	runs(cmd, func(ctx context.Context, args []string) int {
		log, err := lo.logger(e.stderr)
		if err != nil {
			return fail(e, err)
		}
		return body(ctx, log, args)
	})
}

// group makes cmd a command that only holds subs: without a subcommand it
// prints its help and exits 2; a mistyped one is named with suggestions.
func group(cmd *cobra.Command, subs ...*cobra.Command) *cobra.Command {
	cmd.AddCommand(subs...)
	cmd.SuggestionsMinimumDistance = 2
	cmd.ValidArgsFunction = cobra.NoFileCompletions
	cmd.Args = func(c *cobra.Command, args []string) error {
		if len(args) == 0 || args[0] == "help" {
			return nil
		}
		msg := fmt.Sprintf("unknown subcommand %q", args[0])
		if !c.HasParent() {
			msg = fmt.Sprintf("unknown command %q", args[0])
		}
		if s := c.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
		}
		return errors.New(msg + "\n")
	}
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		// "alerts thresholds lsit --org acme": the mistake is the
		// subcommand, not the flags it was given.
		if args := c.Flags().Args(); c == cmd && len(args) > 0 {
			return cmd.Args(c, args)
		}
		return err
	})
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if err := c.Help(); err != nil {
			return err
		}
		if len(args) == 0 {
			return exitCode(2)
		}
		return nil // "help"
	}
	return cmd
}

// singleDash rewrites "-name" and "-name=value" as "--name" when name is a
// long flag of the command args call: the CLI was first built on the flag
// package, which took one dash, and scripts written then still pass it.
// A flag's value is never rewritten, even when it starts with a dash.
func singleDash(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(args)
	if err != nil {
		return args
	}
	cmd.InitDefaultHelpFlag() // so that -help is --help
	fs := cmd.Flags()
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := fs.Lookup(name)
		dashes := len(a) - len(strings.TrimLeft(a, "-"))
		switch {
		case f == nil || dashes == 0 || dashes > 2:
		case dashes == 1 && len(name) > 1:
			a = "-" + a
			fallthrough
		default:
			if !hasValue && f.NoOptDefVal == "" && i+1 < len(args) {
				out = append(out, a)
				i++
				a = args[i] // the value, as it is
			}
		}
		out = append(out, a)
	}
	return out
}

// logOptions are the logging flags every command takes.
type logOptions struct {
	level  string
	format string
}

func (o *logOptions) register(fs flags, e *env) {
	fs.StringVar(&o.level, "log-level", envOr(e, "OPSMETRICS_LOG_LEVEL", "info"), "log level: debug, info, warn, error (OPSMETRICS_LOG_LEVEL)")
	fs.StringVar(&o.format, "log-format", envOr(e, "OPSMETRICS_LOG_FORMAT", "text"), "log format: text or json (OPSMETRICS_LOG_FORMAT)")
	fs.enum("log-level", "debug", "info", "warn", "error")
	fs.enum("log-format", "text", "json")
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

// fail prints an error for the user and returns exit code 1.
func fail(e *env, err error) int {
	fmt.Fprintf(e.stderr, "opsmetrics: %v\n", err)
	return 1
}

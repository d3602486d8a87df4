package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/opsmetrics/opsmetrics/ingest/hook"
	"github.com/opsmetrics/opsmetrics/ingest/hook/spool"
)

func cmdHook(e *env) *cobra.Command {
	cmd, _ := newCommand("hook COMMAND", "receive task tools' webhooks (Jira, ClickUp, Asana, Trello, GitHub)",
		"Hooks receive the task tools' webhooks at <public URL>/hooks/{id} on serve. docs/hooks.md says\nhow to add the webhook in each tool, which events to tick and where the secret comes from.")
	return group(cmd, cmdHookAdd(e), cmdHookList(e), cmdHookRemove(e), cmdHookDeliveries(e), cmdHookReplay(e),
		cmdHookReconcile(e), newHookMapCommand(e))
}

// spoolOptions say where serve keeps webhook deliveries until applied.
type spoolOptions struct{ dir string }

func (o *spoolOptions) register(fs flags, e *env) {
	fs.StringVar(&o.dir, "spool-dir", e.getenv("OPSMETRICS_SPOOL_DIR"),
		"directory where serve keeps webhook deliveries until they are applied; default <data-dir>/hook-spool (OPSMETRICS_SPOOL_DIR)")
}

func (o *spoolOptions) path(so *storeOptions) string {
	if o.dir != "" {
		return o.dir
	}
	return filepath.Join(so.dataDir, "hook-spool")
}

// hookRun is what a hook subcommand's body gets.
type hookRun struct {
	w     *hook.Worker
	sched *hook.Scheduler
	org   string
	spool string // the spool's directory
	log   *slog.Logger
}

// withHooks adds the flags every hook subcommand takes and runs do with a
// Worker (without a spool: serve applies it) and a Scheduler over
// withSealed's store, mapping with the org's mappings as serve does.
func withHooks(e *env, cmd *cobra.Command, fs flags, do func(ctx context.Context, r hookRun, args []string) int) {
	var sp spoolOptions
	sp.register(fs, e)
	withSealed(e, cmd, fs, func(ctx context.Context, sr sealedRun, args []string) int {
		if sr.org == "" {
			fmt.Fprintf(e.stderr, "opsmetrics %s: --org is required\n", cmd.CommandPath()[len("opsmetrics "):])
			return 2
		}
		hooks, err := hook.NewHooks(hook.HooksConfig{Store: sr.store, Sealer: sr.sealer})
		if err != nil {
			return fail(e, err)
		}
		mappings, err := hook.NewMappings(hook.MappingsConfig{Store: sr.store})
		if err != nil {
			return fail(e, err)
		}
		w, err := hook.NewWorker(hook.WorkerConfig{Hooks: hooks, Store: sr.store, Importer: sr.im, Logger: sr.log, Mappings: mappings})
		if err != nil {
			return fail(e, err)
		}
		recon, err := hook.NewReconciliation(hook.ReconcileConfig{Importer: sr.im, Store: sr.store, Logger: sr.log})
		if err != nil {
			return fail(e, err)
		}
		sched, err := hook.NewScheduler(hook.SchedulerConfig{Hooks: hooks, Reconciliation: recon, Leases: sr.sources, Logger: sr.log,
			Mappings: mappings})
		if err != nil {
			return fail(e, err)
		}
		return do(ctx, hookRun{w: w, sched: sched, org: sr.org, spool: sp.path(sr.so), log: sr.log}, args)
	})
}

// hookFail prints err; a hook, org or tool that does not exist is the
// user's mistake (exit 2).
func hookFail(e *env, cmd string, err error) int {
	var bad *hook.BadHookError
	if errors.As(err, &bad) || errors.Is(err, hook.ErrNotFound) {
		fmt.Fprintf(e.stderr, "opsmetrics hook %s: %v\n", cmd, err)
		return 2
	}
	return fail(e, err)
}

// formatFlag adds --format (table, json or csv).
func formatFlag(fs flags) *string {
	f := fs.String("format", "table", "output: table, json or csv")
	fs.enum("format", "table", "json", "csv")
	return f
}

// printRows prints rows under head as an aligned table or as CSV.
func printRows(w io.Writer, format string, head []string, rows [][]string) error {
	if format == "csv" {
		cw := csv.NewWriter(w)
		cw.Write(head)
		cw.WriteAll(rows)
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

func badFormat(e *env, cmd, format string) bool {
	if slices.Contains([]string{"table", "json", "csv"}, format) {
		return false
	}
	fmt.Fprintf(e.stderr, "opsmetrics hook %s: --format %q: want table, json or csv\n", cmd, format)
	return true
}

func cmdHookAdd(e *env) *cobra.Command {
	cmd, fs := newCommand("add", "make a hook for a tool's webhook and print its id and the URL to paste into the tool",
		`Makes a hook and prints its id and the URL to paste into the tool's webhook settings:
--public-url + /hooks/{id}. Serve must be reachable at that URL: set the same URL as
serve's --public-url (OPSMETRICS_PUBLIC_URL), and serve receives webhooks only when it
has a secret key (--secret-key-file). The secret the tool signs with comes from
--secret-file (ClickUp, Trello: the one the tool gives) or, without it, is made here and
printed once, now, never again (Jira, GitHub: paste it into the tool). Asana's comes from
its handshake when the webhook is made. docs/hooks.md has the steps for each tool.`)
	tool := fs.String("tool", "", "the tool: "+strings.Join(hook.Tools, ", "))
	secretFile := fs.String("secret-file", "", "file holding the webhook's secret (its first line); default: make one")
	tokenFile := fs.String("token-file", "", "file holding the tool's API token, for what events leave out (Asana) and the reconciler; stored encrypted")
	baseURL := fs.String("base-url", "", "the tool's API root for the token, for self-hosted Jira and tests ('' is the tool's own)")
	client := fs.String("client", "", "the client the hook's tasks belong to, unless the mapping names another")
	project := fs.String("project", "", "the project the hook's tasks belong to, unless the mapping names another")
	publicURL := fs.String("public-url", e.getenv("OPSMETRICS_PUBLIC_URL"),
		"the URL serve is reached at from the internet, such as https://ops.example.com; the same as serve's --public-url (OPSMETRICS_PUBLIC_URL)")
	format := fs.String("format", "table", "output: table or json")
	fs.enum("tool", hook.Tools...)
	fs.enum("format", "table", "json")
	withHooks(e, cmd, fs, func(ctx context.Context, r hookRun, _ []string) int {
		if *tool == "" {
			fmt.Fprintln(e.stderr, "opsmetrics hook add: --tool is required: "+strings.Join(hook.Tools, ", "))
			return 2
		}
		if *format != "table" && *format != "json" {
			fmt.Fprintf(e.stderr, "opsmetrics hook add: --format %q: want table or json\n", *format)
			return 2
		}
		first := func(name, file string) (string, bool) {
			if file == "" {
				return "", true
			}
			b, err := os.ReadFile(file)
			if err != nil {
				fmt.Fprintf(e.stderr, "opsmetrics hook add: %s: %v\n", name, err)
				return "", false
			}
			line, _, _ := strings.Cut(string(b), "\n")
			return strings.TrimSpace(line), true
		}
		secret, ok := first("--secret-file", *secretFile)
		if !ok {
			return 2
		}
		token, ok := first("--token-file", *tokenFile)
		if !ok {
			return 2
		}
		public, err := parsePublicURL(*publicURL)
		if err != nil {
			fmt.Fprintf(e.stderr, "opsmetrics hook add: %v\n", err)
			return 2
		}
		h, made, err := r.w.Hooks().Add(ctx, hook.NewHook{Org: r.org, Tool: *tool, Secret: secret, Token: token, BaseURL: *baseURL,
			Client: *client, Project: *project, PublicURL: public})
		if err != nil {
			return hookFail(e, "add", err)
		}
		if err := r.w.Hooks().Audit(ctx, "cli", nil, &h); err != nil {
			return fail(e, fmt.Errorf("hook %s added; recording it in the audit trail: %w", h.ID, err))
		}
		if secret != "" {
			made = "" // the user has it
		}
		if *format == "json" {
			if err := printJSON(e.stdout, hook.Added{Hook: h, Secret: made}); err != nil {
				return fail(e, err)
			}
			return 0
		}
		fmt.Fprintln(e.stdout, h.ID)
		url := h.CallbackURL
		if url == "" {
			url = "<public URL>" + hook.Path(h.ID) + " (no --public-url given)"
		}
		fmt.Fprintf(e.stderr, "hook %s: %s of org %s\n  URL to paste into %s: %s\n", h.ID, h.Tool, h.Org, h.Tool, url)
		if made != "" {
			fmt.Fprintf(e.stderr, "  secret (shown this once; paste it into %s): %s\n", h.Tool, made)
		}
		if h.Tool == "asana" {
			fmt.Fprintln(e.stderr, "  Asana sends the secret in its handshake when you create the webhook with this URL")
		}
		return 0
	})
	return cmd
}

func cmdHookList(e *env) *cobra.Command {
	cmd, fs := newCommand("list", "list an org's hooks and their URLs (never their secrets)", "")
	format := formatFlag(fs)
	withHooks(e, cmd, fs, func(ctx context.Context, r hookRun, _ []string) int {
		if badFormat(e, "list", *format) {
			return 2
		}
		list, err := r.w.Hooks().Listed(ctx, r.org)
		if err != nil {
			return fail(e, err)
		}
		if *format == "json" {
			if err := printJSON(e.stdout, list); err != nil {
				return fail(e, err)
			}
			return 0
		}
		if len(list) == 0 && *format == "table" {
			fmt.Fprintf(e.stderr, "org %s has no hooks; add one with `opsmetrics hook add --org %s --tool TOOL`\n", r.org, r.org)
			return 0
		}
		rows := make([][]string, 0, len(list))
		for _, h := range list {
			secret := "yes"
			if !h.HasSecret {
				secret = "waiting for the handshake"
			}
			// The table shows "Name (id)"; CSV a name column beside each id.
			row := []string{h.ID, h.Tool, named(h.Client, h.ClientName), named(h.Project, h.ProjectName)}
			if *format == "csv" {
				row = []string{h.ID, h.Tool, h.Client, h.ClientName, h.Project, h.ProjectName}
			}
			rows = append(rows, append(row, h.CallbackURL, secret, strconv.FormatBool(h.HasToken),
				h.CreatedAt.Format(time.RFC3339), reconcileState(h)))
		}
		head := []string{"ID", "TOOL", "CLIENT", "PROJECT", "URL", "SECRET", "TOKEN", "CREATED", "RECONCILED"}
		if *format == "csv" {
			head = slices.Concat(head[:3], []string{"CLIENT_NAME", "PROJECT", "PROJECT_NAME"}, head[4:])
		}
		if err := printRows(e.stdout, *format, head, rows); err != nil {
			return fail(e, err)
		}
		return 0
	})
	return cmd
}

// named is "Name (id)", or the id alone when nothing names it.
func named(id, name string) string {
	if name == "" || name == id {
		return id
	}
	return name + " (" + id + ")"
}

// reconcileState is a hook's reconciler state in a few words: needs-token
// when the tool refused its token, failing since when with the error, the
// last success and the events it added, never, or "-" for a hook that is
// not reconciled (no token, or GitHub's).
func reconcileState(l hook.Listed) string {
	st := l.Reconcile
	switch {
	case st != nil && st.NeedsToken:
		return "needs-token: " + st.LastError
	case hook.Reconcilable(l.Hook, hook.ReconcilerOf) != nil:
		return "-"
	case st == nil || st.LastAttempt == nil:
		return "never"
	case st.FailingSince != nil:
		return "failing since " + st.FailingSince.Format(time.RFC3339) + ": " + st.LastError
	}
	return fmt.Sprintf("%s (+%d events)", st.LastSuccess.Format(time.RFC3339), st.Added)
}

func cmdHookReconcile(e *env) *cobra.Command {
	cmd, fs := newCommand("reconcile ID", "read the tool's API now for the transitions the hook's webhooks missed, and add them",
		`Reads the tool's API with the hook's token for the tasks changed since the hook's cursor
and adds the transitions its webhooks missed (ClickUp drops a delivery after 5 failed
retries, Asana delivers at most once), never one twice; then moves the cursor. Serve does
this every --reconcile-every for every hook with a token; this runs one now, in the
foreground, under the same lease (exit 1 while a run of it is under way elsewhere, or when
the run fails). Jira, ClickUp, Asana and Trello hooks with a token (hook add --token-file);
the boards, lists or projects read are the tool's containers mapped with hook map.
docs/hooks-reconcile.md has the details.`)
	cmd.Args = cobra.ExactArgs(1)
	format := fs.String("format", "table", "output: table or json")
	fs.enum("format", "table", "json")
	withHooks(e, cmd, fs, func(ctx context.Context, r hookRun, args []string) int {
		if *format != "table" && *format != "json" {
			fmt.Fprintf(e.stderr, "opsmetrics hook reconcile: --format %q: want table or json\n", *format)
			return 2
		}
		fmt.Fprintf(e.stderr, "reconciling hook %s of org %s ...\n", args[0], r.org)
		res, st, err := r.sched.Reconcile(ctx, r.org, args[0])
		if err != nil {
			if st.LastAttempt != nil {
				fmt.Fprintf(e.stderr, "the run is recorded: opsmetrics hook list --org %s shows it\n", r.org)
			}
			return hookFail(e, "reconcile", err)
		}
		if *format == "json" {
			if err := printJSON(e.stdout, hook.Reconciled{ReconcileResult: res, State: st}); err != nil {
				return fail(e, err)
			}
			return 0
		}
		fmt.Fprintf(e.stdout, "%s: %d records read, %d events already stored, %d events added (%d records written); next from %s\n",
			res.Hook, res.Read, res.Known, res.Added, res.Written, st.Cursor.Format(time.RFC3339))
		return 0
	})
	return cmd
}

func cmdHookRemove(e *env) *cobra.Command {
	cmd, fs := newCommand("remove ID", "remove a hook: its URL answers 404 (within 30 s on a running serve); what it wrote stays", "")
	cmd.Args = cobra.ExactArgs(1)
	withHooks(e, cmd, fs, func(ctx context.Context, r hookRun, args []string) int {
		h, err := r.w.Hooks().Get(ctx, r.org, args[0])
		if err != nil {
			return hookFail(e, "remove", err)
		}
		if err := r.w.Hooks().Remove(ctx, r.org, h.ID); err != nil {
			return hookFail(e, "remove", err)
		}
		if err := r.w.Hooks().Audit(ctx, "cli", &h, nil); err != nil {
			return fail(e, fmt.Errorf("hook %s removed; recording it in the audit trail: %w", h.ID, err))
		}
		fmt.Fprintf(e.stdout, "removed %s\n", args[0])
		return 0
	})
	return cmd
}

func cmdHookDeliveries(e *env) *cobra.Command {
	cmd, fs := newCommand("deliveries ID", "list a hook's recent deliveries: time, event, status, why and the records written",
		`Lists a hook's deliveries of the last 30 days, newest first, as the tools show them:
applied (its records written), ignored (why: a duplicate, an event not read), failed
(why; fix the mapping, then hook replay), pending (kept, not applied yet). Pending ones
are read from the spool, which a running serve holds: ask its API then
(GET /api/v1/hooks/{id}/deliveries).`)
	cmd.Args = cobra.ExactArgs(1)
	since := fs.String("since", "", "only those received at or after this RFC 3339 time")
	format := formatFlag(fs)
	withHooks(e, cmd, fs, func(ctx context.Context, r hookRun, args []string) int {
		if badFormat(e, "deliveries", *format) {
			return 2
		}
		t, ok := parseSince(e, "deliveries", *since)
		if !ok {
			return 2
		}
		w := r.w
		if _, err := os.Stat(r.spool); err == nil {
			sp, err := spool.Open(spool.Config{Dir: r.spool, Logger: r.log})
			if err != nil {
				fmt.Fprintf(e.stderr, "note: pending deliveries not shown (%v); serve's API lists them\n", err)
			} else {
				defer sp.Close()
				w = r.w.WithQueue(sp)
			}
		}
		list, err := w.Deliveries(ctx, r.org, args[0], t)
		if err != nil {
			return hookFail(e, "deliveries", err)
		}
		if *format == "json" {
			if err := printJSON(e.stdout, list); err != nil {
				return fail(e, err)
			}
			return 0
		}
		if len(list) == 0 && *format == "table" {
			fmt.Fprintf(e.stderr, "hook %s has no deliveries yet; the tool's own delivery log says whether it sent any\n", args[0])
			return 0
		}
		rows := make([][]string, 0, len(list))
		for _, d := range list {
			rows = append(rows, []string{d.Received.Format(time.RFC3339Nano), d.ID, d.Event, d.Status, strconv.Itoa(d.Records),
				strings.Join(d.Wrote, "; "), d.Reason})
		}
		if err := printRows(e.stdout, *format, []string{"RECEIVED", "DELIVERY", "EVENT", "STATUS", "RECORDS", "WROTE", "WHY"}, rows); err != nil {
			return fail(e, err)
		}
		return 0
	})
	return cmd
}

func cmdHookReplay(e *env) *cobra.Command {
	cmd, fs := newCommand("replay ID", "map a hook's kept deliveries again, after a change of the mapping",
		"Maps the deliveries kept for a hook (30 days) again and writes their records, which\nreplace the rows they wrote before. A duplicate stays a duplicate.")
	cmd.Args = cobra.ExactArgs(1)
	since := fs.String("since", "", "only those received at or after this RFC 3339 time")
	withHooks(e, cmd, fs, func(ctx context.Context, r hookRun, args []string) int {
		t, ok := parseSince(e, "replay", *since)
		if !ok {
			return 2
		}
		res, err := r.w.Replay(ctx, r.org, args[0], t)
		if err != nil {
			return hookFail(e, "replay", err)
		}
		fmt.Fprintf(e.stdout, "%s: %d deliveries mapped again: %d applied (%d records), %d ignored, %d failed\n", args[0],
			res.Deliveries, res.Applied, res.Records, res.Ignored, res.Failed)
		if res.Failed > 0 {
			fmt.Fprintf(e.stderr, "see why: opsmetrics hook deliveries %s --org %s\n", args[0], r.org)
		}
		return 0
	})
	return cmd
}

func parseSince(e *env, cmd, s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		fmt.Fprintf(e.stderr, "opsmetrics hook %s: --since %q: want an RFC 3339 time such as 2026-04-01T00:00:00Z\n", cmd, s)
		return time.Time{}, false
	}
	return t, true
}

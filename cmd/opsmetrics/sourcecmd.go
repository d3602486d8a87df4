package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/ingest/collect"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
	store "github.com/opsmetrics/opsmetrics/sql"
)

func cmdSource(e *env) *cobra.Command {
	cmd, _ := newCommand("source COMMAND", "connect time trackers (Harvest, ...) that opsmetrics pulls from", "")
	return group(cmd, cmdSourceAdd(e), cmdSourceList(e), cmdSourceRemove(e), cmdSourceSync(e))
}

// secretOptions say where the key that seals sources' tokens is.
type secretOptions struct {
	file string
}

func (o *secretOptions) register(fs flags, e *env) {
	fs.StringVar(&o.file, "secret-key-file", e.getenv("OPSMETRICS_SECRET_KEY_FILE"),
		"file holding the key that encrypts sources' tokens, made (mode 0600) on first use; default <data-dir>/secret.key. "+
			"OPSMETRICS_SECRET_KEY (base64 of 32 bytes) wins over it. Back it up: without it the tokens cannot be read (OPSMETRICS_SECRET_KEY_FILE)")
}

// key loads the sealing key (auth.LoadKey).
func (o *secretOptions) key(e *env, so *storeOptions) ([]byte, error) {
	file := o.file
	if file == "" {
		file = filepath.Join(so.dataDir, "secret.key")
	}
	return auth.LoadKey(e.getenv("OPSMETRICS_SECRET_KEY"), file)
}

// sealedRun is what a subcommand over the store and the sealed tokens of
// sources and hooks gets.
type sealedRun struct {
	store   store.Store
	sealer  *auth.Sealer
	sources *collect.Sources // hooks share its fenced leases
	im      *importer.Importer
	log     *slog.Logger
	org     string        // --org, "" when not given
	so      *storeOptions // where the store is (the hooks' spool is beside it)
}

// withSealed adds the flags every source and hook subcommand takes (--org,
// the store's, the log's, the secret key's) and runs do over the opened,
// migrated store with the sealer, the sources and an importer.
func withSealed(e *env, cmd *cobra.Command, fs flags, do func(ctx context.Context, r sealedRun, args []string) int) {
	var so storeOptions
	var lo logOptions
	var sec secretOptions
	org := fs.String("org", e.getenv("OPSMETRICS_ORG"), "the org (OPSMETRICS_ORG)")
	so.register(fs, e)
	lo.register(fs, e)
	sec.register(fs, e)
	runsWithLog(e, cmd, &lo, func(ctx context.Context, log *slog.Logger, args []string) int {
		key, err := sec.key(e, &so)
		if err != nil {
			return fail(e, err)
		}
		sealer, err := auth.NewSealer(key)
		if err != nil {
			return fail(e, err)
		}
		s, err := so.openMigrated(ctx, log)
		if err != nil {
			return fail(e, err)
		}
		defer s.Close()
		// An org this store does not have is an error naming it (exit 2),
		// never an empty list or "no sources" with exit 0.
		if *org != "" {
			if code := checkOrg(ctx, e, s, strings.TrimPrefix(cmd.CommandPath(), "opsmetrics "), *org); code >= 0 {
				return code
			}
		}
		sources, err := collect.NewSources(collect.SourcesConfig{Store: s, Sealer: sealer})
		if err != nil {
			return fail(e, err)
		}
		im, err := importer.New(importer.Config{Store: s, Logger: log})
		if err != nil {
			return fail(e, err)
		}
		return do(ctx, sealedRun{store: s, sealer: sealer, sources: sources, im: im, log: log, org: *org, so: &so}, args)
	})
}

// withCollector runs do with a Collector over withSealed's store.
func withCollector(e *env, cmd *cobra.Command, fs flags, do func(ctx context.Context, col *collect.Collector, org string, args []string) int) {
	withSealed(e, cmd, fs, func(ctx context.Context, r sealedRun, args []string) int {
		col, err := collect.New(collect.Config{Sources: r.sources, Importer: r.im, Store: r.store, Logger: r.log})
		if err != nil {
			return fail(e, err)
		}
		return do(ctx, col, r.org, args)
	})
}

func cmdSourceAdd(e *env) *cobra.Command {
	cmd, fs := newCommand("add", "connect a tool's account to an org and print the new source's id",
		`Connects a tool's account to an org and prints the new source's id. The token is
read from --token-file, stored encrypted and never shown again. docs/sources.md
says where each tool shows its token and account id.`)
	kind := fs.String("kind", "", "the tool: "+strings.Join(collect.Kinds(), ", "))
	tokenFile := fs.String("token-file", "", "file holding the tool's API token (its first line)")
	account := fs.String("account-id", "", "the tool's account id (Harvest-Account-Id, Forecast-Account-ID)")
	workspace := fs.String("workspace", "", "the tool's workspace id (Toggl, Clockify), or a name for the Float team or Runn account, unique in the org")
	baseURL := fs.String("base-url", "", "the tool's API root, for self-hosted or regional endpoints ('' is the tool's own)")
	since := fs.String("since", "", "first date to pull, YYYY-MM-DD (default: a year ago)")
	every := fs.Duration("every", 15*time.Minute, "how often serve syncs it")
	fs.enum("kind", collect.Kinds()...)
	withCollector(e, cmd, fs, func(ctx context.Context, col *collect.Collector, org string, _ []string) int {
		if org == "" || *kind == "" || *tokenFile == "" {
			fmt.Fprintln(e.stderr, "opsmetrics source add: --org, --kind and --token-file are required")
			return 2
		}
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			return fail(e, fmt.Errorf("read --token-file: %w", err))
		}
		token, _, _ := strings.Cut(string(b), "\n")
		src := collect.Source{Org: org, Kind: *kind, AccountID: *account, Workspace: *workspace, BaseURL: *baseURL, Every: collect.Every(*every)}
		if *since != "" {
			if src.Since, err = time.Parse(time.DateOnly, *since); err != nil {
				fmt.Fprintf(e.stderr, "opsmetrics source add: --since %q: want YYYY-MM-DD\n", *since)
				return 2
			}
		}
		src, err = col.Sources().Add(ctx, src, token)
		var bad *collect.BadSourceError
		if errors.As(err, &bad) || errors.Is(err, collect.ErrUnknownKind) {
			// The command was given something it cannot take: a usage error.
			fmt.Fprintf(e.stderr, "opsmetrics source add: %v\n", err)
			return 2
		}
		if err != nil {
			return fail(e, err)
		}
		if err := col.Sources().Audit(ctx, "cli", nil, &src); err != nil {
			return fail(e, fmt.Errorf("source %s added; recording it in the audit trail: %w", src.ID, err))
		}
		fmt.Fprintln(e.stdout, src.ID)
		fmt.Fprintf(e.stderr, "source %s: %s account %s of org %s, synced every %s by serve; run `opsmetrics source sync --org %s --source %s` now\n",
			src.ID, src.Kind, src.Account(), src.Org, src.Every, src.Org, src.ID)
		return 0
	})
	return cmd
}

// listedSource is a source as source list shows it: its org's name beside
// the org's id.
type listedSource struct {
	collect.Status
	OrgName string `json:"org_name"` // the org's id when it has no name
}

func cmdSourceList(e *env) *cobra.Command {
	cmd, fs := newCommand("list", "list sources and how their syncs went (never their tokens)", "")
	format := fs.String("format", "table", "table or json")
	fs.enum("format", "table", "json")
	withSealed(e, cmd, fs, func(ctx context.Context, r sealedRun, _ []string) int {
		sources, err := r.sources.List(ctx, r.org)
		if err != nil {
			return fail(e, err)
		}
		names, err := orgNames(ctx, r.store)
		if err != nil {
			return fail(e, err)
		}
		list := make([]listedSource, len(sources))
		for i, s := range sources {
			list[i] = listedSource{Status: s, OrgName: cmp.Or(names[s.Org], s.Org)}
		}
		switch *format {
		case "json":
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(list); err != nil {
				return fail(e, err)
			}
		case "table":
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tORG\tORG NAME\tKIND\tACCOUNT\tEVERY\tLAST SUCCESS\tADDED\tUPDATED\tDELETED\tSTATE")
			for _, s := range list {
				last := "never"
				if s.State.LastSuccess != nil {
					last = s.State.LastSuccess.Format(time.RFC3339)
				}
				state := "ok"
				switch {
				case s.State.NeedsToken:
					state = "needs-token: " + s.State.LastError
				case s.State.LastError != "":
					state = "failing: " + s.State.LastError
				case s.State.LastAttempt == nil:
					state = "not synced yet"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", s.ID, s.Org, s.OrgName, s.Kind, s.Account(), s.Every, last,
					s.State.RowsAdded, s.State.RowsUpdated, s.State.RowsDeleted, state)
			}
			tw.Flush()
		default:
			fmt.Fprintf(e.stderr, "opsmetrics source list: --format %q: want table or json\n", *format)
			return 2
		}
		return 0
	})
	return cmd
}

func cmdSourceRemove(e *env) *cobra.Command {
	cmd, fs := newCommand("remove ID", "remove a source: it is not synced again; what it imported stays", "")
	cmd.Args = cobra.ExactArgs(1)
	withCollector(e, cmd, fs, func(ctx context.Context, col *collect.Collector, org string, args []string) int {
		if org == "" {
			fmt.Fprintln(e.stderr, "opsmetrics source remove: --org is required")
			return 2
		}
		st, err := col.Sources().Get(ctx, org, args[0])
		if err != nil {
			return fail(e, err)
		}
		if err := col.Sources().Remove(ctx, org, st.ID); err != nil {
			return fail(e, err)
		}
		if err := col.Sources().Audit(ctx, "cli", &st.Source, nil); err != nil {
			return fail(e, fmt.Errorf("source %s removed; recording it in the audit trail: %w", st.ID, err))
		}
		fmt.Fprintf(e.stdout, "removed %s\n", args[0])
		return 0
	})
	return cmd
}

func cmdSourceSync(e *env) *cobra.Command {
	cmd, fs := newCommand("sync", "sync an org's sources once, in the foreground; exits 1 if one failed", "")
	id := fs.String("source", "", "only this source (default: every source of the org)")
	full := fs.Bool("full", false, "re-list everything since the source's --since, not only what changed and the last 60 days")
	withCollector(e, cmd, fs, func(ctx context.Context, col *collect.Collector, org string, _ []string) int {
		if org == "" {
			fmt.Fprintln(e.stderr, "opsmetrics source sync: --org is required")
			return 2
		}
		list, err := col.Sources().List(ctx, org)
		if err != nil {
			return fail(e, err)
		}
		var ids []string
		for _, s := range list {
			if *id == "" || s.ID == *id {
				ids = append(ids, s.ID)
			}
		}
		if *id != "" && len(ids) == 0 {
			return fail(e, fmt.Errorf("%w %q in org %q (source list shows them)", collect.ErrNotFound, *id, org))
		}
		if len(ids) == 0 {
			fmt.Fprintf(e.stderr, "org %s has no sources; add one with `opsmetrics source add`\n", org)
			return 0
		}
		code := 0
		for i, sid := range ids {
			fmt.Fprintf(e.stderr, "[%d/%d] syncing %s ...\n", i+1, len(ids), sid)
			started := time.Now()
			res, err := col.Sync(ctx, org, sid, *full)
			if err != nil {
				fmt.Fprintf(e.stderr, "[%d/%d] %s failed after %s: %v\n", i+1, len(ids), sid, time.Since(started).Round(time.Millisecond), err)
				if errors.Is(err, collect.ErrNeedsToken) {
					fmt.Fprintf(e.stderr, "  give it a new token: opsmetrics source remove %s --org %s, then opsmetrics source add --org %s with a new --token-file\n", sid, org, org)
				}
				code = 1
				continue
			}
			fmt.Fprintf(e.stdout, "%s: %d read, %d added, %d updated, %d deleted, %d rejected in %s\n", sid, res.Read, res.Added,
				res.Updated, res.Deleted, res.Rejected, time.Since(started).Round(time.Millisecond))
			for _, re := range res.Errors {
				fmt.Fprintf(e.stderr, "  rejected: %v\n", re)
			}
			for _, w := range res.Warnings {
				fmt.Fprintf(e.stderr, "  warning: %s\n", w)
			}
		}
		return code
	})
	return cmd
}

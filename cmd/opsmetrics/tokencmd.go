package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/opsmetrics/opsmetrics/auth"
)

func cmdToken(e *env) *cobra.Command {
	cmd, _ := newCommand("token COMMAND", "create, list and revoke API tokens", "")
	return group(cmd, cmdTokenCreate(e), cmdTokenList(e), cmdTokenRevoke(e))
}

func cmdTokenCreate(e *env) *cobra.Command {
	cmd, fs := newCommand("create", "create an API token for one org and print it (shown only this once)", "")
	var scopes scopeList
	fs.Var(&scopes, "scope", "scopes, comma-separated or the flag repeated: "+strings.Join(auth.Scopes, ", ")+" (default "+auth.ScopeIngest+")")
	name := fs.String("name", "", "a name to recognise the token by, e.g. the system that uses it")
	ttl := fs.Duration("ttl", 0, "lifetime, e.g. 2160h for 90 days (0: no expiry)")
	fs.enum("scope", auth.Scopes...)
	withTokens(e, cmd, fs, func(ctx context.Context, tokens *auth.Tokens, org string) int {
		if len(scopes) == 0 {
			scopes = scopeList{auth.ScopeIngest}
		}
		plain, tok, err := tokens.CreateBy(ctx, org, *name, scopes, *ttl, "cli")
		if err != nil {
			return fail(e, err)
		}
		fmt.Fprintln(e.stdout, plain)
		fmt.Fprintf(e.stderr, "token %s for org %s with scopes %s; store it now, it is not shown again\n",
			tok.ID, tok.Org, strings.Join(tok.Scopes, ","))
		return 0
	})
	return cmd
}

func cmdTokenList(e *env) *cobra.Command {
	cmd, fs := newCommand("list", "list an org's tokens (never their secrets)", "")
	withTokens(e, cmd, fs, func(ctx context.Context, tokens *auth.Tokens, org string) int {
		list, err := tokens.List(ctx, org)
		if err != nil {
			return fail(e, err)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSCOPES\tCREATED\tEXPIRES")
		for _, t := range list {
			exp := "never"
			if t.ExpiresAt != nil {
				exp = t.ExpiresAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, strings.Join(t.Scopes, ","), t.CreatedAt.Format(time.RFC3339), exp)
		}
		tw.Flush()
		return 0
	})
	return cmd
}

func cmdTokenRevoke(e *env) *cobra.Command {
	cmd, fs := newCommand("revoke", "revoke a token by id; servers stop accepting it within 30 s", "")
	id := fs.String("id", "", "the token id (from token list)")
	withTokens(e, cmd, fs, func(ctx context.Context, tokens *auth.Tokens, org string) int {
		if err := tokens.RevokeBy(ctx, org, *id, "cli"); err != nil {
			return fail(e, err)
		}
		fmt.Fprintf(e.stdout, "revoked %s\n", *id)
		return 0
	})
	return cmd
}

// withTokens adds the flags every token subcommand takes (--org, the
// store's and the log's) and makes do its action, with the store's tokens.
func withTokens(e *env, cmd *cobra.Command, fs flags, do func(ctx context.Context, tokens *auth.Tokens, org string) int) {
	var so storeOptions
	var lo logOptions
	org := fs.String("org", e.getenv("OPSMETRICS_ORG"), "the org (OPSMETRICS_ORG)")
	so.register(fs, e)
	lo.register(fs, e)
	runsWithLog(e, cmd, &lo, func(ctx context.Context, log *slog.Logger, _ []string) int {
		if *org == "" {
			fmt.Fprintln(e.stderr, "opsmetrics token: --org is required")
			return 2
		}
		s, err := so.openMigrated(ctx, log)
		if err != nil {
			return fail(e, err)
		}
		defer s.Close()
		return do(ctx, auth.New(s, nil), *org)
	})
}

// scopeList is --scope: comma-separated, and repeatable (--scope read
// --scope admin), each scope once in the order first given.
type scopeList []string

func (l *scopeList) String() string { return strings.Join(*l, ",") }

// Type names the flag's value in --help.
func (l *scopeList) Type() string { return "scopes" }

func (l *scopeList) Set(v string) error {
	for s := range strings.SplitSeq(v, ",") {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(*l, s) {
			*l = append(*l, s)
		}
	}
	return nil
}

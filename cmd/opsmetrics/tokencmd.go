package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/opsmetrics/opsmetrics/auth"
)

func cmdToken(ctx context.Context, e *env, args []string) int {
	about := `Subcommands:
  create   create an API token for one org and print it (shown only this once)
  list     list an org's tokens (never their secrets)
  revoke   revoke a token by id; servers stop accepting it within 30 s`
	if code, done := subcommandUsage(e, args, "token create|list|revoke", about); done {
		return code
	}
	var so storeOptions
	var lo logOptions
	fs := newFlags(e, "token "+args[0], "token "+args[0]+" [flags]", about)
	org := fs.String("org", e.getenv("OPSMETRICS_ORG"), "the org (OPSMETRICS_ORG)")
	var scopes scopeList
	fs.Var(&scopes, "scope", "create: scopes, comma-separated or the flag repeated: "+strings.Join(auth.Scopes, ", ")+" (default "+auth.ScopeIngest+")")
	name := fs.String("name", "", "create: a name to recognise the token by, e.g. the system that uses it")
	ttl := fs.Duration("ttl", 0, "create: lifetime, e.g. 2160h for 90 days (0: no expiry)")
	id := fs.String("id", "", "revoke: the token id (from token list)")
	so.register(fs, e)
	lo.register(fs, e)
	log, code := parseWithLog(e, fs, args[1:], &lo)
	if code >= 0 {
		return code
	}
	if *org == "" {
		fmt.Fprintln(e.stderr, "opsmetrics token: --org is required")
		return 2
	}
	s, err := so.openMigrated(ctx, log)
	if err != nil {
		return fail(e, err)
	}
	defer s.Close()
	tokens := auth.New(s, nil)
	switch args[0] {
	case "create":
		if len(scopes) == 0 {
			scopes = scopeList{auth.ScopeIngest}
		}
		plain, tok, err := tokens.Create(ctx, *org, *name, scopes, *ttl)
		if err != nil {
			return fail(e, err)
		}
		fmt.Fprintln(e.stdout, plain)
		fmt.Fprintf(e.stderr, "token %s for org %s with scopes %s; store it now, it is not shown again\n",
			tok.ID, tok.Org, strings.Join(tok.Scopes, ","))
	case "list":
		list, err := tokens.List(ctx, *org)
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
	case "revoke":
		if err := tokens.Revoke(ctx, *org, *id); err != nil {
			return fail(e, err)
		}
		fmt.Fprintf(e.stdout, "revoked %s\n", *id)
	default:
		fmt.Fprintf(e.stderr, "opsmetrics token: unknown subcommand %q\n", args[0])
		return 2
	}
	return 0
}

// scopeList is --scope: comma-separated, and repeatable (--scope read
// --scope admin), each scope once in the order first given.
type scopeList []string

func (l *scopeList) String() string { return strings.Join(*l, ",") }

func (l *scopeList) Set(v string) error {
	for s := range strings.SplitSeq(v, ",") {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(*l, s) {
			*l = append(*l, s)
		}
	}
	return nil
}

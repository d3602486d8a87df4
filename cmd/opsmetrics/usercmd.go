package main

import (
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/opsmetrics/opsmetrics/auth"
	store "github.com/opsmetrics/opsmetrics/sql"
)

func cmdUser(e *env) *cobra.Command {
	cmd, _ := newCommand("user COMMAND", "invite, list, change and remove the people who sign in", `People sign in to the dashboards as themselves, with a role:
  admin    everything, users and API tokens included
  partner  every page and setting, margin, revenue, cost and rates included
  ops      every page but money; thresholds, people, clients and sources
  sales    every page but money; changes nothing
  viewer   every page but money; changes nothing
An org always keeps one admin. Every change is recorded in the org's change log as "cli".`)
	return group(cmd, cmdUserInvite(e), cmdUserList(e), cmdUserRole(e), cmdUserRemove(e), cmdUserLogout(e))
}

// smtpOptions are the flags of the mail server that sends invitations
// and (serve) clients' reports.
type smtpOptions struct {
	url, from string
}

func (o *smtpOptions) register(fs flags, e *env) {
	fs.StringVar(&o.url, "smtp-url", e.getenv("OPSMETRICS_SMTP_URL"),
		"mail server for invitations and (serve) clients' monthly reports, smtp://user:password@host:587 (STARTTLS when offered); none: links are printed, reports are not sent from the app (OPSMETRICS_SMTP_URL)")
	fs.StringVar(&o.from, "smtp-from", e.getenv("OPSMETRICS_SMTP_FROM"), "the sender of invitations and reports, such as opsmetrics@agency.example (OPSMETRICS_SMTP_FROM)")
}

// mailer is the configured Mailer, nil without --smtp-url.
func (o *smtpOptions) mailer() (*auth.Mailer, error) {
	if o.url == "" {
		return nil, nil
	}
	return auth.NewMailer(auth.MailerConfig{URL: o.url, From: o.from})
}

func cmdUserInvite(e *env) *cobra.Command {
	cmd, fs := newCommand("invite", "invite someone to an org: prints their one-time sign-in link, or emails it",
		`Makes EMAIL a user of the org with ROLE (or gives an existing user a new link and
the role) and prints a one-time link, valid 7 days, where they choose their
password: <public-url>/invite/<token>. With --smtp-url the link is emailed instead.
Inviting again replaces the previous link.`)
	email := fs.String("email", "", "their email address")
	name := fs.String("name", "", "their name (they can change it when accepting)")
	role := fs.String("role", auth.RoleViewer, "their role: "+strings.Join(auth.Roles, ", "))
	public := fs.String("public-url", envOr(e, "OPSMETRICS_PUBLIC_URL", "http://localhost:8080"), "the URL people open opsmetrics at (OPSMETRICS_PUBLIC_URL)")
	fs.enum("role", auth.Roles...)
	var sm smtpOptions
	sm.register(fs, e)
	withUsers(e, cmd, fs, func(ctx context.Context, s store.Store, users *auth.Users, org string, _ []string) int {
		base, err := parsePublicURL(*public)
		if err != nil {
			return fail(e, err)
		}
		mailer, err := sm.mailer()
		if err != nil {
			return fail(e, err)
		}
		link, u, err := users.Invite(ctx, org, *email, *name, *role, "cli")
		if err != nil {
			return fail(e, err)
		}
		url := base + "/invite/" + link
		if mailer != nil {
			names, err := orgNames(ctx, s)
			if err != nil {
				return fail(e, err)
			}
			if err := mailer.SendInvite(ctx, u.Email, cmp.Or(names[org], org), url); err != nil {
				return fail(e, fmt.Errorf("%w; the invitation stands: run user invite again without --smtp-url to print a link", err))
			}
			fmt.Fprintf(e.stdout, "invited %s (%s) to org %s as %s; the link was emailed to %s\n", u.Name, u.Email, org, u.Role, u.Email)
			return 0
		}
		fmt.Fprintln(e.stdout, url)
		fmt.Fprintf(e.stderr, "invited %s (%s) to org %s as %s; send them this link: it works once, for 7 days\n", u.Name, u.Email, org, u.Role)
		return 0
	})
	return cmd
}

// orgNames are the orgs' names by id (an org without one is named by its id).
func orgNames(ctx context.Context, s store.Store) (map[string]string, error) {
	rows, err := s.Query(ctx, store.QueryText("org_list"), nil)
	if err != nil {
		return nil, fmt.Errorf("list orgs: %w", err)
	}
	out := make(map[string]string, rows.Len())
	for i := range rows.Len() {
		var id, name string
		if err := rows.Scan(i, &id, &name); err != nil {
			return nil, err
		}
		out[id] = cmp.Or(name, id)
	}
	return out, nil
}

func cmdUserList(e *env) *cobra.Command {
	cmd, fs := newCommand("list", "list an org's users with their role and last sign-in", "")
	format := fs.String("format", "table", "table, json or csv")
	fs.enum("format", "table", "json", "csv")
	withUsers(e, cmd, fs, func(ctx context.Context, _ store.Store, users *auth.Users, org string, _ []string) int {
		if *format != "table" && *format != "json" && *format != "csv" {
			fmt.Fprintf(e.stderr, "opsmetrics user list: --format %q: want table, json or csv\n", *format)
			return 2
		}
		list, err := users.List(ctx, org)
		if err != nil {
			return fail(e, err)
		}
		last := func(m auth.Member) string {
			switch {
			case !m.HasPassword:
				return "invited"
			case m.LastSignIn == nil:
				return "never"
			}
			return m.LastSignIn.UTC().Format(time.RFC3339)
		}
		switch *format {
		case "json":
			if list == nil {
				list = []auth.Member{}
			}
			if err := printJSON(e.stdout, list); err != nil {
				return fail(e, err)
			}
		case "csv":
			w := csv.NewWriter(e.stdout)
			w.Write([]string{"id", "email", "name", "role", "last_sign_in"})
			for _, m := range list {
				w.Write([]string{m.ID, m.Email, m.Name, m.Role, last(m)})
			}
			w.Flush()
			if err := w.Error(); err != nil {
				return fail(e, err)
			}
		default:
			if len(list) == 0 {
				fmt.Fprintf(e.stdout, "org %s has no users yet: opsmetrics user invite --org %s --email EMAIL --role admin\n", org, org)
				return 0
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tEMAIL\tROLE\tLAST SIGN-IN\tID")
			for _, m := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.Name, m.Email, m.Role, last(m), m.ID)
			}
			tw.Flush()
		}
		return 0
	})
	return cmd
}

func cmdUserRole(e *env) *cobra.Command {
	cmd, fs := newCommand("role EMAIL ROLE", "change a user's role ("+strings.Join(auth.Roles, ", ")+")", "")
	cmd.Args = cobra.ExactArgs(2)
	withUsers(e, cmd, fs, func(ctx context.Context, _ store.Store, users *auth.Users, org string, args []string) int {
		u, err := users.SetRole(ctx, org, args[0], args[1], "cli")
		if err != nil {
			return fail(e, err)
		}
		fmt.Fprintf(e.stdout, "%s (%s) is %s of org %s\n", u.Name, u.Email, u.Role, org)
		return 0
	})
	return cmd
}

func cmdUserRemove(e *env) *cobra.Command {
	cmd, fs := newCommand("remove EMAIL", "remove a user from an org and end their sessions", "")
	cmd.Args = cobra.ExactArgs(1)
	withUsers(e, cmd, fs, func(ctx context.Context, _ store.Store, users *auth.Users, org string, args []string) int {
		u, err := users.Remove(ctx, org, args[0], "cli")
		if err != nil {
			return fail(e, err)
		}
		fmt.Fprintf(e.stdout, "removed %s (%s) from org %s; their sessions are ended\n", u.Name, u.Email, org)
		return 0
	})
	return cmd
}

func cmdUserLogout(e *env) *cobra.Command {
	cmd, fs := newCommand("logout EMAIL", "sign a user out everywhere: ends every session of theirs",
		"Ends every browser session of the user. A running server stops accepting them within "+auth.SessionCacheTTL.String()+".")
	cmd.Args = cobra.ExactArgs(1)
	withUsers(e, cmd, fs, func(ctx context.Context, s store.Store, users *auth.Users, org string, args []string) int {
		m, _, err := users.Find(ctx, org, args[0])
		if err != nil {
			return fail(e, err)
		}
		sessions, err := auth.NewSessions(auth.SessionsConfig{Store: s, Users: users, Tokens: auth.New(s, nil)})
		if err == nil {
			err = sessions.EndAll(ctx, org, m.ID)
		}
		if err != nil {
			return fail(e, err)
		}
		fmt.Fprintf(e.stdout, "signed %s (%s) out everywhere\n", m.Name, m.Email)
		return 0
	})
	return cmd
}

// withUsers adds the flags every user subcommand takes (--org, the store's
// and the log's) and makes do its action, with the store's users.
func withUsers(e *env, cmd *cobra.Command, fs flags, do func(ctx context.Context, s store.Store, users *auth.Users, org string, args []string) int) {
	var so storeOptions
	var lo logOptions
	org := fs.String("org", e.getenv("OPSMETRICS_ORG"), "the org (OPSMETRICS_ORG)")
	so.register(fs, e)
	lo.register(fs, e)
	runsWithLog(e, cmd, &lo, func(ctx context.Context, log *slog.Logger, args []string) int {
		if *org == "" {
			fmt.Fprintf(e.stderr, "%s: --org is required\n", cmd.CommandPath())
			return 2
		}
		s, err := so.openMigrated(ctx, log)
		if err != nil {
			return fail(e, err)
		}
		defer s.Close()
		users, err := auth.NewUsers(auth.UsersConfig{Store: s})
		if err != nil {
			return fail(e, err)
		}
		return do(ctx, s, users, *org, args)
	})
}

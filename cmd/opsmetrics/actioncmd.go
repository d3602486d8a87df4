package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/org"
)

// cmdAction is `opsmetrics action`: the "next month" actions and decisions
// of client reports and retros, as the report page and /api/v1/actions
// keep them.
func cmdAction(e *env) *cobra.Command {
	cmd, _ := newCommand("action COMMAND", "list, add, close, reopen or remove next month's actions and decisions",
		`Lists and changes the actions and decisions written in client reports ("next month")
and quarterly retros, as the report page and /api/v1/actions do. Changes are made as
"cli" and kept in the audit trail.`)
	return group(cmd,
		actionCommand(e, "list", "the org's actions, open first and then by due date", `Lists the org's actions and decisions: open ones first, then by due date; an open one
past its due day (in the org's time zone) is marked overdue. Clients and owners show as
id (name).

Example:
  opsmetrics action list --org acme --client "Nordlicht GmbH" --open`),
		actionCommand(e, "add", "add an action or decision to a client's report of a month, or to a retro", `Adds an action or decision: to a client's report of a month (--client and --month) or
to a quarter's retro (--quarter). The owner is a person of the org, by id or unique name.

Example:
  opsmetrics action add --org acme --client "Nordlicht GmbH" --month 2026-11 \
    --title "Move the design review to Tuesdays" --owner "Ana Silva" --due 2026-12-15`),
		actionCommand(e, "close", "close an action by its --id", ""),
		actionCommand(e, "reopen", "reopen a closed action by its --id", ""),
		actionCommand(e, "remove", "remove an action added by mistake, by its --id (close a done one instead)", ""),
	)
}

// actionCommand is action list, add, close, reopen or remove (name), with
// the flags that one takes.
func actionCommand(e *env, name, short, long string) *cobra.Command {
	var so storeOptions
	var lo logOptions
	cmd, fs := newCommand(name, short, long)
	orgID := fs.String("org", e.getenv("OPSMETRICS_ORG"), "the org (OPSMETRICS_ORG)")
	var client, origin, month, quarter, kind, title, owner, due, id, format *string
	var open *bool
	switch name {
	case "list":
		client = fs.String("client", "", "only this client's (its id or name)")
		origin = fs.String("origin", "", "only those of reports (report) or of retros (retro)")
		open = fs.Bool("open", false, "only open ones")
		format = formatFlag(fs)
		fs.enum("origin", metrics.OriginReport, metrics.OriginRetro)
	case "add":
		client = fs.String("client", "", "the client whose report it is in (its id or name)")
		month = fs.String("month", "", "the report's month, YYYY-MM")
		quarter = fs.String("quarter", "", "for a retro's action instead: the quarter, YYYY-Qn")
		kind = fs.String("kind", metrics.ActionKind, "action (something to do) or decision (something agreed)")
		title = fs.String("title", "", "what is to be done or what was decided")
		owner = fs.String("owner", "", "the person who owns it (id or name)")
		due = fs.String("due", "", "the due date, YYYY-MM-DD")
		fs.enum("kind", metrics.ActionKind, metrics.DecisionKind)
	default:
		id = fs.String("id", "", "the action's id (action list shows it)")
	}
	so.register(fs, e)
	lo.register(fs, e)
	command := "action " + name
	runsWithLog(e, cmd, &lo, func(ctx context.Context, log *slog.Logger, _ []string) int {
		if *orgID == "" {
			fmt.Fprintf(e.stderr, "opsmetrics %s: --org is required\n", command)
			return 2
		}
		if format != nil && *format != "table" && *format != "json" && *format != "csv" {
			fmt.Fprintf(e.stderr, "opsmetrics %s: --format %q: want table, json or csv\n", command, *format)
			return 2
		}
		if id != nil && *id == "" {
			fmt.Fprintf(e.stderr, "opsmetrics %s: --id is required\n", command)
			return 2
		}
		s, err := so.openMigrated(ctx, log)
		if err != nil {
			return fail(e, err)
		}
		defer s.Close()
		if code := checkOrg(ctx, e, s, command, *orgID); code >= 0 {
			return code
		}
		bad := func(err error) int {
			if errors.Is(err, metrics.ErrBadRequest) {
				fmt.Fprintf(e.stderr, "opsmetrics %s: %v\n", command, metrics.Message(err))
				return 2
			}
			return fail(e, err)
		}
		now := time.Now()
		switch name {
		case "list":
			f := metrics.ActionFilter{Origin: *origin, OpenOnly: *open}
			if f.Origin != "" && f.Origin != metrics.OriginReport && f.Origin != metrics.OriginRetro {
				fmt.Fprintf(e.stderr, "opsmetrics %s: --origin %q: report or retro\n", command, f.Origin)
				return 2
			}
			if *client != "" {
				n, err := metrics.LoadNames(ctx, s, *orgID)
				if err != nil {
					return fail(e, err)
				}
				if f.Client, err = n.Resolve(ctx, "client", *client); err != nil {
					return bad(fmt.Errorf("--client: %w", err))
				}
			}
			list, err := metrics.ListActions(ctx, s, *orgID, f)
			if err != nil {
				return fail(e, err)
			}
			if *format == "json" {
				if list == nil {
					list = []metrics.Action{}
				}
				if err := printJSON(e.stdout, map[string]any{"actions": list}); err != nil {
					return fail(e, err)
				}
				return 0
			}
			settings, _, err := org.Load(ctx, s, *orgID)
			if err != nil {
				return fail(e, err)
			}
			today := metrics.Today(now.In(zoneOf(settings)))
			rows := make([][]string, 0, len(list))
			for _, a := range list {
				status := a.Status
				if a.Overdue(today) {
					status = "open, overdue"
				}
				rows = append(rows, []string{a.ID, a.Kind, a.Title, idName(a.Client, a.ClientName), idName(a.Owner, a.OwnerName),
					a.Due.Format(time.DateOnly), status, periodOf(a)})
			}
			if len(rows) == 0 && *format == "table" {
				fmt.Fprintf(e.stdout, "no actions in org %s match; add one with opsmetrics action add, or on a client's report page\n", *orgID)
				return 0
			}
			if err := printRows(e.stdout, *format, []string{"ID", "KIND", "TITLE", "CLIENT", "OWNER", "DUE", "STATUS", "FROM"}, rows); err != nil {
				return fail(e, err)
			}
		case "add":
			a, err := metrics.ActionRequest{Client: *client, Month: *month, Quarter: *quarter, Kind: *kind, Title: *title, Owner: *owner, Due: *due}.Action()
			if err != nil {
				return bad(err)
			}
			added, err := metrics.AddAction(ctx, s, *orgID, "cli", a, now)
			if err != nil {
				return bad(err)
			}
			fmt.Fprintf(e.stdout, "added %s %s: %q, owned by %s, due %s, in %s\n", added.Kind, added.ID, added.Title,
				idName(added.Owner, added.OwnerName), added.Due.Format(time.DateOnly), periodOf(added))
		case "close", "reopen":
			a, found, err := metrics.SetActionStatus(ctx, s, *orgID, "cli", *id, name == "close", now)
			if err != nil {
				return fail(e, err)
			}
			if !found {
				fmt.Fprintf(e.stderr, "opsmetrics %s: org %s has no action %q; opsmetrics action list shows the ids\n", command, *orgID, *id)
				return 1
			}
			fmt.Fprintf(e.stdout, "%s %s: %q is %s\n", map[string]string{"close": "closed", "reopen": "reopened"}[name], a.ID, a.Title, a.Status)
		case "remove":
			found, err := metrics.RemoveAction(ctx, s, *orgID, "cli", *id, now)
			if err != nil {
				return fail(e, err)
			}
			if !found {
				fmt.Fprintf(e.stderr, "opsmetrics %s: org %s has no action %q; opsmetrics action list shows the ids\n", command, *orgID, *id)
				return 1
			}
			fmt.Fprintf(e.stdout, "removed %s\n", *id)
		}
		return 0
	})
	return cmd
}

// idName writes an id with its name, "c-3 (Nordlicht GmbH)"; the id alone
// when no record names it, "" for none.
func idName(id, name string) string {
	if name == "" || name == id {
		return id
	}
	return id + " (" + name + ")"
}

// periodOf is where an action comes from: "report 2026-11", "retro 2026-Q4".
func periodOf(a metrics.Action) string {
	if a.Origin == metrics.OriginRetro {
		return "retro " + metrics.QuarterLabel(a.Period)
	}
	return "report " + a.Period.Format("2006-01")
}

// zoneOf is the org's time zone; UTC when its name is not one.
func zoneOf(s org.Settings) *time.Location {
	loc, err := time.LoadLocation(s.WithDefaults().TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/opsmetrics/opsmetrics/ingest/hook"
)

// newHookMapCommand is `hook map`: it lists an org's effective mapping of
// a task tool, or changes one status or container of it.
func newHookMapCommand(e *env) *cobra.Command {
	cmd, fs := newCommand("map", "list or change what a task tool's statuses mean and where its tasks belong",
		`Without --status or --container, lists the org's mapping of one tool: every status
with its phase of the operating loop and review outcome, and whether it is the default
or the org's; then each container (Jira project key, ClickUp list id, Asana project gid,
Trello board id, GitHub repository owner/name) with its client and project.

With --status, sets that status's --phase and/or --outcome, or --reset removes the
org's rule so the default applies again. With --container, puts that container's tasks
under --client and (optionally) --project, each an id or a name, or --reset sends them
to the hook's default client again. Statuses are compared in lower case with spaces
collapsed ("Client  Review" is "client review").

Phases: `+strings.Join(hook.Phases, ", ")+`
Outcomes: `+strings.Join(hook.Outcomes, ", ")+`

A change applies to deliveries mapped after it; `+"`opsmetrics hook replay ID`"+` maps the
kept deliveries of a hook again.

Examples:
  opsmetrics hook map --org studio --tool jira
  opsmetrics hook map --org studio --tool jira --status "Client Review" --phase client_review
  opsmetrics hook map --org studio --tool jira --status "Signed Off" --phase delivered --outcome approved
  opsmetrics hook map --org studio --tool github --container studio/website --client "Nordlicht GmbH" --project Website
  opsmetrics hook map --org studio --tool jira --status Blocked --reset`)
	var so storeOptions
	var lo logOptions
	orgID := fs.String("org", e.getenv("OPSMETRICS_ORG"), "the org (OPSMETRICS_ORG)")
	tool := fs.String("tool", "", "the task tool: "+strings.Join(hook.Tools, ", "))
	status := fs.String("status", "", "a status name as the tool shows it, to set or --reset")
	phase := fs.String("phase", "", "the phase --status means: "+strings.Join(hook.Phases, ", "))
	outcome := fs.String("outcome", "", "the review outcome --status stands for: "+strings.Join(hook.Outcomes, ", "))
	container := fs.String("container", "", "a tool's project, list, board or repository id, to set or --reset")
	client := fs.String("client", "", "the client --container's tasks belong to (id or name)")
	project := fs.String("project", "", "one of the client's projects (id or name)")
	reset := fs.Bool("reset", false, "remove the org's rule for --status or --container: the default applies again")
	format := fs.String("format", "table", "how to list: table, json or csv")
	fs.enum("tool", hook.Tools...)
	fs.enum("phase", hook.Phases...)
	fs.enum("outcome", hook.Outcomes...)
	fs.enum("format", "table", "json", "csv")
	so.register(fs, e)
	lo.register(fs, e)
	usage := func(msg string, args ...any) int {
		fmt.Fprintf(e.stderr, "opsmetrics hook map: "+msg+"\n", args...)
		return 2
	}
	runsWithLog(e, cmd, &lo, func(ctx context.Context, log *slog.Logger, _ []string) int {
		changed := func(name string) bool { return cmd.Flags().Changed(name) }
		switch {
		case *orgID == "" || *tool == "":
			return usage("--org and --tool are required")
		case *format != "table" && *format != "json" && *format != "csv":
			return usage("--format %q: want table, json or csv", *format)
		case *status != "" && *container != "":
			return usage("give --status or --container, not both")
		case *status != "" && (changed("client") || changed("project")):
			return usage("--client and --project go with --container, not --status")
		case *container != "" && (changed("phase") || changed("outcome")):
			return usage("--phase and --outcome go with --status, not --container")
		case *reset && (changed("phase") || changed("outcome") || changed("client") || changed("project")):
			return usage("--reset takes no --phase, --outcome, --client or --project")
		case *status == "" && *container == "" && (*reset || changed("phase") || changed("outcome") || changed("client") || changed("project")):
			return usage("say which --status or --container to change")
		case *status != "" && !*reset && *phase == "" && *outcome == "":
			return usage("--status %q: give --phase, --outcome or --reset", *status)
		case *container != "" && !*reset && *client == "":
			return usage("--container %q: give --client (and --project) or --reset", *container)
		}
		s, err := so.openMigrated(ctx, log)
		if err != nil {
			return fail(e, err)
		}
		defer s.Close()
		ms, err := hook.NewMappings(hook.MappingsConfig{Store: s})
		if err != nil {
			return fail(e, err)
		}
		var p hook.MappingPatch
		switch {
		case *status != "" && *reset:
			p = hook.MappingPatch{Phases: map[string]*string{*status: nil}, Outcomes: map[string]*string{*status: nil}}
		case *status != "":
			p = hook.MappingPatch{Phases: map[string]*string{}, Outcomes: map[string]*string{}}
			if *phase != "" {
				p.Phases[*status] = phase
			}
			if *outcome != "" {
				p.Outcomes[*status] = outcome
			}
		case *container != "" && *reset:
			p = hook.MappingPatch{Targets: map[string]*hook.Target{*container: nil}}
		case *container != "":
			p = hook.MappingPatch{Targets: map[string]*hook.Target{*container: {Client: *client, Project: *project}}}
		}
		if !p.Empty() {
			err = ms.Apply(ctx, *orgID, *tool, p)
		}
		var list hook.MappingList
		if err == nil {
			list, err = ms.List(ctx, *orgID, *tool)
		}
		var bad *hook.MappingError
		if errors.As(err, &bad) {
			return usage("%v", err) // a value the command cannot take
		}
		if err != nil {
			return fail(e, err)
		}
		if p.Empty() {
			return printMapping(e, list, *format)
		}
		fmt.Fprintln(e.stdout, mapChanged(list, *status, *container))
		fmt.Fprintf(e.stderr, "deliveries mapped from now on use it; `opsmetrics hook replay ID` maps a hook's kept deliveries again\n")
		return 0
	})
	return cmd
}

// mapChanged says in one line what the status or container changed now
// maps to.
func mapChanged(list hook.MappingList, status, container string) string {
	if container != "" {
		for _, t := range list.Targets {
			if t.Container == strings.TrimSpace(container) {
				return fmt.Sprintf("%s container %s → %s", list.Tool, t.Container, mapTargetText(t))
			}
		}
		return fmt.Sprintf("%s container %s → the hook's default client", list.Tool, strings.TrimSpace(container))
	}
	key := hook.NormalizeStatus(status)
	for _, r := range list.Statuses {
		if r.Status == key {
			return fmt.Sprintf("%s status %q → %s (%s)", list.Tool, r.Status, mapRuleText(r), r.Set)
		}
	}
	return fmt.Sprintf("%s status %q → unmapped: kept raw and listed on the data-quality score", list.Tool, key)
}

// mapRuleText is a status's phase with its outcome, if any.
func mapRuleText(r hook.StatusRule) string {
	s := r.Phase
	if s == "" {
		s = "no phase"
	}
	if r.Outcome != "" {
		s += " [" + r.Outcome + "]"
	}
	return s
}

// mapTargetText is a target's client and project, each id with its name.
func mapTargetText(t hook.TargetRule) string {
	s := mapNamed(t.Client, t.ClientName)
	if t.Project != "" {
		s += ", project " + mapNamed(t.Project, t.ProjectName)
	}
	return "client " + s
}

// mapNamed is an id with its name beside it, when the name says more.
func mapNamed(id, name string) string {
	if name == "" || name == id {
		return id
	}
	return id + " (" + name + ")"
}

// printMapping lists an org's mapping of a tool as format says.
func printMapping(e *env, list hook.MappingList, format string) int {
	var err error
	switch format {
	case "json":
		err = printJSON(e.stdout, list)
	case "csv":
		w := csv.NewWriter(e.stdout)
		w.Write([]string{"kind", "key", "phase", "outcome", "set", "client", "client_name", "project", "project_name"})
		for _, r := range list.Statuses {
			w.Write([]string{"status", r.Status, r.Phase, r.Outcome, r.Set, "", "", "", ""})
		}
		for _, t := range list.Targets {
			w.Write([]string{"container", t.Container, "", "", "org", t.Client, t.ClientName, t.Project, t.ProjectName})
		}
		w.Flush()
		err = w.Error()
	default:
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "%s statuses of org %s\nSTATUS\tPHASE [OUTCOME]\tSET\n", list.Tool, list.Org)
		for _, r := range list.Statuses {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Status, mapRuleText(r), r.Set)
		}
		fmt.Fprintln(tw)
		if len(list.Targets) == 0 {
			fmt.Fprintf(tw, "No %s containers mapped: their tasks go to each hook's default client. Map one with\n"+
				"  opsmetrics hook map --org %s --tool %s --container ID --client CLIENT [--project PROJECT]\n", list.Tool, list.Org, list.Tool)
		} else {
			fmt.Fprintln(tw, "CONTAINER\tCLIENT\tPROJECT")
			for _, t := range list.Targets {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Container, mapNamed(t.Client, t.ClientName), mapNamed(t.Project, t.ProjectName))
			}
		}
		err = tw.Flush()
	}
	if err != nil {
		return fail(e, err)
	}
	return 0
}

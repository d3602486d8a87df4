package metrics

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// HookTools are the task tools whose webhooks keep a status with no
// mapping raw, as ingest/hook.Tools names them (metrics may not import
// ingest; app's tests check the two agree): their statuses are mapped with
// `opsmetrics hook map`, an import's with its phase column. Read only.
var HookTools = []string{"jira", "clickup", "asana", "trello", "github"}

// UnmappedStatus is a status task events moved to that maps to no phase,
// with how many events did and what maps it.
type UnmappedStatus struct {
	Source   string    `json:"source"`
	Status   string    `json:"status"`
	Events   uint64    `json:"events"`
	LastSeen time.Time `json:"last_seen"`
	// Fix says how to map it: the `opsmetrics hook map` command for a task
	// tool (the phase left as PHASE to choose), else the import's phase column.
	Fix string `json:"fix"`
}

var unmappedStatusesList = list{"list_unmapped_statuses", "unmapped statuses", []string{"client", "project"}}

// UnmappedStatuses lists the statuses task events of r's org moved to in
// r's range that map to no phase, most events first
// (sql/queries/list_unmapped_statuses.sql). r may filter by client and
// project. Errors as Compute's.
func UnmappedStatuses(ctx context.Context, q Querier, r Request) ([]UnmappedStatus, error) {
	res, err := runList(ctx, q, unmappedStatusesList, r, nil)
	if err != nil {
		return nil, err
	}
	t := TableOf(res)
	out := make([]UnmappedStatus, t.Len())
	for i := range out {
		u := &out[i]
		u.Source, u.Status, u.LastSeen = t.Str(i, "source"), t.Str(i, "status"), t.Date(i, "last_seen")
		n, _ := t.Num(i, "events")
		u.Events = uint64(n)
		u.Fix = "give its task events a phase in the import (the phase column, docs/import.md)"
		if slices.Contains(HookTools, u.Source) {
			u.Fix = fmt.Sprintf("opsmetrics hook map --org %s --tool %s --status %s --phase PHASE", shellWord(r.Org), u.Source, shellWord(u.Status))
		}
	}
	return out, nil
}

// unmappedNotes is how many unmapped statuses a result's notes name; the
// rest are in its unmapped_statuses.
const unmappedNotes = 10

// addUnmapped lists on a data_quality result the statuses that map to no
// phase, and says so in its notes with what maps each. They do not change
// the score: spec/kpis.md §10 lists its parts, and this is none of them.
func (res *Result) addUnmapped(ctx context.Context, q Querier, r Request) error {
	r.Filters = nil // data_quality takes none
	list, err := UnmappedStatuses(ctx, q, r)
	if err != nil {
		return err
	}
	res.Unmapped = &list
	for i, u := range list {
		if i == unmappedNotes {
			res.Notes = append(res.Notes, fmt.Sprintf("unmapped status: %d more, listed in unmapped_statuses (--format json).", len(list)-i))
			break
		}
		res.Notes = append(res.Notes, fmt.Sprintf("unmapped status: %s %q, %d task %s in this range, maps to no phase; %s.",
			u.Source, u.Status, u.Events, plural(u.Events, "event", "events"), u.Fix))
	}
	return nil
}

func plural(n uint64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// shellWord quotes s for a POSIX shell when it needs quoting, so a
// command a note shows can be pasted as it is.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

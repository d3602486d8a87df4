package hook

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// JiraEventID is the ExternalID base of item (its index) of Jira changelog
// history historyID: the webhook's changelog and the API's history of the
// same change have the same id, so the webhook Mapper and the reconciler
// name a transition alike and it is stored once. The Mapper's events add a
// suffix to it (":status", ":due", ...).
func JiraEventID(historyID string, item int) string {
	return "jira:" + historyID + ":" + strconv.Itoa(item)
}

// jiraReconciler reads Jira Cloud's enhanced search (GET /search/jql, the
// one Atlassian keeps: /search with startAt was removed in 2025) for the
// issues updated since the cursor, with their changelogs, and passes each
// history that changed a status or a due date through the webhook Mapper as
// the jira:issue_updated delivery Jira would have sent; an issue created
// since the cursor also as its jira:issue_created.
type jiraReconciler struct{}

var _ Reconciler = jiraReconciler{}

// jiraSearchFields are the fields the Mapper reads, and created.
const jiraSearchFields = "summary,status,duedate,resolutiondate,statuscategorychangedate,project,created"

// jiraZoneSlack widens the search: JQL reads a date in the token's user's
// time zone, and no zone is more than 14 hours from UTC. What the slack
// adds again is dropped by its ids.
const jiraZoneSlack = 14 * time.Hour

type jiraHistory struct {
	ID     idString `json:"id"`
	Author *struct {
		DisplayName string `json:"displayName"`
	} `json:"author"`
	Created string     `json:"created"`
	Items   []jiraItem `json:"items"`
}

// jiraItem is one field a history changed, as the webhook's changelog
// items are.
type jiraItem struct {
	Field      string  `json:"field"`
	From       *string `json:"from"`
	To         *string `json:"to"`
	FromString *string `json:"fromString"`
	ToString   *string `json:"toString"`
}

type jiraIssue struct {
	ID     idString                   `json:"id"`
	Key    string                     `json:"key"`
	Fields map[string]json.RawMessage `json:"fields"`
	// Changelog holds at most a few recent histories (20 on /search/jql):
	// when Total says there are more, they are read from
	// /issue/{key}/changelog.
	Changelog *struct {
		Total     int           `json:"total"`
		Histories []jiraHistory `json:"histories"`
	} `json:"changelog"`
}

// Poll implements Reconciler.
func (jiraReconciler) Poll(ctx context.Context, t ReconcileTarget, _ TaskState) ([]any, time.Time, error) {
	jql := `updated >= "` + t.Cursor.Add(-jiraZoneSlack).UTC().Format("2006-01-02 15:04") + `" ORDER BY updated ASC`
	var out []any
	token := ""
	for page := 0; ; page++ {
		q := url.Values{"jql": {jql}, "fields": {jiraSearchFields}, "expand": {"changelog"}, "maxResults": {"100"}}
		if token != "" {
			q.Set("nextPageToken", token)
		}
		var res struct {
			Issues        []json.RawMessage `json:"issues"`
			NextPageToken string            `json:"nextPageToken"`
			IsLast        *bool             `json:"isLast"`
		}
		if err := t.API.Get(ctx, "/search/jql?"+q.Encode(), &res); err != nil {
			return nil, t.Cursor, fmt.Errorf("jira: search page %d: %w", page+1, err)
		}
		for _, raw := range res.Issues {
			recs, err := jiraIssueRecords(ctx, t, raw)
			if err != nil {
				return nil, t.Cursor, err
			}
			out = append(out, recs...)
		}
		if res.NextPageToken == "" || res.IsLast != nil && *res.IsLast {
			break
		}
		if res.NextPageToken == token {
			return nil, t.Cursor, fmt.Errorf("jira: search page %d: nextPageToken %q again", page+1, token)
		}
		token = res.NextPageToken
	}
	return latestDeliverables(out), t.Until, nil
}

// jiraIssueRecords maps the changes of one issue after t.Cursor.
func jiraIssueRecords(ctx context.Context, t ReconcileTarget, raw json.RawMessage) ([]any, error) {
	var is jiraIssue
	if err := decode("jira", raw, &is); err != nil {
		return nil, err
	}
	if is.Key == "" {
		return nil, errField("jira", "issues[].key", nil)
	}
	var hs []jiraHistory
	if is.Changelog != nil {
		hs = is.Changelog.Histories
		if is.Changelog.Total > len(hs) {
			var err error
			if hs, err = jiraChangelog(ctx, t.API, is.Key); err != nil {
				return nil, err
			}
		}
	}
	at := make([]time.Time, len(hs))
	for i, h := range hs {
		var err error
		if at[i], err = parseTime(h.Created); err != nil {
			return nil, errField("jira", "changelog.histories[].created of "+is.Key, h.Created)
		}
	}
	// oldest first, as the changes happened (the search lists the newest first)
	order := make([]int, len(hs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return at[a].Compare(at[b]) })

	m, _ := MapperOf("jira", nil)
	var out []any
	deliver := func(event string, when time.Time, issue json.RawMessage, changelog any, actor string) error {
		body, err := json.Marshal(map[string]any{"timestamp": when.UnixMilli(), "webhookEvent": event,
			"user": map[string]string{"displayName": actor}, "issue": issue, "changelog": changelog})
		if err != nil {
			return err
		}
		mapped, err := m.Map(ctx, Delivery{Org: t.Org, Hook: t.Hook, Tool: "jira", Received: when, Body: body}, t.Mapping)
		if err != nil {
			return fmt.Errorf("jira: issue %s: %w", is.Key, err)
		}
		out = append(out, mapped.Records...)
		return nil
	}
	if created, ok := jiraCreated(is); ok && created.After(t.Cursor) {
		first, err := jiraAsCreated(is, hs, order)
		if err != nil {
			return nil, err
		}
		if err := deliver("jira:issue_created", created, first, nil, ""); err != nil {
			return nil, err
		}
	}
	for _, i := range order {
		h := hs[i]
		if !at[i].After(t.Cursor) || !slices.ContainsFunc(h.Items, func(it jiraItem) bool {
			return it.Field == "status" || it.Field == "duedate"
		}) {
			continue
		}
		actor := ""
		if h.Author != nil {
			actor = h.Author.DisplayName
		}
		if err := deliver("jira:issue_updated", at[i], raw, map[string]any{"id": h.ID, "items": h.Items}, actor); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// jiraChangelog reads every history of issue key, paging by startAt.
func jiraChangelog(ctx context.Context, api API, key string) ([]jiraHistory, error) {
	var out []jiraHistory
	for start := 0; ; {
		var page struct {
			Values []jiraHistory `json:"values"`
			Total  int           `json:"total"`
			IsLast *bool         `json:"isLast"`
		}
		path := "/issue/" + url.PathEscape(key) + "/changelog?startAt=" + strconv.Itoa(start) + "&maxResults=100"
		if err := api.Get(ctx, path, &page); err != nil {
			return nil, fmt.Errorf("jira: changelog of %s: %w", key, err)
		}
		out = append(out, page.Values...)
		start += len(page.Values)
		if len(page.Values) == 0 || page.IsLast != nil && *page.IsLast || page.IsLast == nil && start >= page.Total {
			return out, nil
		}
	}
}

// jiraCreated is the issue's created time, when it has one.
func jiraCreated(is jiraIssue) (time.Time, bool) {
	var s string
	if json.Unmarshal(is.Fields["created"], &s) != nil || s == "" {
		return time.Time{}, false
	}
	t, err := parseTime(s)
	return t, err == nil
}

// jiraAsCreated is the issue as it was created: the status and due date
// before its first change of each (the histories' from values), which the
// created event names, as Jira's own issue_created did.
func jiraAsCreated(is jiraIssue, hs []jiraHistory, order []int) (json.RawMessage, error) {
	fields := make(map[string]json.RawMessage, len(is.Fields))
	for k, v := range is.Fields {
		fields[k] = v
	}
	status, due := false, false
	for _, i := range order {
		for _, it := range hs[i].Items {
			switch {
			case it.Field == "status" && !status && it.FromString != nil:
				status = true
				b, err := json.Marshal(map[string]any{"name": *it.FromString, "statusCategory": map[string]string{}})
				if err != nil {
					return nil, err
				}
				fields["status"] = b
			case it.Field == "duedate" && !due:
				due = true
				b, err := json.Marshal(it.From)
				if err != nil {
					return nil, err
				}
				fields["duedate"] = b
			}
		}
	}
	return json.Marshal(map[string]any{"id": is.ID, "key": is.Key, "fields": fields})
}

// latestDeliverables keeps, of the deliverables in recs, the newest of each
// task (every Mapper call writes the task whole), after the events.
func latestDeliverables(recs []any) []any {
	latest := map[string]ingest.Deliverable{}
	var order []string
	out := recs[:0:0]
	for _, rec := range recs {
		d, ok := rec.(ingest.Deliverable)
		if !ok {
			out = append(out, rec)
			continue
		}
		prev, seen := latest[d.ExternalID]
		if !seen {
			order = append(order, d.ExternalID)
		}
		if !seen || d.UpdatedAt != nil && (prev.UpdatedAt == nil || !d.UpdatedAt.Before(*prev.UpdatedAt)) {
			latest[d.ExternalID] = d
		}
	}
	for _, id := range order {
		out = append(out, latest[id])
	}
	return out
}

package hook

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// The tools' Mappers share what a status change means for the KPIs, so the
// five of them count a transition the same way. What reads each event:
//   - status_changed (and created, reopened) with the phase of its to_status:
//     the operating loop (fragments/loop_segments.sql);
//   - client_review_requested, client_approved, client_changes_requested: the
//     review cycles of approval speed (fragments/review_cycles.sql);
//   - delivered: the loop's delivered phase; on-time delivery reads the
//     deliverable's delivered_at, which the Mappers set on the Deliverable;
//   - due_date_changed with its due_date: promise drift.
//
// Within one transition the extra events share its instant; their
// ExternalIDs end in ":approved", ":changes", ":delivered", ":review",
// ":status", so at one instant (the loop and the review cycles order ties by
// external_id) a decision closes the open review before the deliverable
// moves on, and a request sorts before the status that carries it.

// eventReopened is a task taken back out of delivered; the loop reads it
// like status_changed (spec formats.md lists it; ingest names none).
const eventReopened = "reopened"

// transition is one status change a tool reported.
type transition struct {
	id          string // ExternalID base: the tool's prefix and its own event ids
	typ         string // ingest.EventCreated, ingest.EventStatusChanged or eventReopened
	at          time.Time
	deliverable string
	target      Target
	from, to    string // raw status names; from is "" when the tool does not say
	// done: the tool itself says the task is finished (Jira's statusCategory
	// done, ClickUp's status type closed or done, GitHub's closed action). It
	// decides delivery only for a to status the Mapping does not map: a
	// mapped status says what the org means by it, whatever the tool's
	// category.
	done  bool
	actor string
}

// apply appends the transition's events to out and lists its unmapped
// statuses.
func (m Mapping) apply(t transition, out *Mapped) {
	phase, mapped := m.Phase(t.to)
	fromPhase, fromMapped := m.Phase(t.from)
	if t.to != "" && !mapped {
		out.unmapped(t.to)
	}
	if t.from != "" && !fromMapped {
		out.unmapped(t.from)
	}
	ev := func(suffix, typ string) ingest.TaskEvent {
		return ingest.TaskEvent{Meta: ingest.Meta{ExternalID: t.id + suffix}, OccurredAt: t.at, Type: typ,
			DeliverableID: t.deliverable, TaskID: t.deliverable, ClientID: t.target.Client, ProjectID: t.target.Project,
			FromStatus: t.from, ToStatus: t.to, Actor: t.actor}
	}
	switch m.Outcome(t.to) {
	case OutcomeApproved:
		out.Records = append(out.Records, ev(":approved", ingest.EventClientApproved))
	case OutcomeChangesRequested:
		out.Records = append(out.Records, ev(":changes", ingest.EventClientChangesRequested))
	}
	// Entering, not staying: a move between two client review statuses is
	// the same review, and a second delivery of a delivered task no new one.
	if (phase == PhaseDelivered || !mapped && t.done) && fromPhase != PhaseDelivered {
		out.Records = append(out.Records, ev(":delivered", ingest.EventDelivered))
	}
	if phase == PhaseClientReview && fromPhase != PhaseClientReview {
		out.Records = append(out.Records, ev(":review", ingest.EventClientReviewRequested))
	}
	s := ev(":status", t.typ)
	s.Phase = phase
	out.Records = append(out.Records, s)
}

// delivers reports whether status, with the tool's own done flag, stands for
// a delivered task under m (the rule of transition.done).
func (m Mapping) delivers(status string, done bool) bool {
	phase, mapped := m.Phase(status)
	return phase == PhaseDelivered || !mapped && done
}

func (out *Mapped) unmapped(status string) {
	if !slices.Contains(out.Unmapped, status) {
		out.Unmapped = append(out.Unmapped, status)
	}
}

// dueChanged is a due_date_changed event: promise drift chains their dates.
// due is nil when the due date was removed.
func dueChanged(id string, at time.Time, deliverable string, target Target, due *time.Time, actor string) ingest.TaskEvent {
	return ingest.TaskEvent{Meta: ingest.Meta{ExternalID: id + ":due"}, OccurredAt: at, Type: ingest.EventDueDateChanged,
		DeliverableID: deliverable, TaskID: deliverable, ClientID: target.Client, ProjectID: target.Project,
		DueDate: due, Actor: actor}
}

// deliverable is the row a task stands for. The store replaces a
// deliverable whole, newest updated_at winning, so a Mapper builds one only
// from the task's full state (the payload's issue, or the task fetched with
// the hook's token), never from a partial event that would blank its due
// date or delivery.
func deliverable(id, name string, target Target, due, deliveredAt *time.Time, at time.Time) ingest.Deliverable {
	return ingest.Deliverable{Meta: ingest.Meta{ExternalID: id}, Name: name, ClientID: target.Client,
		ProjectID: target.Project, DueDate: due, DeliveredAt: deliveredAt, InScope: true, UpdatedAt: &at}
}

// tombstone drops a deleted task's deliverable, and its events with it,
// from every KPI.
func tombstone(id string, at time.Time) ingest.Deliverable {
	return ingest.Deliverable{Meta: ingest.Meta{ExternalID: id, Deleted: true}, Name: id, InScope: true, UpdatedAt: &at}
}

// errField is the error of a body that lacks a field its tool's docs
// promise, or holds it in another shape.
func errField(tool, field string, value any) error {
	if value == nil {
		return fmt.Errorf("%s payload: field %s is missing", tool, field)
	}
	return fmt.Errorf("%s payload: field %s: bad value %q", tool, field, fmt.Sprint(value))
}

// decode reads a tool's JSON body; the error names the tool.
func decode(tool string, body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return fmt.Errorf("%s payload: field %s: %s where %s belongs", tool, te.Field, te.Value, te.Type)
		}
		return fmt.Errorf("%s payload: not JSON: %w", tool, err)
	}
	return nil
}

// idString is an id the tools write as a JSON string or number (Jira's
// changelog id is a number in its docs' example and a string elsewhere).
type idString string

func (s *idString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = ""
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err == nil {
		*s = idString(str)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("id %s is neither a string nor a number", b)
	}
	*s = idString(n.String())
	return nil
}

// parseTime reads the instants the tools write: RFC 3339 (GitHub, Trello,
// Asana) and Jira's offsets without a colon ("2009-12-16T23:46:10.612-0600").
// The result is UTC.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q is neither RFC 3339 nor Jira's 2006-01-02T15:04:05.000-0700", s)
}

// parseMillis reads an epoch-millisecond string (Jira's timestamp as a
// number, ClickUp's dates as strings), as UTC.
func parseMillis(s string) (time.Time, error) {
	ms, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || ms < 0 || ms > 1e15 {
		return time.Time{}, fmt.Errorf("%q is not epoch milliseconds", s)
	}
	return time.UnixMilli(ms).UTC(), nil
}

// dateOf is the calendar date of a due instant in the org's time zone
// (Zone; UTC when nil): deliverables keep due dates as dates, and an
// all-day due date a tool sends as midnight in the user's zone
// (2026-03-19T23:00Z for Berlin's 20 March) is that zone's date. Jira and
// Asana send dates already; GitHub's milestone due_on, Trello's due and
// ClickUp's due_date are instants.
func (m Mapping) dateOf(t time.Time) *time.Time {
	if m.Zone != nil {
		t = t.In(m.Zone)
	}
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return &d
}

// instantDate reads an RFC 3339 due instant as its date (dateOf).
func (m Mapping) instantDate(s string) (*time.Time, error) {
	t, err := parseTime(s)
	if err != nil {
		return nil, err
	}
	return m.dateOf(t), nil
}

// millisDate reads an epoch-millisecond due instant (ClickUp's due_date)
// as its date (dateOf).
func (m Mapping) millisDate(s string) (*time.Time, error) {
	t, err := parseMillis(s)
	if err != nil {
		return nil, err
	}
	return m.dateOf(t), nil
}

// optDate reads an optional due field of tool with parse: null or "" is no
// due date, a value parse rejects an error naming field.
func optDate(tool, field string, s *string, parse func(string) (*time.Time, error)) (*time.Time, error) {
	if s == nil || *s == "" {
		return nil, nil
	}
	d, err := parse(*s)
	if err != nil {
		return nil, errField(tool, field, *s)
	}
	return d, nil
}

// parseDate reads a "2006-01-02" date (Jira duedate, Asana due_on).
func parseDate(s string) (*time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil, fmt.Errorf("date %q is not YYYY-MM-DD", s)
	}
	return &t, nil
}

package metrics

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// The monthly client report's records (sql/schema/0019_reports.sql): what
// people write beside the numbers (commentary per client and month, with
// every edit kept; the quarterly retro's texts), the "next month" actions
// and decisions that loop back into the plan, the retros the maturity
// level reads, which KPIs each client's report carries, and the drafts
// prepared on the first workday of a month. The numbers themselves are
// KPIs; this file only keeps what people add to them.

// RecordStore is what the report's records are read and written through.
type RecordStore interface {
	Querier
	Inserter
}

// Note fields: a report's commentary (the client reads it) and internal
// note (the client never does), and a retro's three questions.
const (
	NoteCommentary = "commentary"
	NoteInternal   = "internal"
	NoteWorked     = "worked"
	NoteBroke      = "broke"
	NoteSlowed     = "slowed"
)

// ReportNoteFields and RetroNoteFields are the fields of each kind of text.
var (
	ReportNoteFields = []string{NoteCommentary, NoteInternal}
	RetroNoteFields  = []string{NoteWorked, NoteBroke, NoteSlowed}
)

// MaxNoteLen is the longest text a note field takes, in characters.
const MaxNoteLen = 20_000

// Note is one saved version of a text: a report's (Client set, Period the
// month's first day) or the org's retro's (Client "", Period the quarter's
// first day).
type Note struct {
	Client string    `json:"client,omitempty"`
	Period time.Time `json:"period"`
	Field  string    `json:"field"`
	Body   string    `json:"body"`
	Author string    `json:"author"`
	At     time.Time `json:"at"`
}

// Notes are the texts of one report or retro: the one in force per field,
// and every saved version, oldest first.
type Notes struct {
	Latest  map[string]Note `json:"latest"`
	History []Note          `json:"history"`
}

// Text is the text in force of field ("" when never written).
func (n Notes) Text(field string) string { return n.Latest[field].Body }

// Edits counts the saved versions of field.
func (n Notes) Edits(field string) int {
	c := 0
	for _, x := range n.History {
		if x.Field == field {
			c++
		}
	}
	return c
}

// MonthStart is the first day of t's month (UTC midnight).
func MonthStart(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// QuarterStart is the first day of t's calendar quarter (UTC midnight).
func QuarterStart(t time.Time) time.Time {
	return time.Date(t.Year(), (t.Month()-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC)
}

// ParseMonth reads a month as YYYY-MM into its first day. Errors wrap
// ErrBadRequest and name the value.
func ParseMonth(s string) (time.Time, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return time.Time{}, badf("month %q: not a month as YYYY-MM, such as 2026-11", s)
	}
	return t, nil
}

// ParseQuarter reads a quarter as YYYY-Qn (2026-Q3) into its first day.
// Errors wrap ErrBadRequest and name the value.
func ParseQuarter(s string) (time.Time, error) {
	var y, q int
	if n, err := fmt.Sscanf(strings.ToUpper(s), "%4d-Q%1d", &y, &q); err != nil || n != 2 || q < 1 || q > 4 || len(s) != 7 {
		return time.Time{}, badf("quarter %q: not a quarter as YYYY-Qn, such as 2026-Q3", s)
	}
	return time.Date(y, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, time.UTC), nil
}

// QuarterLabel writes a quarter's first day as YYYY-Qn.
func QuarterLabel(q time.Time) string {
	return fmt.Sprintf("%d-Q%d", q.Year(), (int(q.Month())-1)/3+1)
}

// LoadNotes reads the texts of client's report of the month starting at
// period, or of the org's retro of a quarter with client "".
func LoadNotes(ctx context.Context, q Querier, orgID, client string, period time.Time) (Notes, error) {
	rows, err := q.Query(ctx, store.QueryText("report_notes"), store.Params{"org": orgID, "client": client, "period": period})
	if err != nil {
		return Notes{}, fmt.Errorf("report notes: %w", err)
	}
	out := Notes{Latest: map[string]Note{}, History: make([]Note, rows.Len())}
	for i := range out.History {
		n := &out.History[i]
		if err := rows.Scan(i, &n.Field, &n.Body, &n.Author, &n.At); err != nil {
			return Notes{}, fmt.Errorf("report notes: %w", err)
		}
		n.Client, n.Period = client, period
		out.Latest[n.Field] = *n
	}
	slices.SortStableFunc(out.History, func(a, b Note) int { return a.At.Compare(b.At) })
	return out, nil
}

// CommentaryWritten returns the clients of org whose report of the month
// starting at period has commentary in force, as a set.
func CommentaryWritten(ctx context.Context, q Querier, orgID string, period time.Time) (map[string]bool, error) {
	rows, err := q.Query(ctx, store.QueryText("report_commentary_written"), store.Params{"org": orgID, "period": period})
	if err != nil {
		return nil, fmt.Errorf("report commentary: %w", err)
	}
	out := make(map[string]bool, rows.Len())
	for i := range rows.Len() {
		var c string
		if err := rows.Scan(i, &c); err != nil {
			return nil, fmt.Errorf("report commentary: %w", err)
		}
		out[c] = true
	}
	return out, nil
}

// SaveNote stores a new version of a text, written by n.Author at now. A
// text equal to the one in force writes nothing (saved is false). Errors
// (ErrBadRequest) name a field that is not a report's or a retro's, or a
// text too long; the store's otherwise.
func SaveNote(ctx context.Context, s RecordStore, orgID string, n Note, now time.Time) (saved bool, err error) {
	fields := ReportNoteFields
	if n.Client == "" {
		fields = RetroNoteFields
	}
	if !slices.Contains(fields, n.Field) {
		return false, badf("field %q: not one of %s", n.Field, strings.Join(fields, ", "))
	}
	n.Body = strings.TrimSpace(strings.ReplaceAll(n.Body, "\r\n", "\n"))
	if l := utf8.RuneCountInString(n.Body); l > MaxNoteLen {
		return false, badf("%s: %d characters, at most %d", n.Field, l, MaxNoteLen)
	}
	if !utf8.ValidString(n.Body) {
		return false, badf("%s: not UTF-8 text", n.Field)
	}
	have, err := LoadNotes(ctx, s, orgID, n.Client, n.Period)
	if err != nil {
		return false, err
	}
	old, ok := have.Latest[n.Field]
	if ok && old.Body == n.Body || !ok && n.Body == "" {
		return false, nil
	}
	// The version in force is the latest by at: a save in the same
	// millisecond as the one in force (or behind it, by a clock that
	// stepped back) is written just after it, so it is the one in force
	// whatever order the engine reads ties in.
	at := now.UTC().Truncate(time.Millisecond)
	if ok && !at.After(old.At) {
		at = old.At.Add(time.Millisecond)
	}
	err = s.Insert(ctx, &store.Batch{
		Table:   "ops.report_notes",
		Columns: []string{"org_id", "client_id", "period", "field", "body", "author", "at"},
		Values: []any{[]string{orgID}, []string{n.Client}, []time.Time{n.Period}, []string{n.Field}, []string{n.Body},
			[]string{n.Author}, []time.Time{at}},
	})
	return err == nil, err
}

// Action origins, kinds and statuses.
const (
	OriginReport   = "report"
	OriginRetro    = "retro"
	ActionKind     = "action"
	DecisionKind   = "decision"
	ActionOpen     = "open"
	ActionClosed   = "closed"
	MaxActionTitle = 300
)

// Action is a "next month" item of a client's report (Origin report,
// Client set, Period the report's month) or of a retro (Origin retro,
// Client "", Period the quarter): an action or decision with an owner
// (a person of the org) and a due date, open until someone closes it.
type Action struct {
	ID        string     `json:"id"`
	Client    string     `json:"client,omitempty"`
	Origin    string     `json:"origin"`
	Period    time.Time  `json:"period"`
	Kind      string     `json:"kind"`
	Title     string     `json:"title"`
	Owner     string     `json:"owner"`
	OwnerName string     `json:"owner_name,omitempty"`
	Due       time.Time  `json:"due"`
	Status    string     `json:"status"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	ClosedBy  string     `json:"closed_by,omitempty"`
	ClosedAt  *time.Time `json:"closed_at,omitempty"`
	// ClientName is the client's name, for lists across clients.
	ClientName string `json:"client_name,omitempty"`
}

// Overdue reports whether a is open and its due day is before today (the
// org's calendar day as UTC midnight, see Today).
func (a Action) Overdue(today time.Time) bool {
	return a.Status == ActionOpen && a.Due.Before(today)
}

var actionIDRE = regexp.MustCompile(`^ac_[0-9a-f]{12}$`)

// ActionFilter picks actions: of one client (Client), one origin, one
// period (non-zero Period), open ones only.
type ActionFilter struct {
	Client   string
	Origin   string
	Period   time.Time
	OpenOnly bool
}

// ListActions returns org's actions that f picks, open first and then by
// due date, with their owners' and clients' names.
func ListActions(ctx context.Context, q Querier, orgID string, f ActionFilter) ([]Action, error) {
	rows, err := q.Query(ctx, store.QueryText("report_actions"), store.Params{"org": orgID})
	if err != nil {
		return nil, fmt.Errorf("actions: %w", err)
	}
	var out []Action
	for i := range rows.Len() {
		var a Action
		if err := rows.Scan(i, &a.ID, &a.Client, &a.Origin, &a.Period, &a.Kind, &a.Title, &a.Owner, &a.Due, &a.Status,
			&a.CreatedBy, &a.CreatedAt, &a.ClosedBy, &a.ClosedAt); err != nil {
			return nil, fmt.Errorf("actions: %w", err)
		}
		if f.Client != "" && a.Client != f.Client || f.Origin != "" && a.Origin != f.Origin ||
			!f.Period.IsZero() && !a.Period.Equal(f.Period) || f.OpenOnly && a.Status != ActionOpen {
			continue
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return out, nil
	}
	n, err := LoadNames(ctx, q, orgID)
	if err != nil {
		return nil, fmt.Errorf("actions: %w", err)
	}
	for i := range out {
		out[i].OwnerName = nameOf(n, "person", out[i].Owner)
		if out[i].Client != "" {
			out[i].ClientName = nameOf(n, "client", out[i].Client)
		}
	}
	return out, nil
}

// AddAction checks and stores a new action of org made by who at now: the
// client (a report's) and the owner are resolved as filters are (an id or
// a unique name) and must exist; the title is 1–300 characters; the kind
// action or decision; Due set. It returns what was stored, open. Errors:
// ErrBadRequest (wrapped, *FilterError for an unknown client or owner);
// the store's, or the audit trail's, otherwise.
func AddAction(ctx context.Context, s RecordStore, orgID, who string, a Action, now time.Time) (Action, error) {
	if a.Origin == "" {
		a.Origin = OriginReport
		if a.Client == "" {
			a.Origin = OriginRetro
		}
	}
	if a.Kind == "" {
		a.Kind = ActionKind
	}
	a.Title = strings.Join(strings.Fields(a.Title), " ")
	switch {
	case a.Origin != OriginReport && a.Origin != OriginRetro:
		return a, badf("origin %q: report or retro", a.Origin)
	case a.Origin == OriginReport && a.Client == "":
		return a, badf("client: a report's action needs its client")
	case a.Kind != ActionKind && a.Kind != DecisionKind:
		return a, badf("kind %q: action or decision", a.Kind)
	case a.Title == "":
		return a, badf("title: empty; say what is to be done or what was decided")
	case utf8.RuneCountInString(a.Title) > MaxActionTitle:
		return a, badf("title: %d characters, at most %d", utf8.RuneCountInString(a.Title), MaxActionTitle)
	case a.Owner == "":
		return a, badf("owner: empty; name the person who owns it")
	case a.Due.IsZero():
		return a, badf("due: empty; give a due date as YYYY-MM-DD")
	case a.Period.IsZero():
		return a, badf("period: empty")
	}
	n, err := LoadNames(ctx, s, orgID)
	if err != nil {
		return a, err
	}
	if a.Owner, err = n.Resolve(ctx, "person", a.Owner); err != nil {
		return a, err
	}
	if a.Origin == OriginRetro {
		a.Client = ""
	} else if a.Client, err = n.Resolve(ctx, "client", a.Client); err != nil {
		return a, err
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return a, err
	}
	a.ID = "ac_" + hex.EncodeToString(b[:])
	a.Status, a.CreatedBy, a.CreatedAt, a.ClosedBy, a.ClosedAt = ActionOpen, who, now.UTC().Truncate(time.Millisecond), "", nil
	a.OwnerName = nameOf(n, "person", a.Owner)
	if a.Client != "" {
		a.ClientName = nameOf(n, "client", a.Client)
	}
	if err := writeAction(ctx, s, orgID, a, false, now); err != nil {
		return a, err
	}
	return a, recordAction(ctx, s, orgID, who, nil, &a, now)
}

// SetActionStatus closes (closed true) or reopens an action of org, by
// who at now, and returns it as stored. found is false, and nothing is
// written, when the org has no action id; an action already so is
// returned unchanged.
func SetActionStatus(ctx context.Context, s RecordStore, orgID, who, id string, closed bool, now time.Time) (a Action, found bool, err error) {
	before, found, err := findAction(ctx, s, orgID, id)
	if err != nil || !found {
		return before, found, err
	}
	a = before
	switch {
	case closed && a.Status != ActionClosed:
		at := now.UTC().Truncate(time.Millisecond)
		a.Status, a.ClosedBy, a.ClosedAt = ActionClosed, who, &at
	case !closed && a.Status != ActionOpen:
		a.Status, a.ClosedBy, a.ClosedAt = ActionOpen, "", nil
	default:
		return a, true, nil
	}
	if err := writeAction(ctx, s, orgID, a, false, now); err != nil {
		return a, true, err
	}
	return a, true, recordAction(ctx, s, orgID, who, &before, &a, now)
}

// RemoveAction removes an action of org (one added by mistake; a done one
// is closed instead). found is false, and nothing is written, when the
// org has no action id.
func RemoveAction(ctx context.Context, s RecordStore, orgID, who, id string, now time.Time) (found bool, err error) {
	a, found, err := findAction(ctx, s, orgID, id)
	if err != nil || !found {
		return found, err
	}
	if err := writeAction(ctx, s, orgID, a, true, now); err != nil {
		return true, err
	}
	return true, recordAction(ctx, s, orgID, who, &a, nil, now)
}

func findAction(ctx context.Context, q Querier, orgID, id string) (Action, bool, error) {
	if !actionIDRE.MatchString(id) {
		return Action{}, false, nil
	}
	all, err := ListActions(ctx, q, orgID, ActionFilter{})
	if err != nil {
		return Action{}, false, err
	}
	i := slices.IndexFunc(all, func(a Action) bool { return a.ID == id })
	if i < 0 {
		return Action{}, false, nil
	}
	return all[i], true, nil
}

func writeAction(ctx context.Context, s Inserter, orgID string, a Action, deleted bool, now time.Time) error {
	var del uint8
	if deleted {
		del = 1
	}
	return s.Insert(ctx, &store.Batch{
		Table: "ops.report_actions",
		Columns: []string{"org_id", "action_id", "client_id", "origin", "period", "kind", "title", "owner", "due", "status",
			"created_by", "created_at", "closed_by", "closed_at", "version", "deleted"},
		Values: []any{[]string{orgID}, []string{a.ID}, []string{a.Client}, []string{a.Origin}, []time.Time{a.Period},
			[]string{a.Kind}, []string{a.Title}, []string{a.Owner}, []time.Time{a.Due}, []string{a.Status},
			[]string{a.CreatedBy}, []time.Time{a.CreatedAt}, []string{a.ClosedBy}, []*time.Time{a.ClosedAt},
			[]uint64{uint64(now.UnixMicro())}, []uint8{del}},
	})
}

// actionShown is what the audit trail keeps of an action.
func actionShown(a Action) map[string]string {
	return map[string]string{"kind": a.Kind, "title": a.Title, "owner": a.Owner, "due": a.Due.Format(time.DateOnly),
		"status": a.Status, "client": a.Client, "origin": a.Origin}
}

func recordAction(ctx context.Context, s Inserter, orgID, who string, before, after *Action, now time.Time) error {
	c := org.Change{Org: orgID, Who: who, Kind: org.AuditAction, At: now}
	for _, a := range []*Action{before, after} {
		if a != nil {
			c.Subject, c.Name = a.ID, a.Title
		}
	}
	if before != nil {
		c.Before = org.JSON(actionShown(*before))
	}
	if after != nil {
		c.After = org.JSON(actionShown(*after))
	}
	if err := org.Record(ctx, s, c); err != nil {
		return fmt.Errorf("action %s saved, but not recorded in the audit trail: %w", c.Subject, err)
	}
	return nil
}

// Retro is the org's retrospective of a quarter: when it was held (its
// texts are Notes with client "" and its actions Actions of origin retro).
type Retro struct {
	Quarter   time.Time `json:"quarter"`
	HeldOn    time.Time `json:"held_on"`
	Author    string    `json:"author"`
	CreatedAt time.Time `json:"created_at"`
}

// ListRetros returns org's retros, newest quarter first.
func ListRetros(ctx context.Context, q Querier, orgID string) ([]Retro, error) {
	rows, err := q.Query(ctx, store.QueryText("retros_list"), store.Params{"org": orgID})
	if err != nil {
		return nil, fmt.Errorf("retros: %w", err)
	}
	out := make([]Retro, rows.Len())
	for i := range out {
		r := &out[i]
		if err := rows.Scan(i, &r.Quarter, &r.HeldOn, &r.Author, &r.CreatedAt); err != nil {
			return nil, fmt.Errorf("retros: %w", err)
		}
	}
	return out, nil
}

// SaveRetro stores that org's retro of r.Quarter was held on r.HeldOn, by
// who at now, replacing the day saved before. The day must fall in the
// quarter or after it, and not after today (the org's day as UTC
// midnight). Errors: ErrBadRequest naming the day; the store's otherwise.
func SaveRetro(ctx context.Context, s RecordStore, orgID, who string, r Retro, today, now time.Time) (Retro, error) {
	r.Quarter = QuarterStart(r.Quarter)
	switch {
	case r.HeldOn.IsZero():
		return r, badf("held_on: empty; give the day it was held as YYYY-MM-DD")
	case r.HeldOn.Before(r.Quarter):
		return r, badf("held_on %s: before the quarter %s began", r.HeldOn.Format(time.DateOnly), QuarterLabel(r.Quarter))
	case r.HeldOn.After(today):
		return r, badf("held_on %s: in the future; save a retro once it is held", r.HeldOn.Format(time.DateOnly))
	}
	r.Author, r.CreatedAt = who, now.UTC().Truncate(time.Millisecond)
	if err := writeRetro(ctx, s, orgID, r, false, now); err != nil {
		return r, err
	}
	if err := org.Record(ctx, s, org.Change{Org: orgID, Who: who, Kind: org.AuditRetro, Subject: QuarterLabel(r.Quarter),
		Name: "retro " + QuarterLabel(r.Quarter), After: org.JSON(map[string]string{"held_on": r.HeldOn.Format(time.DateOnly)}), At: now}); err != nil {
		return r, fmt.Errorf("retro %s saved, but not recorded in the audit trail: %w", QuarterLabel(r.Quarter), err)
	}
	return r, nil
}

func writeRetro(ctx context.Context, s Inserter, orgID string, r Retro, deleted bool, now time.Time) error {
	var del uint8
	if deleted {
		del = 1
	}
	return s.Insert(ctx, &store.Batch{
		Table:   "ops.retros",
		Columns: []string{"org_id", "quarter", "held_on", "author", "created_at", "version", "deleted"},
		Values: []any{[]string{orgID}, []time.Time{r.Quarter}, []time.Time{r.HeldOn}, []string{r.Author}, []time.Time{r.CreatedAt},
			[]uint64{uint64(now.UnixMicro())}, []uint8{del}},
	})
}

// Report sections a client's report can carry ("contracted KPIs"), each
// with the KPIs it reads and what its optional target means.
const (
	SectionRetainerHours = "retainer_hours" // retainer hours used against contracted, and the overage forecast
	SectionDeliverables  = "deliverables"   // shipped, on time and late with their slips; target: on-time rate (ratio)
	SectionApprovals     = "approvals"      // approval times and revision rounds; target: approval p50 (hours)
	SectionWriteOffs     = "write_offs"     // write-offs with reasons; target: write-off hours rate at most (ratio)
	SectionBudgetBurn    = "budget_burn"    // budget used, remaining and the forecast per project
)

// ReportSections lists every section in the order a report shows them.
var ReportSections = []string{SectionRetainerHours, SectionBudgetBurn, SectionDeliverables, SectionApprovals, SectionWriteOffs}

// DefaultSections are the sections a client's report carries until
// someone chooses: retainer hours for a client with a retainer project,
// budget burn for one with a budgeted project (or with no retainer), and
// always deliverables, approvals and write-offs.
func DefaultSections(retainer, budget bool) []string {
	var out []string
	if retainer {
		out = append(out, SectionRetainerHours)
	}
	if budget || !retainer {
		out = append(out, SectionBudgetBurn)
	}
	return append(out, SectionDeliverables, SectionApprovals, SectionWriteOffs)
}

// ContractKPI is a section a client's report carries, with the target the
// contract sets for it (nil for none; see the Section constants for its
// unit).
type ContractKPI struct {
	Section string           `json:"kpi"`
	Target  *decimal.Decimal `json:"target,omitempty"`
}

// ReportSettings are what a client's report carries and who receives it.
// Stored is false for a client whose report takes its kind's default.
type ReportSettings struct {
	Client     string        `json:"client"`
	Retainer   bool          `json:"retainer"` // the client has a retainer project
	Budget     bool          `json:"budget"`   // the client has a budgeted project that is not a retainer
	Internal   bool          `json:"internal"` // every project of the client is internal work: no monthly report
	Stored     bool          `json:"stored"`
	Contract   []ContractKPI `json:"contract"`
	Recipients []string      `json:"recipients"`
	UpdatedBy  string        `json:"updated_by,omitempty"`
	UpdatedAt  *time.Time    `json:"updated_at,omitempty"`
	ClientName string        `json:"client_name,omitempty"`
}

// Has reports whether the report carries section.
func (r ReportSettings) Has(section string) bool {
	return slices.ContainsFunc(r.Contract, func(c ContractKPI) bool { return c.Section == section })
}

// Target is the contract's target of section, nil for none.
func (r ReportSettings) Target(section string) *decimal.Decimal {
	if i := slices.IndexFunc(r.Contract, func(c ContractKPI) bool { return c.Section == section }); i >= 0 {
		return r.Contract[i].Target
	}
	return nil
}

// LoadReportSettings reads the report settings of client of org, or of
// every client with client "", by client id. An unknown client is a
// *FilterError (ErrBadRequest) naming it.
func LoadReportSettings(ctx context.Context, q Querier, orgID, client string) ([]ReportSettings, error) {
	n, err := LoadNames(ctx, q, orgID)
	if err != nil {
		return nil, err
	}
	return loadReportSettings(ctx, q, n, orgID, client)
}

// loadReportSettings is LoadReportSettings with the org's names read
// already.
func loadReportSettings(ctx context.Context, q Querier, n *Names, orgID, client string) (_ []ReportSettings, err error) {
	if client != "" {
		if client, err = n.Resolve(ctx, "client", client); err != nil {
			return nil, err
		}
	}
	rows, err := q.Query(ctx, store.QueryText("client_report_settings"), store.Params{"org": orgID, "client": client})
	if err != nil {
		return nil, fmt.Errorf("report settings: %w", err)
	}
	out := make([]ReportSettings, rows.Len())
	for i := range out {
		r := &out[i]
		var contract string
		if err := rows.Scan(i, &r.Client, &r.Retainer, &r.Budget, &r.Internal, &r.Stored, &contract, &r.Recipients, &r.UpdatedBy, &r.UpdatedAt); err != nil {
			return nil, fmt.Errorf("report settings: %w", err)
		}
		r.ClientName = nameOf(n, "client", r.Client)
		if r.Stored {
			if err := json.Unmarshal([]byte(contract), &r.Contract); err != nil {
				return nil, fmt.Errorf("report settings of client %s: %w", r.Client, err)
			}
			continue
		}
		for _, s := range DefaultSections(r.Retainer, r.Budget) {
			r.Contract = append(r.Contract, ContractKPI{Section: s})
		}
		r.Recipients = []string{}
	}
	if client != "" && len(out) == 0 {
		// a client the data uses without a record naming it
		return []ReportSettings{{Client: client, ClientName: nameOf(n, "client", client), Recipients: []string{},
			Contract: []ContractKPI{{Section: SectionDeliverables}, {Section: SectionApprovals}, {Section: SectionWriteOffs}}}}, nil
	}
	return out, nil
}

// SaveReportSettings checks and stores what client's report carries and
// who receives it, by who at now. Sections must be ReportSections, each
// once; a target in its section's unit (a ratio 0–1, or hours 0–8784);
// recipients email addresses. Errors: ErrBadRequest naming the field and
// value; the store's or the audit trail's otherwise.
func SaveReportSettings(ctx context.Context, s RecordStore, orgID, who string, r ReportSettings, now time.Time) (ReportSettings, error) {
	have, err := LoadReportSettings(ctx, s, orgID, r.Client)
	if err != nil {
		return r, err
	}
	before := have[0]
	r.Client, r.Retainer, r.ClientName = before.Client, before.Retainer, before.ClientName
	seen := map[string]bool{}
	for _, c := range r.Contract {
		if !slices.Contains(ReportSections, c.Section) {
			return r, badf("kpi %q: not a report section; one of %s", c.Section, strings.Join(ReportSections, ", "))
		}
		if seen[c.Section] {
			return r, badf("kpi %q: given twice", c.Section)
		}
		seen[c.Section] = true
		if c.Target == nil {
			continue
		}
		limit := decimal.NewFromInt(1)
		if c.Section == SectionApprovals {
			limit = decimal.NewFromInt(24 * 366)
		}
		if c.Section == SectionRetainerHours || c.Section == SectionBudgetBurn {
			return r, badf("target of %s: its contract is the project's own budget or retainer hours; set those in Settings › Clients and projects", c.Section)
		}
		if c.Target.IsNegative() || c.Target.GreaterThan(limit) {
			return r, badf("target of %s %s: must be between 0 and %s", c.Section, c.Target, limit)
		}
	}
	if len(r.Contract) == 0 {
		return r, badf("kpi: none chosen; a report carries at least one section")
	}
	if r.Recipients == nil {
		r.Recipients = []string{}
	}
	for i, to := range r.Recipients {
		a, err := mail.ParseAddress(to)
		if err != nil || a.Name != "" {
			return r, badf("recipients %q: not an email address", to)
		}
		r.Recipients[i] = strings.ToLower(a.Address)
	}
	at := now.UTC().Truncate(time.Millisecond)
	r.Stored, r.UpdatedBy, r.UpdatedAt = true, who, &at
	contract, err := json.Marshal(r.Contract)
	if err != nil {
		return r, err
	}
	if err := s.Insert(ctx, &store.Batch{
		Table:   "ops.client_reports",
		Columns: []string{"org_id", "client_id", "contract", "recipients", "updated_by", "updated_at", "version"},
		Values: []any{[]string{orgID}, []string{r.Client}, []string{string(contract)}, [][]string{r.Recipients}, []string{who},
			[]time.Time{at}, []uint64{uint64(now.UnixMicro())}},
	}); err != nil {
		return r, err
	}
	shown := func(x ReportSettings) map[string]any {
		return map[string]any{"contract": x.Contract, "recipients": x.Recipients}
	}
	c := org.Change{Org: orgID, Who: who, Kind: org.AuditReport, Subject: r.Client, Name: r.ClientName, After: org.JSON(shown(r)), At: now}
	if before.Stored {
		c.Before = org.JSON(shown(before))
	}
	if err := org.Record(ctx, s, c); err != nil {
		return r, fmt.Errorf("report settings of %s saved, but not recorded in the audit trail: %w", r.Client, err)
	}
	return r, nil
}

// Draft statuses.
const (
	DraftPrepared = "draft"
	DraftSent     = "sent"
)

// Draft is a client's report of a month, prepared for review on the next
// month's first workday, and sent (or not) from the app.
type Draft struct {
	Client     string     `json:"client"`
	ClientName string     `json:"client_name,omitempty"`
	Month      time.Time  `json:"month"`
	Status     string     `json:"status"`
	PreparedAt time.Time  `json:"prepared_at"`
	SentAt     *time.Time `json:"sent_at,omitempty"`
	SentBy     string     `json:"sent_by,omitempty"`
	SentTo     []string   `json:"sent_to,omitempty"`
}

// ListDrafts returns org's drafts of the month starting at month, by client.
func ListDrafts(ctx context.Context, q Querier, orgID string, month time.Time) ([]Draft, error) {
	rows, err := q.Query(ctx, store.QueryText("report_drafts"), store.Params{"org": orgID, "month": month})
	if err != nil {
		return nil, fmt.Errorf("report drafts: %w", err)
	}
	out := make([]Draft, rows.Len())
	for i := range out {
		d := &out[i]
		if err := rows.Scan(i, &d.Client, &d.Status, &d.PreparedAt, &d.SentAt, &d.SentBy, &d.SentTo); err != nil {
			return nil, fmt.Errorf("report drafts: %w", err)
		}
		d.Month = month
	}
	if len(out) > 0 {
		n, err := LoadNames(ctx, q, orgID)
		if err != nil {
			return nil, err
		}
		for i := range out {
			out[i].ClientName = nameOf(n, "client", out[i].Client)
		}
	}
	return out, nil
}

// WriteDraft stores d as org's draft of d.Client and d.Month, replacing the
// one stored (prepared, or marked sent).
func WriteDraft(ctx context.Context, s Inserter, orgID string, d Draft, now time.Time) error {
	if d.SentTo == nil {
		d.SentTo = []string{}
	}
	return s.Insert(ctx, &store.Batch{
		Table:   "ops.report_drafts",
		Columns: []string{"org_id", "client_id", "month", "status", "prepared_at", "sent_at", "sent_by", "sent_to", "version"},
		Values: []any{[]string{orgID}, []string{d.Client}, []time.Time{d.Month}, []string{d.Status}, []time.Time{d.PreparedAt},
			[]*time.Time{d.SentAt}, []string{d.SentBy}, [][]string{d.SentTo}, []uint64{uint64(now.UnixMicro())}},
	})
}

// nameOf is the name of kind's id, or the id when no record names it.
func nameOf(n *Names, kind, id string) string {
	if name, ok := n.Name(kind, id); ok && name != "" {
		return name
	}
	return id
}

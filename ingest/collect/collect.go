// Package collect pulls an org's data from the tools it connects (Harvest
// first; Toggl, Clockify, Forecast, Float and Runn plug in beside it, one
// file each) and writes it through the importer, as one batch per sync, with
// the same canonical records, validation, batch lifecycle and Changed
// callback as a file import. A Source is one connected account; a Tool knows
// one kind of account; the Collector (sync.go) runs a Tool for a Source,
// turns what it emits into an import, finds deletions in the windows the
// tool re-listed, and advances the Source's Cursor only once the batch is
// visible.
package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// Source is one account of a tool connected to an org. Its token is not
// here: it is stored sealed (auth.Sealer) and handed to a Tool only in a
// Pull, so a Source can be printed, logged and returned by the API.
type Source struct {
	Org  string `json:"org"`
	ID   string `json:"id"`   // src_<hex>, made by Sources.Add
	Kind string `json:"kind"` // a Tool's Kind: harvest, toggl, ...
	// AccountID is the tool's account (Harvest-Account-Id); Workspace its
	// workspace (Toggl, Clockify). A Tool's Check says which it needs.
	AccountID string `json:"account_id,omitempty"`
	Workspace string `json:"workspace,omitempty"`
	// BaseURL overrides the tool's API root (self-hosted, regional, tests);
	// "" is the tool's own.
	BaseURL string `json:"base_url,omitempty"`
	// Since is the first date pulled; the zero time lets the tool choose
	// (DefaultSince before the first sync).
	Since time.Time `json:"since,omitzero"`
	Every Every     `json:"every"` // how often serve syncs it
	// CreatedAt is when it was added.
	CreatedAt time.Time `json:"created_at"`
}

// Every is how often a source is synced. JSON shows it as a duration
// such as "15m0s", as the CLI prints it, not as nanoseconds.
type Every time.Duration

// String is the duration as Go writes it: 15m0s.
func (e Every) String() string { return time.Duration(e).String() }

// MarshalJSON writes e as a string such as "15m0s".
func (e Every) MarshalJSON() ([]byte, error) { return json.Marshal(e.String()) }

// Account is what scopes the tool's ids: two accounts of one tool in one
// org never share a record key (see Pull.Key).
func (s Source) Account() string {
	if s.AccountID != "" {
		return s.AccountID
	}
	return s.Workspace
}

// Cursor is where a source's next incremental sync starts. The Collector
// stores it with the source's state and advances it only after the sync's
// batch is visible, so a sync cut midway is read again whole.
type Cursor struct {
	// UpdatedSince is the tool's own clock at the start of the last
	// successful sync (a Harvest updated_since, a Toggl since): records
	// changed at or after it are read again. Zero: read everything.
	UpdatedSince time.Time `json:"updated_since,omitzero"`
	// Token is anything else a tool needs to resume (opaque to the
	// Collector); "" for Harvest.
	Token string `json:"token,omitempty"`
}

// Pull is one sync's request to a Tool.
type Pull struct {
	Source Source
	// Token is the plaintext credential. A Tool sends it only in the
	// request headers the tool's API documents and never puts it in an
	// error, a log line or a record; the Client redacts it from errors it
	// returns anyway.
	Token string
	// Cursor is the last successful sync's (zero for the first or a --full
	// sync): a Tool reads what changed since then.
	Cursor Cursor
	// Window is the span of dates the Tool re-lists in full, to find what
	// the tool deleted without saying so (Harvest): [From, To], both
	// inclusive. For a --full sync From is the source's Since.
	Window Window
	Full   bool
	// Client is the polite HTTP client a Tool must use: rate limits,
	// Retry-After, backoff, a 401 as ErrNeedsToken, the token redacted.
	Client *Client
	// Now is the sync's clock.
	Now time.Time
}

// Key is the external id of a record of kind (entry, user, client,
// project, invoice, ...) with the tool's id id: "api:<account>:<kind>:<id>".
// Every id a Tool writes, in a record or in a reference to another record,
// goes through Key, so references match and a re-sync replaces what the
// last one wrote. The "api:" prefix keeps these keys apart from the keys
// the CSV parsers derive for the same tool ("harvest-<hash>-<n>").
func (p Pull) Key(kind, id string) string {
	return "api:" + p.Source.Account() + ":" + kind + ":" + id
}

// Window is a span of dates, both inclusive.
type Window struct{ From, To time.Time }

// Contains reports whether d is within w.
func (w Window) Contains(d time.Time) bool { return !d.Before(w.From) && !d.After(w.To) }

// Emitter takes what a Tool pulls. It is the Collector's; a Tool calls it
// from the goroutine that runs Pull.
type Emitter interface {
	// Emit takes one canonical record by value (ingest.Person, Client,
	// Project, TimeEntry, Allocation, TimeOff, InvoiceLine, ...). Its Meta's
	// Org and Source are set by the Collector; ExternalID must be a Pull.Key.
	// A record with Meta.Deleted is a tombstone: a deletion the tool
	// reported (Toggl's server_deleted_at). Refs, for a time entry, names
	// what the Tool could not give as ids (nil when PersonID, ClientID and
	// ProjectID are set); they are resolved like an export's. Records that
	// others refer to must be emitted first (people, clients and projects
	// before the entries on them). A *ingest.RowError is a record the tool
	// could not read in full: counted as rejected and shown in the sync's
	// errors (its File and Line are set here). Emit returns an error only
	// when the sync must stop (its context ended, the store failed).
	Emit(record any, refs *ingest.Refs) error
	// Listed declares that the Tool emitted every live record of entity
	// (an ingest.Entity Name: "time_entry", "allocation") whose date lies
	// in w: the Collector deletes this source's stored records of the
	// entity in w that were not emitted. Call it after the last Emit of
	// the listing; a Tool whose API reports deletions need not call it.
	Listed(entity string, w Window)
}

// Tool pulls one kind of source. Implementations are stateless values
// listed in tools (kinds.go); a new tool is one file with its Tool and
// one line there.
type Tool interface {
	// Kind is the name users type (--kind harvest) and the Source of its
	// records' Meta.
	Kind() string
	// Check reports what a Source of this kind lacks (Harvest needs an
	// account id), as an error a person can act on.
	Check(s Source) error
	// Pull reads what changed since p.Cursor (everything in p.Window when
	// p.Full or the cursor is zero), emits it to out, and returns the
	// cursor the next sync starts from. It returns ErrNeedsToken (wrapped)
	// when the tool refused the token, an *APIError for another answer it
	// cannot use, ctx's error when cancelled. What it emitted before an
	// error is discarded: nothing of a failed sync becomes visible.
	Pull(ctx context.Context, p Pull, out Emitter) (Cursor, error)
}

// Errors of a sync. Test with errors.Is.
var (
	// ErrNeedsToken: the tool refused the token (401). The source is
	// marked needs-token and not synced again until a new token is given.
	ErrNeedsToken = errors.New("the tool refused the token: give the source a new one")
	// ErrUnknownKind: no Tool of that kind.
	ErrUnknownKind = errors.New("unknown source kind")
	// ErrNotFound: no source with that id in the org.
	ErrNotFound = errors.New("no such source")
)

// APIError is an answer of a tool's API that a sync cannot use. Its text
// holds the method, the path (no query, no token) and the status.
type APIError struct {
	Kind   string
	Method string
	Path   string
	Status int
	Body   string // the first 200 bytes of the answer, token redacted
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s %s %s: %d %s: %s", e.Kind, e.Method, e.Path, e.Status, http.StatusText(e.Status), e.Body)
}

// Lookup returns the Tool of kind, or an error wrapping ErrUnknownKind
// that names kind and the known ones.
func Lookup(kind string) (Tool, error) {
	for _, t := range tools {
		if t.Kind() == kind {
			return t, nil
		}
	}
	return nil, fmt.Errorf("%w %q (one of %s)", ErrUnknownKind, kind, strings.Join(Kinds(), ", "))
}

// Kinds lists the kinds of every Tool, sorted.
func Kinds() []string {
	out := make([]string, 0, len(tools))
	for _, t := range tools {
		out = append(out, t.Kind())
	}
	slices.Sort(out)
	return out
}

// DefaultWindow is how far back an incremental sync re-lists to find
// deletions a tool does not report (issue 15: the last 60 days).
const DefaultWindow = 60 * 24 * time.Hour

// DefaultSince is how far back a source without Since starts.
const DefaultSince = 365 * 24 * time.Hour

package collect

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// Store is the part of the store Sources needs.
type Store interface {
	Query(ctx context.Context, query string, params store.Params) (*store.Rows, error)
	Insert(ctx context.Context, b *store.Batch) error
}

// State is how a source's syncs went: the latest attempt's outcome and the
// cursor of the last successful one.
type State struct {
	Cursor       Cursor     `json:"cursor"`
	LastAttempt  *time.Time `json:"last_attempt,omitempty"`
	LastSuccess  *time.Time `json:"last_success,omitempty"`
	FailingSince *time.Time `json:"failing_since,omitempty"` // the first failure since the last success
	LastError    string     `json:"last_error,omitempty"`    // in words, token redacted; "" after a success
	NeedsToken   bool       `json:"needs_token"`             // the tool refused the token: `source add` it again
	RowsAdded    uint64     `json:"rows_added"`              // by the last successful sync
	RowsUpdated  uint64     `json:"rows_updated"`
	RowsDeleted  uint64     `json:"rows_deleted"`
}

// Status is a source with its state: what `source list` and the API show.
// It holds no token, sealed or not.
type Status struct {
	Source
	State State `json:"state"`

	sealed string
}

// SourcesConfig configures Sources.
type SourcesConfig struct {
	Store  Store
	Sealer *auth.Sealer
	Now    func() time.Time // nil: time.Now
	// Settle is how long a replica waits after claiming a sync lease
	// before it reads who holds it, so that a claim another replica writes
	// meanwhile is seen (acquire); 0 means DefaultSettle.
	Settle time.Duration
	// LeaseTTL is how long a sync lease holds without being renewed; a
	// running sync renews it every third of it (Lease.keep). 0 means
	// DefaultLeaseTTL.
	LeaseTTL time.Duration
	// Sleep waits d or until ctx ends; nil: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultSettle is SourcesConfig.Settle's default: far longer than an
// INSERT of one row takes to become visible, far shorter than a sync.
const DefaultSettle = 2 * time.Second

// DefaultLeaseTTL is SourcesConfig.LeaseTTL's default: a replica that
// stops (killed, a stopped VM) blocks its source's syncs for at most this
// long, and a renewal every 20 s has two more chances before it lapses.
const DefaultLeaseTTL = time.Minute

// Sources keeps an org's sources in the store (ops.sources,
// ops.source_state, ops.source_leases), their tokens sealed.
type Sources struct {
	cfg SourcesConfig

	leases *Leases // the sources' sync leases
}

// NewSources returns Sources.
func NewSources(cfg SourcesConfig) (*Sources, error) {
	if cfg.Store == nil || cfg.Sealer == nil {
		return nil, errors.New("collect: sources need a store and a sealer")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	// Settle, LeaseTTL and Sleep are the leases': NewLeases defaults them.
	leases, err := NewLeases(LeasesConfig{Store: cfg.Store, Now: cfg.Now, Settle: cfg.Settle, TTL: cfg.LeaseTTL, Sleep: cfg.Sleep})
	if err != nil {
		return nil, err
	}
	return &Sources{cfg: cfg, leases: leases}, nil
}

// BadSourceError is a source that cannot be added as given; its text says
// why and names the value.
type BadSourceError struct{ Msg string }

func (e *BadSourceError) Error() string { return e.Msg }

func sealContext(org, id string) string { return org + "/" + id }

// MinEvery is the shortest interval between scheduled syncs.
const MinEvery = time.Minute

// Add checks s (its org exists, its kind is known, the Tool's Check, a
// token is given), stores it with token sealed and returns it with its new
// id. Errors: *BadSourceError, ErrUnknownKind (wrapped), the store's.
func (ss *Sources) Add(ctx context.Context, s Source, token string) (Source, error) {
	token = strings.TrimSpace(token)
	tool, err := Lookup(s.Kind)
	if err != nil {
		return Source{}, &BadSourceError{Msg: err.Error()}
	}
	if _, found, err := org.Load(ctx, ss.cfg.Store, s.Org); err != nil {
		return Source{}, err
	} else if !found || s.Org == "" {
		return Source{}, &BadSourceError{Msg: fmt.Sprintf("no org %q: import into it or set it up with `opsmetrics org` first", s.Org)}
	}
	switch {
	case token == "":
		return Source{}, &BadSourceError{Msg: "no token given (--token-file)"}
	case s.Every == 0:
		s.Every = Every(15 * time.Minute)
	case time.Duration(s.Every) < MinEvery:
		return Source{}, &BadSourceError{Msg: fmt.Sprintf("every %s is too often; at least %s", s.Every, MinEvery)}
	}
	if s.BaseURL != "" {
		u, err := url.Parse(s.BaseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return Source{}, &BadSourceError{Msg: fmt.Sprintf("base URL %q is not an http(s) URL", s.BaseURL)}
		}
		s.BaseURL = strings.TrimRight(s.BaseURL, "/")
	}
	if err := tool.Check(s); err != nil {
		return Source{}, &BadSourceError{Msg: err.Error()}
	}
	id := make([]byte, 6)
	if _, err := rand.Read(id); err != nil {
		return Source{}, err
	}
	s.ID = "src_" + hex.EncodeToString(id)
	s.CreatedAt = ss.cfg.Now().UTC().Truncate(time.Millisecond)
	sealed, err := ss.cfg.Sealer.Seal([]byte(token), sealContext(s.Org, s.ID))
	if err != nil {
		return Source{}, err
	}
	if err := ss.write(ctx, s, sealed, false); err != nil {
		return Source{}, fmt.Errorf("store source: %w", err)
	}
	return s, nil
}

func (ss *Sources) write(ctx context.Context, s Source, sealed string, deleted bool) error {
	var since *time.Time
	if !s.Since.IsZero() {
		since = &s.Since
	}
	var del uint8
	if deleted {
		del = 1
	}
	return ss.cfg.Store.Insert(ctx, &store.Batch{
		Table: "ops.sources",
		Columns: []string{"org_id", "source_id", "kind", "account_id", "workspace", "base_url", "since", "every_seconds",
			"token_sealed", "created_at", "version", "deleted"},
		Values: []any{[]string{s.Org}, []string{s.ID}, []string{s.Kind}, []string{s.AccountID}, []string{s.Workspace},
			[]string{s.BaseURL}, []*time.Time{since}, []uint32{uint32(time.Duration(s.Every) / time.Second)}, []string{sealed},
			[]time.Time{s.CreatedAt}, []uint64{uint64(ss.cfg.Now().UnixMicro())}, []uint8{del}},
	})
}

// List returns the sources of org ("" for every org), oldest first.
func (ss *Sources) List(ctx context.Context, orgID string) ([]Status, error) {
	rows, err := ss.cfg.Store.Query(ctx, store.QueryText("sources_list"), store.Params{"org": orgID})
	if err != nil {
		return nil, err
	}
	out := make([]Status, 0, rows.Len())
	for i := range rows.Len() {
		var st Status
		var every uint64
		var since *time.Time
		var cursor string
		var needs uint64
		if err := rows.Scan(i, &st.Org, &st.ID, &st.Kind, &st.AccountID, &st.Workspace, &st.BaseURL, &since, &every,
			&st.sealed, &st.CreatedAt, &cursor, &st.State.LastAttempt, &st.State.LastSuccess, &st.State.FailingSince,
			&st.State.LastError, &needs, &st.State.RowsAdded, &st.State.RowsUpdated, &st.State.RowsDeleted); err != nil {
			return nil, err
		}
		st.Every = Every(time.Duration(every) * time.Second)
		if since != nil {
			st.Since = *since
		}
		if cursor != "" {
			if err := json.Unmarshal([]byte(cursor), &st.State.Cursor); err != nil {
				return nil, fmt.Errorf("source %s: bad stored cursor: %w", st.ID, err)
			}
		}
		st.State.NeedsToken = needs != 0
		out = append(out, st)
	}
	return out, nil
}

// Get returns source id of org, or an error wrapping ErrNotFound that
// names it.
func (ss *Sources) Get(ctx context.Context, orgID, id string) (Status, error) {
	list, err := ss.List(ctx, orgID)
	if err != nil {
		return Status{}, err
	}
	for _, st := range list {
		if st.ID == id {
			return st, nil
		}
	}
	return Status{}, fmt.Errorf("%w %q in org %q (source list shows them)", ErrNotFound, id, orgID)
}

// Remove deletes source id of org: it is not synced again; what it
// imported stays. Errors: ErrNotFound (wrapped), the store's.
func (ss *Sources) Remove(ctx context.Context, orgID, id string) error {
	st, err := ss.Get(ctx, orgID, id)
	if err != nil {
		return err
	}
	return ss.write(ctx, st.Source, "", true)
}

// token opens st's sealed token.
func (ss *Sources) token(st Status) (string, error) {
	b, err := ss.cfg.Sealer.Open(st.sealed, sealContext(st.Org, st.ID))
	if err != nil {
		return "", fmt.Errorf("source %s: %w", st.ID, err)
	}
	return string(b), nil
}

// saveState records a sync attempt's outcome.
func (ss *Sources) saveState(ctx context.Context, st Status) error {
	cur, err := json.Marshal(st.State.Cursor)
	if err != nil {
		return err
	}
	s := st.State
	var needs uint8
	if s.NeedsToken {
		needs = 1
	}
	attempt := ss.cfg.Now().UTC()
	if s.LastAttempt != nil {
		attempt = *s.LastAttempt
	}
	return ss.cfg.Store.Insert(context.WithoutCancel(ctx), &store.Batch{
		Table: "ops.source_state",
		Columns: []string{"org_id", "source_id", "cursor", "last_attempt", "last_success", "failing_since", "last_error",
			"needs_token", "rows_added", "rows_updated", "rows_deleted", "version"},
		Values: []any{[]string{st.Org}, []string{st.ID}, []string{string(cur)}, []time.Time{attempt},
			[]*time.Time{s.LastSuccess}, []*time.Time{s.FailingSince}, []string{s.LastError}, []uint8{needs},
			[]uint64{s.RowsAdded}, []uint64{s.RowsUpdated}, []uint64{s.RowsDeleted}, []uint64{uint64(ss.cfg.Now().UnixMicro())}},
	})
}

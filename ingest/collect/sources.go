package collect

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
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

	mu      sync.Mutex
	version uint64 // the last claim's version: each claim's is greater
	// exclusive: no other process uses the store (the embedded engine), so
	// acquiring under claimMu needs no settle.
	exclusive bool
	claimMu   sync.Mutex
}

// NewSources returns Sources.
func NewSources(cfg SourcesConfig) (*Sources, error) {
	if cfg.Store == nil || cfg.Sealer == nil {
		return nil, errors.New("collect: sources need a store and a sealer")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Settle <= 0 {
		cfg.Settle = DefaultSettle
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	if cfg.Sleep == nil {
		cfg.Sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return &Sources{cfg: cfg, exclusive: store.IsExclusive(cfg.Store)}, nil
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

// The sync lease of a source is a fenced lock kept in ops.source_leases, a
// ReplacingMergeTree whose newest claim (by version) holds it: there is no
// compare-and-set. A replica takes it with a claim naming itself (owner) and
// a fresh random token, waits Settle and reads it back (acquire): replicas
// that found it free at nearly the same moment read the same newest claim,
// so one goes on. A running sync renews it (keep). Claims alone cannot stop
// a replica that stalls (a GC pause, a stopped VM) past its lease from
// believing it still holds it while another has taken it over, so the
// holder checks, right before its batch is made visible and again before
// its cursor is saved (check), that its lease has not run out by its own
// clock and that the newest claim is still its owner and token; a sync
// that finds otherwise drops its batch. What remains is the few
// milliseconds between that read and the commit; the records' keys make
// even a sync in that gap cost requests, never double rows.

// ErrBusy: another sync of the source holds its lease.
var ErrBusy = errors.New("another sync of the source is under way")

// ErrLeaseLost: a sync's lease ran out or another sync took it over; the
// sync wrote nothing after it found that, and the state is the other's.
var ErrLeaseLost = errors.New("the sync lost the source's lease to another sync")

// Lease is one hold of a source's sync lease, from acquire to release.
type Lease struct {
	ss                 *Sources
	org, source, owner string
	token              uint64 // this hold's fencing token

	mu    sync.Mutex
	until time.Time // the last claim's lease_until
	lost  error     // set once the hold is known lost: it stays lost
}

// claimRow is the newest claim on a source's lease.
type claimRow struct {
	owner   string
	token   uint64
	until   time.Time
	version uint64
}

func (c claimRow) live(now time.Time) bool { return c.owner != "" && c.until.After(now) }

// acquire takes the sync lease of source id of org for owner: nil (and no
// error) while another hold of it is live, this process's included, so a
// source runs one sync at a time. The caller releases it.
func (ss *Sources) acquire(ctx context.Context, orgID, id, owner string) (*Lease, error) {
	if ss.exclusive {
		// Only this process claims: finding the lease free and claiming it
		// under one lock is the whole of taking it.
		ss.claimMu.Lock()
		defer ss.claimMu.Unlock()
	}
	held, err := ss.holder(ctx, orgID, id)
	if err != nil || held.live(ss.cfg.Now()) {
		return nil, err
	}
	tok := make([]byte, 8)
	if _, err := rand.Read(tok); err != nil {
		return nil, err
	}
	l := &Lease{ss: ss, org: orgID, source: id, owner: owner, token: binary.BigEndian.Uint64(tok) | 1} // never 0, the token of claims older than tokens
	l.until = ss.cfg.Now().Add(ss.cfg.LeaseTTL)
	if err := ss.claim(ctx, l, l.until, held.version); err != nil {
		return nil, err
	}
	if ss.exclusive {
		return l, nil
	}
	if err := ss.cfg.Sleep(ctx, ss.cfg.Settle); err != nil {
		return nil, err
	}
	if err := l.check(ctx); errors.Is(err, ErrLeaseLost) {
		return nil, nil // another replica's claim is newer, or this one stalled past its lease while settling
	} else if err != nil {
		return nil, err
	}
	return l, nil
}

// Hold takes the lease of key of org for owner, as a sync takes its
// source's, for another job that must run once at a time across replicas
// (a hook's reconciliation; key is the hook's id, which no source id
// equals): nil (and no error) while another hold is live. The caller
// renews it with Keep while it works, passes Check as its import's
// BeforeCommit and checks it again before it saves its state, then calls
// Release.
func (ss *Sources) Hold(ctx context.Context, orgID, key, owner string) (*Lease, error) {
	return ss.acquire(ctx, orgID, key, owner)
}

// Check returns nil while l holds its lease. Errors: ErrLeaseLost
// (wrapped), the store's.
func (l *Lease) Check(ctx context.Context) error { return l.check(ctx) }

// Keep renews l every third of its TTL until the returned stop is called
// (which waits for it) or l is lost.
func (l *Lease) Keep(ctx context.Context) (stop func()) { return l.keep(ctx) }

// Release ends l, if it still holds it.
func (l *Lease) Release(ctx context.Context) error { return l.release(ctx) }

// check returns nil while l holds its lease: it has not run out by this
// replica's clock and the newest claim is l's owner and token. Errors:
// ErrLeaseLost (wrapped, and from then on always), the store's.
func (l *Lease) check(ctx context.Context) error {
	_, err := l.checked(ctx)
	return err
}

// checked is check, returning the newest claim (l's).
func (l *Lease) checked(ctx context.Context) (claimRow, error) {
	l.mu.Lock()
	lost, until := l.lost, l.until
	l.mu.Unlock()
	if lost != nil {
		return claimRow{}, lost
	}
	if now := l.ss.cfg.Now(); !now.Before(until) {
		return claimRow{}, l.lose(fmt.Errorf("%w: its lease ran out at %s, %s ago", ErrLeaseLost,
			until.UTC().Format(time.RFC3339), now.Sub(until).Round(time.Millisecond)))
	}
	held, err := l.ss.holder(ctx, l.org, l.source)
	if err != nil {
		return held, fmt.Errorf("check the sync lease of %s: %w", l.source, err)
	}
	if held.owner != l.owner || held.token != l.token {
		return held, l.lose(fmt.Errorf("%w: replica %s holds it now", ErrLeaseLost, held.owner))
	}
	return held, nil
}

func (l *Lease) lose(err error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost == nil {
		l.lost = err
	}
	return l.lost
}

// renew extends l by LeaseTTL from now if it still holds it. A renewal
// written after l had run out may hide another replica's claim, so l
// counts as lost then, whatever the claims say.
func (l *Lease) renew(ctx context.Context) error {
	held, err := l.checked(ctx)
	if err != nil {
		return err
	}
	l.mu.Lock()
	old := l.until
	l.mu.Unlock()
	until := l.ss.cfg.Now().Add(l.ss.cfg.LeaseTTL)
	if err := l.ss.claim(ctx, l, until, held.version); err != nil {
		return err // not lost: the next renewal tries again, and check fails once it runs out
	}
	if !l.ss.cfg.Now().Before(old) {
		return l.lose(fmt.Errorf("%w: its renewal was written after it ran out at %s", ErrLeaseLost, old.UTC().Format(time.RFC3339)))
	}
	l.mu.Lock()
	l.until = until
	l.mu.Unlock()
	return nil
}

// keep renews l every third of LeaseTTL until the returned stop is called
// (which waits for it) or l is lost; a failed renewal is tried again at the
// next beat.
func (l *Lease) keep(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for l.ss.cfg.Sleep(ctx, l.ss.cfg.LeaseTTL/3) == nil {
			if err := l.renew(ctx); errors.Is(err, ErrLeaseLost) {
				return
			}
		}
	}()
	return func() { cancel(); <-done }
}

// release ends l, if it still holds it, so the next sync of the source
// need not wait for it to run out: a claim that has run out now.
func (l *Lease) release(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	held, err := l.checked(ctx)
	if err != nil {
		return err
	}
	err = l.ss.claim(ctx, l, l.ss.cfg.Now(), held.version)
	l.lose(fmt.Errorf("%w: it was released", ErrLeaseLost))
	return err
}

// holder returns the newest claim on a source's lease (owner "" for none).
func (ss *Sources) holder(ctx context.Context, orgID, id string) (claimRow, error) {
	var c claimRow
	rows, err := ss.cfg.Store.Query(ctx, store.QueryText("source_lease"), store.Params{"org": orgID, "source": id})
	if err != nil || rows.Len() == 0 {
		return c, err
	}
	err = rows.Scan(0, &c.owner, &c.token, &c.until, &c.version)
	return c, err
}

// claim writes l's claim on its source's lease until until. Its version is
// the clock's, and greater than above (the newest claim read before it) and
// than any this Sources wrote before, so it wins even over a claim written
// in the same microsecond or by a replica whose clock runs ahead.
func (ss *Sources) claim(ctx context.Context, l *Lease, until time.Time, above uint64) error {
	ss.mu.Lock()
	ss.version = max(ss.version+1, above+1, uint64(ss.cfg.Now().UnixMicro()))
	v := ss.version
	ss.mu.Unlock()
	return ss.cfg.Store.Insert(ctx, &store.Batch{
		Table:   "ops.source_leases",
		Columns: []string{"org_id", "source_id", "owner", "token", "lease_until", "version"},
		Values: []any{[]string{l.org}, []string{l.source}, []string{l.owner}, []uint64{l.token}, []time.Time{until.UTC()},
			[]uint64{v}},
	})
}

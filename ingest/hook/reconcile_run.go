package hook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest/collect"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// ReconcileState is how a hook's reconciliations went: where the last
// written one ended and the latest one's outcome. `hook list` and
// GET /api/v1/hooks show it.
type ReconcileState struct {
	Cursor       time.Time  `json:"cursor"` // the next run reads the changes after it
	LastAttempt  *time.Time `json:"last_attempt,omitempty"`
	LastSuccess  *time.Time `json:"last_success,omitempty"`
	FailingSince *time.Time `json:"failing_since,omitempty"` // the first failure since the last success
	LastError    string     `json:"last_error,omitempty"`    // in words, token redacted; "" after a success
	NeedsToken   bool       `json:"needs_token"`             // the tool refused the token: add the hook again with a new one
	Added        uint64     `json:"added"`                   // task events the last successful run added
}

// Listed is a hook with its reconciler's state (nil: never reconciled), as
// `hook list` and GET /api/v1/hooks show it.
type Listed struct {
	Hook
	Reconcile *ReconcileState `json:"reconcile,omitempty"`
	// The names of the hook's client and project ("" when it has none or
	// the org has no record of it); set when one org's hooks are listed.
	ClientName  string `json:"client_name,omitempty"`
	ProjectName string `json:"project_name,omitempty"`
}

// Listed returns the hooks of org ("" for every org), oldest first, each
// with its reconciler's state. Errors are the store's.
func (hs *Hooks) Listed(ctx context.Context, orgID string) ([]Listed, error) {
	list, err := hs.List(ctx, orgID)
	if err != nil {
		return nil, err
	}
	states, err := hs.states(ctx, orgID)
	if err != nil {
		return nil, err
	}
	var refs *mapRefs
	if orgID != "" && slices.ContainsFunc(list, func(h Hook) bool { return h.Client != "" || h.Project != "" }) {
		if refs, err = loadMapRefs(ctx, hs.cfg.Store, orgID); err != nil {
			return nil, err
		}
	}
	out := make([]Listed, len(list))
	for i, h := range list {
		out[i].Hook = h
		if st, ok := states[h.ID]; ok {
			out[i].Reconcile = &st
		}
		if refs != nil {
			out[i].ClientName, out[i].ProjectName = refs.clientName[h.Client], refs.projectName[h.Project]
		}
	}
	return out, nil
}

// states reads the reconciler's state of org's hooks ("" for every org),
// by hook id.
func (hs *Hooks) states(ctx context.Context, orgID string) (map[string]ReconcileState, error) {
	rows, err := hs.cfg.Store.Query(ctx, store.QueryText("hook_cursors"), store.Params{"org": orgID})
	if err != nil {
		return nil, fmt.Errorf("read the hooks' reconcile state: %w", err)
	}
	set := func(t time.Time) *time.Time { // the epoch is "not set" (0014_hook_cursors.sql)
		if t.UnixMilli() == 0 {
			return nil
		}
		t = t.UTC()
		return &t
	}
	out := map[string]ReconcileState{}
	for i := range rows.Len() {
		var o, id, lastErr string
		var cursor, attempt, success, failing time.Time
		var needs, added uint64
		if err := rows.Scan(i, &o, &id, &cursor, &attempt, &success, &failing, &lastErr, &needs, &added); err != nil {
			return nil, err
		}
		out[id] = ReconcileState{Cursor: cursor.UTC(), LastAttempt: set(attempt), LastSuccess: set(success), FailingSince: set(failing),
			LastError: lastErr, NeedsToken: needs != 0, Added: added}
	}
	return out, nil
}

// saveState records st as h's reconciler state.
func (hs *Hooks) saveState(ctx context.Context, h Hook, st ReconcileState) error {
	at := func(t *time.Time) time.Time {
		if t == nil {
			return time.UnixMilli(0).UTC()
		}
		return *t
	}
	var needs uint8
	if st.NeedsToken {
		needs = 1
	}
	return hs.cfg.Store.Insert(ctx, &store.Batch{
		Table: "ops.hook_cursors",
		Columns: []string{"org_id", "hook_id", "cursor", "last_attempt", "last_success", "failing_since", "last_error", "needs_token",
			"added", "version"},
		Values: []any{[]string{h.Org}, []string{h.ID}, []time.Time{st.Cursor}, []time.Time{at(st.LastAttempt)},
			[]time.Time{at(st.LastSuccess)}, []time.Time{at(st.FailingSince)}, []string{st.LastError}, []uint8{needs},
			[]uint64{st.Added}, []uint64{hs.version()}},
	})
}

// markNeedsToken records that the tool refused h's token (err, which
// collect.Client has redacted) when the worker fetched with it: `hook
// list` shows it, and the schedule stops reconciling h.
func (hs *Hooks) markNeedsToken(ctx context.Context, h Hook, err error) error {
	states, serr := hs.states(ctx, h.Org)
	if serr != nil {
		return serr
	}
	st, known := states[h.ID]
	if !known {
		st.Cursor = h.CreatedAt
	}
	now := hs.cfg.Now().UTC()
	if st.FailingSince == nil {
		st.FailingSince = &now
	}
	st.NeedsToken, st.LastError = true, err.Error()
	return hs.saveState(ctx, h, st)
}

// Leases take the fenced lease of a key per org, so one job of it runs at
// a time across replicas: collect.Sources, whose sync leases the
// reconciler shares (a hook's key is its id).
type Leases interface {
	Hold(ctx context.Context, org, key, owner string) (*collect.Lease, error)
}

var _ Leases = (*collect.Sources)(nil)

// SchedulerConfig configures a Scheduler.
type SchedulerConfig struct {
	Hooks          *Hooks
	Reconciliation *Reconciliation
	Leases         Leases
	Logger         *slog.Logger
	// Mappings and Settings as the Worker's: nil is Defaults, and the
	// settings read from the hooks' store.
	Mappings MappingSource
	Settings OrgSettings
	HTTP     *http.Client // for the tools' APIs; nil: collect.Client's default
	// Every is how often each hook with a token is reconciled (default 15
	// min), plus up to a tenth of it of jitter; Tick how often the
	// Scheduler looks for hooks due (default 30 s).
	Every, Tick time.Duration
	Now         func() time.Time // nil: time.Now
	// Done, when set, is told of every run that ran: its state after it,
	// what it did and its error (the metrics).
	Done func(h Hook, st ReconcileState, res ReconcileResult, err error)
}

// Validate fills defaults and reports what is missing.
func (c *SchedulerConfig) Validate() error {
	if c.Hooks == nil || c.Reconciliation == nil || c.Leases == nil || c.Logger == nil {
		return errors.New("hook: the scheduler needs hooks, a reconciliation, leases and a logger")
	}
	if c.Mappings == nil {
		c.Mappings = Defaults{}
	}
	if c.Settings == nil {
		c.Settings = loadSettings{q: c.Hooks.cfg.Store}
	}
	if c.Every <= 0 {
		c.Every = 15 * time.Minute
	}
	if c.Tick <= 0 {
		c.Tick = 30 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Scheduler reconciles every hook that has a token and whose tool has a
// Reconciler, each on its own schedule and one run per hook at a time
// across replicas (the hook's lease), and runs one on request (Reconcile).
type Scheduler struct {
	cfg   SchedulerConfig
	owner string // names this Scheduler's claims on leases

	mu      sync.Mutex
	running map[string]bool      // hook id -> a run is under way here
	due     map[string]time.Time // hook id -> next run
	listed  []Listed             // the reconcilable hooks, as the last look found them
}

// Statuses returns the reconcilable hooks with their states as the
// schedule last read them (every Tick), for the metrics.
func (s *Scheduler) Statuses() []Listed {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.listed)
}

// NewScheduler returns a Scheduler.
func NewScheduler(cfg SchedulerConfig) (*Scheduler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	b := make([]byte, 8)
	rand.Read(b)
	return &Scheduler{cfg: cfg, owner: host + "/reconcile/" + hex.EncodeToString(b), running: map[string]bool{}, due: map[string]time.Time{}}, nil
}

// Reconcilable reports whether h can be reconciled: it has a token and
// its tool a Reconciler; else a *BadHookError that says why.
func Reconcilable(h Hook, reconcilers func(string) (Reconciler, bool)) error {
	if _, ok := reconcilers(h.Tool); !ok {
		return &BadHookError{Msg: fmt.Sprintf("hook %s: %s has no reconciler: GitHub keeps every delivery and redelivers it on request (docs/hooks-reconcile.md)", h.ID, h.Tool)}
	}
	if !h.HasToken {
		return &BadHookError{Msg: fmt.Sprintf("hook %s has no API token to reconcile with: add the hook again with --token-file", h.ID)}
	}
	return nil
}

// Reconcile runs one reconciliation of hook id of org now and returns what
// it did and the hook's state after it. Errors: ErrNotFound (wrapped),
// *BadHookError (no token, or GitHub's), collect.ErrBusy (wrapped) while
// another run of it holds its lease, the run's own (its state records it).
func (s *Scheduler) Reconcile(ctx context.Context, orgID, id string) (ReconcileResult, ReconcileState, error) {
	h, err := s.cfg.Hooks.Get(ctx, orgID, id)
	if err != nil {
		return ReconcileResult{Hook: id}, ReconcileState{}, err
	}
	if err := Reconcilable(h, s.cfg.Reconciliation.cfg.Reconcilers); err != nil {
		return ReconcileResult{Hook: id}, ReconcileState{}, err
	}
	res, st, ran, err := s.leased(ctx, h, nil)
	if err == nil && !ran {
		err = fmt.Errorf("hook %s of org %s: %w; try again once it ends", h.ID, h.Org, collect.ErrBusy)
	}
	return res, st, err
}

// leased takes h's lease, reads its state afresh under it and, unless skip
// (if set) says that state needs no run, reconciles it, renewing the lease
// meanwhile, then releases it. ran is false when another run holds the
// lease or skip said so.
func (s *Scheduler) leased(ctx context.Context, h Hook, skip func(ReconcileState) bool) (res ReconcileResult, st ReconcileState, ran bool, err error) {
	res = ReconcileResult{Hook: h.ID}
	l, err := s.cfg.Leases.Hold(ctx, h.Org, h.ID, s.owner)
	if err != nil || l == nil {
		return res, st, false, err
	}
	defer l.Release(ctx)
	states, err := s.cfg.Hooks.states(ctx, h.Org)
	if err != nil {
		return res, st, false, err
	}
	st, known := states[h.ID]
	if !known {
		// Never reconciled: from the hook's creation, when its webhook
		// began; what came before is an import's to bring.
		st.Cursor = h.CreatedAt
	}
	if skip != nil && skip(st) {
		return res, st, false, nil
	}
	stop := l.Keep(ctx)
	defer stop()
	started := s.cfg.Now().UTC()
	res, next, err := s.run(ctx, h, st.Cursor, l.Check)
	if err != nil && ctx.Err() != nil {
		return res, st, true, err // stopped (a shutdown): not the hook's failure, and the state stays
	}
	if lerr := l.Check(ctx); lerr != nil {
		// Another run holds the hook now: the state is its to write, and
		// this run's batch was dropped before it was made visible.
		s.cfg.Logger.Warn("hook_reconcile_dropped", "org", h.Org, "hook", h.ID, "err", lerr.Error())
		return res, st, true, fmt.Errorf("reconciliation of hook %s dropped: %w", h.ID, lerr)
	}
	st.LastAttempt = &started
	if err == nil {
		st.Cursor, st.LastSuccess, st.FailingSince, st.LastError, st.NeedsToken = next, &started, nil, "", false
		st.Added = uint64(res.Added)
	} else {
		if st.FailingSince == nil {
			st.FailingSince = &started
		}
		st.LastError, st.NeedsToken = err.Error(), errors.Is(err, collect.ErrNeedsToken)
	}
	if serr := s.cfg.Hooks.saveState(ctx, h, st); serr != nil && err == nil {
		err = fmt.Errorf("record the reconciliation of hook %s: %w", h.ID, serr)
	}
	if err != nil {
		s.cfg.Logger.Warn("hook_reconcile_failed", "org", h.Org, "hook", h.ID, "tool", h.Tool, "err", err.Error())
	}
	if s.cfg.Done != nil {
		s.cfg.Done(h, st, res, err)
	}
	return res, st, true, err
}

// run reconciles h from cursor with its token and the org's mapping.
func (s *Scheduler) run(ctx context.Context, h Hook, cursor time.Time, beforeCommit func(context.Context) error) (ReconcileResult, time.Time, error) {
	token, err := s.cfg.Hooks.open(h, h.token)
	if err != nil {
		return ReconcileResult{Hook: h.ID}, cursor, err
	}
	api, err := newAPI(h.Tool, h.BaseURL, token, s.cfg.HTTP)
	if err != nil {
		return ReconcileResult{Hook: h.ID}, cursor, err
	}
	m, err := mappingOf(ctx, s.cfg.Mappings, s.cfg.Settings, h)
	if err != nil {
		return ReconcileResult{Hook: h.ID}, cursor, err
	}
	res, next, err := s.cfg.Reconciliation.Reconcile(ctx, ReconcileTarget{Org: h.Org, Hook: h.ID, Tool: h.Tool, API: api, Mapping: m,
		Cursor: cursor, BeforeCommit: beforeCommit})
	return res, next, collect.Redact(err, token)
}

// Run reconciles every reconcilable hook of every org every Every (plus
// jitter, so hooks added together do not run together) until ctx ends,
// then waits for the runs under way, which ctx's end cancels: a cancelled
// run writes nothing and its cursor stays. A hook whose token the tool
// refused is not run again (add it again with a new token). A run that
// finds, under the lease, that another replica ran the hook since it
// listed it does not run it again.
func (s *Scheduler) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	t := time.NewTicker(s.cfg.Tick)
	defer t.Stop()
	for {
		s.tick(ctx, &wg)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Scheduler) tick(ctx context.Context, wg *sync.WaitGroup) {
	list, err := s.cfg.Hooks.Listed(ctx, "")
	if err != nil {
		if ctx.Err() == nil {
			s.cfg.Logger.Warn("hook_reconcile_list_failed", "err", err.Error())
		}
		return
	}
	list = slices.DeleteFunc(list, func(l Listed) bool { return Reconcilable(l.Hook, s.cfg.Reconciliation.cfg.Reconcilers) != nil })
	s.mu.Lock()
	s.listed = list
	s.mu.Unlock()
	now := s.cfg.Now()
	for _, l := range list {
		h := l.Hook
		if l.Reconcile != nil && l.Reconcile.NeedsToken {
			continue
		}
		s.mu.Lock()
		next, known := s.due[h.ID]
		if !known {
			next = now // never run by this process: at once, unless the state says it ran lately
			if l.Reconcile != nil && l.Reconcile.LastAttempt != nil {
				next = l.Reconcile.LastAttempt.Add(s.cfg.Every)
			}
			next = next.Add(s.jitter())
			s.due[h.ID] = next
		}
		busy := s.running[h.ID]
		if busy || now.Before(next) {
			s.mu.Unlock()
			continue
		}
		s.running[h.ID] = true
		s.due[h.ID] = now.Add(s.cfg.Every + s.jitter())
		s.mu.Unlock()
		var listed *time.Time
		if l.Reconcile != nil {
			listed = l.Reconcile.LastAttempt
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { s.mu.Lock(); delete(s.running, h.ID); s.mu.Unlock() }()
			// The run records and logs its own outcome; a lease another
			// holds, or a store that is down, waits for the next tick.
			s.leased(ctx, h, func(cur ReconcileState) bool {
				return cur.LastAttempt != nil && (listed == nil || cur.LastAttempt.After(*listed))
			})
		}()
	}
}

func (s *Scheduler) jitter() time.Duration { return mrand.N(s.cfg.Every/10 + 1) }

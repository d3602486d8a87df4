package hook

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/ingest/collect"
)

// targets is a MappingSource with the defaults' statuses and fixed targets.
type targets map[string]Target

func (ts targets) Mapping(context.Context, string, string) (Mapping, error) {
	m := DefaultMapping()
	for k, v := range ts {
		m.Targets[k] = v
	}
	return m, nil
}

// TestSchedulerReconcile: a Trello hook with a token is reconciled under
// its lease against a fake Trello: the actions become events once, the
// cursor advances to the settle mark and is stored, a second run adds
// nothing; a 401 leaves the cursor, records needs-token with the token
// redacted, and the schedule skips the hook from then on; a run while
// another holds the hook's lease is ErrBusy; GitHub's hook and a hook
// without a token are refused naming them.
//
// Shapes as TestReconcileTrello's (Get Actions of a Board, Get a Card).
func TestSchedulerReconcile(t *testing.T) {
	rc := newRecon(t)
	created := rc.now.Add(-3 * time.Hour)
	sealer, err := auth.NewSealer(make([]byte, auth.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	hooks, err := NewHooks(HooksConfig{Store: rc.st, Sealer: sealer, Now: func() time.Time { return created }})
	if err != nil {
		t.Fatal(err)
	}
	board := map[string]any{"id": "B1", "name": "Acme"}
	card := map[string]any{"id": "c1", "name": "Banner"}
	actions := []any{ // newest first
		map[string]any{"id": "a2", "type": "updateCard", "date": created.Add(time.Hour).Format(time.RFC3339),
			"data": map[string]any{"card": card, "board": board, "old": map[string]any{"idList": "l1"},
				"listBefore": map[string]any{"id": "l1", "name": "To Do"}, "listAfter": map[string]any{"id": "l2", "name": "Doing"}}},
		map[string]any{"id": "a1", "type": "createCard", "date": created.Add(time.Minute).Format(time.RFC3339),
			"data": map[string]any{"card": card, "list": map[string]any{"id": "l1", "name": "To Do"}, "board": board}},
	}
	var refuse atomic.Bool
	var calls atomic.Int32
	var mu sync.Mutex
	var sinces []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if got := r.Header.Get("Authorization"); got != `OAuth oauth_consumer_key="app-key", oauth_token="tok-secret"` {
			t.Errorf("Authorization %q", got)
		}
		if refuse.Load() {
			http.Error(w, "invalid token", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/boards/B1/actions":
			mu.Lock()
			sinces = append(sinces, r.URL.Query().Get("since"))
			mu.Unlock()
			json.NewEncoder(w).Encode(actions)
		case "/cards/c1":
			json.NewEncoder(w).Encode(map[string]any{"name": "Banner", "due": nil, "idBoard": "B1", "list": map[string]any{"id": "l2", "name": "Doing"}})
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	h, _, err := hooks.Add(t.Context(), NewHook{Org: rc.org, Tool: "trello", Token: "app-key:tok-secret", BaseURL: srv.URL,
		PublicURL: "https://ops.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	gh, _, err := hooks.Add(t.Context(), NewHook{Org: rc.org, Tool: "github", Token: "ghp_x"})
	if err != nil {
		t.Fatal(err)
	}
	bare, _, err := hooks.Add(t.Context(), NewHook{Org: rc.org, Tool: "clickup"})
	if err != nil {
		t.Fatal(err)
	}
	sources, err := collect.NewSources(collect.SourcesConfig{Store: rc.st, Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	type done struct {
		st  ReconcileState
		err error
	}
	var runs []done
	s, err := NewScheduler(SchedulerConfig{Hooks: hooks, Reconciliation: rc.r, Leases: sources, Logger: slog.New(slog.DiscardHandler),
		Mappings: targets{"B1": {}}, HTTP: srv.Client(), Now: func() time.Time { return rc.now },
		Done: func(_ Hook, st ReconcileState, _ ReconcileResult, err error) { runs = append(runs, done{st, err}) }})
	if err != nil {
		t.Fatal(err)
	}

	res, st, err := s.Reconcile(t.Context(), rc.org, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	// a1: created in To Do (intake), a2: To Do → Doing (production): one
	// status event each, and the card's deliverable: added 2, written 3.
	if res.Added != 2 || res.Written != 3 || res.Known != 0 {
		t.Errorf("first run: %+v; want added 2, written 3", res)
	}
	until := rc.now.Add(-10 * time.Minute) // the settle time's mark
	if !st.Cursor.Equal(until) || st.LastSuccess == nil || st.FailingSince != nil || st.Added != 2 || st.NeedsToken {
		t.Errorf("state after the first run: %+v; want cursor %v, a success, added 2", st, until)
	}
	if got, want := strings.Join(rc.events(t), " "), "trello:a1:status trello:a2:status"; got != want {
		t.Errorf("events %q, want %q", got, want)
	}
	listed := func() ReconcileState {
		t.Helper()
		list, err := hooks.Listed(t.Context(), rc.org)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range list {
			if l.ID == h.ID && l.Reconcile != nil {
				return *l.Reconcile
			}
		}
		t.Fatalf("hook %s listed without its reconcile state: %+v", h.ID, list)
		return ReconcileState{}
	}
	if got := listed(); !got.Cursor.Equal(until) || got.Added != 2 {
		t.Errorf("listed state %+v; want cursor %v, added 2", got, until)
	}

	// Half an hour on, again: read from the stored cursor; the fake
	// answers the same actions, which are known.
	rc.now = rc.now.Add(30 * time.Minute)
	if res, _, err = s.Reconcile(t.Context(), rc.org, h.ID); err != nil || res.Added != 0 || res.Known != 2 {
		t.Errorf("second run: %+v, %v; want nothing added, 2 known", res, err)
	}
	if len(sinces) != 2 || sinces[0] != created.Format(time.RFC3339) || sinces[1] != until.Format(time.RFC3339) {
		t.Errorf("since read: %v; want the hook's creation, then the stored cursor", sinces)
	}
	until = rc.now.Add(-10 * time.Minute)
	rc.now = rc.now.Add(30 * time.Minute)

	// Busy: another replica holds the hook's lease.
	l, err := sources.Hold(t.Context(), rc.org, h.ID, "replica-b")
	if err != nil || l == nil {
		t.Fatalf("hold: %v %v", l, err)
	}
	if _, _, err := s.Reconcile(t.Context(), rc.org, h.ID); !errors.Is(err, collect.ErrBusy) {
		t.Errorf("while held: %v; want ErrBusy", err)
	}
	l.Release(t.Context())

	// A refused token: the cursor stays, needs-token, no token in the text.
	refuse.Store(true)
	_, st, err = s.Reconcile(t.Context(), rc.org, h.ID)
	if !errors.Is(err, collect.ErrNeedsToken) {
		t.Errorf("refused: %v; want ErrNeedsToken", err)
	}
	got := listed()
	if !got.NeedsToken || !got.Cursor.Equal(until) || got.FailingSince == nil || got.LastError == "" ||
		strings.Contains(got.LastError, "tok-secret") || got.LastSuccess == nil {
		t.Errorf("after a 401: %+v; want needs-token, the cursor kept, the error without the token", got)
	}
	if len(runs) != 3 || runs[2].err == nil || !runs[2].st.NeedsToken {
		t.Errorf("Done told of %d runs: %+v; want 3, the last failed", len(runs), runs)
	}
	// The schedule skips it now (and GitHub's, and the one without a token).
	before := calls.Load()
	var wg sync.WaitGroup
	s.tick(t.Context(), &wg)
	wg.Wait()
	if n := calls.Load(); n != before {
		t.Errorf("the schedule ran a hook that needs a token: %d requests", n-before)
	}

	for _, c := range []struct{ id, says string }{{gh.ID, "github has no reconciler"}, {bare.ID, "has no API token to reconcile with"}} {
		var bad *BadHookError
		if _, _, err := s.Reconcile(t.Context(), rc.org, c.id); !errors.As(err, &bad) || !strings.Contains(err.Error(), c.id) ||
			!strings.Contains(err.Error(), c.says) {
			t.Errorf("hook %s: %v; want a BadHookError saying %q", c.id, err, c.says)
		}
	}
	if _, _, err := s.Reconcile(t.Context(), rc.org, "hk_nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown hook: %v", err)
	}
}

// TestSchedulerTick: the schedule runs a hook never reconciled at once
// and not again within Every.
func TestSchedulerTick(t *testing.T) {
	rc := newRecon(t)
	sealer, _ := auth.NewSealer(make([]byte, auth.KeySize))
	hooks, err := NewHooks(HooksConfig{Store: rc.st, Sealer: sealer, Now: func() time.Time { return rc.now.Add(-time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`[]`))
	}))
	defer srv.Close()
	h, _, err := hooks.Add(t.Context(), NewHook{Org: rc.org, Tool: "trello", Token: "k:t", BaseURL: srv.URL, PublicURL: "https://ops.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	sources, _ := collect.NewSources(collect.SourcesConfig{Store: rc.st, Sealer: sealer})
	s, err := NewScheduler(SchedulerConfig{Hooks: hooks, Reconciliation: rc.r, Leases: sources, Logger: slog.New(slog.DiscardHandler),
		Mappings: targets{"B1": {}}, HTTP: srv.Client(), Now: func() time.Time { return rc.now }})
	if err != nil {
		t.Fatal(err)
	}
	// The first tick sets the hook due within a tenth of Every (1.5 min) of
	// jitter; two minutes on it runs; a minute later it is not due again.
	var wg sync.WaitGroup
	for i, want := range []int32{0, 1, 1} {
		s.tick(t.Context(), &wg)
		wg.Wait()
		if calls.Load() != want {
			t.Fatalf("tick %d: %d requests, want %d", i, calls.Load(), want)
		}
		rc.now = rc.now.Add(2 * time.Minute / time.Duration(i+1))
	}
	list, _ := hooks.Listed(t.Context(), rc.org)
	if len(list) != 1 || list[0].ID != h.ID || list[0].Reconcile == nil || list[0].Reconcile.LastSuccess == nil {
		t.Errorf("listed: %+v; want the hook with a successful run", list)
	}
}

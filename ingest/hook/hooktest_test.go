package hook_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/hook"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	chdbtest.Close()
	os.Exit(code)
}

// flaky is the shared engine that answers ErrUnavailable while down: a
// ClickHouse that has stopped.
type flaky struct {
	s    store.Store
	down atomic.Bool
}

func (f *flaky) err() error {
	if f.down.Load() {
		return fmt.Errorf("%w: stopped by the test", store.ErrUnavailable)
	}
	return nil
}

func (f *flaky) Query(ctx context.Context, q string, p store.Params) (*store.Rows, error) {
	if err := f.err(); err != nil {
		return nil, err
	}
	return f.s.Query(ctx, q, p)
}

func (f *flaky) Insert(ctx context.Context, b *store.Batch) error {
	if err := f.err(); err != nil {
		return err
	}
	return f.s.Insert(ctx, b)
}

func (f *flaky) Exec(ctx context.Context, q string, p store.Params) error {
	if err := f.err(); err != nil {
		return err
	}
	return f.s.Exec(ctx, q, p)
}

// memQueue is an in-memory Queue, as the spool behaves: Read returns the
// unacked records after a seq, Ack drops those up to a seq.
type memQueue struct {
	mu     sync.Mutex
	recs   []hook.Record
	seq    uint64
	notify chan struct{}
	acks   []uint64
}

var _ hook.Queue = (*memQueue)(nil)
var _ hook.Appender = (*memQueue)(nil)

func newQueue() *memQueue { return &memQueue{notify: make(chan struct{}, 1)} }

func (q *memQueue) Append(_ context.Context, data []byte) (uint64, error) {
	q.mu.Lock()
	q.seq++
	q.recs = append(q.recs, hook.Record{Seq: q.seq, Data: data, At: time.Now()})
	seq := q.seq
	q.mu.Unlock()
	select {
	case q.notify <- struct{}{}:
	default:
	}
	return seq, nil
}

func (q *memQueue) Read(after uint64, max int) ([]hook.Record, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []hook.Record
	for _, r := range q.recs {
		if r.Seq > after && len(out) < max {
			out = append(out, r)
		}
	}
	return out, nil
}

func (q *memQueue) Notify() <-chan struct{} { return q.notify }

func (q *memQueue) Ack(seq uint64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.acks = append(q.acks, seq)
	for len(q.recs) > 0 && q.recs[0].Seq <= seq {
		q.recs = q.recs[1:]
	}
	return nil
}

func (q *memQueue) pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.recs)
}

// issuesMapper is a tiny GitHub Mapper for the worker's tests: an
// `issues` event becomes one status_changed task event keyed by the
// delivery; other events are ignored; a body that is not JSON fails.
type issuesMapper struct {
	mu   sync.Mutex
	seen []string // delivery ids in the order mapped
}

func (m *issuesMapper) Map(_ context.Context, d hook.Delivery, mp hook.Mapping) (hook.Mapped, error) {
	m.mu.Lock()
	m.seen = append(m.seen, d.ID)
	m.mu.Unlock()
	event := d.Header.Get("X-GitHub-Event")
	var b struct {
		Action string `json:"action"`
		Issue  struct {
			Number int    `json:"number"`
			State  string `json:"state"`
		} `json:"issue"`
		Repository struct {
			FullName string `json:"full_name"`
		} `json:"repository"`
	}
	if err := json.Unmarshal(d.Body, &b); err != nil {
		return hook.Mapped{Event: event}, fmt.Errorf("body is not JSON: %w", err)
	}
	if event != "issues" {
		return hook.Mapped{Event: event, Ignored: "event " + event + " is not read"}, nil
	}
	phase, _ := mp.Phase(b.Issue.State)
	t := mp.Target(b.Repository.FullName)
	return hook.Mapped{Event: "issues." + b.Action, Records: []any{ingest.TaskEvent{
		Meta:       ingest.Meta{ExternalID: "gh:" + d.ID},
		OccurredAt: d.Received, Type: ingest.EventStatusChanged, TaskID: strconv.Itoa(b.Issue.Number),
		ClientID: t.Client, ProjectID: t.Project, ToStatus: b.Issue.State, Phase: phase,
	}}}, nil
}

func (m *issuesMapper) order() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.seen...)
}

type rig struct {
	org    string
	store  *flaky
	hooks  *hook.Hooks
	queue  *memQueue
	mapper *issuesMapper
	worker *hook.Worker
	counts sync.Map // tool/status -> *atomic.Int64
}

// newRig makes an org of its own (unique per run) on the shared engine,
// hooks, an in-memory queue and a Worker with issuesMapper for GitHub.
func newRig(t *testing.T) *rig {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	r := &rig{org: "hk-" + hex.EncodeToString(b), store: &flaky{s: chdbtest.Shared(t)}, queue: newQueue(), mapper: &issuesMapper{}}
	log := slog.New(slog.DiscardHandler)
	w, err := ingest.NewWriter(ingest.WriterConfig{Store: r.store, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(t.Context(), "test-org", []org.Settings{org.New(r.org)}); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, auth.KeySize)
	rand.Read(key)
	sealer, err := auth.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	if r.hooks, err = hook.NewHooks(hook.HooksConfig{Store: r.store, Sealer: sealer}); err != nil {
		t.Fatal(err)
	}
	im, err := importer.New(importer.Config{Store: r.store, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	r.worker, err = hook.NewWorker(hook.WorkerConfig{Hooks: r.hooks, Store: r.store, Importer: im, Logger: log, Queue: r.queue,
		Mappers: func(tool string, _ hook.API) (hook.Mapper, bool) {
			if tool == "github" {
				return r.mapper, true
			}
			return hook.MapperOf(tool, nil)
		},
		BatchWait: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		Counted: func(tool, status string) {
			n, _ := r.counts.LoadOrStore(tool+"/"+status, &atomic.Int64{})
			n.(*atomic.Int64).Add(1)
		}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) count(tool, status string) int64 {
	n, ok := r.counts.Load(tool + "/" + status)
	if !ok {
		return 0
	}
	return n.(*atomic.Int64).Load()
}

// run starts the worker until the test ends.
func (r *rig) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	done := make(chan struct{})
	go func() { r.worker.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// taskEvents counts the org's stored task events (FINAL: one per key).
func (r *rig) taskEvents(t *testing.T) int {
	t.Helper()
	rows, err := r.store.s.Query(t.Context(), "SELECT count() FROM ops.task_events FINAL WHERE org_id = {org:String} AND deleted = 0",
		store.Params{"org": r.org})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := rows.Scan(0, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// eventually waits up to 20 s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 20 s: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

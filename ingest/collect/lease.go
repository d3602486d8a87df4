package collect

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// LeasesConfig configures Leases.
type LeasesConfig struct {
	Store Store
	Now   func() time.Time // nil: time.Now
	// Settle is how long a replica waits after claiming a lease before it
	// reads who holds it, so that a claim another replica writes meanwhile
	// is seen; 0 means DefaultSettle.
	Settle time.Duration
	// TTL is how long a lease holds without being renewed (Lease.Keep
	// renews it every third of it); 0 means DefaultLeaseTTL.
	TTL time.Duration
	// Sleep waits d or until ctx ends; nil: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// ReplicaName names this process in lease claims: host, pid and a random
// suffix, so two processes of one host never share a claim.
func ReplicaName() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return host + "/" + strconv.Itoa(os.Getpid()) + "/" + hex.EncodeToString(b)
}

// Leases are fenced leases kept in ops.source_leases, one per (org, key):
// a source's sync, a hook's reconciliation, and jobs that must run once
// across the serve replicas of one ClickHouse server (the KPI refresh).
type Leases struct {
	cfg LeasesConfig

	mu      sync.Mutex
	version uint64 // the last claim's version: each claim's is greater
	// exclusive: no other process uses the store (the embedded engine), so
	// acquiring under claimMu needs no settle.
	exclusive bool
	claimMu   sync.Mutex
}

// NewLeases returns Leases.
func NewLeases(cfg LeasesConfig) (*Leases, error) {
	if cfg.Store == nil {
		return nil, errors.New("collect: leases need a store")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Settle <= 0 {
		cfg.Settle = DefaultSettle
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultLeaseTTL
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	return &Leases{cfg: cfg, exclusive: store.IsExclusive(cfg.Store)}, nil
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
	ls                 *Leases
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
	return ss.leases.Hold(ctx, orgID, id, owner)
}

// Hold takes the lease of key of org for owner: nil (and no error) while
// another hold of it is live, this process's included. The caller renews it
// with Keep while it works, checks it (Check) before it makes its work
// visible, and calls Release.
func (ls *Leases) Hold(ctx context.Context, orgID, id, owner string) (*Lease, error) {
	if ls.exclusive {
		// Only this process claims: finding the lease free and claiming it
		// under one lock is the whole of taking it.
		ls.claimMu.Lock()
		defer ls.claimMu.Unlock()
	}
	held, err := ls.holder(ctx, orgID, id)
	if err != nil || held.live(ls.cfg.Now()) {
		return nil, err
	}
	tok := make([]byte, 8)
	if _, err := rand.Read(tok); err != nil {
		return nil, err
	}
	l := &Lease{ls: ls, org: orgID, source: id, owner: owner, token: binary.BigEndian.Uint64(tok) | 1} // never 0, the token of claims older than tokens
	l.until = ls.cfg.Now().Add(ls.cfg.TTL)
	if err := ls.claim(ctx, l, l.until, held.version); err != nil {
		return nil, err
	}
	if ls.exclusive {
		return l, nil
	}
	if err := ls.cfg.Sleep(ctx, ls.cfg.Settle); err != nil {
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
	return ss.leases.Hold(ctx, orgID, key, owner)
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
	if now := l.ls.cfg.Now(); !now.Before(until) {
		return claimRow{}, l.lose(fmt.Errorf("%w: its lease ran out at %s, %s ago", ErrLeaseLost,
			until.UTC().Format(time.RFC3339), now.Sub(until).Round(time.Millisecond)))
	}
	held, err := l.ls.holder(ctx, l.org, l.source)
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
	until := l.ls.cfg.Now().Add(l.ls.cfg.TTL)
	if err := l.ls.claim(ctx, l, until, held.version); err != nil {
		return err // not lost: the next renewal tries again, and check fails once it runs out
	}
	if !l.ls.cfg.Now().Before(old) {
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
		for l.ls.cfg.Sleep(ctx, l.ls.cfg.TTL/3) == nil {
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
	err = l.ls.claim(ctx, l, l.ls.cfg.Now(), held.version)
	l.lose(fmt.Errorf("%w: it was released", ErrLeaseLost))
	return err
}

// holder returns the newest claim on a source's lease (owner "" for none).
func (ls *Leases) holder(ctx context.Context, orgID, id string) (claimRow, error) {
	var c claimRow
	rows, err := ls.cfg.Store.Query(ctx, store.QueryText("source_lease"), store.Params{"org": orgID, "source": id})
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
func (ls *Leases) claim(ctx context.Context, l *Lease, until time.Time, above uint64) error {
	ls.mu.Lock()
	ls.version = max(ls.version+1, above+1, uint64(ls.cfg.Now().UnixMicro()))
	v := ls.version
	ls.mu.Unlock()
	return ls.cfg.Store.Insert(ctx, &store.Batch{
		Table:   "ops.source_leases",
		Columns: []string{"org_id", "source_id", "owner", "token", "lease_until", "version"},
		Values: []any{[]string{l.org}, []string{l.source}, []string{l.owner}, []uint64{l.token}, []time.Time{until.UTC()},
			[]uint64{v}},
	})
}

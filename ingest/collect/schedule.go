package collect

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// Tick is how often the scheduler looks for sources due a sync.
const Tick = 30 * time.Second

// Run syncs every source of every org on its own interval (Source.Every,
// plus up to a tenth of it of jitter, so sources added together do not
// sync together) until ctx ends, then waits for the syncs under way, which
// ctx's end cancels: a cancelled sync writes nothing (its batch is staged)
// and its cursor stays. A source that needs a new token is not synced.
// Each sync holds the source's lease (Sources.acquire), so one sync of a
// source runs at a time across every serve replica and CLI on one
// ClickHouse server; one that finds the source synced by another since it
// listed it does not sync it again.
func (c *Collector) Run(ctx context.Context) {
	s := &scheduler{c: c, running: map[string]bool{}, due: map[string]time.Time{}}
	s.loop(ctx)
}

type scheduler struct {
	c  *Collector
	wg sync.WaitGroup

	mu      sync.Mutex
	running map[string]bool      // org/id -> a sync is under way
	due     map[string]time.Time // org/id -> next sync
}

func (s *scheduler) loop(ctx context.Context) {
	defer s.wg.Wait()
	t := time.NewTicker(Tick)
	defer t.Stop()
	for {
		s.tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *scheduler) tick(ctx context.Context) {
	list, err := s.c.cfg.Sources.List(ctx, "")
	if err != nil {
		if ctx.Err() == nil {
			s.c.cfg.Logger.Warn("source_schedule_list_failed", "err", err.Error())
		}
		return
	}
	s.c.setStatuses(list)
	now := s.c.cfg.Now()
	for _, st := range list {
		key := st.Org + "/" + st.ID
		s.mu.Lock()
		next, known := s.due[key]
		if !known {
			next = now // never synced by this process: at once, unless the state says it ran lately
			if st.State.LastAttempt != nil {
				next = st.State.LastAttempt.Add(time.Duration(st.Every))
			}
			next = next.Add(jitter(time.Duration(st.Every)))
			s.due[key] = next
		}
		busy := s.running[key]
		s.mu.Unlock()
		if busy || st.State.NeedsToken || now.Before(next) {
			continue
		}
		s.mu.Lock()
		s.running[key] = true
		s.due[key] = now.Add(time.Duration(st.Every) + jitter(time.Duration(st.Every)))
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { s.mu.Lock(); delete(s.running, key); s.mu.Unlock() }()
			// Under the lease, the state read afresh says whether another
			// replica synced it since this one listed it: then not again.
			// The sync records and logs its own outcome; a lease another
			// holds, or a store that is down, waits for the next tick.
			listed := st.State.LastAttempt
			s.c.leased(ctx, st.Org, st.ID, false, func(cur Status) bool {
				return cur.State.LastAttempt != nil && (listed == nil || cur.State.LastAttempt.After(*listed))
			})
		}()
	}
}

func jitter(every time.Duration) time.Duration {
	if every <= 0 {
		return 0
	}
	return rand.N(every/10 + 1)
}

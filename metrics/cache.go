package metrics

import (
	"context"
	"crypto/sha256"
	"errors"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/maypok86/otter/v2/stats"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// Cache answers the KPI layer's reads from memory while the org's data
// version (Versions) stands: it is a Querier in front of the store, keyed
// by the org, its data version, the query text and every bound parameter,
// so a repeated read never reaches the engine and a read after a write
// never sees numbers from before it. Every KPI, list, capacity grid and
// page reads through it, so what a page shows and what the API answers are
// the same cached rows.
//
// "Now" is part of the key as the minute: a cached answer that depends on
// the time (open and overdue, stuck reviews, ages) is exact as of the start
// of the minute it was asked in, and is asked again in the next minute.
// Reads without an org (the list of orgs) go to the store every time.
//
// It is bounded by the estimated bytes of the rows it holds, evicting what
// is least likely to be read again (otter's S3-FIFO), and counts hits and
// misses per surface (WithSurface) in opsmetrics_cache_requests_total.
// Concurrent reads of the same key run the query once.
type Cache struct {
	q        Querier
	versions *Versions
	c        *otter.Cache[[32]byte, *store.Rows]
	pages    *otter.Cache[[32]byte, []byte] // Rendered's
	stats    *stats.Counter
	requests *prometheus.CounterVec
}

// CacheConfig configures a Cache.
type CacheConfig struct {
	Store    Querier
	Versions *Versions
	// MaxBytes bounds the estimated size of the rows held; default 256 MiB.
	MaxBytes uint64
	// Registerer takes the cache's counters; nil: not exported.
	Registerer prometheus.Registerer
}

// DefaultCacheBytes is the default bound of a Cache.
const DefaultCacheBytes = 256 << 20

// NewCache returns a cache in front of cfg.Store.
func NewCache(cfg CacheConfig) (*Cache, error) {
	if cfg.Store == nil || cfg.Versions == nil {
		return nil, errors.New("cache: store and versions are required")
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultCacheBytes
	}
	c := &Cache{q: cfg.Store, versions: cfg.Versions, stats: stats.NewCounter(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "opsmetrics_cache_requests_total",
			Help: "Reads of the KPI layer by the surface that asked (api, page, cli, collector, other; page_render: a rendered page) and result: hit (answered from memory at the org's current data version) or miss (sent to the engine)."},
			[]string{"surface", "result"})}
	var err error
	c.c, err = otter.New(&otter.Options[[32]byte, *store.Rows]{
		MaximumWeight: cfg.MaxBytes,
		Weigher:       func(_ [32]byte, r *store.Rows) uint32 { return uint32(min(rowsBytes(r), 1<<32-1)) },
		StatsRecorder: c.stats,
	})
	if err != nil {
		return nil, err
	}
	c.pages, err = otter.New(&otter.Options[[32]byte, []byte]{
		MaximumWeight: max(cfg.MaxBytes/4, 1<<20),
		Weigher:       func(_ [32]byte, b []byte) uint32 { return uint32(min(len(b)+64, 1<<32-1)) },
	})
	if err != nil {
		return nil, err
	}
	if cfg.Registerer != nil {
		err = errors.Join(cfg.Registerer.Register(c.requests),
			cfg.Registerer.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "opsmetrics_cache_bytes",
				Help: "Estimated bytes of the query results the KPI cache holds."}, func() float64 { return float64(c.c.WeightedSize()) })),
			cfg.Registerer.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "opsmetrics_cache_max_bytes",
				Help: "The bound of the KPI cache's estimated bytes (--cache-bytes)."}, func() float64 { return float64(cfg.MaxBytes) })),
			cfg.Registerer.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "opsmetrics_cache_evictions_total",
				Help: "Results the KPI cache dropped to stay within its bound."}, func() float64 { return float64(c.stats.Snapshot().Evictions) })))
	}
	return c, err
}

type surfaceKey struct{}

// WithSurface marks ctx's reads as a surface's ("api", "page", "cli",
// "collector") in the cache's counters.
func WithSurface(ctx context.Context, surface string) context.Context {
	return context.WithValue(ctx, surfaceKey{}, surface)
}

func surfaceOf(ctx context.Context) string {
	if s, ok := ctx.Value(surfaceKey{}).(string); ok {
		return s
	}
	return "other"
}

// Query answers from memory when the same read was answered at the org's
// current data version, else from the store (Querier).
func (c *Cache) Query(ctx context.Context, query string, params store.Params) (*store.Rows, error) {
	org, _ := params["org"].(string)
	if org == "" {
		return c.q.Query(ctx, query, params)
	}
	version, err := c.versions.Of(ctx, org)
	if err != nil {
		return nil, err
	}
	if now, ok := params["now"].(time.Time); ok {
		params = maps.Clone(params)
		params["now"] = now.Truncate(time.Minute)
	}
	bound, err := store.BindParams(query, params)
	if err != nil {
		return nil, err
	}
	key := cacheKey(org, version, query, bound)
	hit := true
	rows, err := c.c.Get(ctx, key, otter.LoaderFunc[[32]byte, *store.Rows](func(ctx context.Context, _ [32]byte) (*store.Rows, error) {
		hit = false
		return c.q.Query(ctx, query, params)
	}))
	if err != nil {
		return nil, err
	}
	result := "hit"
	if !hit {
		result = "miss"
	}
	c.requests.WithLabelValues(surfaceOf(ctx), result).Inc()
	return copyRows(rows), nil
}

// Rendered returns the page render makes, from memory when a page of the
// same key (the request and who asks: whatever the page's bytes depend on
// besides the org's data) was rendered at the org's current data version
// in this minute. A page's numbers come from this cache's reads, which
// are exact per version and minute, so its bytes are too; rendering was
// most of a repeated page's time (the capacity grid's table). Hits and
// misses count as surface "page_render". A render's error is returned and
// nothing is kept.
func (c *Cache) Rendered(ctx context.Context, org, key string, render func() ([]byte, error)) ([]byte, error) {
	version, err := c.versions.Of(ctx, org)
	if err != nil {
		return nil, err
	}
	minute := strconv.FormatInt(time.Now().Unix()/60, 10)
	k := cacheKey(org, version, key, map[string]string{"minute": minute})
	if b, ok := c.pages.GetIfPresent(k); ok {
		c.requests.WithLabelValues("page_render", "hit").Inc()
		return b, nil
	}
	b, err := render()
	if err != nil {
		return nil, err
	}
	c.pages.Set(k, b)
	c.requests.WithLabelValues("page_render", "miss").Inc()
	return b, nil
}

// Counts returns the hits and misses so far, for tests and benchmarks.
func (c *Cache) Counts() (hits, misses uint64) {
	s := c.stats.Snapshot()
	return s.Hits, s.Misses
}

// cacheKey hashes what a read's answer depends on.
func cacheKey(org, version, query string, bound map[string]string) [32]byte {
	h := sha256.New()
	for _, s := range []string{org, version, query} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	for _, k := range slices.Sorted(maps.Keys(bound)) {
		h.Write([]byte(k))
		h.Write([]byte{1})
		h.Write([]byte(bound[k]))
		h.Write([]byte{0})
	}
	var key [32]byte
	h.Sum(key[:0])
	return key
}

// copyRows returns rows whose row slices the caller may change without
// changing the cached ones (the values themselves are never changed in
// place).
func copyRows(r *store.Rows) *store.Rows {
	out := &store.Rows{Columns: r.Columns, Data: make([][]any, len(r.Data))}
	for i, row := range r.Data {
		out.Data[i] = slices.Clone(row)
	}
	return out
}

// rowsBytes estimates the memory r holds.
func rowsBytes(r *store.Rows) uint64 {
	n := uint64(64 + 48*len(r.Columns))
	for _, row := range r.Data {
		n += 24 + 16*uint64(len(row))
		for _, v := range row {
			n += valueBytes(v)
		}
	}
	return n
}

func valueBytes(v any) uint64 {
	switch x := v.(type) {
	case string:
		return 16 + uint64(len(x))
	case *string:
		if x != nil {
			return 24 + uint64(len(*x))
		}
	case decimal.Decimal, *decimal.Decimal:
		return 48
	case time.Time, *time.Time:
		return 32
	case []string:
		n := uint64(24)
		for _, s := range x {
			n += 16 + uint64(len(s))
		}
		return n
	case []any:
		n := uint64(24)
		for _, e := range x {
			n += 16 + valueBytes(e)
		}
		return n
	}
	return 8
}

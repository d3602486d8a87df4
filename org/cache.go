package org

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// Writer stores settings rows: Write(ctx, batchID, []Settings{...}), as
// ingest.Writer does.
type Writer interface {
	Write(ctx context.Context, batchID string, records any) (int, error)
}

// Config configures a Cache.
type Config struct {
	Store Querier
	// Writer stores the settings Update makes; nil: Update fails.
	Writer Writer
	// Audit, when set, is where UpdateBy records each change (ops.audit).
	Audit Inserter
	// TTL is how long an org's settings, and the currency its data names,
	// are reused before they are read again: a change made by another
	// process shows within this time. Zero reads on every Get.
	TTL time.Duration
}

// Validate reports what is missing.
func (c Config) Validate() error {
	if c.Store == nil {
		return errors.New("org: no store")
	}
	if c.TTL < 0 {
		return fmt.Errorf("org: negative TTL %s", c.TTL)
	}
	return nil
}

// DefaultTTL is the TTL of the service's cache. With the fastest KPIs
// (about 10 ms) reading an org's settings was a sixth of the time.
const DefaultTTL = 30 * time.Second

// maxEntries bounds the cache: past it, everything is forgotten rather
// than the map grown.
const maxEntries = 10_000

// Cache reads orgs' settings and keeps them for Config.TTL. It is the one
// place a process reads settings through, so that Update and Forget, called
// on every settings write in the process, keep every reader current. It is
// safe for concurrent use.
type Cache struct {
	cfg Config

	mu sync.Mutex
	m  map[string]entry
}

type entry struct {
	s  Settings
	at time.Time // zero: s not read yet
	// currency the org's data names, for settings that name none
	code, why string
	codeAt    time.Time // zero: not read yet
}

// NewCache returns an empty cache.
func NewCache(cfg Config) (*Cache, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Cache{cfg: cfg, m: map[string]entry{}}, nil
}

// Get returns an org's settings, New's for an org with none stored, read
// at most TTL ago. Errors are the store's.
func (c *Cache) Get(ctx context.Context, id string) (Settings, error) {
	e := c.entry(id)
	if fresh(e.at, c.cfg.TTL) {
		return e.s, nil
	}
	s, _, err := c.Load(ctx, id)
	return s, err
}

// Load reads an org's settings from the store now, as a writer that must
// not work on a stale copy does (the importer), and keeps them for the
// readers after it. found is false for an org with no settings stored.
func (c *Cache) Load(ctx context.Context, id string) (s Settings, found bool, err error) {
	s, found, err = Load(ctx, c.cfg.Store, id)
	if err != nil {
		return s, found, err
	}
	c.update(id, func(e *entry) { e.s, e.at = s, time.Now() })
	return s, found, nil
}

// Currency returns the currency s's amounts are in: s.Currency, else the
// one its data names (DataCurrency, read at most TTL ago); why says why it
// is "".
func (c *Cache) Currency(ctx context.Context, s Settings) (code, why string, err error) {
	if s.Currency != "" {
		return s.Currency, "", nil
	}
	e := c.entry(s.ID)
	if fresh(e.codeAt, c.cfg.TTL) {
		return e.code, e.why, nil
	}
	code, why, err = DataCurrency(ctx, c.cfg.Store, s.ID)
	if err != nil {
		return "", "", err
	}
	c.update(s.ID, func(e *entry) { e.code, e.why, e.codeAt = code, why, time.Now() })
	return code, why, nil
}

// Forget drops what the cache holds of an org, after a write that may
// have changed its settings or the currencies its data names.
func (c *Cache) Forget(id string) {
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}

// Update applies p to an org's settings as stored now (New's if it has
// none) and stores them. It refuses a currency other than the one the
// org's time entries are in: amounts are never converted. Errors of p are
// *BadSettingError.
func (c *Cache) Update(ctx context.Context, id string, p Patch) (Settings, error) {
	if c.cfg.Writer == nil {
		return Settings{}, errors.New("org: a cache without a writer cannot update settings")
	}
	s, _, err := Load(ctx, c.cfg.Store, id)
	if err != nil {
		return s, err
	}
	return c.store(ctx, s, p)
}

// store applies p to s, an org's settings as stored now, and stores them.
func (c *Cache) store(ctx context.Context, s Settings, p Patch) (Settings, error) {
	id := s.ID
	defer c.Forget(id)
	old := s.Currency
	if err := p.Apply(&s); err != nil {
		return s, err
	}
	if s.Currency != old {
		rows, err := c.cfg.Store.Query(ctx, store.QueryText("org_other_currencies"), store.Params{"org": id, "currency": s.Currency})
		if err != nil {
			return s, err
		}
		var held []string
		for i := range rows.Len() {
			var code string
			var n uint64
			if err := rows.Scan(i, &code, &n); err != nil {
				return s, err
			}
			held = append(held, fmt.Sprintf("%d in %s", n, code))
		}
		if len(held) > 0 {
			return s, &BadSettingError{Msg: fmt.Sprintf("currency %q: the org's time entries are in another currency (%s); amounts are never converted, so import into a new org instead",
				s.Currency, strings.Join(held, ", "))}
		}
	}
	if _, err := c.cfg.Writer.Write(ctx, "org-settings", []Settings{s}); err != nil {
		return s, err
	}
	return s, nil
}

// UpdateBy is Update made by who (an audit trail's Who: an email, "token
// <id>", "cli"): a change that alters any setting is recorded in
// Config.Audit, with the settings as shown before and after. A patch that
// changes nothing records nothing. The settings are stored before the
// change is recorded; an error recording it is returned, wrapped, with the
// stored settings.
func (c *Cache) UpdateBy(ctx context.Context, who, id string, p Patch) (Settings, error) {
	if c.cfg.Writer == nil {
		return Settings{}, errors.New("org: a cache without a writer cannot update settings")
	}
	before, _, err := Load(ctx, c.cfg.Store, id)
	if err != nil {
		return before, err
	}
	after, err := c.store(ctx, before, p)
	if err != nil || c.cfg.Audit == nil {
		return after, err
	}
	b, a := before.Show(), after.Show()
	if a == b {
		return after, nil
	}
	if err := Record(ctx, c.cfg.Audit, Change{Org: id, Who: who, Kind: AuditSettings, Subject: id, Name: a.Name,
		Before: JSON(b), After: JSON(a)}); err != nil {
		return after, fmt.Errorf("settings saved, but not recorded in the audit trail: %w", err)
	}
	return after, nil
}

func (c *Cache) entry(id string) entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[id]
}

func (c *Cache) update(id string, f func(*entry)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > maxEntries {
		clear(c.m)
	}
	e := c.m[id]
	f(&e)
	c.m[id] = e
}

func fresh(at time.Time, ttl time.Duration) bool {
	return !at.IsZero() && time.Since(at) < ttl
}

package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb"
	"github.com/opsmetrics/opsmetrics/sql/clickhouse"
)

// storeOptions choose the engine: embedded chDB by default, a ClickHouse
// server when a DSN is given.
type storeOptions struct {
	dataDir      string
	dsn          string
	cluster      string
	libPath      string
	maxExecution time.Duration
	engineArgs   []string
	jemallocConf string
}

func (o *storeOptions) register(fs flags, e *env) {
	fs.StringVar(&o.dataDir, "data-dir", envOr(e, "OPSMETRICS_DATA_DIR", "./data"), "embedded engine data directory (OPSMETRICS_DATA_DIR)")
	fs.StringVar(&o.dsn, "clickhouse-dsn", "",
		"use a ClickHouse server instead of the embedded engine, e.g. clickhouse://user:pass@host:9000/ops (OPSMETRICS_CLICKHOUSE_DSN)")
	// The DSN may hold a password: taken from the environment after the
	// flag is declared, so that help never prints it as the default.
	o.dsn = e.getenv("OPSMETRICS_CLICKHOUSE_DSN")
	fs.StringVar(&o.cluster, "clickhouse-cluster", e.getenv("OPSMETRICS_CLICKHOUSE_CLUSTER"),
		"ClickHouse cluster name: migrations run ON CLUSTER with replicated and distributed tables (OPSMETRICS_CLICKHOUSE_CLUSTER)")
	fs.StringVar(&o.libPath, "chdb-lib", envOr(e, "CHDB_LIB_PATH", defaultLibPath(e)), "path to libchdb.so for the embedded engine (CHDB_LIB_PATH)")
	o.jemallocConf = envOr(e, "JE_MALLOC_CONF", "dirty_decay_ms:100,muzzy_decay_ms:0")
	if v := e.getenv("OPSMETRICS_CHDB_ARGS"); v != "" {
		o.engineArgs = strings.Fields(v) // advanced: extra embedded engine settings
	}
	fs.DurationVar(&o.maxExecution, "query-timeout", envDuration(e, "OPSMETRICS_QUERY_TIMEOUT", 2*time.Minute), "longest a single query may run (OPSMETRICS_QUERY_TIMEOUT)")
}

func defaultLibPath(e *env) string {
	return chdb.LibPath(cacheDir(e))
}

// cacheDir mirrors os.UserCacheDir but reads the environment through e.
func cacheDir(e *env) string {
	if d := e.getenv("XDG_CACHE_HOME"); d != "" {
		return d
	}
	if h := e.getenv("HOME"); h != "" {
		return filepath.Join(h, ".cache")
	}
	return os.TempDir()
}

func envDuration(e *env, key string, def time.Duration) time.Duration {
	if v := e.getenv(key); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}

// open opens the configured engine.
func (o *storeOptions) open(ctx context.Context, log *slog.Logger) (store.Store, error) {
	if o.dsn != "" {
		return clickhouse.Open(ctx, clickhouse.Config{DSN: o.dsn, Cluster: o.cluster, MaxExecution: o.maxExecution, Logger: log})
	}
	if o.cluster != "" {
		return nil, fmt.Errorf("--clickhouse-cluster needs --clickhouse-dsn: the embedded engine is a single node")
	}
	if o.jemallocConf != "" {
		// Read by the engine's allocator when libchdb loads: give freed
		// pages back within a tenth of a second instead of keeping them for
		// ten (docs/benchmarks.md: 40 MB less at the peak of a large import
		// at 500 ms, and 25-50 MB less again at 100 ms, at no measured cost).
		if err := os.Setenv("JE_MALLOC_CONF", o.jemallocConf); err != nil {
			log.Warn("jemalloc_conf_not_set", "err", err)
		}
	}
	return chdb.Open(chdb.Config{LibPath: o.libPath, DataDir: o.dataDir, MaxExecution: o.maxExecution, Logger: log,
		Args: o.engineArgs})
}

// openMigrated opens the engine and brings its schema up to date.
func (o *storeOptions) openMigrated(ctx context.Context, log *slog.Logger) (store.Store, error) {
	s, err := o.open(ctx, log)
	if err != nil {
		return nil, err
	}
	applied, err := store.Migrate(ctx, s, store.MigrateConfig{Cluster: o.cluster})
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	if len(applied) > 0 {
		log.Info("schema_migrated", "applied", applied)
	}
	return s, nil
}

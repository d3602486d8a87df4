package sql

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed schema/*.sql
var schemaFS embed.FS

// Migration is one embedded schema file, sql/schema/NNNN_name.sql.
type Migration struct {
	Version    int
	Name       string
	Checksum   string // hex SHA-256 of the file
	Statements []string
}

// Migrations returns the embedded migrations in version order.
func Migrations() ([]Migration, error) {
	entries, err := fs.Glob(schemaFS, "schema/*.sql")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, path := range entries {
		base := strings.TrimSuffix(strings.TrimPrefix(path, "schema/"), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %s: name must be NNNN_name.sql", path)
		}
		text, err := schemaFS.ReadFile(path)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(text)
		out = append(out, Migration{Version: v, Name: name, Checksum: hex.EncodeToString(sum[:]), Statements: splitStatements(string(text))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("two migrations with version %d", out[i].Version)
		}
	}
	return out, nil
}

// splitStatements splits a schema file into statements at lines ending in ';'
// and drops comment-only lines. Schema files keep semicolons out of strings
// and comments.
func splitStatements(text string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		code, _, _ := strings.Cut(line, " -- ") // trailing comment
		cur.WriteString(strings.TrimRight(code, " \t"))
		cur.WriteByte('\n')
		if strings.HasSuffix(strings.TrimSpace(code), ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// MigrateConfig chooses how migrations are applied.
type MigrateConfig struct {
	// Cluster, when set, creates every table ON CLUSTER as a Replicated*MergeTree
	// named <table>_local plus a Distributed table under the original name, so
	// the same query text reads and writes through the Distributed table.
	Cluster string
}

// Validate checks the cluster name, which is written into DDL as an identifier.
func (c MigrateConfig) Validate() error {
	if c.Cluster != "" && !identRE.MatchString(c.Cluster) {
		return fmt.Errorf("cluster name %q: use letters, digits and underscores", c.Cluster)
	}
	return nil
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// migrationsTable records applied migrations. ReplacingMergeTree: a migration
// re-applied after a crash replaces its own row.
const migrationsTable = `CREATE TABLE IF NOT EXISTS ops.schema_migrations
(
    version    UInt32,
    name       String,
    checksum   String,
    applied_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY version`

// Migrate applies every embedded migration that the store has not recorded,
// in order, and returns the versions it applied. Statements are idempotent
// (IF NOT EXISTS), so a migration interrupted by a crash is simply applied
// again. A recorded migration whose file has changed is an error: migrations
// are append-only.
func Migrate(ctx context.Context, s Store, cfg MigrateConfig) ([]int, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	all, err := Migrations()
	if err != nil {
		return nil, err
	}
	for _, stmt := range []string{"CREATE DATABASE IF NOT EXISTS ops", migrationsTable} {
		if err := execDDL(ctx, s, cfg, stmt); err != nil {
			return nil, fmt.Errorf("create migrations table: %w", err)
		}
	}
	rows, err := s.Query(ctx, "SELECT version, checksum FROM ops.schema_migrations FINAL", nil)
	if err != nil {
		return nil, fmt.Errorf("read applied migrations: %w", err)
	}
	applied := map[int]string{}
	for i := range rows.Len() {
		var v int
		var sum string
		if err := rows.Scan(i, &v, &sum); err != nil {
			return nil, err
		}
		applied[v] = sum
	}
	var done []int
	for _, m := range all {
		if sum, ok := applied[m.Version]; ok {
			if sum != m.Checksum {
				return done, fmt.Errorf("migration %04d_%s was changed after it was applied: add a new migration instead", m.Version, m.Name)
			}
			continue
		}
		for i, stmt := range m.Statements {
			if err := execDDL(ctx, s, cfg, stmt); err != nil {
				return done, fmt.Errorf("migration %04d_%s statement %d: %w", m.Version, m.Name, i+1, err)
			}
		}
		err := s.Insert(ctx, &Batch{
			Table:   "ops.schema_migrations",
			Columns: []string{"version", "name", "checksum", "applied_at"},
			Values:  []any{[]uint32{uint32(m.Version)}, []string{m.Name}, []string{m.Checksum}, []time.Time{time.Now()}},
		})
		if err != nil {
			return done, fmt.Errorf("record migration %04d: %w", m.Version, err)
		}
		done = append(done, m.Version)
	}
	return done, nil
}

func execDDL(ctx context.Context, s Store, cfg MigrateConfig, stmt string) error {
	stmts := []string{stmt}
	if cfg.Cluster != "" {
		var err error
		if stmts, err = OnCluster(stmt, cfg.Cluster); err != nil {
			return err
		}
	}
	for _, st := range stmts {
		if err := s.Exec(ctx, st, nil); err != nil {
			return err
		}
	}
	return nil
}

var (
	createDBRE    = regexp.MustCompile(`^CREATE DATABASE IF NOT EXISTS (\w+)$`)
	createTableRE = regexp.MustCompile(`(?s)^CREATE TABLE IF NOT EXISTS (\w+)\.(\w+)(.*)ENGINE = (\w*MergeTree)(.*)$`)
	orderByRE     = regexp.MustCompile(`ORDER BY \(?\s*(\w+)`)
	alterTableRE  = regexp.MustCompile(`(?s)^ALTER TABLE (\w+)\.(\w+) (.*)$`)
)

// OnCluster rewrites one schema statement for a cluster: tables become a
// replicated <name>_local on every node plus a Distributed <name> sharded by
// the first sorting column (the org), and ALTERs apply to both.
//
// Why by the first sorting column: FINAL (ReplacingMergeTree, Summing)
// merges rows of one sorting key on one shard only, so every version of a
// row must land on the same shard; the first sorting column is part of
// every key, so hashing it does that. It is org_id for every org's data, so
// an org's rows live on one shard: a KPI of one org reads one shard's
// data, tenants spread evenly over shards, and the entry facts' and
// staging's mutations (which a Distributed table refuses; the server
// engine sends them to the _local tables ON CLUSTER, sql/clickhouse/
// cluster.go) touch one shard's parts. Replicas of a shard share them
// through Keeper.
func OnCluster(stmt, cluster string) ([]string, error) {
	if m := createDBRE.FindStringSubmatch(stmt); m != nil {
		return []string{fmt.Sprintf("CREATE DATABASE IF NOT EXISTS %s ON CLUSTER %s", m[1], cluster)}, nil
	}
	if m := createTableRE.FindStringSubmatch(stmt); m != nil {
		db, table, body, engine, rest := m[1], m[2], m[3], m[4], m[5]
		key := orderByRE.FindStringSubmatch(rest)
		if key == nil {
			return nil, fmt.Errorf("table %s.%s: no ORDER BY to shard by", db, table)
		}
		local := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s_local ON CLUSTER %s%sENGINE = Replicated%s%s", db, table, cluster, body, engine, rest)
		dist := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s ON CLUSTER %s AS %s.%s_local ENGINE = Distributed(%s, %s, %s_local, cityHash64(%s))",
			db, table, cluster, db, table, cluster, db, table, key[1])
		return []string{local, dist}, nil
	}
	if m := alterTableRE.FindStringSubmatch(stmt); m != nil {
		return []string{
			fmt.Sprintf("ALTER TABLE %s.%s_local ON CLUSTER %s %s", m[1], m[2], cluster, m[3]),
			fmt.Sprintf("ALTER TABLE %s.%s ON CLUSTER %s %s", m[1], m[2], cluster, m[3]),
		}, nil
	}
	return nil, fmt.Errorf("cannot apply on a cluster: %.60s", stmt)
}

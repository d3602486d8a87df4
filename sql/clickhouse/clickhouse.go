// Package clickhouse is the ClickHouse server engine: a store.Store over
// clickhouse-go's native protocol. Query values are bound as server-side typed
// parameters, results are normalized to the Go types store.Rows documents,
// and every server exception is classified into a store error kind.
package clickhouse

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// DefaultMinServerVersion is the oldest server Open accepts unless
// Config.MinServerVersion says otherwise: the schema needs its types and
// settings (DateTime64, typed query parameters, session_timezone).
const DefaultMinServerVersion = "24.8"

// Config configures a connection to a ClickHouse server.
type Config struct {
	// DSN is a native-protocol address, e.g.
	// clickhouse://user:password@host:9000/ops?dial_timeout=5s. Required.
	// Its database is ignored: the tables always live in ops.
	DSN string
	// Cluster names the cluster the schema lives on, or "" for one server.
	// With it, inserts into Distributed tables return only once every shard
	// holds the rows.
	Cluster string
	// MinServerVersion is the oldest server version Open accepts, as
	// "major.minor[.patch]". Empty means DefaultMinServerVersion.
	MinServerVersion string
	// MaxExecution bounds each statement on the server (max_execution_time,
	// rounded up to whole seconds). A context deadline that ends sooner
	// bounds it instead. Zero means no bound but the context's.
	MaxExecution time.Duration
	// Logger receives connection events. Nil discards them.
	Logger *slog.Logger
}

var (
	clusterRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// identRE admits qualified names (ops.time_entries) and nothing that
	// could end the identifier: Insert writes them into the statement.
	identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)
)

// Validate reports a missing or unparsable DSN, a non-native protocol, a
// cluster name that is not a plain identifier and a malformed
// MinServerVersion. Its errors never contain the DSN's password.
func (c Config) Validate() error {
	if c.DSN == "" {
		return errors.New("clickhouse config: DSN is required")
	}
	opts, err := ch.ParseDSN(c.DSN) // redacts the password from its errors
	if err != nil {
		return fmt.Errorf("clickhouse config: DSN: %w", err)
	}
	if opts.Protocol != ch.Native {
		return errors.New("clickhouse config: DSN: use the native protocol (clickhouse://host:9000)")
	}
	if c.Cluster != "" && !clusterRE.MatchString(c.Cluster) {
		return fmt.Errorf("clickhouse config: cluster name %q: use letters, digits and underscores", c.Cluster)
	}
	if c.MinServerVersion != "" {
		if _, err := parseVersion(c.MinServerVersion); err != nil {
			return fmt.Errorf("clickhouse config: MinServerVersion: %w", err)
		}
	}
	return nil
}

// Store is a store.Store on a ClickHouse server. It is safe for concurrent use;
// clickhouse-go pools its connections.
type Store struct {
	conn     ch.Conn
	settings ch.Settings // sent with every statement; never mutated after Open
	info     store.EngineInfo
	user     string
	log      *slog.Logger
	cluster  string // Config.Cluster: mutations go to the _local tables ON CLUSTER (cluster.go)
	store.Watchers
}

var (
	_ store.Store        = (*Store)(nil)
	_ store.Exclusive    = (*Store)(nil)
	_ store.WriteWatcher = (*Store)(nil)
)

// Open connects to the server, pings it and checks its version before
// anything needs a database: the DSN's database is not used, as every
// statement names its database (ops) and migrate creates it. It returns a
// *store.Error of kind store.ErrUnavailable when the server cannot be reached,
// store.ErrAuth when it rejects the user and store.ErrTooOld when it is older
// than cfg.MinServerVersion. Error messages name the address, never the
// password. The caller owns the Store and must Close it.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	minVersion := cfg.MinServerVersion
	if minVersion == "" {
		minVersion = DefaultMinServerVersion
	}
	need, _ := parseVersion(minVersion) // checked by Validate
	opts, _ := ch.ParseDSN(cfg.DSN)     // checked by Validate
	// Sessions start in the user's default database, not the DSN's: every
	// statement names its tables (ops.time_entries), and a DSN ending in /ops
	// names a database that does not exist until migrate creates it. With it
	// in the handshake, a fresh server would answer "Database ops doesn't
	// exist" before the version check, and migrate could never create it.
	opts.Auth.Database = ""
	conn, err := ch.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("open clickhouse: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{
		conn:    conn,
		info:    store.EngineInfo{Name: "clickhouse", Detail: strings.Join(opts.Addr, ",")},
		user:    cmp.Or(opts.Auth.Username, "default"),
		log:     log,
		cluster: cfg.Cluster,
	}
	fail := func(err error) (*Store, error) {
		_ = conn.Close() // the error that made Open fail is the one to report
		return nil, err
	}
	if err := conn.Ping(ctx); err != nil {
		return fail(s.wrap(ctx, "open", err))
	}
	sv, err := conn.ServerVersion()
	if err != nil {
		return fail(s.wrap(ctx, "open", err))
	}
	s.info.Version = sv.Version.String()
	if !proto.CheckMinVersion(need, sv.Version) {
		return fail(&store.Error{Kind: store.ErrTooOld, Message: fmt.Sprintf(
			"ClickHouse server %s at %s is too old: opsmetrics needs %s or newer", s.info.Version, s.info.Detail, minVersion)})
	}
	s.settings = sessionSettings(sv.Version, cfg)
	log.Info("connected to clickhouse", "addr", s.info.Detail, "version", s.info.Version,
		"server_timezone", sv.Timezone.String(), "settings", fmt.Sprint(s.settings))
	return s, nil
}

// sessionSettings chooses the settings sent with every statement. A server
// rejects a setting it does not know, so each depends on the version.
func sessionSettings(v proto.Version, cfg Config) ch.Settings {
	s := ch.Settings{}
	if proto.CheckMinVersion(proto.Version{Major: 23, Minor: 6}, v) {
		// Dates and times in SQL (toDate, toStartOfMonth) then mean UTC on
		// every server, whatever its own time zone, as on the embedded engine.
		s["session_timezone"] = "UTC"
	}
	if cfg.Cluster != "" {
		// The setting was renamed in 23.11; the old name stays as an alias.
		if proto.CheckMinVersion(proto.Version{Major: 23, Minor: 11}, v) {
			s["distributed_foreground_insert"] = 1
		} else {
			s["insert_distributed_sync"] = 1
		}
	}
	if cfg.MaxExecution > 0 {
		s["max_execution_time"] = int(math.Ceil(cfg.MaxExecution.Seconds()))
	}
	return s
}

// parseVersion reads "major.minor[.patch[...]]"; parts after the patch are ignored.
func parseVersion(s string) (proto.Version, error) {
	parts := strings.Split(s, ".")
	if len(parts) < 2 {
		return proto.Version{}, fmt.Errorf("version %q: want major.minor", s)
	}
	var n [3]uint64
	for i := 0; i < len(parts) && i < len(n); i++ {
		var err error
		if n[i], err = strconv.ParseUint(parts[i], 10, 32); err != nil {
			return proto.Version{}, fmt.Errorf("version %q: %w", s, err)
		}
	}
	return proto.Version{Major: n[0], Minor: n[1], Patch: n[2]}, nil
}

// Exec runs a statement that returns no rows, with params bound to its
// {name:Type} placeholders on the server. Errors are classified (see Query).
func (s *Store) Exec(ctx context.Context, query string, params store.Params) error {
	written, wparams := query, params // what the write watchers are told: the Distributed table's name
	if s.cluster != "" {
		var err error
		if query, params, err = clusterMutation(query, params, s.cluster); err != nil {
			return err
		}
	}
	qctx, stop, err := s.queryContext(ctx, query, params)
	if err != nil {
		return fmt.Errorf("clickhouse exec: %w", err)
	}
	defer stop()
	if err := s.conn.Exec(qctx, query); err != nil {
		return s.wrap(ctx, "exec", err)
	}
	if w, ok := store.StatementWrite(ctx, written, wparams); ok {
		s.Wrote(ctx, w)
	}
	return nil
}

// Query runs a statement with params bound to its {name:Type} placeholders on
// the server and returns the whole result, normalized as store.Rows documents.
// A server exception comes back as a *store.Error of its kind; when ctx ends
// first, the server query is cancelled and the error wraps ctx.Err().
func (s *Store) Query(ctx context.Context, query string, params store.Params) (*store.Rows, error) {
	qctx, stop, err := s.queryContext(ctx, query, params)
	if err != nil {
		return nil, fmt.Errorf("clickhouse query: %w", err)
	}
	defer stop()
	rows, err := s.conn.Query(qctx, query)
	if err != nil {
		return nil, s.wrap(ctx, "query", err)
	}
	defer func() {
		stop() // first, so that an early return cancels the query rather than drain it
		_ = rows.Close()
	}()
	types := rows.ColumnTypes()
	out := &store.Rows{Columns: make([]store.Column, len(types))}
	dest := make([]any, len(types))
	for i, ct := range types {
		out.Columns[i] = store.Column{Name: ct.Name(), Type: ct.DatabaseTypeName()}
		dest[i] = reflect.New(ct.ScanType()).Interface()
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, s.wrap(ctx, "query", err)
		}
		row := make([]any, len(dest))
		for i, d := range dest {
			row[i] = normalize(reflect.ValueOf(d).Elem())
		}
		out.Data = append(out.Data, row)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(ctx, "query", err)
	}
	return out, nil
}

// Insert writes b in one INSERT that names its columns, appending each value
// slice as a whole column. The table and column names must be plain or
// qualified identifiers. A value slice that does not fit its column is a
// store.ErrBadData error and nothing is written.
func (s *Store) Insert(ctx context.Context, b *store.Batch) error {
	for _, name := range append([]string{b.Table}, b.Columns...) {
		if !identRE.MatchString(name) {
			return fmt.Errorf("clickhouse insert: bad identifier %q", name)
		}
	}
	n, err := b.Len()
	if err != nil {
		return fmt.Errorf("clickhouse insert: %w", err)
	}
	if n == 0 {
		return nil
	}
	op := "insert into " + b.Table
	// clickhouse-go reads the column types from the server's answer; an old
	// server sends none unless the statement names the columns.
	stmt := "INSERT INTO " + b.Table + " (" + strings.Join(b.Columns, ", ") + ")"
	qctx, stop, err := s.queryContext(ctx, "", nil)
	if err != nil {
		return fmt.Errorf("clickhouse %s: %w", op, err)
	}
	defer stop()
	batch, err := s.conn.PrepareBatch(qctx, stmt)
	if err != nil {
		return s.wrap(ctx, op, err)
	}
	cols := batch.Columns()
	for i, v := range b.Values {
		if err := batch.Column(i).Append(columnValues(string(cols[i].Type()), v)); err != nil {
			_ = batch.Abort() // drops the connection, so the unfinished INSERT writes nothing
			return fmt.Errorf("clickhouse %s: %w", op, &store.Error{Kind: store.ErrBadData,
				Message: fmt.Sprintf("column %s: %v", b.Columns[i], err)})
		}
	}
	if err := batch.Send(); err != nil {
		return s.wrap(ctx, op, err)
	}
	s.Wrote(ctx, store.BatchWrite(ctx, b))
	return nil
}

// Ping checks that the server answers; errors are classified as in Open.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.conn.Ping(ctx); err != nil {
		return s.wrap(ctx, "ping", err)
	}
	return nil
}

// Info names the engine, the server version (major.minor.patch) and its
// addresses. It never contains the password.
func (s *Store) Info() store.EngineInfo { return s.info }

// Exclusive reports false: a server may be shared by other replicas of
// opsmetrics and by other tools.
func (s *Store) Exclusive() bool { return false }

// Close closes every pooled connection. The Store must not be used afterwards.
func (s *Store) Close() error {
	if err := s.conn.Close(); err != nil {
		return fmt.Errorf("close clickhouse: %w", err)
	}
	return nil
}

// queryContext binds params to the placeholders of query and returns the
// context clickhouse-go runs the statement in; the caller must call stop when
// the statement is done.
//
// The caller's deadline is deliberately not passed on. clickhouse-go turns a
// deadline into socket deadlines, so once it has passed, the Cancel packet can
// no longer be written, the connection is just closed, and the server (18.16
// at least) runs the query to its end. Instead the returned context is
// cancelled when ctx ends, which clickhouse-go answers with a Cancel packet,
// and the time left on ctx bounds the query on the server as well.
func (s *Store) queryContext(ctx context.Context, query string, params store.Params) (qctx context.Context, stop func(), err error) {
	bound, err := store.BindParams(query, params)
	if err != nil {
		return nil, nil, err
	}
	settings := s.settings
	if d, ok := ctx.Deadline(); ok {
		left := max(1, int(math.Ceil(time.Until(d).Seconds()))) // 0 would mean no limit
		if limit, ok := settings["max_execution_time"].(int); !ok || left < limit {
			settings = maps.Clone(settings)
			settings["max_execution_time"] = left
		}
	}
	qctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	unhook := context.AfterFunc(ctx, cancel)
	stop = func() { unhook(); cancel() }
	// Decoding in UTC keeps a Date the same calendar day: clickhouse-go would
	// otherwise return it as midnight in the server's time zone.
	return ch.Context(qctx, ch.WithSettings(settings), ch.WithParameters(bound), ch.WithUserLocation(time.UTC)), stop, nil
}

// wrap turns a driver error into the store's error kinds: the context's own
// error when ctx has ended, a classified *store.Error for a server exception,
// store.ErrUnavailable for a failed connection. Messages name the address and
// the user, never the password.
func (s *Store) wrap(ctx context.Context, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("clickhouse %s: %w", op, ctxErr)
	}
	var ex *ch.Exception
	if errors.As(err, &ex) {
		e := store.Classify(int(ex.Code), ex.Message)
		if e.Kind == store.ErrAuth {
			e.Message = fmt.Sprintf("ClickHouse rejected user %q at %s: wrong password or unknown user", s.user, s.info.Detail)
		}
		return fmt.Errorf("clickhouse %s: %w", op, e)
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, ch.ErrAcquireConnTimeout) {
		return fmt.Errorf("clickhouse %s: %w", op, &store.Error{Kind: store.ErrUnavailable,
			Message: fmt.Sprintf("cannot reach ClickHouse at %s: %v", s.info.Detail, err)})
	}
	return fmt.Errorf("clickhouse %s: %w", op, err)
}

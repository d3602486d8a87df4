// Package chdb is the embedded ClickHouse engine: libchdb loaded in-process
// through purego, so opsmetrics runs with no database server. It implements
// store.Store with the same SQL text as the server engine.
package chdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// Config configures the embedded engine.
type Config struct {
	LibPath string // path to libchdb.so
	DataDir string // where the engine keeps its data; one process per directory
	// Conns is the number of engine connections, and so of queries that run at
	// once (a connection runs one statement at a time). Default: max(2, CPUs).
	Conns int
	// MaxExecution bounds every query. A cancelled context also stops its query
	// (through KILL QUERY).
	MaxExecution time.Duration
	// MaxMemory bounds one query's memory in bytes (0: engine default).
	MaxMemory int64
	// Args are extra engine settings, --name=value, as clickhouse-local takes
	// them (advanced tuning, e.g. --background_pool_size=4).
	Args   []string
	Logger *slog.Logger
}

// Validate fills defaults and checks the configuration.
func (c *Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("chdb: no data directory")
	}
	if c.Logger == nil {
		return errors.New("chdb: no logger")
	}
	if c.Conns <= 0 {
		c.Conns = max(2, runtime.NumCPU())
	}
	if c.MaxExecution <= 0 {
		c.MaxExecution = 10 * time.Minute
	}
	return nil
}

// Store is the embedded engine. It is safe for concurrent use.
type Store struct {
	cfg     Config
	lib     *lib
	lock    *os.File
	conns   chan uintptr // idle connections
	all     []*uintptr   // every connection, for Close
	killMu  sync.Mutex
	kill    uintptr // a connection reserved for KILL QUERY, so cancelling never waits for a free one
	seq     atomic.Uint64
	writes  atomic.Uint64 // statements that may have changed data, see Writes
	version string
	types   sync.Map // table name -> map[column]type
	store.Watchers

	closeOnce sync.Once
	closeMu   sync.Mutex     // orders wg.Add against Close's wg.Wait
	closing   bool           // Close has begun: no new statement starts
	wg        sync.WaitGroup // queries still running in the engine
}

var (
	_ store.Store             = (*Store)(nil)
	_ store.RowBinaryInserter = (*Store)(nil)
	_ store.MergePauser       = (*Store)(nil)
	_ store.WriteCounter      = (*Store)(nil)
	_ store.Exclusive         = (*Store)(nil)
	_ store.WriteWatcher      = (*Store)(nil)
)

var (
	openMu   sync.Mutex
	openPath string // the data directory of the open engine, if any
)

// Open loads libchdb, locks the data directory and boots the engine. Errors:
// store.ErrNoLibrary when libchdb is missing, store.ErrLocked when another
// process (or another Store in this one) has the directory.
func Open(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	cfg.DataDir = dir
	openMu.Lock()
	defer openMu.Unlock()
	if openPath != "" {
		return nil, &store.Error{Kind: store.ErrLocked, Message: fmt.Sprintf(
			"the embedded engine is already open on %s in this process; one process runs one engine", openPath)}
	}
	l, err := load(cfg.LibPath)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	s := &Store{cfg: cfg, lib: l, lock: lock, conns: make(chan uintptr, cfg.Conns)}
	args := []string{"clickhouse", "--path=" + dir, "--session_timezone=UTC",
		"--max_execution_time=" + strconv.Itoa(int(cfg.MaxExecution.Seconds()))}
	if cfg.MaxMemory > 0 {
		args = append(args, "--max_memory_usage="+strconv.FormatInt(cfg.MaxMemory, 10))
	}
	// The engine compiles a query's expressions to machine code the third
	// time it sees them, which makes that run 0.5–1 s slower; at opsmetrics'
	// sizes (one org's rows) the compiled code gains nothing measurable, so
	// it is off unless Args says otherwise (docs/benchmarks.md: the
	// overview's p99 went from 892 to 302 ms, p50 unchanged).
	//
	// logger.console=0: the engine logs to the console whenever stdin or
	// stderr is a terminal, and each streamed INSERT ends with "<Fatal>
	// ThreadStatus: current_thread contains invalid address" from the
	// connection's worker thread inside libchdb (harmless: the insert is
	// complete), which a person at a terminal reads as a crash. opsmetrics
	// reports engine errors itself, so the engine's own lines never reach the
	// user's output.
	for _, name := range []string{"compile_expressions", "compile_aggregate_expressions", "logger.console"} {
		if !slices.ContainsFunc(cfg.Args, func(a string) bool { return strings.HasPrefix(a, "--"+name+"=") }) {
			args = append(args, "--"+name+"=0")
		}
	}
	args = append(args, cfg.Args...)
	for i := range cfg.Conns + 1 {
		keep, argv := cstrings(args)
		c := l.connect(int32(len(argv)), argv)
		runtime.KeepAlive(keep)
		if c == nil || *c == 0 {
			s.closeConns()
			lock.Close()
			return nil, &store.Error{Kind: store.ErrUnavailable, Message: "libchdb could not open " + dir +
				" (see the engine log in the data directory)"}
		}
		s.all = append(s.all, c)
		if i == cfg.Conns {
			s.kill = *c
			continue
		}
		s.conns <- *c
	}
	s.version = l.version()
	openPath = dir
	cfg.Logger.Info("embedded_engine_open", "data_dir", dir, "chdb_version", s.version, "conns", cfg.Conns)
	return s, nil
}

// lockDir takes an exclusive lock on dir/opsmetrics.lock for the life of the
// process, so a second process fails fast instead of sharing the engine's files.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, "opsmetrics.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		owner, _ := os.ReadFile(path)
		f.Close()
		return nil, &store.Error{Kind: store.ErrLocked, Message: fmt.Sprintf(
			"data directory %s is in use by another opsmetrics process (pid %s): one process owns the embedded engine's data;"+
				" stop it, or send data to the running server's HTTP API (docs/import.md), or use another --data-dir",
			dir, strings.TrimSpace(string(owner)))}
	}
	if err := f.Truncate(0); err == nil {
		fmt.Fprintf(f, "%d\n", os.Getpid())
	}
	return f, nil
}

// Info describes the engine.
func (s *Store) Info() store.EngineInfo {
	return store.EngineInfo{Name: "chdb", Version: s.version, Detail: s.cfg.DataDir}
}

// Ping runs a trivial query.
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.run(ctx, "SELECT 1", nil, "RowBinary")
	return err
}

// Exec runs a statement without a result.
func (s *Store) Exec(ctx context.Context, query string, params store.Params) error {
	_, err := s.run(ctx, query, params, "RowBinary")
	return err
}

// wrote tells the watchers (store.WriteWatcher) of a statement that landed.
func (s *Store) wrote(ctx context.Context, query string, params store.Params) {
	if w, ok := store.StatementWrite(ctx, query, params); ok {
		s.Wrote(ctx, w)
	}
}

// Query runs a statement and decodes its RowBinaryWithNamesAndTypes result:
// binary, so no value is parsed from text (docs/benchmarks.md compares formats).
func (s *Store) Query(ctx context.Context, query string, params store.Params) (*store.Rows, error) {
	buf, err := s.run(ctx, query, params, "RowBinaryWithNamesAndTypes")
	if err != nil {
		return nil, err
	}
	rows, err := store.DecodeRowBinaryWithNamesAndTypes(buf)
	if err != nil {
		return nil, fmt.Errorf("decode result: %w", err)
	}
	return rows, nil
}

// run executes one statement on an idle connection. When ctx ends first, run
// returns ctx.Err() at once; the engine cannot be interrupted, so the query
// finishes in the background (bounded by MaxExecution) before its connection
// is reused.
func (s *Store) run(ctx context.Context, query string, params store.Params, format string) (_ []byte, err error) {
	bound, err := store.BindParams(query, params)
	if err != nil {
		return nil, err
	}
	tag := s.tag()
	if !readOnly(query) {
		s.writes.Add(1)
		defer s.writes.Add(1)
		defer func() {
			if err == nil {
				s.wrote(ctx, query, params)
			}
		}()
	}
	read := readCounterOf(ctx)
	return s.withConn(ctx, tag, func(conn uintptr) ([]byte, error) {
		q := []byte(tag + query)
		if len(bound) == 0 {
			return s.lib.resultRead(s.lib.queryN(conn, q, uintptr(len(q)), format, uintptr(len(format))), read)
		}
		names, values := make([]string, 0, len(bound)), make([]string, 0, len(bound))
		for k, v := range bound {
			names = append(names, k)
			values = append(values, v)
		}
		nb, np := cstrings(names)
		vb, vp := cstrings(values)
		nl, vl := lengths(names), lengths(values)
		res := s.lib.queryParamsN(conn, q, uintptr(len(q)), format, uintptr(len(format)), np, nl, vp, vl, uintptr(len(names)))
		runtime.KeepAlive(nb)
		runtime.KeepAlive(vb)
		return s.lib.resultRead(res, read)
	})
}

// ReadCounter adds up what the queries run with its context read from
// tables (the engine's storage counters): rows and uncompressed bytes. The
// scale benchmark (metrics/scale_bench_test.go) reports them per query.
type ReadCounter struct{ Rows, Bytes atomic.Uint64 }

type readCounterKey struct{}

// WithReadCounter returns ctx whose queries add what they read to c.
func WithReadCounter(ctx context.Context, c *ReadCounter) context.Context {
	return context.WithValue(ctx, readCounterKey{}, c)
}

func readCounterOf(ctx context.Context) *ReadCounter {
	c, _ := ctx.Value(readCounterKey{}).(*ReadCounter)
	return c
}

// Exclusive reports true: Open locks the data directory, so this process is
// the engine's only user.
func (s *Store) Exclusive() bool { return true }

// PauseMerges stops the engine's background merges. This process has the
// engine alone, so a large import may hold them back and have its parts
// merged after it (docs/benchmarks.md).
func (s *Store) PauseMerges(ctx context.Context) error {
	return s.Exec(ctx, "SYSTEM STOP MERGES", nil)
}

// ResumeMerges starts the background merges PauseMerges stopped.
func (s *Store) ResumeMerges(ctx context.Context) error {
	return s.Exec(ctx, "SYSTEM START MERGES", nil)
}

// Writes counts the statements that may have changed data, twice each: as
// they start and as they end, so that a count read while a write runs moves
// again when it lands. Every statement but SELECT, WITH ... SELECT, SHOW,
// DESCRIBE and EXPLAIN counts as a write. This process owns
// the data directory, so no other writer exists; a caller that derived
// something from the data (metrics' entry facts) knows it is still current
// while the count has not moved, without asking the engine.
func (s *Store) Writes() uint64 { return s.writes.Load() }

// readOnly reports whether a statement starts, after its comments, with a
// keyword that cannot write. Anything else (INSERT, ALTER, CREATE, OPTIMIZE, ...) counts as a
// write, so an unusual read only costs a needless recheck.
func readOnly(query string) bool {
	q := store.SkipComments(query)
	for _, kw := range []string{"SELECT", "WITH", "SHOW", "DESCRIBE", "EXPLAIN"} {
		if len(q) >= len(kw) && strings.EqualFold(q[:len(kw)], kw) {
			return true
		}
	}
	return false
}

func lengths(ss []string) []uintptr {
	out := make([]uintptr, len(ss))
	for i, s := range ss {
		out[i] = uintptr(len(s))
	}
	return out
}

// slowQuery is how long a statement may take before it is logged.
const slowQuery = 2 * time.Second

// tag returns a comment that makes one statement findable in
// system.processes, so a cancelled context can kill it.
func (s *Store) tag() string {
	return "/* opsmetrics-query:" + strconv.FormatUint(s.seq.Add(1), 10) + " */ "
}

// cancel kills the statement carrying tag. KILL QUERY ... ASYNC returns at
// once; the statement stops at its next cancellation check.
func (s *Store) cancel(tag string) {
	s.killMu.Lock()
	defer s.killMu.Unlock()
	q := []byte("KILL QUERY WHERE query LIKE {tag:String} AND query_id != queryID() ASYNC")
	keep, name := cstrings([]string{"tag"})
	pattern := "%" + strings.TrimSpace(tag) + "%"
	vkeep, value := cstrings([]string{pattern})
	res := s.lib.queryParamsN(s.kill, q, uintptr(len(q)), "RowBinary", 9, name, lengths([]string{"tag"}), value,
		lengths([]string{pattern}), 1)
	runtime.KeepAlive(keep)
	runtime.KeepAlive(vkeep)
	if _, err := s.lib.result(res); err != nil {
		s.cfg.Logger.Warn("query_kill_failed", "err", err)
	}
}

// withConn runs f on an idle connection in its own goroutine. When ctx ends
// first, it kills the statement tagged tag and returns ctx.Err() at once.
func (s *Store) withConn(ctx context.Context, tag string, f func(conn uintptr) ([]byte, error)) ([]byte, error) {
	// A statement that starts while Close runs would use a connection Close
	// is freeing (a crash inside the engine): it is refused instead.
	s.closeMu.Lock()
	if s.closing {
		s.closeMu.Unlock()
		return nil, &store.Error{Kind: store.ErrUnavailable, Message: "the embedded engine is closed"}
	}
	s.wg.Add(1)
	s.closeMu.Unlock()
	if err := ctx.Err(); err != nil { // a select below would pick at random between a free connection and ctx
		s.wg.Done()
		return nil, err
	}
	var conn uintptr
	select {
	case conn = <-s.conns:
	case <-ctx.Done():
		s.wg.Done()
		return nil, ctx.Err()
	}
	type outcome struct {
		buf []byte
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		defer s.wg.Done()
		defer func() { s.conns <- conn }()
		start := time.Now()
		buf, err := f(conn)
		if d := time.Since(start); d > slowQuery {
			s.cfg.Logger.Warn("slow_query", "seconds", d.Seconds(), "query", tag)
		}
		done <- outcome{buf, err}
	}()
	select {
	case o := <-done:
		return o.buf, o.err
	case <-ctx.Done():
		s.cancel(tag)
		return nil, ctx.Err()
	}
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Insert encodes the batch as RowBinary for the table's column types and
// streams it into one INSERT in chunks, so a large batch is never held twice.
func (s *Store) Insert(ctx context.Context, b *store.Batch) error {
	if _, err := b.Len(); err != nil {
		return err
	}
	types, err := s.ColumnTypes(ctx, b.Table, b.Columns)
	if err != nil {
		return err
	}
	enc, err := store.NewRowBinaryEncoder(b, types)
	if err != nil {
		return &store.Error{Kind: store.ErrBadData, Message: err.Error()}
	}
	if enc.Rows() == 0 {
		return nil
	}
	return s.insert(ctx, store.BatchWrite(ctx, b), b.Columns, func(st uintptr) error {
		bp := chunkPool.Get().(*[]byte)
		defer chunkPool.Put(bp)
		buf := (*bp)[:0]
		for i := range enc.Rows() {
			var err error
			if buf, err = enc.AppendRow(buf, i); err != nil {
				return &store.Error{Kind: store.ErrBadData, Message: err.Error()}
			}
			if len(buf) >= insertChunk {
				if err := s.appendStream(st, buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
		}
		return s.appendStream(st, buf)
	})
}

// InsertRowBinary writes rows already encoded as RowBinary for cols
// (store.RowBinaryInserter): an import encodes each row as it is parsed and
// holds a batch only as these bytes.
func (s *Store) InsertRowBinary(ctx context.Context, table string, cols []string, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	if _, err := s.ColumnTypes(ctx, table, cols); err != nil { // the table and its columns exist
		return err
	}
	return s.insert(ctx, store.RowBinaryWrite(ctx, table), cols, func(st uintptr) error {
		for len(data) > 0 {
			n := min(len(data), insertChunk)
			if err := s.appendStream(st, data[:n]); err != nil {
				return err
			}
			data = data[n:]
		}
		return nil
	})
}

// insert runs one INSERT into w.Table, which feed fills through an insert
// stream; a feed error cancels the INSERT, so nothing of it is stored. The
// watchers hear of w once it has landed.
func (s *Store) insert(ctx context.Context, w store.Write, cols []string, feed func(stream uintptr) error) (err error) {
	s.writes.Add(1)
	defer s.writes.Add(1)
	defer func() {
		if err == nil {
			s.Wrote(ctx, w)
		}
	}()
	table := w.Table
	tag := s.tag()
	// optimize_on_insert = 0: collapsing rows of equal key within one INSERT
	// took a tenth of a large import's time; FINAL and merges collapse them
	// anyway, keeping the last row (docs/benchmarks.md).
	query := tag + "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") SETTINGS optimize_on_insert = 0"
	_, err = s.withConn(ctx, tag, func(conn uintptr) ([]byte, error) {
		const format = "RowBinary"
		st := s.lib.streamInsertN(conn, query, uintptr(len(query)), format, uintptr(len(format)))
		if st == 0 {
			return nil, &store.Error{Kind: store.ErrQuery, Message: "libchdb returned no insert stream"}
		}
		defer s.lib.streamDestroy(st)
		if msg := s.lib.streamError(st); msg != "" {
			return nil, store.ClassifyText(msg)
		}
		if err := feed(st); err != nil {
			s.lib.streamCancel(st)
			return nil, err
		}
		return s.lib.result(s.lib.streamDone(st))
	})
	return err
}

// insertChunk is the size of one append to an insert stream. The size does
// not change the speed (1, 4 and 16 MiB measured alike, 512 KiB no slower);
// smaller keeps less of the Go heap busy.
const insertChunk = 512 << 10

// chunkPool reuses insert buffers: a new buffer per INSERT was a fifth of an
// import's allocations.
var chunkPool = sync.Pool{New: func() any {
	b := make([]byte, 0, insertChunk+64<<10)
	return &b
}}

func (s *Store) appendStream(st uintptr, buf []byte) error {
	if len(buf) == 0 {
		return nil
	}
	if s.lib.streamAppend(st, buf, uintptr(len(buf))) != 0 {
		return store.ClassifyText(s.lib.streamError(st))
	}
	return nil
}

// ColumnTypes returns the declared types of cols in table, reading
// system.columns once per table.
func (s *Store) ColumnTypes(ctx context.Context, table string, cols []string) ([]string, error) {
	db, name, ok := strings.Cut(table, ".")
	if !ok || !identRE.MatchString(db) || !identRE.MatchString(name) {
		return nil, &store.Error{Kind: store.ErrBadParam, Message: fmt.Sprintf("table %q: want database.table", table)}
	}
	known, err := s.loadColumns(ctx, table, db, name, false)
	if err != nil {
		return nil, err
	}
	for _, c := range cols {
		if _, ok := known[c]; !ok { // a migration may have added it since the cache was filled
			if known, err = s.loadColumns(ctx, table, db, name, true); err != nil {
				return nil, err
			}
			break
		}
	}
	out := make([]string, len(cols))
	for i, c := range cols {
		t, ok := known[c]
		if !ok {
			return nil, &store.Error{Kind: store.ErrBadParam, Message: fmt.Sprintf("table %s has no column %q", table, c)}
		}
		out[i] = t
	}
	return out, nil
}

func (s *Store) loadColumns(ctx context.Context, table, db, name string, reload bool) (map[string]string, error) {
	if v, ok := s.types.Load(table); ok && !reload {
		return v.(map[string]string), nil
	}
	rows, err := s.Query(ctx, "SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String}",
		store.Params{"db": db, "t": name})
	if err != nil {
		return nil, fmt.Errorf("read columns of %s: %w", table, err)
	}
	known := make(map[string]string, rows.Len())
	for i := range rows.Len() {
		var c, t string
		if err := rows.Scan(i, &c, &t); err != nil {
			return nil, err
		}
		known[c] = t
	}
	if len(known) == 0 {
		return nil, &store.Error{Kind: store.ErrUnknownTable, Message: "no table " + table}
	}
	s.types.Store(table, known)
	return known, nil
}

// Close waits for running queries, closes every connection (which shuts the
// engine down) and releases the data directory. The engine cannot be opened
// again in this process on another directory.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closeMu.Lock()
		s.closing = true
		s.closeMu.Unlock()
		s.wg.Wait()
		s.closeConns()
		s.lock.Close()
		openMu.Lock()
		openPath = ""
		openMu.Unlock()
	})
	return nil
}

func (s *Store) closeConns() {
	for _, c := range s.all {
		s.lib.closeConn(c)
	}
	s.all = nil
}

package chdb

import (
	"fmt"
	"os"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// lib holds the libchdb C API, bound with purego (no cgo). Signatures follow
// chdb.h of 26.7: a chdb_connection is a pointer, chdb_connect returns a
// pointer to one, results and insert streams are opaque handles.
type lib struct {
	path    string
	version func() string
	// setSignalHandlers must be called with 0 before the first connect: libchdb
	// otherwise installs process-wide handlers that turn a recoverable Go panic
	// (nil dereference) into a hang and swallow SIGTERM.
	setSignalHandlers func(enabled int32)
	connect           func(argc int32, argv []*byte) *uintptr
	closeConn         func(conn *uintptr)
	queryN            func(conn uintptr, query []byte, queryLen uintptr, format string, formatLen uintptr) uintptr
	queryParamsN      func(conn uintptr, query []byte, queryLen uintptr, format string, formatLen uintptr,
		names []*byte, nameLens []uintptr, values []*byte, valueLens []uintptr, count uintptr) uintptr
	resultBuffer  func(res uintptr) unsafe.Pointer
	resultLength  func(res uintptr) uintptr
	resultError   func(res uintptr) string
	storageRows   func(res uintptr) uint64 // rows the query read from tables
	storageBytes  func(res uintptr) uint64 // their bytes, uncompressed
	destroyResult func(res uintptr)
	streamInsertN func(conn uintptr, query string, queryLen uintptr, format string, formatLen uintptr) uintptr
	streamAppend  func(stream uintptr, data []byte, n uintptr) int32
	streamDone    func(stream uintptr) uintptr
	streamError   func(stream uintptr) string
	streamCancel  func(stream uintptr)
	streamDestroy func(stream uintptr)
}

var (
	loadMu sync.Mutex
	loaded *lib // a process loads libchdb at most once
)

// load opens libchdb once per process. A library that is missing or lacks a
// symbol is an ErrNoLibrary error that says how to install it.
func load(path string) (*lib, error) {
	loadMu.Lock()
	defer loadMu.Unlock()
	if loaded == nil {
		l, err := open(path)
		if err != nil {
			return nil, err
		}
		loaded = l
	}
	if loaded.path != path {
		return nil, fmt.Errorf("libchdb is already loaded from %s in this process, not %s", loaded.path, path)
	}
	return loaded, nil
}

func open(path string) (*lib, error) {
	if path == "" {
		return nil, noLibrary("no libchdb path configured")
	}
	if _, err := os.Stat(path); err != nil {
		return nil, noLibrary(fmt.Sprintf("libchdb not found at %s", path))
	}
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, noLibrary(fmt.Sprintf("cannot load %s: %v", path, err))
	}
	l := &lib{path: path}
	syms := []struct {
		fn   any
		name string
	}{
		{&l.version, "chdb_version"},
		{&l.setSignalHandlers, "chdb_set_signal_handlers_enabled"},
		{&l.connect, "chdb_connect"},
		{&l.closeConn, "chdb_close_conn"},
		{&l.queryN, "chdb_query_n"},
		{&l.queryParamsN, "chdb_query_with_params_n"},
		{&l.resultBuffer, "chdb_result_buffer"},
		{&l.resultLength, "chdb_result_length"},
		{&l.resultError, "chdb_result_error"},
		{&l.storageRows, "chdb_result_storage_rows_read"},
		{&l.storageBytes, "chdb_result_storage_bytes_read"},
		{&l.destroyResult, "chdb_destroy_query_result"},
		{&l.streamInsertN, "chdb_stream_insert_n"},
		{&l.streamAppend, "chdb_stream_append"},
		{&l.streamDone, "chdb_stream_done"},
		{&l.streamError, "chdb_stream_insert_error"},
		{&l.streamCancel, "chdb_stream_cancel_insert"},
		{&l.streamDestroy, "chdb_destroy_insert_stream"},
	}
	for _, s := range syms {
		addr, err := purego.Dlsym(h, s.name)
		if err != nil {
			return nil, noLibrary(fmt.Sprintf("%s has no %s: it is older than the 26.x C API opsmetrics needs", path, s.name))
		}
		purego.RegisterFunc(s.fn, addr)
	}
	l.setSignalHandlers(0)
	return l, nil
}

func noLibrary(why string) error {
	return &store.Error{Kind: store.ErrNoLibrary, Message: why +
		". Install it with `opsmetrics chdb install` (or `make libchdb`), set CHDB_LIB_PATH to an existing libchdb.so," +
		" or use a ClickHouse server with --clickhouse-dsn"}
}

// cstrings returns NUL-terminated copies of ss and pointers to them. The
// returned byte slices must stay reachable until the C call returns.
func cstrings(ss []string) ([][]byte, []*byte) {
	bufs := make([][]byte, len(ss))
	ptrs := make([]*byte, len(ss))
	for i, s := range ss {
		bufs[i] = append([]byte(s), 0)
		ptrs[i] = &bufs[i][0]
	}
	return bufs, ptrs
}

// result copies a result's buffer into Go memory and destroys the result.
// It returns the engine's error text, if any, as a classified error.
func (l *lib) result(res uintptr) ([]byte, error) {
	return l.resultRead(res, nil)
}

// resultRead is result, adding what the query read from tables to read
// when it is not nil.
func (l *lib) resultRead(res uintptr, read *ReadCounter) ([]byte, error) {
	if res == 0 {
		return nil, &store.Error{Kind: store.ErrQuery, Message: "libchdb returned no result"}
	}
	defer l.destroyResult(res)
	if msg := l.resultError(res); msg != "" {
		return nil, store.ClassifyText(msg)
	}
	if read != nil {
		read.Rows.Add(l.storageRows(res))
		read.Bytes.Add(l.storageBytes(res))
	}
	n := l.resultLength(res)
	p := l.resultBuffer(res)
	if n == 0 || p == nil {
		return nil, nil
	}
	out := make([]byte, n)
	copy(out, unsafe.Slice((*byte)(p), n))
	return out, nil
}

package sql

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Write is one statement that changed data, as the engine saw it land: the
// table it wrote and the orgs whose rows it wrote. metrics' data versions
// learn of every write this way, so no writer can forget to tell them.
type Write struct {
	// Table is the qualified table written ("ops.time_entries"); "" when
	// the statement does not say (then it may have changed any table).
	Table string
	// Orgs are the orgs whose rows were written; nil when not known (then
	// it may have changed any org's).
	Orgs []string
}

// WriteWatcher is an engine that tells watchers of every statement that
// may have changed data, once it has landed (after Exec, Insert or
// InsertRowBinary returns without error, before the caller hears of it).
// Both engines are.
type WriteWatcher interface {
	// WatchWrites adds f; f runs on the writer's goroutine and must not
	// block for long.
	WatchWrites(f func(ctx context.Context, w Write))
}

// Watchers is the list of WatchWrites' functions an engine keeps; its zero
// value is ready. Engines embed it.
type Watchers struct {
	mu sync.RWMutex
	fs []func(ctx context.Context, w Write)
}

// WatchWrites adds f (WriteWatcher).
func (ws *Watchers) WatchWrites(f func(ctx context.Context, w Write)) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.fs = append(ws.fs, f)
}

// Wrote tells every watcher of w.
func (ws *Watchers) Wrote(ctx context.Context, w Write) {
	ws.mu.RLock()
	fs := ws.fs
	ws.mu.RUnlock()
	for _, f := range fs {
		f(ctx, w)
	}
}

// WithWriteOrgs says whose rows the statements run with the returned
// context write, for a statement whose text and parameters do not say: the
// importer's copy of one org's batch from staging into the table.
func WithWriteOrgs(ctx context.Context, orgs ...string) context.Context {
	return context.WithValue(ctx, writeOrgsKey{}, orgs)
}

type writeOrgsKey struct{}

// writeOrgs returns the orgs WithWriteOrgs put in ctx, nil when none.
func writeOrgs(ctx context.Context) []string {
	orgs, _ := ctx.Value(writeOrgsKey{}).([]string)
	return orgs
}

// StatementWrite says what a statement that is not a SELECT wrote: its
// table as its text names it, and the org its {org} parameter binds (else
// the orgs of WithWriteOrgs, else nil: any org's). ok is
// false for a statement that changes no stored row (SYSTEM, OPTIMIZE, SET,
// KILL, a read): OPTIMIZE merges parts, and every read takes FINAL, so
// nothing a query answers moves.
func StatementWrite(ctx context.Context, query string, params Params) (w Write, ok bool) {
	q := SkipComments(query)
	kw := strings.ToUpper(firstWord(q))
	switch kw {
	case "SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "SYSTEM", "OPTIMIZE", "SET", "KILL", "EXISTS", "USE", "":
		return w, false
	}
	if m := writeTarget.FindStringSubmatch(q); m != nil {
		w.Table = strings.ReplaceAll(m[1], "`", "")
	}
	if org, isString := params["org"].(string); isString {
		w.Orgs = []string{org}
	} else {
		w.Orgs = writeOrgs(ctx)
	}
	return w, true
}

// writeTarget finds the table of the statements that write one.
var writeTarget = regexp.MustCompile(`(?is)^(?:INSERT\s+INTO|ALTER\s+TABLE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?(?:\s+IF\s+EXISTS)?|` +
	`DROP\s+TABLE(?:\s+IF\s+EXISTS)?|CREATE\s+(?:OR\s+REPLACE\s+)?TABLE(?:\s+IF\s+NOT\s+EXISTS)?)\s+([\w.` + "`" + `]+)`)

// BatchWrite says what an insert of b wrote: its table, and the orgs of its
// org_id column when it has one (else those of WithWriteOrgs).
func BatchWrite(ctx context.Context, b *Batch) Write {
	w := Write{Table: b.Table, Orgs: writeOrgs(ctx)}
	if i := slices.Index(b.Columns, "org_id"); i >= 0 && i < len(b.Values) {
		if ids, ok := b.Values[i].([]string); ok {
			w.Orgs = slices.Compact(slices.Sorted(slices.Values(ids)))
		}
	}
	return w
}

// SkipComments returns query after its leading white space, parentheses
// and comments: where its first keyword is.
func SkipComments(query string) string {
	q := query
	for {
		q = strings.TrimLeft(q, " \t\r\n(")
		switch {
		case strings.HasPrefix(q, "--"):
			_, q, _ = strings.Cut(q, "\n")
		case strings.HasPrefix(q, "/*"):
			_, q, _ = strings.Cut(q, "*/")
		default:
			return q
		}
	}
}

func firstWord(q string) string {
	end := strings.IndexFunc(q, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') })
	if end < 0 {
		return q
	}
	return q[:end]
}

// RowBinaryWrite says what an insert of encoded rows into table wrote: the
// orgs of WithWriteOrgs, else any org's.
func RowBinaryWrite(ctx context.Context, table string) Write {
	return Write{Table: table, Orgs: writeOrgs(ctx)}
}

package sql_test

import (
	"cmp"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
	"github.com/opsmetrics/opsmetrics/sql/clickhouse"
)

// The oldest ClickHouse server opsmetrics accepts (clickhouse.DefaultMinServerVersion)
// must run every statement opsmetrics sends. Nothing here runs that server:
// the embedded engine parses each statement (EXPLAIN AST, formatQuery), the
// test collects every function, aggregate combinator, table function, table
// engine, data type, setting and piece of syntax the statement uses, and
// dates each one with the engine's own metadata (system.functions,
// system.aggregate_function_combinators introduced_in; system.settings_changes)
// or, where the metadata records no date, with sql/floor_<floor>.txt, whose
// every entry names its source. Anything newer than the floor, or not dated
// at all, fails the test with the file and line that uses it.

func TestMain(m *testing.M) {
	code := m.Run()
	chdbtest.Close()
	os.Exit(code)
}

// sqlText is one statement opsmetrics sends, and where it comes from.
type sqlText struct {
	file   string   // repository-relative path of the file that holds it
	line   int      // line of the statement in file (1 for a query file)
	text   string   // the statement, fragments expanded
	search []string // files to search for a name's line: the file, then its fragments
}

// use is one thing a statement uses.
type use struct {
	kind string // function, combinator, table_function, engine, type, setting, merge_tree_setting, index_type, codec, syntax
	name string
	at   sqlText
}

// floorEntry is one line of the checked-in list.
type floorEntry struct {
	since  string
	source string
	line   int
}

// floorKinds are the kinds the list may date.
var floorKinds = []string{"function", "combinator", "table_function", "engine", "type", "setting",
	"merge_tree_setting", "index_type", "codec", "syntax"}

func TestSQLRunsOnFloorVersion(t *testing.T) {
	floor := clickhouse.DefaultMinServerVersion
	s := chdbtest.Shared(t)
	meta := readMeta(t, s)
	listFile := "floor_" + strings.ReplaceAll(floor, ".", "_") + ".txt"
	list := readFloorList(t, listFile)
	texts := statements(t)
	if len(texts) < 150 {
		t.Fatalf("found only %d statements to check: the collection is broken", len(texts))
	}
	var uses []use
	for _, st := range texts {
		uses = append(uses, collect(t, s, meta, st)...)
	}
	uses = append(uses, goSettings(t, meta)...)
	problems := checkFloor(floor, "sql/"+listFile, meta, list, uses)
	for _, p := range problems {
		t.Error(p)
	}
	if testing.Verbose() {
		seen := map[string]bool{}
		for _, u := range uses {
			if k := u.kind + " " + u.name; !seen[k] {
				seen[k] = true
				t.Logf("uses %-18s %s (%s)", u.kind, u.name, u.at.file)
			}
		}
	}
	t.Logf("%d statements, %d uses checked against ClickHouse %s", len(texts), len(uses), floor)
}

// checkFloor dates every use and returns one message per use that is newer
// than floor or not dated. Each distinct kind and name is reported once, at
// its first use.
func checkFloor(floor, listFile string, meta *engineMeta, list map[string]floorEntry, uses []use) []string {
	var out []string
	reported := map[string]bool{}
	for _, u := range uses {
		key := u.kind + "|" + u.name
		if reported[key] {
			continue
		}
		since, source := meta.date(u)
		if e, ok := list[key]; ok && (since == "" || meta.listMayOverride(u)) {
			since, source = e.since, fmt.Sprintf("%s:%d: %s", listFile, e.line, e.source)
		}
		where := func() string { return u.at.locate(u.name) }
		switch {
		case since == "" && source != "":
			reported[key] = true
			out = append(out, fmt.Sprintf("%s: %s %s: %s; add it to %s with its version and source once checked",
				where(), u.kind, u.name, source, listFile))
		case since == "":
			reported[key] = true
			out = append(out, fmt.Sprintf("%s: %s %s: the engine's metadata records no version and %s has no entry %q: "+
				"find the release that added it (ClickHouse changelog or docs) and add it", where(), u.kind, u.name, listFile,
				u.kind+" | "+u.name+" | <version> | <source>"))
		case newer(since, floor):
			reported[key] = true
			out = append(out, fmt.Sprintf("%s: %s %s appeared in ClickHouse %s (%s), newer than the %s floor",
				where(), u.kind, u.name, since, source, floor))
		}
	}
	return out
}

// newer reports whether version a ("25.3", "25.3.0") is after b, comparing
// major and minor.
func newer(a, b string) bool {
	pa, pb := versionParts(a), versionParts(b)
	return cmp.Or(cmp.Compare(pa[0], pb[0]), cmp.Compare(pa[1], pb[1])) > 0
}

func versionParts(v string) [2]int {
	var out [2]int
	for i, p := range strings.SplitN(v, ".", 3) {
		if i < 2 {
			out[i], _ = strconv.Atoi(p)
		}
	}
	return out
}

// locate names the file and line where name is used: the first line of the
// statement's files that holds it as a word, else the statement's own line.
func (st sqlText) locate(name string) string {
	re := regexp.MustCompile(`(?i)(^|[^A-Za-z0-9_])` + regexp.QuoteMeta(name) + `($|[^A-Za-z0-9_])`)
	for _, f := range st.search {
		b, err := os.ReadFile(filepath.Join("..", f))
		if err != nil {
			continue
		}
		lines := strings.Split(string(b), "\n")
		for i, l := range lines {
			if code, _, _ := strings.Cut(l, "--"); re.MatchString(code) && (f != st.file || i+1 >= st.line) {
				return fmt.Sprintf("%s:%d", f, i+1)
			}
		}
	}
	return fmt.Sprintf("%s:%d", st.file, st.line)
}

// statements returns every statement opsmetrics sends: the query files, the
// schema migrations (as written and as rewritten for a cluster), and the SQL
// literals in the non-test Go code of the store and its callers.
func statements(t *testing.T) []sqlText {
	t.Helper()
	var out []sqlText
	fragRE := regexp.MustCompile(`\{\{([a-z_]+)\}\}`)
	for _, name := range store.QueryNames("") {
		file := "sql/queries/" + name + ".sql"
		raw, err := os.ReadFile(filepath.Join("queries", name+".sql"))
		if err != nil {
			t.Fatal(err)
		}
		st := sqlText{file: file, line: 1, text: store.QueryText(name), search: []string{file}}
		for _, m := range fragRE.FindAllStringSubmatch(string(raw), -1) {
			st.search = append(st.search, "sql/queries/fragments/"+m[1]+".sql")
		}
		out = append(out, st)
	}
	migrations, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations {
		file := fmt.Sprintf("sql/schema/%04d_%s.sql", m.Version, m.Name)
		for _, stmt := range m.Statements {
			st := sqlText{file: file, line: lineOf(t, file, stmt), text: stmt, search: []string{file}}
			out = append(out, st)
			// The cluster form: replicated and Distributed tables
			// (--clickhouse-cluster); the cluster need not exist to parse.
			cl, err := store.OnCluster(stmt, "floor_check")
			if err != nil {
				t.Fatalf("%s:%d: %v", file, st.line, err)
			}
			for _, c := range cl {
				out = append(out, sqlText{file: st.file, line: st.line, text: c, search: []string{file, "sql/migrate.go"}})
			}
		}
	}
	return append(out, goStatements(t)...)
}

// lineOf is the line of file where stmt begins (its first line of code).
func lineOf(t *testing.T, file, stmt string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", file))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(stmt, "\n")
	for i, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(l) != "" && strings.HasPrefix(strings.TrimSpace(first), strings.TrimSpace(strings.Split(l, " -- ")[0])) {
			return i + 1
		}
	}
	return 1
}

// sqlStartRE recognises a Go string that is a statement.
var sqlStartRE = regexp.MustCompile(`^\s*(SELECT|WITH|INSERT INTO|ALTER TABLE|CREATE (DATABASE|TABLE)|DROP TABLE|OPTIMIZE TABLE|SYSTEM|KILL QUERY|TRUNCATE TABLE|RENAME TABLE|EXCHANGE TABLES)\s`)

// goRoots are the directories whose non-test Go code sends SQL. Test
// harnesses (directories ending in "test") and bench/ run statements of
// their own and are not part of what a server must accept.
func goFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != ".." && (strings.HasPrefix(name, ".") || strings.HasSuffix(name, "test") || name == "bench" ||
				name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// goStatements finds the statements written in Go: a string literal, or a
// chain of them joined with +, that starts like SQL. Non-literal parts of a
// chain (a table name, a column list) become the identifier x; an INSERT
// whose data follows separately gets FORMAT RowBinary so it parses alone.
// fmt.Sprintf templates are not read: the one that builds DDL
// (store.OnCluster) is checked through its output above.
func goStatements(t *testing.T) []sqlText {
	t.Helper()
	var out []sqlText
	for _, path := range goFiles(t) {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		rel := strings.TrimPrefix(filepath.ToSlash(path), "../")
		ast.Inspect(f, func(n ast.Node) bool {
			e, ok := n.(ast.Expr)
			if !ok {
				return true
			}
			text, literal, ok := stringChain(e)
			if !ok {
				return true // descend into anything that is not a chain of strings
			}
			if !literal {
				// A chain that starts with a variable: a query tag
				// comment ("/* q42 */ " + "INSERT ..."), or a whole query.
				text = strings.TrimPrefix(text, "x")
			}
			if !sqlStartRE.MatchString(text) || strings.Contains(text, "%") {
				return false
			}
			if strings.HasPrefix(strings.TrimSpace(text), "INSERT INTO") && !regexp.MustCompile(`\b(VALUES|FORMAT|SELECT)\b`).MatchString(text) {
				text += " FORMAT RowBinary"
			}
			out = append(out, sqlText{file: rel, line: fset.Position(e.Pos()).Line, text: text, search: []string{rel}})
			return false
		})
	}
	if len(out) == 0 {
		t.Fatal("found no SQL in the Go code: the scan is broken")
	}
	return out
}

// stringChain flattens a string literal or a + chain that holds at least one
// literal; ok is false for anything else. literal reports whether the chain
// starts with a literal.
func stringChain(e ast.Expr) (text string, literal, ok bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			return "", false, false
		}
		s, err := strconv.Unquote(x.Value)
		return s, true, err == nil
	case *ast.BinaryExpr:
		if x.Op != token.ADD {
			return "", false, false
		}
		l, llit, lok := stringChain(x.X)
		r, _, rok := stringChain(x.Y)
		if !lok && !rok {
			return "", false, false
		}
		if !lok {
			l = "x"
		}
		if !rok {
			r = "x"
		}
		return l + r, llit, true
	case *ast.ParenExpr:
		return stringChain(x.X)
	}
	return "", false, false
}

// goSettings finds the settings the engines' Go code sets: a map key or a
// --name=value argument naming a known setting in sql/chdb and
// sql/clickhouse.
func goSettings(t *testing.T, meta *engineMeta) []use {
	t.Helper()
	var out []use
	argRE := regexp.MustCompile(`^--([a-z_0-9]+)=`)
	for _, path := range goFiles(t) {
		rel := strings.TrimPrefix(filepath.ToSlash(path), "../")
		if !strings.HasPrefix(rel, "sql/chdb/") && !strings.HasPrefix(rel, "sql/clickhouse/") {
			continue
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			if m := argRE.FindStringSubmatch(s); m != nil {
				s = m[1]
			}
			if meta.settings[s] {
				out = append(out, use{kind: "setting", name: s,
					at: sqlText{file: rel, line: fset.Position(lit.Pos()).Line, search: []string{rel}}})
			}
			return true
		})
	}
	if len(out) == 0 {
		t.Fatal("found no settings in the engines' Go code: the scan is broken")
	}
	return out
}

// dummy is a value of a placeholder's type, so EXPLAIN AST gets a statement
// with every parameter bound; the values are never run.
func dummy(typ string) any {
	switch {
	case strings.HasPrefix(typ, "Nullable("):
		return nil
	case strings.HasPrefix(typ, "Array("):
		return "[]"
	case typ == "Identifier":
		return "floor_check"
	case typ == "Date" || typ == "Date32":
		return "2026-01-01"
	case strings.HasPrefix(typ, "DateTime"):
		return "2026-01-01 00:00:00"
	case typ == "String" || strings.HasPrefix(typ, "LowCardinality(String") || strings.HasPrefix(typ, "FixedString"):
		return "x"
	case typ == "Bool":
		return "true"
	}
	return "1" // numbers and decimals
}

// collect parses st with the engine and lists what it uses.
func collect(t *testing.T, s *chdb.Store, meta *engineMeta, st sqlText) []use {
	t.Helper()
	params := store.Params{}
	for name, typ := range store.Placeholders(st.text) {
		params[name] = dummy(typ)
	}
	rows, err := s.Query(t.Context(), "EXPLAIN AST "+st.text, params)
	if err != nil {
		t.Errorf("%s:%d: the engine cannot parse the statement: %v", st.file, st.line, err)
		return nil
	}
	var lines []string
	for i := range rows.Len() {
		var l string
		if err := rows.Scan(i, &l); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	// The normalised text (comments gone, keywords upper case, one space
	// between words) for the syntax the AST does not show. The statement goes
	// in as a string, so its placeholders stay as written.
	rows, err = s.Query(t.Context(), "SELECT formatQuerySingleLine({q:String})", store.Params{"q": st.text})
	if err != nil {
		t.Errorf("%s:%d: formatQuery: %v", st.file, st.line, err)
		return nil
	}
	var formatted string
	if err := rows.Scan(0, &formatted); err != nil {
		t.Fatal(err)
	}
	return append(astUses(meta, st, lines), textUses(st, formatted)...)
}

// astNode is one line of EXPLAIN AST: its depth, kind and name.
type astNode struct {
	depth      int
	kind, name string
}

// twoWordKinds are the AST node kinds written as two words.
var twoWordKinds = []string{"Columns definition", "Storage definition", "SYSTEM query", "AlterCommand"}

func parseASTLine(l string) astNode {
	trimmed := strings.TrimLeft(l, " ")
	n := astNode{depth: len(l) - len(trimmed)}
	if i := strings.Index(trimmed, " (children "); i >= 0 {
		trimmed = trimmed[:i]
	}
	if i := strings.Index(trimmed, " (alias "); i >= 0 {
		trimmed = trimmed[:i]
	}
	for _, k := range twoWordKinds {
		if rest, ok := strings.CutPrefix(trimmed, k); ok && (rest == "" || rest[0] == ' ') {
			n.kind, n.name = k, strings.TrimSpace(rest)
			if k == "AlterCommand" {
				n.kind, n.name = k+" "+n.name, ""
			}
			return n
		}
	}
	n.kind, n.name, _ = strings.Cut(trimmed, " ")
	n.name = strings.TrimSpace(n.name)
	return n
}

// astUses turns the AST's nodes into uses: each node kind is syntax, and
// Function and DataType nodes are functions, combinators, table functions,
// engines, index types, codecs or types by where they stand.
func astUses(meta *engineMeta, st sqlText, lines []string) []use {
	var out []use
	var stack []astNode // ancestors of the current node, by depth
	add := func(kind, name string) { out = append(out, use{kind: kind, name: name, at: st}) }
	for _, l := range lines {
		n := parseASTLine(l)
		stack = append(stack[:min(n.depth, len(stack))], n)
		parent := astNode{}
		if len(stack) >= 2 {
			parent = stack[len(stack)-2]
		}
		grand := astNode{}
		if len(stack) >= 3 {
			grand = stack[len(stack)-3]
		}
		switch n.kind {
		case "Function":
			switch {
			case parent.kind == "Storage definition" && meta.engines[n.name]:
				add("engine", n.name)
			case parent.kind == "Index":
				add("index_type", n.name)
			case grand.kind == "Function" && grand.name == "CODEC":
				add("codec", n.name)
			case n.name == "CODEC":
				add("syntax", "CODEC")
			case n.name == "lambda":
				add("syntax", "lambda")
			case parent.kind == "TableExpression":
				add("table_function", n.name)
			case n.name == "_CAST":
				// How the engine substitutes a bound {name:Type}: the
				// parameter, not a function the SQL calls.
				add("syntax", "query parameter")
			default:
				base, combinators := meta.splitFunction(n.name)
				add("function", base)
				for _, c := range combinators {
					add("combinator", c)
				}
			}
		case "DataType":
			add("type", meta.typeName(n.name))
		default:
			if f, ok := astSyntax[n.kind]; ok {
				add("syntax", f)
			} else {
				add("syntax", n.kind+" (AST node)")
			}
		}
	}
	return out
}

// astSyntax names the feature each EXPLAIN AST node kind stands for, so the
// list dates features, not parser classes. A node kind not here is reported
// as itself and needs its own entry: new syntax cannot slip through.
var astSyntax = map[string]string{
	"SelectWithUnionQuery": "SELECT", "SelectQuery": "SELECT", "ExpressionList": "SELECT", "Identifier": "SELECT",
	"Literal": "SELECT", "TablesInSelectQuery": "SELECT", "TablesInSelectQueryElement": "SELECT",
	"TableExpression": "SELECT", "TableIdentifier": "SELECT", "Subquery": "SELECT", "OrderByElement": "SELECT",
	"Asterisk": "SELECT", "QualifiedAsterisk": "SELECT", "TableJoin": "JOIN ... ON",
	"ArrayJoin":        "ARRAY JOIN",
	"Set":              "SETTINGS clause",
	"WithElement":      "CTE (WITH name AS subquery)",
	"WindowDefinition": "window function", "WindowListElement": "window function",
	"ColumnsTransformerList": "* EXCEPT (columns)", "ColumnsExceptTransformer": "* EXCEPT (columns)",
	"QueryParameter": "query parameter",
	"CreateQuery":    "CREATE TABLE", "Columns definition": "CREATE TABLE", "ColumnDeclaration": "CREATE TABLE",
	"Storage definition": "CREATE TABLE",
	"Index":              "data skipping index",
	"TTLElement":         "TTL",
	"AlterQuery":         "ALTER TABLE", "AlterCommand ADD_COLUMN": "ADD COLUMN IF NOT EXISTS",
	"AlterCommand DELETE": "ALTER DELETE", "AlterCommand DROP_PARTITION": "DROP PARTITION", "Partition": "DROP PARTITION",
	"InsertQuery":    "INSERT",
	"OptimizeQuery":  "OPTIMIZE FINAL",
	"SYSTEM query":   "SYSTEM STOP/START MERGES",
	"KillQueryQuery": "KILL QUERY ASYNC",
}

// syntaxPatterns find syntax in the normalised text that the AST leaves
// out or that postdates old servers. Each is dated in the list.
var syntaxPatterns = []struct {
	name string
	re   *regexp.Regexp
}{
	{"FINAL", regexp.MustCompile(`\bFINAL\b`)},
	{"ASOF JOIN", regexp.MustCompile(`\bASOF (LEFT |INNER )?JOIN\b`)},
	{"ANY JOIN", regexp.MustCompile(`\bANY (LEFT |INNER |RIGHT )?JOIN\b`)},
	{"SEMI/ANTI JOIN", regexp.MustCompile(`\b(SEMI|ANTI) (LEFT |RIGHT )?JOIN\b|\b(LEFT|RIGHT) (SEMI|ANTI) JOIN\b`)},
	{"PASTE JOIN", regexp.MustCompile(`\bPASTE JOIN\b`)},
	{"ARRAY JOIN", regexp.MustCompile(`\bARRAY JOIN\b`)},
	{"GROUP BY ALL", regexp.MustCompile(`\bGROUP BY ALL\b`)},
	{"GROUPING SETS", regexp.MustCompile(`\bGROUPING SETS\b`)},
	{"ROLLUP/CUBE", regexp.MustCompile(`\bWITH (ROLLUP|CUBE)\b|\bGROUP BY (ROLLUP|CUBE) ?\(`)},
	{"ORDER BY ALL", regexp.MustCompile(`\bORDER BY ALL\b`)},
	{"QUALIFY", regexp.MustCompile(`\bQUALIFY\b`)},
	{"LIMIT BY", regexp.MustCompile(`\bLIMIT [^ ]+( OFFSET [^ ]+)? BY\b`)},
	{"WITH FILL", regexp.MustCompile(`\bWITH FILL\b`)},
	{"WITH RECURSIVE", regexp.MustCompile(`\bWITH RECURSIVE\b`)},
	{"DISTINCT ON", regexp.MustCompile(`\bDISTINCT ON\b`)},
	{"IS NOT DISTINCT FROM", regexp.MustCompile(`\bIS (NOT )?DISTINCT FROM\b|<=>`)},
	{"UNION ALL", regexp.MustCompile(`\bUNION ALL\b`)},
	{"UNION DISTINCT", regexp.MustCompile(`\bUNION DISTINCT\b`)},
	{"INTERSECT/EXCEPT (set)", regexp.MustCompile(`\b(INTERSECT|EXCEPT) (ALL |DISTINCT )?SELECT\b|\) (INTERSECT|EXCEPT) \(`)},
	{"query parameter", regexp.MustCompile(`\{[A-Za-z_][A-Za-z0-9_]*:[^{}]+\}`)},
	{"Identifier query parameter", regexp.MustCompile(`\{[A-Za-z_][A-Za-z0-9_]*:Identifier\}`)},
	{"ADD COLUMN IF NOT EXISTS", regexp.MustCompile(`\bADD COLUMN IF NOT EXISTS\b`)},
	{"ALTER DELETE", regexp.MustCompile(`^ALTER TABLE .* DELETE WHERE\b`)},
	{"lightweight DELETE", regexp.MustCompile(`^DELETE FROM\b`)},
	{"ALTER UPDATE", regexp.MustCompile(`^ALTER TABLE .* UPDATE\b`)},
	{"DROP PARTITION", regexp.MustCompile(`\bDROP PARTITION\b`)},
	{"TTL", regexp.MustCompile(`\bTTL\b`)},
	{"ON CLUSTER", regexp.MustCompile(`\bON CLUSTER\b`)},
	{"KILL QUERY ASYNC", regexp.MustCompile(`^KILL QUERY .*\bASYNC\b`)},
	{"SYSTEM STOP/START MERGES", regexp.MustCompile(`^SYSTEM (STOP|START) MERGES\b`)},
	{"OPTIMIZE FINAL", regexp.MustCompile(`^OPTIMIZE TABLE .*\bFINAL\b`)},
	{"INSERT SETTINGS", regexp.MustCompile(`^INSERT INTO .*\bSETTINGS\b`)},
	{"CREATE VIEW", regexp.MustCompile(`^CREATE (OR REPLACE )?(MATERIALIZED |LIVE |WINDOW )?VIEW\b`)},
	{"window function", regexp.MustCompile(`\bOVER \(|\bOVER [a-z_]+\b|\bWINDOW [a-z_]+ AS\b`)},
	{"INTERVAL", regexp.MustCompile(`\bINTERVAL\b`)},
	{"CTE (WITH name AS subquery)", regexp.MustCompile(`\bWITH [a-z_0-9]+ AS \(SELECT\b|, [a-z_0-9]+ AS \((WITH|SELECT)\b`)},
}

var settingsRE = regexp.MustCompile(`\bSETTINGS ((?:[a-z_0-9]+ = (?:'[^']*'|[^ ,]+)(?:, )?)+)`)

// textUses finds syntax and settings in the normalised statement.
func textUses(st sqlText, formatted string) []use {
	var out []use
	for _, p := range syntaxPatterns {
		if p.re.MatchString(formatted) {
			out = append(out, use{kind: "syntax", name: p.name, at: st})
		}
	}
	// A SETTINGS clause of a CREATE TABLE holds the table's MergeTree
	// settings; anywhere else, session settings.
	kind := "setting"
	if strings.HasPrefix(formatted, "CREATE TABLE") {
		kind = "merge_tree_setting"
	}
	for _, m := range settingsRE.FindAllStringSubmatch(formatted, -1) {
		for _, kv := range strings.Split(m[1], ", ") {
			if name, _, ok := strings.Cut(kv, " = "); ok {
				out = append(out, use{kind: kind, name: name, at: st})
			}
		}
	}
	return out
}

// engineMeta is what the embedded engine knows of its functions, settings,
// engines and types.
type engineMeta struct {
	functions     map[string]string // name (lower case for case-insensitive ones) -> introduced_in
	aliases       map[string]string // alias -> function it stands for
	aggregates    map[string]bool
	combinators   map[string]string // suffix -> introduced_in
	settings      map[string]bool   // session settings the engine knows
	mergeTree     map[string]bool
	settingFirst  map[string][2]string // setting -> first version in system.settings_changes, and its reason
	settingAlias  map[string]string    // alias -> setting
	engines       map[string]bool
	tableFuncs    map[string]bool
	types         map[string]string // family (lower case when case-insensitive) -> canonical name
	caseInsensFns map[string]bool
}

func readMeta(t *testing.T, s *chdb.Store) *engineMeta {
	t.Helper()
	m := &engineMeta{functions: map[string]string{}, aliases: map[string]string{}, aggregates: map[string]bool{},
		combinators: map[string]string{}, settings: map[string]bool{}, mergeTree: map[string]bool{},
		settingFirst: map[string][2]string{}, settingAlias: map[string]string{}, engines: map[string]bool{},
		tableFuncs: map[string]bool{}, types: map[string]string{}, caseInsensFns: map[string]bool{}}
	each := func(q string, f func(cols []string)) {
		rows, err := s.Query(t.Context(), q, nil)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for i := range rows.Len() {
			cols := make([]string, len(rows.Columns))
			ptrs := make([]any, len(cols))
			for j := range cols {
				ptrs[j] = &cols[j]
			}
			if err := rows.Scan(i, ptrs...); err != nil {
				t.Fatal(err)
			}
			f(cols)
		}
	}
	each("SELECT name, toString(is_aggregate), toString(case_insensitive), alias_to, introduced_in FROM system.functions", func(c []string) {
		name := c[0]
		if c[2] == "1" {
			m.caseInsensFns[strings.ToLower(name)] = true
		}
		m.functions[name] = c[4]
		if c[3] != "" {
			m.aliases[name] = c[3]
		}
		if c[1] == "1" {
			m.aggregates[name] = true
		}
	})
	each("SELECT name, introduced_in FROM system.aggregate_function_combinators WHERE NOT is_internal", func(c []string) {
		m.combinators[c[0]] = c[1]
	})
	each("SELECT name, alias_for FROM system.settings", func(c []string) {
		m.settings[c[0]] = true
		if c[1] != "" {
			m.settingAlias[c[0]] = c[1]
		}
	})
	each("SELECT name FROM system.merge_tree_settings", func(c []string) { m.mergeTree[c[0]] = true })
	// The first release that recorded a change of each setting, in version
	// order (the table's versions are text).
	each(`SELECT c.1, toString(type), version, c.4 FROM system.settings_changes ARRAY JOIN changes AS c
		ORDER BY splitByChar('.', version)[1]::UInt32, splitByChar('.', version)[2]::UInt32`, func(c []string) {
		key := c[0]
		if c[1] == "MergeTree" {
			key = "mt:" + key
		}
		if _, ok := m.settingFirst[key]; !ok {
			m.settingFirst[key] = [2]string{c[2], c[3]}
		}
	})
	each("SELECT name FROM system.table_engines", func(c []string) { m.engines[c[0]] = true })
	each("SELECT name FROM system.table_functions", func(c []string) { m.tableFuncs[c[0]] = true })
	each("SELECT name, toString(case_insensitive), alias_to FROM system.data_type_families", func(c []string) {
		canon := cmp.Or(c[2], c[0])
		m.types[c[0]] = canon
		if c[1] == "1" {
			m.types[strings.ToLower(c[0])] = canon
		}
	})
	return m
}

// canonical resolves a function name as written (an alias, any case) to the
// name system.functions lists it under.
func (m *engineMeta) canonical(name string) (string, bool) {
	if _, ok := m.functions[name]; !ok {
		for n := range m.functions {
			if m.caseInsensFns[strings.ToLower(n)] && strings.EqualFold(n, name) {
				name = n
				break
			}
		}
	}
	if _, ok := m.functions[name]; !ok {
		return name, false
	}
	for i := 0; i < 4 && m.aliases[name] != ""; i++ {
		name = m.aliases[name]
	}
	return name, true
}

// splitFunction splits an aggregate function with combinators (sumIf,
// uniqExactOrNull) into the function and its combinators, outermost last.
func (m *engineMeta) splitFunction(name string) (string, []string) {
	if n, ok := m.canonical(name); ok {
		return n, nil
	}
	for c := range m.combinators {
		if base, ok := strings.CutSuffix(name, c); ok && base != "" {
			b, cs := m.splitFunction(base)
			if n, ok := m.canonical(b); ok && m.aggregates[n] {
				return n, append(cs, c)
			}
		}
	}
	return name, nil
}

func (m *engineMeta) typeName(name string) string {
	if c, ok := m.types[name]; ok {
		return c
	}
	if c, ok := m.types[strings.ToLower(name)]; ok {
		return c
	}
	return name
}

// date returns the version the engine's metadata gives for u, and where that
// comes from. An empty version with a source is a use the engine does not
// know at all, or a setting whose history does not settle it.
func (m *engineMeta) date(u use) (since, source string) {
	switch u.kind {
	case "function":
		v, ok := m.functions[u.name]
		if !ok {
			return "", "the engine has no such function"
		}
		return v, "system.functions.introduced_in"
	case "combinator":
		return m.combinators[u.name], "system.aggregate_function_combinators.introduced_in"
	case "table_function":
		if !m.tableFuncs[u.name] {
			return "", "the engine has no such table function"
		}
	case "engine":
		if !m.engines[u.name] {
			return "", "the engine has no such table engine"
		}
	case "setting", "merge_tree_setting":
		key, known := u.name, m.settings[u.name]
		if u.kind == "merge_tree_setting" {
			key, known = "mt:"+u.name, m.mergeTree[u.name]
		}
		if !known {
			return "", "the engine has no such setting"
		}
		first, ok := m.settingFirst[key]
		if !ok && m.settingAlias[u.name] != "" {
			first, ok = m.settingFirst[m.settingAlias[u.name]]
		}
		switch {
		case !ok:
			// Never changed since the history began: ClickHouse records
			// every new setting there (SettingsChangesHistory.cpp), so an
			// unrecorded one predates it.
			return "1.1", "not in system.settings_changes: older than its history"
		case !newer(first[0], clickhouse.DefaultMinServerVersion):
			return first[0], "system.settings_changes: first recorded change " + first[0]
		case strings.Contains(strings.ToLower(first[1]), "new setting"):
			return first[0], fmt.Sprintf("system.settings_changes: %q", first[1])
		default:
			// First recorded after the floor: either new then, or an old
			// setting whose default changed then. Only the list can say.
			return "", fmt.Sprintf("system.settings_changes first records it in %s (%q), which does not say whether it existed before",
				first[0], first[1])
		}
	}
	return "", ""
}

// listMayOverride reports whether a list entry settles u even though the
// metadata gave a version: only settings, whose history dates changes, not
// births.
func (m *engineMeta) listMayOverride(u use) bool {
	return u.kind == "setting" || u.kind == "merge_tree_setting"
}

// readFloorList reads the checked-in list: "kind | name | since | source"
// per line, # comments.
func readFloorList(t *testing.T, file string) map[string]floorEntry {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("the floor list: %v", err)
	}
	list, errs := parseFloorList("sql/"+file, string(b))
	for _, e := range errs {
		t.Error(e)
	}
	return list
}

var versionRE = regexp.MustCompile(`^\d+\.\d+(\.\d+)?$`)

func parseFloorList(file, text string) (map[string]floorEntry, []string) {
	out := map[string]floorEntry{}
	var errs []string
	for i, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Split(l, "|")
		for j := range f {
			f[j] = strings.TrimSpace(f[j])
		}
		switch {
		case len(f) != 4:
			errs = append(errs, fmt.Sprintf("%s:%d: want kind | name | since | source, got %d fields: %q", file, i+1, len(f), l))
		case !slices.Contains(floorKinds, f[0]):
			errs = append(errs, fmt.Sprintf("%s:%d: field kind: %q is none of %v", file, i+1, f[0], floorKinds))
		case f[1] == "":
			errs = append(errs, fmt.Sprintf("%s:%d: field name is empty", file, i+1))
		case !versionRE.MatchString(f[2]):
			errs = append(errs, fmt.Sprintf("%s:%d: field since: %q is not a version such as 24.8", file, i+1, f[2]))
		case len(f[3]) < 10:
			errs = append(errs, fmt.Sprintf("%s:%d: field source: %q does not say where the version comes from", file, i+1, f[3]))
		default:
			key := f[0] + "|" + f[1]
			if prev, ok := out[key]; ok {
				errs = append(errs, fmt.Sprintf("%s:%d: %s %s is listed twice (also line %d)", file, i+1, f[0], f[1], prev.line))
			}
			out[key] = floorEntry{since: f[2], source: f[3], line: i + 1}
		}
	}
	return out, errs
}

func TestFloorHelpers(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{{"25.1", "24.8", true}, {"24.8.0", "24.8", false}, {"24.10", "24.8", true}, {"24.7.3", "24.8", false}, {"1.1", "24.8", false}} {
		if got := newer(c.a, c.b); got != c.want {
			t.Errorf("newer(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
	list, errs := parseFloorList("f.txt", "# c\nfunction | f | 21.9 | PR #1 merged 2021\nsyntax | x | 24 | some source text\n"+
		"engine | E | 19.1\nfunction | f | 20.1 | PR #2 merged 2020\nwidget | w | 19.1 | some source text\n")
	if e, ok := list["function|f"]; !ok || e.line != 5 {
		t.Errorf("function f: got %+v, want the entry of line 5", e)
	}
	want := []string{`f.txt:3: field since: "24"`, "f.txt:4: want kind | name | since | source, got 3 fields",
		"f.txt:5: function f is listed twice (also line 2)", `f.txt:6: field kind: "widget"`}
	if len(errs) != len(want) {
		t.Fatalf("errors %q, want %d", errs, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(errs[i], w) {
			t.Errorf("error %d = %q, want it to start with %q", i, errs[i], w)
		}
	}
}

package sql

import (
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"sync"
)

//go:embed queries/*.sql queries/fragments/*.sql
var queryFS embed.FS

// fragmentRE finds {{name}}: the text of sql/queries/fragments/name.sql, a
// list of common table expressions that several queries share, so a
// definition such as "available hours of a person-day" lives in one place.
var fragmentRE = regexp.MustCompile(`\{\{([a-z_]+)\}\}`)

// QueryText returns the text of sql/queries/<name>.sql with its fragments
// expanded. Query files are embedded at build time, so a missing name is a
// programming error and panics; a test reads every name the code uses.
func QueryText(name string) string {
	if q, ok := expanded.Load(name); ok {
		return q.(string)
	}
	q := expand("queries/"+name+".sql", 0)
	expanded.Store(name, q)
	return q
}

// expanded remembers each query's text with its fragments inlined: the
// files are embedded, so the text never changes, and a KPI request should
// not pay for the expansion again.
var expanded sync.Map

func expand(path string, depth int) string {
	b, err := queryFS.ReadFile(path)
	if err != nil || depth > 4 {
		panic(fmt.Sprintf("no query file sql/%s (or fragments nested too deep)", path))
	}
	return fragmentRE.ReplaceAllStringFunc(string(b), func(m string) string {
		return strings.TrimSpace(expand("queries/fragments/"+fragmentRE.FindStringSubmatch(m)[1]+".sql", depth+1))
	})
}

// QueryNames lists the query files whose names start with prefix, sorted.
func QueryNames(prefix string) []string {
	entries, err := fs.ReadDir(queryFS, "queries")
	if err != nil {
		panic(err)
	}
	var out []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".sql"); ok && strings.HasPrefix(name, prefix) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

package sql

import (
	"embed"
	"fmt"
)

//go:embed queries/*.sql
var queryFS embed.FS

// QueryText returns the text of sql/queries/<name>.sql. Query files are
// embedded at build time, so a missing name is a programming error and panics;
// a test reads every name the code uses.
func QueryText(name string) string {
	b, err := queryFS.ReadFile("queries/" + name + ".sql")
	if err != nil {
		panic(fmt.Sprintf("no query file sql/queries/%s.sql", name))
	}
	return string(b)
}

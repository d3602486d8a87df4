package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Row is one parsed input row: a canonical record, plus for time exports the
// people, clients and projects it names, which Resolve turns into ids.
type Row struct {
	Line   int // 1-based physical line in the file where the row starts (the header is line 1)
	Record any // one canonical record by value: TimeEntry, Person, Client, ...
	Refs   *Refs
}

// Refs are what a time export says about the entry's person, client and
// project, by name, email or the source's own id. Empty fields are unknown.
type Refs struct {
	PersonID    string // the source's id of the person, when it has one
	PersonEmail string
	PersonName  string
	Role        string // Harvest "Roles" / "Department", Clockify "Group"
	Client      string // client name
	Project     string // project name
	ProjectCode string
}

// RowError is a rejected row: where it is and what is wrong with it. Parsers
// return it for a bad row and go on with the next one.
type RowError struct {
	File   string
	Line   int
	Field  string // the column or JSON field
	Value  string
	Reason string
}

func (e *RowError) Error() string {
	where := e.File
	if e.Line > 0 {
		where = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Field == "" {
		return fmt.Sprintf("%s: %s", where, e.Reason)
	}
	return fmt.Sprintf("%s: %s %q: %s", where, e.Field, truncate(e.Value, 80), e.Reason)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// FileError is a problem with the file as a whole (not UTF-8, no header,
// unknown or duplicated columns, truncated): nothing in it can be trusted.
type FileError struct {
	File   string
	Line   int
	Reason string
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Reason)
}

// Parser reads one file's rows in order. Next returns the next row; a
// *RowError for a row it rejects (the caller may go on); a *FileError when the
// rest of the file cannot be read; io.EOF at the end.
type Parser interface {
	Next() (Row, error)
}

// Options are what a parser needs to know beyond the bytes.
type Options struct {
	File      string // name used in errors
	Org       string // the org every record belongs to
	DateOrder string // "", "mdy" or "dmy": how to read ambiguous dates such as 04/05/2026
}

// Keyer makes stable external ids for exports that have none (Harvest,
// Toggl and Clockify CSVs): a hash of the row's identifying fields plus the
// row's position among identical rows, so re-importing the same export, or an
// overlapping one, yields the same ids and adds nothing.
type Keyer struct {
	seen map[string]int
}

// NewKeyer returns a Keyer for one file.
func NewKeyer() *Keyer { return &Keyer{seen: map[string]int{}} }

// Key returns prefix-<hash>-<n> where n counts earlier rows with the same fields.
func (k *Keyer) Key(prefix string, fields ...string) string {
	h := sha256.New()
	for _, f := range fields {
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	sum := hex.EncodeToString(h.Sum(nil)[:12])
	n := k.seen[sum]
	k.seen[sum] = n + 1
	return prefix + "-" + sum + "-" + strconv.Itoa(n)
}

// NormalizeName folds a person, client or project name for matching:
// trimmed, inner spaces collapsed, case-folded.
func NormalizeName(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

package canonical

import (
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// schema is one entity's format: its fields and how a row of raw values
// becomes a record. The field table is the single source of truth for the
// CSV header check, the JSON keys, DetectCSV and the tests of docs/import.md.
type schema interface {
	desc() *desc
	// build converts one row; vals is indexed like desc().fields.
	build(vals []raw, env *env) (any, *issue)
}

// env is what a row gets from its file.
type env struct {
	org    string
	source string // the default source of the format: "csv" or "api"
}

// issue is a rejected row before it gets its file and line.
type issue struct {
	field, value, reason string
}

// desc describes an entity's fields independently of its record type.
type desc struct {
	name   string
	fields []fieldDesc
	groups []group
	index  map[string]int
}

type fieldDesc struct {
	name string
	req  bool // required in a live record
	key  bool // required in a tombstone too
}

// group is "one of these fields is required".
type group struct {
	names []string
	key   bool // also in a tombstone
}

// lookup returns a field's index.
func (d *desc) lookup(name string) (int, bool) {
	i, ok := d.index[name]
	return i, ok
}

// names lists the field names in table order.
func (d *desc) names() []string {
	out := make([]string, len(d.fields))
	for i, f := range d.fields {
		out[i] = f.name
	}
	return out
}

// field is one column of an entity: its name, whether it is required, and
// how its raw value is stored in the record R. set returns a reason when the
// value is invalid.
type field[R any] struct {
	fieldDesc
	set func(r *R, v *raw) string
}

// required marks a field required in live records.
func (f field[R]) required() field[R] { f.req = true; return f }

// keyed marks a field as part of the natural key: required in tombstones too.
func (f field[R]) keyed() field[R] { f.req, f.key = true, true; return f }

// spec is the schema of the record type R.
type spec[R any] struct {
	d      desc
	fields []field[R]
	init   func(*R, *env)                 // stamps the org and the default source
	dead   func(*R) bool                  // whether the record is a tombstone
	finish func(r *R, st rowState) *issue // defaults and rules across fields, after every given field is set
}

var _ schema = (*spec[ingest.Person])(nil)

// rowState is what finish needs to know about the row beyond the record.
type rowState struct {
	present uint64 // bit i: field i was given
	tomb    bool
	d       *desc
}

func (st rowState) has(name string) bool {
	i, ok := st.d.index[name]
	return ok && st.present&(1<<i) != 0
}

// newSpec builds an entity's schema from its field table. It panics on a
// malformed table, a programming error that package initialisation, and so
// every test, catches; no input reaches it.
func newSpec[R any](name string, init func(*R, *env), dead func(*R) bool,
	finish func(*R, rowState) *issue, groups []group, fields ...field[R]) *spec[R] {
	s := &spec[R]{init: init, dead: dead, finish: finish, fields: fields}
	s.d = desc{name: name, groups: groups, index: make(map[string]int, len(fields))}
	if len(fields) > 64 {
		panic("canonical: more than 64 fields in " + name) // rowState.present is a uint64
	}
	for i, f := range fields {
		if _, dup := s.d.index[f.name]; dup {
			panic("canonical: field " + f.name + " twice in " + name)
		}
		s.d.index[f.name] = i
		s.d.fields = append(s.d.fields, f.fieldDesc)
	}
	for _, g := range groups {
		for _, n := range g.names {
			if _, ok := s.d.index[n]; !ok {
				panic("canonical: group field " + n + " not in " + name)
			}
		}
	}
	return s
}

func (s *spec[R]) desc() *desc { return &s.d }

func (s *spec[R]) build(vals []raw, e *env) (any, *issue) {
	var r R
	s.init(&r, e)
	var present uint64
	for i := range vals {
		if vals[i].kind != absent {
			present |= 1 << i
		}
	}
	for i := range s.fields {
		if present&(1<<i) == 0 {
			continue
		}
		if reason := s.fields[i].set(&r, &vals[i]); reason != "" {
			return nil, &issue{field: s.fields[i].name, value: vals[i].display(), reason: reason}
		}
	}
	tomb := s.dead(&r)
	for i, f := range s.d.fields {
		if present&(1<<i) == 0 && (f.key || f.req && !tomb) {
			reason := "required"
			if f.req && !f.key {
				reason = "required (only a tombstone, deleted=true, may leave it out)"
			}
			return nil, &issue{field: f.name, reason: reason}
		}
	}
	st := rowState{present: present, tomb: tomb, d: &s.d}
	for _, g := range s.d.groups {
		if !g.key && tomb {
			continue
		}
		found := false
		for _, n := range g.names {
			found = found || st.has(n)
		}
		if !found {
			return nil, &issue{field: g.names[0], reason: "required: give " + strings.Join(g.names, " or ")}
		}
	}
	if s.finish != nil {
		if is := s.finish(&r, st); is != nil {
			return nil, is
		}
	}
	return r, nil
}

// Field constructors. Each takes the record field to fill.

func textField[R any](name string, get func(*R) *string) field[R] {
	return conv(name, parseText, get)
}

func idField[R any](name string, get func(*R) *string) field[R] {
	return conv(name, parseID, get)
}

// conv is a field read by parse into the record field get returns.
func conv[R, T any](name string, parse func(*raw) (T, string), get func(*R) *T) field[R] {
	return field[R]{fieldDesc{name: name}, func(r *R, v *raw) string {
		x, why := parse(v)
		*get(r) = x
		return why
	}}
}

func dateField[R any](name string, get func(*R) *time.Time) field[R] {
	return conv(name, parseDate, get)
}

func optDateField[R any](name string, get func(*R) **time.Time) field[R] {
	return field[R]{fieldDesc{name: name}, func(r *R, v *raw) string {
		t, why := parseDate(v)
		if why == "" {
			*get(r) = &t
		}
		return why
	}}
}

func timeField[R any](name string, get func(*R) *time.Time) field[R] {
	return conv(name, parseTimestamp, get)
}

func optTimeField[R any](name string, get func(*R) **time.Time) field[R] {
	return field[R]{fieldDesc{name: name}, func(r *R, v *raw) string {
		t, why := parseTimestamp(v)
		if why == "" {
			*get(r) = &t
		}
		return why
	}}
}

func decField[R any](name string, k decKind, get func(*R) *decimal.Decimal) field[R] {
	return field[R]{fieldDesc{name: name}, func(r *R, v *raw) string {
		d, why := parseDecimal(v, k)
		*get(r) = d
		return why
	}}
}

func optDecField[R any](name string, k decKind, get func(*R) **decimal.Decimal) field[R] {
	return field[R]{fieldDesc{name: name}, func(r *R, v *raw) string {
		d, why := parseDecimal(v, k)
		if why == "" {
			*get(r) = &d
		}
		return why
	}}
}

func boolField[R any](name string, get func(*R) *bool) field[R] {
	return conv(name, parseBool, get)
}

func enumField[R any](name string, allowed []string, get func(*R) *string) field[R] {
	return field[R]{fieldDesc{name: name}, func(r *R, v *raw) string {
		s, why := parseEnum(v, allowed)
		*get(r) = s
		return why
	}}
}

func listField[R any](name string, get func(*R) *[]string) field[R] {
	return conv(name, parseList, get)
}

// The bookkeeping fields every sourced entity has.

func externalID[R any](meta func(*R) *ingest.Meta) field[R] {
	return idField("external_id", func(r *R) *string { return &meta(r).ExternalID }).keyed()
}

func sourceField[R any](meta func(*R) *ingest.Meta) field[R] {
	return conv("source", parseSource, func(r *R) *string { return &meta(r).Source })
}

func deletedField[R any](meta func(*R) *ingest.Meta) field[R] {
	return boolField("deleted", func(r *R) *bool { return &meta(r).Deleted })
}

func initMeta[R any](meta func(*R) *ingest.Meta) func(*R, *env) {
	return func(r *R, e *env) {
		m := meta(r)
		m.Org, m.Source = e.org, e.source
	}
}

func isDeleted[R any](meta func(*R) *ingest.Meta) func(*R) bool {
	return func(r *R) bool { return meta(r).Deleted }
}

// endBefore rejects an end date before the start date.
func endBefore(start, end *time.Time, endField string) *issue {
	if start != nil && end != nil && end.Before(*start) {
		return &issue{field: endField, value: end.Format(time.DateOnly), reason: "before the start date " + start.Format(time.DateOnly)}
	}
	return nil
}

package ingest

import (
	"cmp"
	"reflect"
	"slices"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// Entity is one kind of record opsmetrics ingests: its names, its tables
// and how the Writer stores it. Every part of ingest that knows the entities
// (the canonical formats, the importer, the intake routes, the writer, the
// demo) reads them from Entities.
type Entity struct {
	// Name is the record's name: the entity of the canonical formats
	// (--entity time_entry) and the key of an import summary's counts.
	Name string
	// Plural names a collection: the intake route (POST /api/v1/time_entries),
	// a file of the records (time_entries.csv) and the demo's counts.
	Plural string
	// Table and Staging are its table and the staging table a staged import
	// writes first, both in the store.Database database
	// (sql/schema/0001_init.sql, 0005_staging.sql).
	Table, Staging string
	// Record is its record type (TimeEntry); the Writer takes a slice of it.
	Record reflect.Type
	// ExternalIDs says its records carry a source and an external_id, by
	// which an import finds those already stored. Holidays carry neither:
	// a calendar and a date are their key.
	ExternalIDs bool

	listed int                                          // its place in EntityNames
	rows   func(c *columns, records any, st stamp) bool // fills c from a []Record; false for another type
}

// entities is the registry, in write order: records that others refer to
// come before the records that refer to them. People, clients and projects
// first (everything names them), then what a person's capacity and bookings
// are made of (holidays, time off, allocations), deliverables before their
// task events and the time entries booked on them, and last the
// adjustments and invoice lines that refer to time entries. An import
// writes each job's batches in this order and a staged batch is copied in
// it, so that what is visible part way (an import stopped between two
// INSERTs, a copy under way) never refers to a record not yet written.
var entities = [...]Entity{
	entity("person", "people", 0, true, personRows),
	entity("client", "clients", 1, true, clientRows),
	entity("project", "projects", 2, true, projectRows),
	entity("holiday", "holidays", 8, false, holidayRows),
	entity("time_off", "time_off", 7, true, timeOffRows),
	entity("allocation", "allocations", 6, true, allocationRows),
	entity("deliverable", "deliverables", 4, true, deliverableRows),
	entity("task_event", "task_events", 5, true, taskEventRows),
	entity("time_entry", "time_entries", 3, true, timeEntryRows),
	entity("adjustment", "adjustments", 9, true, adjustmentRows),
	entity("invoice_line", "invoice_lines", 10, true, invoiceLineRows),
}

// entity makes a registry entry; tables are named for the plural. Its rows
// fills the columns of a batch the entry has begun on its table.
func entity[T any](name, plural string, listed int, externalIDs bool, rows func(*columns, []T, stamp)) Entity {
	e := Entity{Name: name, Plural: plural, Table: plural, Staging: "staging_" + plural, Record: reflect.TypeFor[T](),
		ExternalIDs: externalIDs, listed: listed}
	table := e.QualifiedTable()
	e.rows = func(c *columns, records any, st stamp) bool {
		recs, ok := records.([]T)
		if ok {
			c.begin(table, len(recs))
			rows(c, recs, st)
		}
		return ok
	}
	return e
}

// entityRows fills c from records, a slice of an entity's Record type, and
// reports whether it was one.
func entityRows(c *columns, records any, st stamp) bool {
	for i := range entities {
		if entities[i].rows(c, records, st) {
			return true
		}
	}
	return false
}

// QualifiedTable is Table with its database, as an INSERT names it.
func (e Entity) QualifiedTable() string { return store.Database + "." + e.Table }

// Entities returns every entity in write order (see entities). The slice is
// the caller's.
func Entities() []Entity { return slices.Clone(entities[:]) }

// EntityNamed returns the entity whose Name is name.
func EntityNamed(name string) (Entity, bool) {
	return find(func(e *Entity) bool { return e.Name == name })
}

// EntityByPlural returns the entity whose Plural is plural.
func EntityByPlural(plural string) (Entity, bool) {
	return find(func(e *Entity) bool { return e.Plural == plural })
}

// EntityOf returns the entity whose record type is t.
func EntityOf(t reflect.Type) (Entity, bool) {
	return find(func(e *Entity) bool { return e.Record == t })
}

// entityFor is the entity of record type T, which must be one.
func entityFor[T any]() Entity {
	e, _ := EntityOf(reflect.TypeFor[T]())
	return e
}

func find(match func(*Entity) bool) (Entity, bool) {
	for i := range entities {
		if match(&entities[i]) {
			return entities[i], true
		}
	}
	return Entity{}, false
}

// EntityNames returns the entities' names in the order help texts, error
// messages and docs/import.md list them: the time-tracking records first,
// then planning, delivery and billing. EntityPlurals lists the plurals in
// the same order.
func EntityNames() []string { return listed(func(e Entity) string { return e.Name }) }

// EntityPlurals returns the entities' plurals in the order of EntityNames.
func EntityPlurals() []string { return listed(func(e Entity) string { return e.Plural }) }

func listed(field func(Entity) string) []string {
	es := Entities()
	slices.SortFunc(es, func(a, b Entity) int { return cmp.Compare(a.listed, b.listed) })
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = field(e)
	}
	return out
}

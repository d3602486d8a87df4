package canonical

import (
	"bufio"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// TestSchemasMatchRegistry: every entity of the registry has a format here,
// of its record type, and every format is of a registered entity.
func TestSchemasMatchRegistry(t *testing.T) {
	for _, e := range ingest.Entities() {
		sch, ok := schemas[e.Name]
		if !ok {
			t.Errorf("entity %s has no canonical format", e.Name)
			continue
		}
		if name := sch.desc().name; name != e.Name {
			t.Errorf("the format of %s is named %s", e.Name, name)
		}
		init, _ := reflect.TypeOf(sch).Elem().FieldByName("init") // spec[R].init takes a *R
		if r := init.Type.In(0).Elem(); r != e.Record {
			t.Errorf("the format of %s reads %v, the registry says %v", e.Name, r, e.Record)
		}
	}
	for name := range schemas {
		if _, ok := ingest.EntityNamed(name); !ok {
			t.Errorf("format %s is of no registered entity (ingest.Entities)", name)
		}
	}
}

// TestDocsListEntities: docs/import.md describes the entities in the order
// help and error messages list them (ingest.EntityNames).
func TestDocsListEntities(t *testing.T) {
	f, err := os.Open("../../docs/import.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if h, ok := strings.CutPrefix(line, "## "); ok {
			in = h == "Entities and their fields"
		} else if h, ok := strings.CutPrefix(line, "### "); ok && in {
			got = append(got, strings.TrimSpace(h))
		}
	}
	if want := ingest.EntityNames(); !slices.Equal(got, want) {
		t.Errorf("docs/import.md describes %v, ingest.EntityNames lists %v", got, want)
	}
}

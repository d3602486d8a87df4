// Package metrics is the KPI layer: the catalog of KPIs defined in
// spec/kpis.md, each computed by one query file (sql/queries/kpi_*.sql), and
// the one function every surface (API, CLI, dashboards, Prometheus) calls to
// compute them, with the entry facts (Facts) that the money KPIs read and
// that writers keep current. The lists the pages show beside the KPIs
// (lists.go) take the same request and the same org settings as query
// parameters, so the dashboards read nothing from the store but through
// this package; a capacity question (need.go) is read here once for the
// CLI, the API and the capacity page.
package metrics

import (
	"bufio"
	"fmt"
	"slices"
	"strconv"
	"strings"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// Dimensions a KPI can be grouped by or filtered on.
var Dimensions = []string{"person", "role", "team", "client", "project"}

// Intervals a KPI can be bucketed by; "" is the whole range.
var Intervals = []string{"day", "week", "month"}

// KPI describes one KPI of the catalog. Its query is sql/queries/kpi_<Name>.sql,
// whose header comment declares the rest.
type KPI struct {
	Name        string   `json:"name"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Unit        string   `json:"unit"` // ratio, hours, money, days, count, score
	GroupBy     []string `json:"group_by"`
	Filters     []string `json:"filters"`
	Version     int      `json:"version"` // of the definition; bumped when a number would change
	query       string
	money       bool // some of its columns are amounts in the org's currency
}

// Money reports whether some of k's columns are amounts in the org's
// currency: only such a result's currency (or its absence) is worth saying.
func (k KPI) Money() bool { return k.money }

// Catalog returns every KPI, by name order.
func Catalog() []KPI { return catalog }

// Lookup returns the KPI named name.
func Lookup(name string) (KPI, bool) {
	i := slices.IndexFunc(catalog, func(k KPI) bool { return k.Name == name })
	if i < 0 {
		return KPI{}, false
	}
	return catalog[i], true
}

var catalog = mustLoad()

func mustLoad() []KPI {
	var out []KPI
	for _, q := range store.QueryNames("kpi_") {
		k, err := parseHeader(q, store.QueryText(q))
		if err != nil {
			panic(err)
		}
		out = append(out, k)
	}
	return out
}

// parseHeader reads the "-- key: value" lines at the top of a KPI query.
func parseHeader(file, text string) (KPI, error) {
	k := KPI{query: file, GroupBy: []string{}, Filters: []string{}}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "-- ")
		if !ok {
			break
		}
		// The header's column list says which columns are money.
		k.money = k.money || strings.Contains(line, "money")
		key, val, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch key {
		case "kpi":
			k.Name = val
		case "title":
			k.Title = val
		case "unit":
			k.Unit = val
		case "description":
			k.Description = val
		case "version":
			v, err := strconv.Atoi(val)
			if err != nil {
				return k, fmt.Errorf("%s: version %q: %w", file, val, err)
			}
			k.Version = v
		case "group_by", "filters":
			var list []string
			for _, d := range strings.Split(val, ",") {
				if d = strings.TrimSpace(d); d == "" {
					continue
				}
				if !slices.Contains(Dimensions, d) {
					return k, fmt.Errorf("%s: %s names %q, which is not a dimension", file, key, d)
				}
				list = append(list, d)
			}
			if key == "group_by" {
				k.GroupBy = list
			} else {
				k.Filters = list
			}
		}
	}
	if "kpi_"+k.Name != file || k.Title == "" || k.Unit == "" || k.Description == "" || k.Version == 0 {
		return k, fmt.Errorf("%s: header needs kpi (matching the file name), title, unit, description and version", file)
	}
	return k, nil
}

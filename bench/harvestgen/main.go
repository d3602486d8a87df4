// Command harvestgen writes a Harvest "Detailed time report" CSV of the demo
// agency, at any size, for import benchmarks:
//
//	go run ./bench/harvestgen --rows 10000000 --out /tmp/harvest.csv
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/demo"
)

func main() {
	rows := flag.Int("rows", 1_000_000, "time entries to write")
	people := flag.Int("people", 2000, "people in the agency")
	months := flag.Int("months", 60, "months of history")
	out := flag.String("out", "harvest.csv", "output file")
	flag.Parse()
	if err := write(*out, *rows, *people, *months); err != nil {
		fmt.Fprintln(os.Stderr, "harvestgen:", err)
		os.Exit(1)
	}
}

func write(path string, rows, people, months int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,Approved?,First Name,Last Name,Employee Id,Roles,Employee?,Billable Rate,Billable Amount,Cost Rate,Cost Amount,Currency,External Reference URL\n")
	cfg := demo.Config{Seed: 7, Orgs: 1, People: people, Months: months, Entries: rows,
		End: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	if err := cfg.Validate(); err != nil {
		return err
	}
	names := map[string]string{}
	roles := map[string]string{}
	clients := map[string]string{}
	projects := map[string]ingest.Project{}
	yes := map[bool]string{true: "Yes", false: "No"}
	var line []byte
	_, err = demo.Generate(context.Background(), cfg, func(records any) error {
		switch recs := records.(type) {
		case []ingest.Person:
			for _, p := range recs {
				names[p.ExternalID], roles[p.ExternalID] = p.Name, p.Role
			}
		case []ingest.Client:
			for _, c := range recs {
				clients[c.ExternalID] = c.Name
			}
		case []ingest.Project:
			for _, p := range recs {
				projects[p.ExternalID] = p
			}
		case []ingest.TimeEntry:
			for _, e := range recs {
				first, last := split(names[e.PersonID])
				rate, cost := "0", "0"
				if e.BillRate != nil {
					rate = e.BillRate.String()
				}
				if e.CostRate != nil {
					cost = e.CostRate.String()
				}
				amount := "0"
				if e.BillRate != nil && e.Billable {
					amount = e.Hours.Mul(*e.BillRate).StringFixed(2)
				}
				line = line[:0]
				line = append(line, e.Date.Format(time.DateOnly)...)
				for _, field := range []string{clients[e.ClientID], projects[e.ProjectID].Name, e.ProjectID, e.Task, e.Notes,
					e.Hours.String(), yes[e.Billable], yes[e.BillingStatus == ingest.Billed], "Yes", first, last,
					e.PersonID, roles[e.PersonID], "Yes", rate, amount, cost, "0", "United States Dollar - USD", ""} {
					line = append(line, ',')
					line = appendCSV(line, field)
				}
				line = append(line, '\n')
				w.Write(line)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return w.Flush()
}

func split(name string) (string, string) {
	for i := range len(name) {
		if name[i] == ' ' {
			return name[:i], name[i+1:]
		}
	}
	return name, ""
}

// appendCSV appends one CSV field, quoted when it has to be.
func appendCSV(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\n\r") {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := range len(s) {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

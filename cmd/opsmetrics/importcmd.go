package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
)

// importMemoryLimit is the Go heap's soft limit during imports, unless
// GOMEMLIMIT says otherwise (docs/benchmarks.md has the measurements).
const importMemoryLimit = 96 << 20

func cmdImport(e *env) *cobra.Command {
	var so storeOptions
	var lo logOptions
	cmd, fs := newCommand("import FILE...", "import time exports and opsmetrics CSV/NDJSON files", `Imports time exports (Harvest, Toggl, Clockify detailed CSV) and opsmetrics' own
CSV, NDJSON and JSON files (docs/import.md). The format is detected from the header.
Importing the same file again, or an overlapping one, changes no total.
Exits 1 when any row was rejected; each rejected row is reported with its file,
line, field and value.`)
	org := fs.String("org", e.getenv("OPSMETRICS_ORG"), "the org the data belongs to; created on first import (OPSMETRICS_ORG)")
	format := fs.String("format", "", "override detection: "+strings.Join(importer.Formats, ", "))
	entity := fs.String("entity", "", "for opsmetrics' own ndjson/json/csv files: "+strings.Join(ingest.EntityNames(), ", "))
	dateOrder := fs.String("date-order", "", "for Clockify files whose dates are all ambiguous: mdy or dmy")
	dryRun := fs.Bool("dry-run", false, "parse, validate and report, but write nothing")
	strict := fs.Bool("strict", false, "write nothing from a file that has any rejected row")
	rejectFile := fs.String("reject-file", "", "write every rejected row (file, line, field, value, reason) to this CSV file")
	output := fs.String("output", "table", "summary format: table, json or csv")
	fs.enum("format", importer.Formats...)
	fs.enum("entity", ingest.EntityNames()...)
	fs.enum("date-order", "mdy", "dmy")
	fs.enum("output", "table", "json", "csv")
	so.register(fs, e)
	lo.register(fs, e)
	cmd.Args = cobra.ArbitraryArgs // the files, before, between or after the flags
	runsWithLog(e, cmd, &lo, func(ctx context.Context, log *slog.Logger, files []string) int {
		switch {
		case len(files) == 0:
			fmt.Fprintln(e.stderr, "opsmetrics import: name at least one file (see --help)")
			return 2
		case *org == "":
			fmt.Fprintln(e.stderr, "opsmetrics import: --org is required (or set OPSMETRICS_ORG)")
			return 2
		case !slices.Contains([]string{"table", "json", "csv"}, *output):
			fmt.Fprintf(e.stderr, "opsmetrics import: --output %q: want table, json or csv\n", *output)
			return 2
		case *dateOrder != "" && *dateOrder != "mdy" && *dateOrder != "dmy":
			fmt.Fprintf(e.stderr, "opsmetrics import: --date-order %q: want mdy or dmy\n", *dateOrder)
			return 2
		}
		var rejects *csv.Writer
		var rejectsFile *os.File
		if *rejectFile != "" {
			f, err := os.Create(*rejectFile)
			if err != nil {
				return fail(e, err)
			}
			defer f.Close()
			rejectsFile, rejects = f, csv.NewWriter(f)
			rejects.Write([]string{"file", "line", "field", "value", "reason"})
		}
		if e.getenv("GOMEMLIMIT") == "" {
			// A large import allocates fast; a soft limit keeps the Go heap near
			// what is live (batches in flight, the keyer) instead of twice that.
			debug.SetMemoryLimit(importMemoryLimit)
		}
		s, err := so.openMigrated(ctx, log)
		if err != nil {
			return fail(e, err)
		}
		defer s.Close()
		// Files are imported one at a time, so an engine this process has alone
		// can hold its merges while a file is written (importer.Config.PauseMerges);
		// OPSMETRICS_IMPORT_MERGES=on keeps them running.
		im, err := importer.New(importer.Config{Store: s, Logger: log, BatchRows: envInt(e, "OPSMETRICS_IMPORT_BATCH_ROWS", 0),
			PauseMerges: e.getenv("OPSMETRICS_IMPORT_MERGES") != "on"})
		if err != nil {
			return fail(e, err)
		}
		var sums []*importer.Summary
		failed := map[*importer.Summary]error{}
		exit := 0
		for _, path := range files {
			sum, err := importFile(ctx, e, im, path, importer.Request{Org: *org, Format: *format, Entity: *entity,
				DateOrder: *dateOrder, DryRun: *dryRun, Strict: *strict, CountChanges: true}, rejects)
			if sum != nil {
				sums = append(sums, sum)
				if sum.Rejected() > 0 {
					exit = 1
				}
				if err != nil {
					failed[sum] = err
				}
			}
			if err != nil {
				fmt.Fprintf(e.stderr, "opsmetrics import: %v\n", err)
				exit = 1
				if ctx.Err() != nil {
					break
				}
			}
		}
		printSummaries(e, sums, failed, *output, *dryRun, *strict)
		if rejects != nil {
			// A reject file that silently lacks rows (a full disk) would be worse
			// than none: say so.
			rejects.Flush()
			if err := errors.Join(rejects.Error(), rejectsFile.Sync()); err != nil {
				fmt.Fprintf(e.stderr, "opsmetrics import: writing %s: %v\n", *rejectFile, err)
				exit = 1
			}
		}
		return exit
	})
	return cmd
}

func importFile(ctx context.Context, e *env, im *importer.Importer, path string, req importer.Request, rejects *csv.Writer) (*importer.Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	req.File, req.Body = path, f
	bar := newByteProgress(e.stderr, st.Size(), path)
	req.OnProgress = bar.set
	req.OnReject = func(re *ingest.RowError) {
		if rejects != nil {
			rejects.Write([]string{re.File, strconv.Itoa(re.Line), re.Field, re.Value, re.Reason})
		}
	}
	start := time.Now()
	sum, err := im.Import(ctx, req)
	bar.done()
	if sum != nil {
		rows := 0
		for _, c := range sum.Entities {
			rows += c.Read
		}
		fmt.Fprintf(e.stderr, "%s: %d rows in %.1fs (%.0f rows/s)\n", path, rows, time.Since(start).Seconds(),
			float64(rows)/max(time.Since(start).Seconds(), 1e-9))
		for _, re := range sum.Errors[:min(len(sum.Errors), 20)] {
			fmt.Fprintf(e.stderr, "  rejected %v\n", re)
		}
		if n := sum.Rejected(); n > 20 {
			fmt.Fprintf(e.stderr, "  ... and %d more rejected rows (--reject-file lists them all)\n", n-20)
		}
		for _, w := range sum.Warnings {
			fmt.Fprintf(e.stderr, "  warning: %s\n", w)
		}
	}
	var fe *ingest.FileError
	if errors.As(err, &fe) {
		return sum, fe
	}
	return sum, err
}

// printSummaries prints what each file did; failed holds the error that
// stopped a file part way.
func printSummaries(e *env, sums []*importer.Summary, failed map[*importer.Summary]error, output string, dryRun, strict bool) {
	type line struct {
		File, Entity                                           string
		Read, Valid, New, Updated, Deleted, Repeated, Rejected int
	}
	var lines []line
	for _, s := range sums {
		ents := make([]string, 0, len(s.Entities))
		for name := range s.Entities {
			ents = append(ents, name)
		}
		slices.Sort(ents)
		for _, name := range ents {
			c := s.Entities[name]
			lines = append(lines, line{s.File, name, c.Read, c.Valid, c.New, c.Updated, c.Deleted, c.Repeated, c.Rejected})
		}
	}
	switch output {
	case "json":
		printJSON(e.stdout, sums) // like the table and CSV forms, a failed write to stdout is not reported
	case "csv":
		w := csv.NewWriter(e.stdout)
		w.Write([]string{"file", "entity", "read", "valid", "new", "updated", "deleted", "repeated", "rejected"})
		for _, l := range lines {
			w.Write([]string{l.File, l.Entity, strconv.Itoa(l.Read), strconv.Itoa(l.Valid), strconv.Itoa(l.New), strconv.Itoa(l.Updated),
				strconv.Itoa(l.Deleted), strconv.Itoa(l.Repeated), strconv.Itoa(l.Rejected)})
		}
		w.Flush()
	default:
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "FILE\tENTITY\tREAD\tVALID\tNEW\tUPDATED\tDELETED\tREPEATED\tREJECTED")
		for _, l := range lines {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", l.File, l.Entity, l.Read, l.Valid, l.New, l.Updated, l.Deleted, l.Repeated, l.Rejected)
		}
		tw.Flush()
		for _, s := range sums {
			var parts []string
			for _, k := range []string{"person", "client", "project"} {
				if n := s.Created[k]; n > 0 {
					parts = append(parts, fmt.Sprintf("%d %s", n, k))
				}
			}
			if len(parts) > 0 {
				fmt.Fprintf(e.stdout, "%s: created on first sight: %s\n", s.File, strings.Join(parts, ", "))
			}
			err := failed[s]
			switch {
			case dryRun:
				fmt.Fprintf(e.stdout, "%s: dry run, nothing written\n", s.File)
			case !s.Written && strict && s.Rejected() > 0:
				fmt.Fprintf(e.stdout, "%s: nothing written: --strict and %d rows were rejected\n", s.File, s.Rejected())
			case !s.Written && err != nil:
				fmt.Fprintf(e.stdout, "%s: nothing written: %v\n", s.File, err)
			case err != nil:
				// The batches before the error are in the store: say exactly
				// which rows, so the file can be fixed and imported again
				// (which adds nothing twice).
				written := 0
				for _, c := range s.Entities {
					written += c.Written + c.Deleted
				}
				fmt.Fprintf(e.stdout, "%s: kept the rows up to line %d (%d written); the rest of the file was not imported: %v\n",
					s.File, s.KeptThroughLine, written, err)
			}
		}
	}
}

func envInt(e *env, key string, def int) int {
	if n, err := strconv.Atoi(e.getenv(key)); err == nil {
		return n
	}
	return def
}

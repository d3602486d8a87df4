package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/opsmetrics/opsmetrics/app"
	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/dashboards"
	"github.com/opsmetrics/opsmetrics/metrics"
)

func cmdReport(e *env) *cobra.Command {
	var so storeOptions
	var lo logOptions
	cmd, fs := newCommand("report", "print a client's monthly report as a PDF", `Prints a client's monthly report (the page /clients/{id}/report) as a PDF, with
headless Chromium, as an admin sees it: the client's view by default (no costs,
rates, margin or internal note), or the internal one with --view internal. The
file is written whole or not at all.

Chromium is --chromium, else OPSMETRICS_CHROMIUM, else the first of chromium,
chromium-browser, google-chrome and google-chrome-stable on PATH (Debian and
Ubuntu: apt install chromium).

Examples:
  opsmetrics report --org acme --client c-0003 --month 2026-11 --out acme-2026-11.pdf
  opsmetrics report --org acme --client "Nordlicht GmbH" --month 2026-11 --view internal --paper letter --out nordlicht.pdf`)
	org := fs.String("org", e.getenv("OPSMETRICS_ORG"), "the org (OPSMETRICS_ORG)")
	client := fs.String("client", "", "the client: its id, or its name when no other client has it")
	month := fs.String("month", "", "the report's month, YYYY-MM")
	out := fs.String("out", "", "the PDF file to write")
	view := fs.String("view", "client", "client (what the client may read) or internal (the team's, with the internal note and amounts)")
	paper := fs.String("paper", "a4", "paper size: a4 or letter")
	chromium := fs.String("chromium", e.getenv("OPSMETRICS_CHROMIUM"), "the Chromium binary (OPSMETRICS_CHROMIUM); default the first of "+
		"chromium, chromium-browser, google-chrome, google-chrome-stable on PATH")
	fs.enum("view", "client", "internal")
	fs.enum("paper", "a4", "letter")
	so.register(fs, e)
	lo.register(fs, e)
	runsWithLog(e, cmd, &lo, func(ctx context.Context, log *slog.Logger, _ []string) int {
		usage := func(format string, args ...any) int {
			fmt.Fprintf(e.stderr, "opsmetrics report: "+format+"\n", args...)
			return 2
		}
		switch {
		case *org == "":
			return usage("--org is required (or set OPSMETRICS_ORG)")
		case *client == "":
			return usage("--client is required: the client's id or name")
		case *month == "":
			return usage("--month is required, as YYYY-MM")
		case *out == "":
			return usage("--out is required: the PDF file to write")
		case *view != "client" && *view != "internal":
			return usage("--view %q: client or internal", *view)
		}
		m, err := metrics.ParseMonth(*month)
		if err != nil {
			return usage("--%s", metrics.Message(err))
		}
		pp, err := dashboards.ParsePaper(*paper)
		if err != nil {
			return usage("--%v", err)
		}
		s, err := so.openMigrated(ctx, log)
		if err != nil {
			return fail(e, err)
		}
		defer s.Close()
		facts, err := app.NewFacts(s, log, nil)
		if err != nil {
			return fail(e, err)
		}
		defer facts.Wait()
		if code := checkOrg(ctx, e, s, "report", *org); code >= 0 {
			return code
		}
		printer, err := dashboards.NewPrinter(dashboards.PrinterConfig{Chromium: *chromium, Logger: log})
		if err != nil {
			return fail(e, err)
		}
		defer printer.Close()
		// Chromium's first start takes seconds: say what is happening.
		slow := time.AfterFunc(2*time.Second, func() {
			fmt.Fprintf(e.stderr, "opsmetrics report: printing the %s report of %s with headless Chromium…\n", m.Format("January 2006"), *client)
		})
		cli := auth.Principal{Org: *org, UserID: "cli", Email: "cli", Name: "cli", Role: auth.RoleAdmin}
		f, err := dashboards.ReportPDF(ctx, dashboards.Config{Store: s, Facts: facts, Logger: log, Reports: s, Printer: printer}, cli,
			dashboards.ReportRequest{Client: *client, Month: m, ClientView: *view == "client", Paper: pp})
		slow.Stop()
		var nc *dashboards.NoChromiumError
		switch {
		case errors.Is(err, metrics.ErrBadRequest):
			return usage("%s", metrics.Message(err))
		case errors.As(err, &nc):
			fmt.Fprintf(e.stderr, "opsmetrics report: %v\n", err)
			return 1
		case err != nil:
			return fail(e, err)
		}
		if err := writeFileAtomic(*out, f.Data); err != nil {
			return fail(e, err)
		}
		pages := fmt.Sprintf("%d pages", f.Pages)
		if f.Pages == 1 {
			pages = "1 page"
		}
		fmt.Fprintf(e.stdout, "wrote %s: %s, %s (%s)\n", *out, pages, sizeText(len(f.Data)), f.Name)
		return 0
	})
	return cmd
}

// writeFileAtomic writes data to path through a temporary file beside it
// and a rename: path holds the old file or the whole new one, never half.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // gone after the rename; left behind by nothing
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// sizeText is a file's size as people read it: 812 B, 54 KB, 1.2 MB.
func sizeText(n int) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%d KB", (n+500)/1000)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}

// Command opsmetrics collects agency time and delivery data into ClickHouse and
// serves operations KPIs: `opsmetrics --help` lists its subcommands.
//
// The CLI is built on cobra: run builds the command tree, and each command's
// file declares its flags and its action. Nothing below main reads the
// environment but through the getenv run is given.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	_ "time/tzdata" // org time zones resolve where the system has no zoneinfo (distroless)
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// OPSMETRICS_CPUPROFILE writes a CPU profile of the whole run, for the
	// benchmarks in docs/benchmarks.md.
	if path := os.Getenv("OPSMETRICS_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "opsmetrics: OPSMETRICS_CPUPROFILE: %v\n", err)
			os.Exit(2)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if code != 0 {
		pprof.StopCPUProfile()
		os.Exit(code)
	}
}

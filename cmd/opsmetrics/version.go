package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/opsmetrics/opsmetrics/sql/chdb"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func cmdVersion(e *env) *cobra.Command {
	cmd, _ := newCommand("version", "print version information", "Prints the opsmetrics version, the Go version and the pinned libchdb build.")
	runs(cmd, func(context.Context, []string) int {
		rev := ""
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					rev = " (" + s.Value + ")"
				}
			}
		}
		fmt.Fprintf(e.stdout, "opsmetrics %s%s %s %s/%s\n", version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		if pkg, err := chdb.PlatformPackage(); err == nil {
			lib := envOr(e, "CHDB_LIB_PATH", defaultLibPath(e))
			state := "installed"
			if _, err := os.Stat(lib); err != nil {
				state = "not installed: run `opsmetrics chdb install`"
			}
			fmt.Fprintf(e.stdout, "embedded engine: %s@%s at %s (%s)\n", pkg.Name, pkg.Version, lib, state)
		}
		return 0
	})
	return cmd
}

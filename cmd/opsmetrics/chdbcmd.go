package main

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"

	"github.com/spf13/cobra"

	"github.com/opsmetrics/opsmetrics/sql/chdb"
)

func cmdChdb(e *env) *cobra.Command {
	cmd, _ := newCommand("chdb COMMAND", "install or locate the embedded engine library (libchdb)", "")
	path, _ := newCommand("path", "print where the embedded engine looks for libchdb", "")
	runs(path, func(context.Context, []string) int {
		fmt.Fprintln(e.stdout, envOr(e, "CHDB_LIB_PATH", defaultLibPath(e)))
		return 0
	})
	return group(cmd, cmdChdbInstall(e), path)
}

func cmdChdbInstall(e *env) *cobra.Command {
	var lo logOptions
	var noNPM bool
	cmd, fs := newCommand("install", "fetch, verify and install the pinned libchdb build into the user cache",
		`Installs the pinned libchdb into the user cache ($XDG_CACHE_HOME/opsmetrics/chdb): fetches
it from the npm registry and verifies its integrity hash; does nothing when it is already
there. Uses npm when present, else HTTPS.`)
	registry := fs.String("registry", envOr(e, "NPM_CONFIG_REGISTRY", envOr(e, "npm_config_registry", "https://registry.npmjs.org")),
		"npm registry to fetch from (NPM_CONFIG_REGISTRY)")
	fs.BoolVar(&noNPM, "no-npm", false, "download over HTTPS even when npm is installed")
	lo.register(fs, e)
	runsWithLog(e, cmd, &lo, func(ctx context.Context, log *slog.Logger, _ []string) int {
		npm := ""
		if !noNPM {
			npm, _ = exec.LookPath("npm")
		}
		path, err := chdb.Install(ctx, chdb.InstallConfig{
			CacheDir: cacheDir(e), Registry: *registry, NPM: npm, Logger: log, Progress: e.stderr,
		})
		if err != nil {
			return fail(e, err)
		}
		fmt.Fprintln(e.stdout, path)
		return 0
	})
	return cmd
}

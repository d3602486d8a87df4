package main

import (
	"context"
	"fmt"
	"os/exec"

	"github.com/opsmetrics/opsmetrics/sql/chdb"
)

func cmdChdb(ctx context.Context, e *env, args []string) int {
	about := `Subcommands:
  install   fetch the pinned libchdb build from the npm registry, verify its
            integrity hash and install it into the user cache (does nothing
            when it is already there); uses npm when present, else HTTPS
  path      print where the embedded engine looks for libchdb`
	if code, done := subcommandUsage(e, args, "chdb install|path", about); done {
		return code
	}
	switch args[0] {
	case "path":
		fmt.Fprintln(e.stdout, envOr(e, "CHDB_LIB_PATH", defaultLibPath(e)))
		return 0
	case "install":
		return cmdChdbInstall(ctx, e, args[1:])
	}
	fmt.Fprintf(e.stderr, "opsmetrics chdb: unknown subcommand %q\n", args[0])
	return 2
}

func cmdChdbInstall(ctx context.Context, e *env, args []string) int {
	var lo logOptions
	var noNPM bool
	fs := newFlags(e, "chdb install", "chdb install [flags]",
		"Installs the pinned libchdb into the user cache ($XDG_CACHE_HOME/opsmetrics/chdb).")
	registry := fs.String("registry", envOr(e, "NPM_CONFIG_REGISTRY", envOr(e, "npm_config_registry", "https://registry.npmjs.org")),
		"npm registry to fetch from (NPM_CONFIG_REGISTRY)")
	fs.BoolVar(&noNPM, "no-npm", false, "download over HTTPS even when npm is installed")
	lo.register(fs, e)
	log, code := parseWithLog(e, fs, args, &lo)
	if code >= 0 {
		return code
	}
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
}

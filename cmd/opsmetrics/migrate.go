package main

import (
	"context"
	"fmt"

	store "github.com/opsmetrics/opsmetrics/sql"
)

func cmdMigrate(ctx context.Context, e *env, args []string) int {
	var so storeOptions
	var lo logOptions
	fs := newFlags(e, "migrate", "migrate [flags]",
		"Creates the schema, or applies the migrations it lacks. Safe to run again at any time.")
	so.register(fs, e)
	lo.register(fs, e)
	log, code := parseWithLog(e, fs, args, &lo)
	if code >= 0 {
		return code
	}
	s, err := so.open(ctx, log)
	if err != nil {
		return fail(e, err)
	}
	defer s.Close()
	applied, err := store.Migrate(ctx, s, store.MigrateConfig{Cluster: so.cluster})
	if err != nil {
		return fail(e, err)
	}
	info := s.Info()
	if len(applied) == 0 {
		fmt.Fprintf(e.stdout, "schema is up to date (%s %s, %s)\n", info.Name, info.Version, info.Detail)
		return 0
	}
	fmt.Fprintf(e.stdout, "applied migrations %v (%s %s, %s)\n", applied, info.Name, info.Version, info.Detail)
	return 0
}

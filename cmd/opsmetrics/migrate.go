package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	store "github.com/opsmetrics/opsmetrics/sql"
)

func cmdMigrate(e *env) *cobra.Command {
	var so storeOptions
	var lo logOptions
	cmd, fs := newCommand("migrate", "create or upgrade the schema",
		"Creates the schema, or applies the migrations it lacks. Safe to run again at any time.")
	so.register(fs, e)
	lo.register(fs, e)
	runsWithLog(e, cmd, &lo, func(ctx context.Context, log *slog.Logger, _ []string) int {
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
	})
	return cmd
}

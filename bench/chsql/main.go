// Command chsql runs SQL statements on the embedded engine and prints how
// long each took: the baseline side of the import benchmarks.
//
//	go run ./bench/chsql --data-dir /tmp/d "INSERT INTO ... SELECT ... FROM file(...)"
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb"
)

func main() {
	dataDir := flag.String("data-dir", "", "data directory")
	flag.Parse()
	cache, _ := os.UserCacheDir()
	lib := os.Getenv("CHDB_LIB_PATH")
	if lib == "" {
		lib = chdb.LibPath(cache)
	}
	s, err := chdb.Open(chdb.Config{LibPath: lib, DataDir: *dataDir, MaxExecution: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := store.Migrate(ctx, s, store.MigrateConfig{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, q := range flag.Args() {
		start := time.Now()
		rows, err := s.Query(ctx, q, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("%.3fs\t%v\n", time.Since(start).Seconds(), rows.Data)
	}
}

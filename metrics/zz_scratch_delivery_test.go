//go:build scratchdelivery

package metrics_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/metrics"
	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

func TestScratchDelivery(t *testing.T) {
	b, _ := os.ReadFile(os.Getenv("SCRATCH_SQL"))
	for _, q := range strings.Split(string(b), ";;") {
		if strings.TrimSpace(q) == "" {
			continue
		}
		rows, err := chdbtest.Shared(t).Query(t.Context(), q, store.Params{})
		if err != nil {
			fmt.Println("ERR", err)
			continue
		}
		for _, c := range rows.Columns {
			fmt.Print(c.Name, ":", c.Type, "\t")
		}
		fmt.Println()
		for _, r := range rows.Data {
			for _, v := range r {
				fmt.Print(metrics.Cell(v), "\t")
			}
			fmt.Println()
		}
	}
}

package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

// cmdHealthcheck asks a running server whether it is ready: the container
// healthcheck of images that have no curl.
func cmdHealthcheck(e *env) *cobra.Command {
	cmd, fs := newCommand("healthcheck", "exit 0 when a running server is ready (for container healthchecks)",
		"Exits 0 when the server at --url answers /readyz with 200, else 1. For container healthchecks.")
	url := fs.String("url", envOr(e, "OPSMETRICS_HEALTHCHECK_URL", "http://127.0.0.1:8080/readyz"), "readiness URL (OPSMETRICS_HEALTHCHECK_URL)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	runs(cmd, func(ctx context.Context, _ []string) int {
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
		if err != nil {
			return fail(e, err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fail(e, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fail(e, fmt.Errorf("%s answered %s", *url, resp.Status))
		}
		fmt.Fprintln(e.stdout, "ready")
		return 0
	})
	return cmd
}

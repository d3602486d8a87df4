// Package deploy holds what runs opsmetrics outside the binary: the
// Prometheus and Alertmanager configs, the `cluster` profile's ClickHouse,
// Keeper, load balancer and Prometheus configs (cluster/), and, in its
// tests, the checks of those files, of docker-compose.yml and of the GitHub
// Actions workflow. Docker does not run where `make test` runs, so these
// checks are what proves the stack's wiring before anyone starts it.
package deploy

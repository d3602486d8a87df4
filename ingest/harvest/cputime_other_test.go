//go:build !unix

package harvest

import "time"

// cpuTime is not measured here; BenchmarkHarvest then reports wall time only.
func cpuTime() time.Duration { return 0 }

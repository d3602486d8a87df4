//go:build !unix

package canonical

import "time"

func cpuTime() (time.Duration, bool) { return 0, false }

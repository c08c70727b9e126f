//go:build unix

package testenv

import (
	"syscall"
	"testing"
	"time"
)

// ReportCPU adds a cpu-ns/op metric to a benchmark: the CPU time (user +
// system) of the process per iteration, garbage collection included. On a
// shared machine wall-clock ns/op depends on the load, CPU time much less.
// Call it before the loop and the returned function after it:
//
//	defer testenv.ReportCPU(b)()
func ReportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

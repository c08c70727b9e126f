//go:build unix

package annuaire_test

import "syscall"

// cpuTime returns the CPU time (user + system) of the process in
// nanoseconds. Benchmarks report it next to wall time because the
// benchmark machine is shared: CPU time per operation is what the code
// costs, wall time also counts the waits for a core.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

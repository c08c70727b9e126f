package testenv

import (
	"runtime"
	"testing"
)

// ReportAllocRatio adds a metric named unit to a benchmark: the bytes
// allocated by the whole process per iteration (runtime.MemStats.TotalAlloc,
// goroutines the benchmark talks to included, unlike B/op's count which is
// the same figure), divided by size: e.g. "alloc-x-pdf", the memory a chain
// allocates in multiples of the PDF it starts from. Call it before the loop
// and the returned function after it:
//
//	defer testenv.ReportAllocRatio(b, len(pdf), "alloc-x-pdf")()
func ReportAllocRatio(b *testing.B, size int, unit string) func() {
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	return func() {
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		if b.N > 0 && size > 0 {
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/float64(size), unit)
		}
	}
}

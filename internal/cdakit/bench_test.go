//go:build unix

package cdakit_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/cdakit/kittest"
	"github.com/mssante-go/sdk/internal/testenv"
)

// batchCopies is the size of the batch whose marginal cost per document the
// benchmark reports.
const batchCopies = 21

// BenchmarkKitLargest runs the kit on the largest official example
// (cda/examples, IPS-FR_2024.01.xml, the document cda.BenchmarkValidateLargest
// validates in Go): once alone (JVM start, stylesheet load, one document)
// and once in a batch of 21 copies in one JVM. It reports, per iteration:
// run-1doc-s, the wall time of the single run; doc-in-batch-ms, the
// marginal wall time of one more document in a batch ((T21 − T1) / 20); and
// the same two in CPU time of the Java process (java-cpu-…), which depends
// less on the machine's load. Run it with -benchtime=1x: an iteration takes
// half a minute.
func BenchmarkKitLargest(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join(testenv.Shared(b, "cda", "examples"), "*.xml"))
	var name string
	var doc []byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		if len(data) > len(doc) {
			name, doc = filepath.Base(f), data
		}
	}
	benchKit(b, name, doc)
}

// BenchmarkKitN1 is BenchmarkKitLargest on the official level 1 example
// (DOC_NON_STRUCTURE_CDA-R2-N1.xml, a 440 kB PDF in base64), the document
// cda.BenchmarkValidateN1 validates in Go.
func BenchmarkKitN1(b *testing.B) {
	const name = "DOC_NON_STRUCTURE_CDA-R2-N1.xml"
	doc, err := os.ReadFile(filepath.Join(testenv.Shared(b, "cda", "examples"), name))
	if err != nil {
		b.Fatal(err)
	}
	benchKit(b, name, doc)
}

func benchKit(b *testing.B, name string, doc []byte) {
	k := kittest.Kit(b)
	one := map[string][]byte{name: doc}
	batch := map[string][]byte{}
	for i := range batchCopies {
		batch[fmt.Sprintf("%02d-%s", i, name)] = doc
	}
	run := func(docs map[string][]byte) (wall, cpu time.Duration) {
		ctx, cancel := context.WithTimeout(context.Background(), kittest.ValidateTimeout(len(docs)))
		defer cancel()
		start, c0 := time.Now(), childCPU()
		reps, err := k.Validate(ctx, docs)
		if err != nil {
			b.Fatal(err)
		}
		for n, r := range reps {
			if r.Err != nil || len(r.Errors()) > 0 {
				b.Fatalf("%s: %v %v", n, r.Err, r.Errors())
			}
		}
		return time.Since(start), childCPU() - c0
	}
	var w1, wN, c1, cN time.Duration
	for b.Loop() {
		w, c := run(one)
		w1, c1 = w1+w, c1+c
		w, c = run(batch)
		wN, cN = wN+w, cN+c
	}
	n := float64(b.N)
	b.ReportMetric(w1.Seconds()/n, "run-1doc-s")
	b.ReportMetric(float64((wN-w1).Milliseconds())/n/(batchCopies-1), "doc-in-batch-ms")
	b.ReportMetric(c1.Seconds()/n, "java-cpu-1doc-s")
	b.ReportMetric(float64((cN-c1).Milliseconds())/n/(batchCopies-1), "java-cpu-doc-in-batch-ms")
	b.ReportMetric(float64(len(doc)), "doc-bytes")
}

// childCPU is the user + system CPU time of the finished child processes.
func childCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

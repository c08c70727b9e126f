//go:build !race

package cda_test

import (
	"bytes"
	"io"
	"runtime"
	"testing"

	"github.com/mssante-go/sdk/cda"
)

// The race detector changes allocation figures: this test runs without it.

// TestBuildMemory checks that Build streams: the bytes allocated to build
// around an 8 MB PDF stay well under the size of the PDF.
func TestBuildMemory(t *testing.T) {
	pdf := fakePDF(8 << 20)
	h := testHeader(t)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := cda.Build(io.Discard, h, cda.Body{Content: bytes.NewReader(pdf)}); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(len(pdf))/4 {
		t.Fatalf("Build allocated %d bytes for a %d-byte PDF", alloc, len(pdf))
	}
	// Reading the body back streams too.
	doc := build(t, h, pdf)
	runtime.GC()
	runtime.ReadMemStats(&before)
	d, err := cda.Parse(bytes.NewReader(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := d.Body()
	if _, err := io.Copy(io.Discard, r); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(len(pdf))/4 {
		t.Fatalf("Body allocated %d bytes for a %d-byte PDF", alloc, len(pdf))
	}
}

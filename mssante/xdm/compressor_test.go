package xdm

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// bigPackage returns a package with three documents large enough for the
// zip writer's buffer to flush in the middle of an entry, each different so
// that a compressor carrying state from one entry to the next would show.
func bigPackage() *Package {
	p := testPackage()
	p.Documents[0].Content = bigCDA(96 << 10)
	for i, size := range []int{64 << 10, 1} {
		d := &Document{
			Entry:   DocumentEntry{UniqueID: fmt.Sprintf("1.2.250.1.999.2.%d", i+1), MimeType: "application/pdf", Title: "PDF"},
			Content: bigCDA(size)[i*100:],
		}
		p.Documents = append(p.Documents, d)
	}
	return p
}

// TestWriteEntriesSharingCompressor checks that every entry written with the
// shared deflate compressor inflates to its own bytes (the zip reader also
// checks each CRC).
func TestWriteEntriesSharingCompressor(t *testing.T) {
	p := bigPackage()
	es := unzipAll(t, writeBytes(t, p, fixedOptions()))
	got := map[string][]byte{}
	for _, e := range es {
		got[e.name] = e.data
	}
	for i, d := range p.Documents {
		name := fmt.Sprintf("IHE_XDM/SUBSET01/DOC%04d.", i+1)
		name += map[int]string{0: "XML", 1: "PDF", 2: "PDF"}[i]
		if !bytes.Equal(got[name], d.Content) {
			t.Errorf("%s: %d bytes, want the %d of document %d", name, len(got[name]), len(d.Content), i)
		}
	}
	if len(got[IndexName]) == 0 || len(got[ReadmeName]) == 0 || len(got[metaPath]) == 0 {
		t.Error("empty INDEX.HTM, README.TXT or METADATA.XML")
	}
}

var errBoom = errors.New("disk full")

// failAfter accepts n bytes, then fails every write.
type failAfter struct{ n int }

func (w *failAfter) Write(p []byte) (int, error) {
	if len(p) <= w.n {
		w.n -= len(p)
		return len(p), nil
	}
	n := w.n
	w.n = 0
	return n, errBoom
}

// TestWriteErrorMidArchive makes the destination fail at many points of the
// archive (inside entries, between them, in the central directory): Write
// must return that error every time, and a later Write of the same package
// must still give the archive a fresh writer gives.
func TestWriteErrorMidArchive(t *testing.T) {
	p := bigPackage()
	want := writeBytes(t, p, fixedOptions())
	for n := 0; n < len(want); n += len(want)/37 + 1 {
		if err := Write(&failAfter{n: n}, p, fixedOptions()); !errors.Is(err, errBoom) {
			t.Fatalf("failing after %d of %d bytes: err = %v, want %v", n, len(want), err, errBoom)
		}
	}
	if err := Write(&failAfter{n: len(want) - 1}, p, fixedOptions()); !errors.Is(err, errBoom) {
		t.Fatalf("failing on the last byte: err = %v", err)
	}
	if err := Write(&failAfter{n: len(want)}, p, fixedOptions()); err != nil {
		t.Fatalf("room for exactly the archive: %v", err)
	}
	if got := writeBytes(t, p, fixedOptions()); !bytes.Equal(got, want) {
		t.Fatal("the archive written after failed writes differs")
	}
}

// TestWriteConcurrent runs Write from several goroutines (go test -race):
// each call must have its own compressor and give the archive a lone call
// gives.
func TestWriteConcurrent(t *testing.T) {
	pkgs := []*Package{testPackage(), bigPackage()}
	var want [][]byte
	for _, p := range pkgs {
		want = append(want, writeBytes(t, p, fixedOptions()))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for range 3 {
				i := g % len(pkgs)
				var buf bytes.Buffer
				if err := Write(&buf, pkgs[i], fixedOptions()); err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(buf.Bytes(), want[i]) {
					errs <- fmt.Errorf("goroutine %d: package %d written differently", g, i)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

package mssante

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"

	"github.com/mssante-go/sdk/internal/testenv"
)

// goMessageBase64 encodes data with go-message's base64 encoder, the
// reference of writeBase64.
func goMessageBase64(t testing.TB, data []byte) []byte {
	var b bytes.Buffer
	w, err := encoder(&b, "base64")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestWriteBase64MatchesGoMessage checks that attachments are encoded byte
// for byte as go-message's base64 encoder encodes them, for the lengths
// around a line (57 bytes) and a block of lines, whatever the sizes of the
// reads.
func TestWriteBase64MatchesGoMessage(t *testing.T) {
	const block = b64LineIn * b64Lines
	data := make([]byte, 3*block+2*b64LineIn)
	rand.NewChaCha8([32]byte{12}).Read(data)
	var sizes []int
	for n := 0; n <= 3*b64LineIn; n++ {
		sizes = append(sizes, n)
	}
	for _, b := range []int{block, 2 * block, 3 * block} {
		for n := b - b64LineIn - 2; n <= b+b64LineIn+2; n++ {
			sizes = append(sizes, n)
		}
	}
	readers := map[string]func([]byte) io.Reader{
		"whole": func(p []byte) io.Reader { return bytes.NewReader(p) },
		"half":  func(p []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(p)) },
		"byte":  func(p []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(p)) },
	}
	for _, n := range sizes {
		want := goMessageBase64(t, data[:n])
		for name, r := range readers {
			if name == "byte" && n%7 != 0 {
				continue // slow: one size in seven
			}
			var got bytes.Buffer
			if err := writeBase64(&got, r(data[:n])); err != nil {
				t.Fatalf("%d bytes, %s reads: %v", n, name, err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Fatalf("%d bytes, %s reads: differs from go-message\n got %q\nwant %q", n, name, got.Bytes(), want)
			}
		}
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestWriteBase64Errors(t *testing.T) {
	errRead := errors.New("read failed")
	if err := writeBase64(io.Discard, iotest.ErrReader(errRead)); !errors.Is(err, errRead) {
		t.Errorf("read error: %v", err)
	}
	partial := io.MultiReader(bytes.NewReader(make([]byte, 5000)), iotest.ErrReader(errRead))
	if err := writeBase64(io.Discard, partial); !errors.Is(err, errRead) {
		t.Errorf("read error after data: %v", err)
	}
	errWrite := errors.New("write failed")
	if err := writeBase64(failingWriter{errWrite}, bytes.NewReader([]byte("x"))); !errors.Is(err, errWrite) {
		t.Errorf("write error: %v", err)
	}
	m := tMessage()
	m.Attachments = []*Attachment{{Filename: "cr.pdf", Open: func() (io.Reader, error) {
		return io.MultiReader(bytes.NewReader(tPDF(3000)), iotest.ErrReader(errRead)), nil
	}}}
	if _, err := m.WriteTo(io.Discard); !errors.Is(err, errRead) {
		t.Errorf("WriteTo with a failing attachment: %v", err)
	}
}

// BenchmarkBase64 encodes 1 MiB as an attachment body with go-message's
// encoder and with writeBase64: the measure behind the choice of
// writeBase64 (docs/architecture.md), to re-run when go-message changes.
func BenchmarkBase64(b *testing.B) {
	data := make([]byte, 1<<20)
	rand.NewChaCha8([32]byte{12}).Read(data)
	b.Run("go-message", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		defer testenv.ReportCPU(b)()
		for b.Loop() {
			w, err := encoder(io.Discard, "base64")
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sdk", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		defer testenv.ReportCPU(b)()
		for b.Loop() {
			if err := writeBase64(io.Discard, bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestSizeHint: Bytes sizes its buffer from sizeHint, which must not fall
// short of the encoded message (the buffer would be copied) nor be much
// larger (memory held for nothing).
func TestSizeHint(t *testing.T) {
	for _, n := range []int{0, 100, 3000, 1 << 20} {
		m := tMessage()
		if n > 0 {
			if err := m.AttachDocuments([]*HealthDocument{{CDA: tCDA(t, tHeader(t, "HINT-1"), tPDF(n))}}, tDocOptions()); err != nil {
				t.Fatal(err)
			}
		}
		raw, err := m.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		if h := m.sizeHint(); h < len(raw) || h > len(raw)+len(raw)/20+16<<10 {
			t.Errorf("PDF of %d bytes: hint %d for a message of %d bytes", n, h, len(raw))
		}
	}
}

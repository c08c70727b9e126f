package main

import (
	"bytes"
	"testing"
)

// TestExactSize: the PDF has exactly the size asked for, above its natural
// size, whatever the number of digits the lengths take, and the same seed
// gives the same file.
func TestExactSize(t *testing.T) {
	for _, size := range []int{2500, 9999, 10000, 10001, 123457, 1 << 20, 20 << 20} {
		b := pdf(size, 1)
		if len(b) != size {
			t.Errorf("size %d: got %d bytes", size, len(b))
		}
		if !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.HasSuffix(b, []byte("%%EOF\n")) {
			t.Errorf("size %d: not a PDF", size)
		}
	}
	if !bytes.Equal(pdf(50000, 3), pdf(50000, 3)) || bytes.Equal(pdf(50000, 3), pdf(50000, 4)) {
		t.Error("the file is not a function of its seed")
	}
	if n := len(pdf(10, 1)); n < 1000 {
		t.Errorf("below the natural size: %d bytes, want the smallest PDF", n)
	}
}

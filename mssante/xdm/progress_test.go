package xdm

import (
	"bytes"
	"testing"
)

// TestVerifyProgress: ReadOptions.Progress follows the bytes Verify reads,
// up to the documents' total, and ends on it.
func TestVerifyProgress(t *testing.T) {
	p := testPackage()
	big := &Document{Entry: testEntry(), Content: bytes.Repeat([]byte("0123456789abcdef"), 3<<16)} // 3 MiB
	big.Entry.UniqueID, big.Entry.MimeType = NewOID(), "application/pdf"
	p.Documents = append(p.Documents, big)
	b := writeBytes(t, p, nil)
	var calls [][2]int64
	a := readBytes(t, b, &ReadOptions{Progress: func(done, total int64) { calls = append(calls, [2]int64{done, total}) }})
	if fs := a.Verify(); fs.HasErrors() {
		t.Fatal(fs)
	}
	total := int64(len(testCDA) + len(big.Content))
	if len(calls) < 4 {
		t.Fatalf("%d calls for 3 MiB: %v", len(calls), calls)
	}
	for i, c := range calls {
		if c[1] != total || c[0] > total || i > 0 && c[0] < calls[i-1][0] {
			t.Fatalf("call %d: %v (total %d)", i, c, total)
		}
	}
	if last := calls[len(calls)-1]; last[0] != total {
		t.Fatalf("last call %v, want %d done", last, total)
	}
}

package annuaire

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
	"unicode/utf8"
)

// TestSplitSeps compares the word-at-a-time separator scan with a naive
// one, on random lines of every length, with and without non-ASCII bytes.
func TestSplitSeps(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ab|| |\x7c\x7b\x7d\xfc\x80é")
	for range 20000 {
		line := make([]byte, r.IntN(40))
		for i := range line {
			line[i] = alphabet[r.IntN(len(alphabet))]
		}
		max := r.IntN(12) + 1
		var want []int
		for i, c := range line {
			if c == '|' && len(want) < max {
				want = append(want, i)
			}
		}
		got, ascii := splitSeps(line, nil, max)
		if !slices.Equal(got, want) || ascii != !bytes.ContainsFunc(line, func(r rune) bool { return r >= utf8.RuneSelf }) {
			t.Fatalf("splitSeps(%q, %d) = %v %v, want %v", line, max, got, ascii, want)
		}
	}
}

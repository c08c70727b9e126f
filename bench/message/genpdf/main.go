// Command genpdf writes a one-page PDF of exactly the size asked for, most
// of it pseudo-random bytes (internal/samplepdf.NewRandom), for the
// comparison scripts of bench/: random content does not deflate, as the
// images and fonts of a real PDF barely do, where a repeated filler would
// shrink 40-fold in a zip or a compressed transfer and flatter whoever
// compresses it. The same size and seed give the same file, so that archive
// and message sizes are the same from one run to the next.
//
// usage: go run ./bench/message/genpdf -size BYTES [-seed N] -o FILE.pdf
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/mssante-go/sdk/internal/samplepdf"
)

func main() {
	size := flag.Int("size", 1<<20, "size of the PDF in `BYTES`")
	seed := flag.Uint64("seed", 1, "seed of the pseudo-random content")
	out := flag.String("o", "", "output `FILE`")
	flag.Parse()
	if *out == "" || *size < 0 || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: genpdf -size BYTES [-seed N] -o FILE.pdf")
		os.Exit(2)
	}
	if err := os.WriteFile(*out, pdf(*size, *seed), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "genpdf:", err)
		os.Exit(1)
	}
}

// pdf returns a PDF of size bytes, or of its smallest size if that is
// larger. NewRandom pads to about the size asked (the lengths written in its
// cross-reference table vary with it): asking again with the difference
// taken off settles in two or three rounds.
func pdf(size int, seed uint64) []byte {
	const title = "Document de test, contenu aleatoire"
	pad := size
	b := samplepdf.NewRandom(title, nil, pad, seed)
	for range 6 {
		if len(b) == size || pad <= 0 {
			break
		}
		pad -= len(b) - size
		b = samplepdf.NewRandom(title, nil, pad, seed)
	}
	return b
}

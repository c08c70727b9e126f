// Command gen writes a synthetic Extraction_Correspondance_MSSante file
// (fictitious names and identifiers) for benchmarks and manual tests:
//
//	go run ./bench/annuaire/gen -n 550000 -seed 1 > extraction.txt
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"

	"github.com/mssante-go/sdk/annuaire/annuairetest"
)

func main() {
	n := flag.Int("n", 550000, "number of lines")
	seed := flag.Uint64("seed", 1, "random seed (same seed, same file)")
	crlf := flag.Bool("crlf", false, "end lines with CRLF")
	flag.Parse()
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	err := annuairetest.Generate(w, &annuairetest.Options{Rows: *n, Seed: *seed, CRLF: *crlf})
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// Command validate checks CDA documents with cda.Validate, as
// `mss cda validate` does, with one more option: -header-only stops at the
// body (cda.ValidateOptions.HeaderOnly), the part of a document the official
// kit's rules read. bench/cda/compare.sh times it as a process beside the
// kit, since the CLI always reads a document to its end. It prints the
// findings and exits 1 when one is an error.
//
// usage: go run ./bench/cda/validate [-header-only] FILE...
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/mssante-go/sdk/cda"
)

func main() {
	headerOnly := flag.Bool("header-only", false, "stop at the body (check the header only)")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: validate [-header-only] FILE...")
		os.Exit(2)
	}
	failed := false
	for _, name := range flag.Args() {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "validate:", err)
			os.Exit(1)
		}
		list, err := cda.Validate(f, &cda.ValidateOptions{HeaderOnly: *headerOnly})
		f.Close()
		if err != nil {
			fmt.Fprintf(os.Stderr, "validate: %s: %v\n", name, err)
			os.Exit(1)
		}
		for _, x := range list {
			fmt.Printf("%s: %s\n", name, x)
		}
		failed = failed || list.HasErrors()
	}
	if failed {
		os.Exit(1)
	}
}

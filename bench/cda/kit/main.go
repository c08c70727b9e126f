// Command kit prints where the official StrucMin schematron, compiled for
// bench/cda/compare.sh, is: it compiles the kit of the shared test data with
// package cdakit the first time (three Saxon runs, about 5 s) and finds it
// in cdakit's cache afterwards, as the tests do. It prints one line: the
// folder of the compiled stylesheet StrucMin.xsl, the java program and the
// Saxon-HE jar, separated by tabs.
//
// usage: go run ./bench/cda/kit
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/mssante-go/sdk/internal/cdakit"
	"github.com/mssante-go/sdk/internal/testenv"
)

func main() {
	java, jar, err := cdakit.FindSaxon()
	if err != nil {
		fmt.Fprintf(os.Stderr, "kit: %v (make deps installs Java and Saxon-HE)\n", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	k, err := cdakit.Compile(ctx, cdakit.SharedOptions(testenv.SharedDir()))
	if errors.Is(err, cdakit.ErrNoSaxon) {
		fmt.Fprintf(os.Stderr, "kit: %v (make deps installs Java and Saxon-HE)\n", err)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "kit: compiling the StrucMin schematron: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%s\t%s\t%s\n", k.Dir(), java, jar)
}

// Command gen turns the CI-SIS value sets (IHE SVS files of the ANS test
// kit, jeuxDeValeurs/) and the ASS_X04 typeCode → classCode table into Go
// tables, so that package cda has no run-time file dependency.
//
//	go run ./internal/gen -in ../../shared/testdata/cda/valuesets -out valuesets_gen.go
package main

import (
	"flag"
	"log"
	"os"

	"github.com/mssante-go/sdk/cda/internal/valuesetgen"
)

func main() {
	in := flag.String("in", "../../shared/testdata/cda/valuesets", "folder of the JDV_*.xml and ASS_X04 files")
	out := flag.String("out", "valuesets_gen.go", "Go file to write")
	flag.Parse()
	src, err := valuesetgen.Generate(*in)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}

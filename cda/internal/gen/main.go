// Command gen writes the generated tables of package cda, so that it has no
// run-time file dependency:
//
//   - with -in, the CI-SIS value sets (IHE SVS files of the ANS test kit,
//     jeuxDeValeurs/) and the ASS_X04 typeCode → classCode table;
//
//   - with -kit, the Go rule table of the kit's StrucMin schematron
//     (cda/internal/kitgen).
//
//     go run ./internal/gen -in ../../shared/testdata/cda/valuesets -out valuesets_gen.go
//     go run ./internal/gen -kit ../../shared/testdata/cda/schematron/structurationMinimale -out kitrules_gen.go
package main

import (
	"flag"
	"log"
	"os"

	"github.com/mssante-go/sdk/cda/internal/kitgen"
	"github.com/mssante-go/sdk/cda/internal/valuesetgen"
)

func main() {
	in := flag.String("in", "", "folder of the JDV_*.xml and ASS_X04 files")
	kit := flag.String("kit", "", "folder of the kit's StrucMin schematron (structurationMinimale)")
	out := flag.String("out", "", "Go file to write")
	flag.Parse()
	var src []byte
	var err error
	switch {
	case *in != "" && *kit == "":
		src, err = valuesetgen.Generate(*in)
	case *kit != "" && *in == "":
		src, err = kitgen.Generate(*kit)
	default:
		log.Fatal("gen: give -in or -kit")
	}
	if err != nil {
		log.Fatal(err)
	}
	if *out == "" {
		log.Fatal("gen: -out is required")
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}

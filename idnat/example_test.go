package idnat_test

import (
	"fmt"

	"github.com/mssante-go/sdk/idnat"
)

func ExampleValidate() {
	fmt.Println(idnat.Validate(idnat.SIRET, "35600000000048")) // La Poste head office
	for _, f := range idnat.Validate(idnat.RPPS, "10001234567") {
		fmt.Println(f.Level, f.Message)
	}
	n, _ := idnat.ParseStructure("1754567860")
	fmt.Println(n.Kind, n.ID)
	// Output:
	// []
	// warning RPPS 10001234567 fails the Luhn check (observed rule, not official)
	// FINESS 754567860
}

package mailaddr_test

import (
	"fmt"

	"github.com/mssante-go/sdk/mailaddr"
)

func ExampleNormalize() {
	for _, a := range []string{
		"Paul.Durand@Hopital.MSSante.FR",
		"x@médecin.fr",
		"x%gmail.com@relais.mssante.fr",
		"x@gmail.com\u00a0", // a trailing no-break space
	} {
		wire, err := mailaddr.Normalize(a)
		fmt.Printf("%q %v\n", wire, err)
	}
	// Output:
	// "Paul.Durand@hopital.mssante.fr" <nil>
	// "x@xn--mdecin-bva.fr" <nil>
	// "" mailaddr: invalid address "x%gmail.com@relais.mssante.fr": local part: '%' would route the message through another host (source route)
	// "" mailaddr: invalid address "x@gmail.com\u00a0": domain: white space or control character U+00A0
}

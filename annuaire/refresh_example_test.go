package annuaire_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mssante-go/sdk/annuaire"
)

// A refresher fed from a mirror (unsigned, no closing root tag) refuses the
// truncated publication that follows, keeps the list in use and says why in
// its status.
func ExampleWhitelistRefresher_Status() {
	dir, _ := os.MkdirTemp("", "lb")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "listeblanchemssante.xml")
	list := func(domains ...string) []byte {
		var b strings.Builder
		b.WriteString(`<ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema">` +
			`<DateDeGeneration>2025-03-13T14:54:10Z</DateDeGeneration><ListeDomaines>`)
		for _, d := range domains {
			fmt.Fprintf(&b, "<Domaine><Nom>%s</Nom><DNCertificatOperateur>CN=smtp,O=OP</DNCertificatOperateur></Domaine>", d)
		}
		b.WriteString("</ListeDomaines>")
		return []byte(b.String())
	}
	ref := &annuaire.WhitelistRefresher{
		Source:        path,
		AllowUnsigned: true, // a mirror: never in production
		AllowUnclosed: true,
		MinDomains:    3,
		Essential:     []string{"medecin.mssante.fr", "patient.mssante.fr"},
	}
	os.WriteFile(path, list("medecin.mssante.fr", "patient.mssante.fr", "ch-a.mssante.fr", "ch-b.mssante.fr"), 0o600)
	_, err := ref.Refresh(context.Background())
	fmt.Println("first:", err, ref.Current().Len())

	os.WriteFile(path, list("ch-a.mssante.fr", "ch-b.mssante.fr", "ch-c.mssante.fr"), 0o600)
	_, err = ref.Refresh(context.Background())
	var re *annuaire.RefreshError
	fmt.Println("truncated:", errors.As(err, &re), re.Kinds)
	st := ref.Status()
	fmt.Println("in use:", st.Domains, "domains generated", st.Generated.Format("2006-01-02"), "signature", st.Signature.Status)
	fmt.Println("refused:", st.LastRefusal.Kind, st.LastRefusal.Domains, "domains")
	// Output:
	// first: <nil> 4
	// truncated: true [essential shrunk]
	// in use: 4 domains generated 2025-03-13 signature unsigned
	// refused: essential 3 domains
}

package layers

import (
	"go/build"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/testenv"
)

const module = "github.com/mssante-go/sdk/"

// layer of each library package, as docs/architecture.md draws them.
var layer = map[string]int{
	"finding": 0, "limit": 0, "xmltext": 0, "internal/check": 0, "internal/mestext": 0, "internal/dn": 0, "mailaddr": 0,
	"ins": 1, "idnat": 1,
	"cda":         2,
	"mssante/xdm": 3, "mssante/tlsauth": 3, "annuaire": 3,
	"mssante": 4,
	"msc":     5, "mssante/smtpclient": 5, "mssante/imapclient": 5, "mssante/mssantetest": 5,
	"mssante/delivery": 6,
	"mssante/serve":    7,
}

// TestImportsPointDown: no library package imports one of its own layer or
// above (no arrow back up, no cycle by construction).
func TestImportsPointDown(t *testing.T) {
	root := testenv.ModuleRoot()
	names := make([]string, 0, len(layer))
	for n := range layer {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		p, err := build.ImportDir(filepath.Join(root, name), 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, imp := range p.Imports {
			dep, ok := strings.CutPrefix(imp, module)
			if !ok || strings.HasPrefix(dep, "internal/test") {
				continue // outside the SDK, or test plumbing (testpki for the test operator)
			}
			l, known := layer[dep]
			if !known {
				t.Errorf("%s imports %s, which has no layer in docs/architecture.md", name, dep)
				continue
			}
			if l >= layer[name] {
				t.Errorf("%s (layer %d) imports %s (layer %d): imports must point down", name, layer[name], dep, l)
			}
		}
	}
}

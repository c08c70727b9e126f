package annuaire_test

import (
	"sync"
	"testing"

	"github.com/mssante-go/sdk/annuaire"
)

// TestFold: accents and ligatures fold to their base letters, punctuation
// to spaces. From several goroutines at once: the table of the accented
// letters is built on first use, so run alone (go test -race -run
// TestFold) the goroutines race to build it.
func TestFold(t *testing.T) {
	cases := map[string]string{
		"Hélène D'Aubigné": "helene d aubigne",
		"ŒUVRE Æsop":       "oeuvre aesop",
		"Straße Łódź":      "strasse lodz",
		"ÇA-VA Ø 42":       "ca va o 42",
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for in, want := range cases {
				if got := annuaire.Fold(in); got != want {
					t.Errorf("Fold(%q) = %q, want %q", in, got, want)
				}
			}
		}()
	}
	wg.Wait()
}

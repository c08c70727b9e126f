//go:build linux

package annuaire_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/limit"
)

const (
	hostileEnv     = "ANNUAIRE_HOSTILE_CASE"
	hostileFileEnv = "ANNUAIRE_HOSTILE_FILE"
)

// TestWhitelistPeakMemory runs ParseWhitelist on each hostile document in a
// child process and checks its peak resident memory (VmHWM)
// against that of a child that parses a small valid list: before the budgets
// were enforced while reading, the 60 MB attribute cost 945 MB.
func TestWhitelistPeakMemory(t *testing.T) {
	if name := os.Getenv(hostileEnv); name != "" {
		hostileChild(name)
		return
	}
	if testing.Short() {
		t.Skip("spawns a child process per case")
	}
	baseline := childRSS(t, "baseline")
	t.Logf("baseline: %d MiB", baseline>>20)
	for _, tc := range hostileCases {
		rss := childRSS(t, tc.name)
		// What the budget lets through: the token budget, or the 8 MiB
		// document (kept once for the signature check, once as parsed
		// entries), plus the decoder's and the runtime's slack.
		allow := int64(16 << 20)
		if tc.limit == "size" || tc.limit == "element count" {
			allow = 64 << 20
		}
		allow *= raceFactor
		t.Logf("%s: %d MiB (%+d MiB over the baseline, %d MiB allowed)", tc.name, rss>>20, (rss-baseline)>>20, allow>>20)
		if rss-baseline > allow {
			t.Errorf("%s: peak RSS %d MiB, %d MiB over the baseline (allowed %d MiB)", tc.name, rss>>20, (rss-baseline)>>20, allow>>20)
		}
	}
	// The worst case that passes the budgets: a signed list of almost
	// 8 MiB (15,010 domains), whose signature check builds element trees
	// (the official list of 3.7 MB peaks at about 70 MiB). Skipped under
	// the race detector, which multiplies both the time and the memory.
	if raceFactor > 1 {
		return
	}
	trusted, _ := testSigners(t)
	doc := trusted.sign(t, genList(fixedTime, 15000))
	p := filepath.Join(t.TempDir(), "signed.xml")
	if err := os.WriteFile(p, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(hostileFileEnv, p)
	rss := childRSS(t, "signed at the byte budget")
	t.Logf("signed at the byte budget: %d MiB (%+d MiB over the baseline)", rss>>20, (rss-baseline)>>20)
	if rss-baseline > 200<<20 {
		t.Errorf("signed at the byte budget: peak RSS %d MiB", rss>>20)
	}
}

// childRSS runs this test binary on one case and returns the child's peak
// resident set in bytes, as the child read it from VmHWM in
// /proc/self/status at its end. (The rusage of the child would not do: Linux
// carries the parent's peak into ru_maxrss across fork and exec.)
func childRSS(t *testing.T, name string) int64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestWhitelistPeakMemory$", "-test.count=1")
	cmd.Env = append(os.Environ(), hostileEnv+"="+name)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "hostile-result: ok") {
		t.Fatalf("child %s: %v\n%s", name, err, out)
	}
	_, after, _ := strings.Cut(string(out), "VmHWM:")
	var kb int64
	if _, err := fmt.Sscan(after, &kb); err != nil {
		t.Fatalf("child %s: no VmHWM: %v\n%s", name, err, out)
	}
	return kb << 10
}

// printPeak prints the VmHWM line of /proc/self/status: the peak resident
// set of this process since its exec.
func printPeak() {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			fmt.Println(l)
		}
	}
}

// hostileChild is the child's side: parse the case and print the outcome.
func hostileChild(name string) {
	defer printPeak()
	switch name {
	case "baseline":
		_, _, err := annuaire.ParseWhitelist(strings.NewReader(genList(fixedTime, 100)), nil)
		fmt.Printf("hostile-result: ok %v\n", err)
		return
	case "signed at the byte budget":
		f, err := os.Open(os.Getenv(hostileFileEnv))
		if err != nil {
			fmt.Printf("hostile-result: failed %v\n", err)
			return
		}
		defer f.Close()
		st, _ := f.Stat()
		wl, _, err := annuaire.ParseWhitelist(f, nil)
		if err != nil || wl.Signature.Status != annuaire.SignatureUnknownIssuer || st.Size() > annuaire.DefaultWhitelistMaxBytes {
			fmt.Printf("hostile-result: failed %d bytes: %v\n", st.Size(), err)
			return
		}
		fmt.Printf("hostile-result: ok %d bytes\n", st.Size())
		return
	}
	for _, tc := range hostileCases {
		if tc.name != name {
			continue
		}
		_, _, err := annuaire.ParseWhitelist(tc.gen(), nil)
		var le *limit.Error
		if errors.As(err, &le) && le.Limit == tc.limit {
			fmt.Printf("hostile-result: ok %v\n", err)
		} else {
			fmt.Printf("hostile-result: failed %v\n", err)
		}
		return
	}
	fmt.Printf("hostile-result: unknown case %q\n", name)
}

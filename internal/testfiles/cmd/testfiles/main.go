// Command testfiles fetches, verifies and describes the public test files
// that the SDK's tests read (see package internal/testfiles).
//
//	go run ./internal/testfiles/cmd/testfiles fetch      # make testdata
//	go run ./internal/testfiles/cmd/testfiles verify [-dir DIR]
//	go run ./internal/testfiles/cmd/testfiles manifest   # make testdata-manifest
//	go run ./internal/testfiles/cmd/testfiles mirror -to DIR
//
// fetch writes into -dir, else $MSS_TESTDATA, else the cache folder
// ($XDG_CACHE_HOME/mssante-sdk/testdata/HASH); it reads from GitHub, or from
// the mirror named by -mirror or $MSS_TESTDATA_MIRROR (a URL template with
// {repo}, {commit} and {path}, or a base such as file:///srv/mirror).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/mssante-go/sdk/internal/testfiles"
)

const usage = `usage: testfiles COMMAND [flags]

commands:
  fetch     download the public test files, verified against the manifest (make testdata)
  verify    compare a test data folder with the manifest
  manifest  regenerate internal/testfiles/manifest.txt from ../shared/testdata (make testdata-manifest)
  mirror    lay out ../shared/testdata as a local mirror for fetch (for tests and offline machines)
`

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		fmt.Print(usage)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "fetch":
		err = fetch(ctx, args)
	case "verify":
		err = verify(args)
	case "manifest":
		err = manifest(args)
	case "mirror":
		err = mirror(args)
	default:
		fmt.Fprintf(os.Stderr, "testfiles: unknown command %q\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "testfiles "+os.Args[1]+":", err)
		os.Exit(1)
	}
}

func fetch(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("fetch", flag.ExitOnError)
	dir := fs.String("dir", os.Getenv("MSS_TESTDATA"), "destination folder (default $MSS_TESTDATA, else the cache folder)")
	mirrorURL := fs.String("mirror", os.Getenv("MSS_TESTDATA_MIRROR"), "read from this mirror instead of GitHub (default $MSS_TESTDATA_MIRROR)")
	quiet := fs.Bool("q", false, "print only the summary")
	_ = fs.Parse(args)
	m, err := testfiles.Embedded()
	if err != nil {
		return err
	}
	opts := &testfiles.Options{Dir: *dir, URLTemplate: *mirrorURL}
	if !*quiet {
		opts.Log = func(format string, a ...any) { fmt.Fprintf(os.Stderr, "testdata: "+format+"\n", a...) }
	}
	rep, err := testfiles.Fetch(ctx, m, opts)
	if rep != nil {
		from := "GitHub"
		if *mirrorURL != "" {
			from = *mirrorURL
		}
		fmt.Fprintf(os.Stderr, "testdata: %s: %d files fetched from %s and verified, %d already verified; %d files exist only in ../shared/testdata (no public repository holds them)\n",
			rep.Dir, rep.Fetched, from, rep.Kept, len(rep.SharedOnly))
	}
	return err
}

func verify(args []string) error {
	fs := flag.NewFlagSet("verify", flag.ExitOnError)
	dir := fs.String("dir", "", "test data folder (default $MSS_TESTDATA, else ../shared/testdata, else the cache folder)")
	all := fs.Bool("all", false, "require the files that exist only in ../shared/testdata too (the default for ../shared/testdata)")
	_ = fs.Parse(args)
	m, err := testfiles.Embedded()
	if err != nil {
		return err
	}
	if *dir == "" {
		var isShared bool
		*dir, isShared = defaultDir(m)
		*all = *all || isShared
	}
	probs, err := testfiles.Verify(m, *dir, *all)
	if err != nil {
		return err
	}
	for _, p := range probs {
		fmt.Println(p)
	}
	if len(probs) > 0 {
		return fmt.Errorf("%s: %d files disagree with the manifest", *dir, len(probs))
	}
	what := "the files that public repositories hold"
	if *all {
		what = "every file"
	}
	fmt.Fprintf(os.Stderr, "testdata: %s agrees with the manifest (%s of %d)\n", *dir, what, len(m.Entries))
	return nil
}

// defaultDir is the folder the tests read, as internal/testenv resolves it,
// and whether it should hold the shared-only files too.
func defaultDir(m *testfiles.Manifest) (string, bool) {
	if d := os.Getenv("MSS_TESTDATA"); d != "" {
		return d, false
	}
	if st, err := os.Stat(filepath.Join("..", "shared", "testdata")); err == nil && st.IsDir() {
		return filepath.Join("..", "shared", "testdata"), true
	}
	d, _ := m.CacheDir()
	return d, false
}

func manifest(args []string) error {
	fs := flag.NewFlagSet("manifest", flag.ExitOnError)
	from := fs.String("from", filepath.Join("..", "shared", "testdata"), "the test data folder to describe")
	out := fs.String("out", filepath.Join("internal", "testfiles", "manifest.txt"), "file to write")
	_ = fs.Parse(args)
	m, err := testfiles.Generate(*from)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, m.Format(), 0o644); err != nil {
		return err
	}
	shared := 0
	for _, e := range m.Entries {
		if e.Source.Kind == testfiles.KindShared {
			shared++
		}
	}
	fmt.Fprintf(os.Stderr, "testdata: wrote %s: %d files (%d only in %s), manifest %s\n", *out, len(m.Entries), shared, *from, m.Hash())
	return nil
}

func mirror(args []string) error {
	fs := flag.NewFlagSet("mirror", flag.ExitOnError)
	from := fs.String("from", filepath.Join("..", "shared", "testdata"), "the test data folder to copy from")
	to := fs.String("to", "", "the mirror folder to write (required)")
	_ = fs.Parse(args)
	if *to == "" {
		return errors.New("-to is required")
	}
	m, err := testfiles.Embedded()
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(*to)
	if err != nil {
		return err
	}
	missing, err := testfiles.Mirror(m, *from, abs)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "testdata: mirror in %s; use MSS_TESTDATA_MIRROR=file://%s\n", abs, filepath.ToSlash(abs))
	if len(missing) > 0 {
		fmt.Fprintf(os.Stderr, "testdata: the inputs of derived files are not in %s; put them by hand at:\n  %s\n", *from, strings.Join(missing, "\n  "))
	}
	return nil
}

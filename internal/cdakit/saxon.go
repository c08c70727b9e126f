package cdakit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// ErrNoSaxon is returned by Compile when Java or the Saxon-HE jar cannot be
// found. Install them with `make deps` (Debian: default-jre-headless,
// libsaxonhe-java).
var ErrNoSaxon = errors.New("cdakit: Java or Saxon-HE not found")

// SaxonJars lists where FindSaxon looks for the Saxon-HE jar, in order:
// Debian's libsaxonhe-java first.
var SaxonJars = []string{
	"/usr/share/java/Saxon-HE.jar",
	"/usr/share/java/saxon9he.jar",
	"/usr/share/java/saxonhe.jar",
	"/usr/share/maven-repo/net/sf/saxon/Saxon-HE/debian/Saxon-HE-debian.jar",
}

// FindSaxon returns the java program and the Saxon-HE jar to use: the
// SAXON_JAR environment variable or the first of SaxonJars that exists, and
// java from the PATH (or JAVA_HOME/bin). The error wraps ErrNoSaxon.
func FindSaxon() (java, jar string, err error) {
	if p, lerr := exec.LookPath("java"); lerr == nil {
		java = p
	} else if home := os.Getenv("JAVA_HOME"); home != "" {
		if st, serr := os.Stat(home + "/bin/java"); serr == nil && !st.IsDir() {
			java = home + "/bin/java"
		}
	}
	if java == "" {
		return "", "", fmt.Errorf("%w: no java on the PATH", ErrNoSaxon)
	}
	candidates := SaxonJars
	if env := os.Getenv("SAXON_JAR"); env != "" {
		candidates = []string{env}
	}
	for _, c := range candidates {
		if st, serr := os.Stat(c); serr == nil && !st.IsDir() {
			return java, c, nil
		}
	}
	return "", "", fmt.Errorf("%w: no Saxon-HE jar in %s", ErrNoSaxon, strings.Join(candidates, ", "))
}

// SaxonError is a Saxon run that failed: its arguments, exit status and the
// end of what it wrote on stderr.
type SaxonError struct {
	Args   []string
	Err    error
	Stderr string
}

func (e *SaxonError) Error() string {
	return fmt.Sprintf("cdakit: saxon %s: %v: %s", strings.Join(e.Args, " "), e.Err, e.Stderr)
}

func (e *SaxonError) Unwrap() error { return e.Err }

// saxon runs one net.sf.saxon.Transform in its own JVM, in dir. Cancelling
// ctx kills the JVM.
func saxon(ctx context.Context, java, jar, dir string, args ...string) (stderr string, err error) {
	full := append([]string{"-Duser.language=en", "-cp", jar, "net.sf.saxon.Transform"}, args...)
	cmd := exec.CommandContext(ctx, java, full...)
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	dieWithParent(cmd)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	cmd.Stdout = &errb
	err = cmd.Run()
	stderr = errb.String()
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return stderr, &SaxonError{Args: args, Err: err, Stderr: tail(stderr, 2000)}
	}
	return stderr, nil
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

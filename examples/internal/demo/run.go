// Package demo holds what the runnable examples share that is not MSSanté:
// running a scenario with a timeout and printing its output or its error
// (Main), and checking that output in the example's test (Check). Each
// example builds its own CDA header, clients and messages in its main.go,
// for vendors to copy.
package demo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// Timeout bounds one run of an example.
const Timeout = time.Minute

// Main runs an example's scenario with a timeout, printing to standard
// output, and exits 1 with the error on failure.
func Main(name string, run func(ctx context.Context, w io.Writer) error) {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	err := run(ctx, os.Stdout)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

// Check runs an example's scenario in a test and fails unless it succeeds
// and its output contains every wanted line fragment.
func Check(t testing.TB, run func(ctx context.Context, w io.Writer) error, want ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, w := range want {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}
	return out.String()
}

// Package kittest gives the SDK's tests the official StrucMin schematron,
// compiled once per test process (and cached across processes, see
// package cdakit), with the conventions of internal/testenv: when Java or
// Saxon is missing the test is skipped, or fails under CI=true.
package kittest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/cdakit"
	"github.com/mssante-go/sdk/internal/testenv"
)

var (
	once sync.Once
	kit  *cdakit.Kit
	err  error
)

// CompileTimeout bounds the three compilation steps (about 5 s here when
// the cache is cold).
const CompileTimeout = 3 * time.Minute

// Kit returns the compiled kit of ../shared/testdata/cda/schematron.
func Kit(t testing.TB) *cdakit.Kit {
	t.Helper()
	testenv.Shared(t, "cda", "schematron", "structurationMinimale", cdakit.MainSchematron)
	if _, _, ferr := cdakit.FindSaxon(); ferr != nil {
		testenv.Missing(t, "%v", ferr)
	}
	once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), CompileTimeout)
		defer cancel()
		kit, err = cdakit.Compile(ctx, cdakit.SharedOptions(testenv.SharedDir()))
	})
	if errors.Is(err, cdakit.ErrNoSaxon) {
		testenv.Missing(t, "%v", err)
	}
	if err != nil {
		t.Fatalf("compiling the StrucMin schematron: %v", err)
	}
	return kit
}

// ValidateTimeout bounds one batch run, generously: the JVM start and
// stylesheet load (about 8 s of CPU) and some 30 ms per small document, up
// to seconds for a large structured one, on a 2-core machine that the rest
// of the test suite keeps busy.
func ValidateTimeout(docs int) time.Duration {
	return 5*time.Minute + time.Duration(docs)*500*time.Millisecond
}

// Validate runs the kit on docs in one batch and fails the test on a run
// error.
func Validate(t testing.TB, docs map[string][]byte) map[string]*cdakit.Report {
	t.Helper()
	k := Kit(t)
	ctx, cancel := context.WithTimeout(context.Background(), ValidateTimeout(len(docs)))
	defer cancel()
	start := time.Now()
	reps, err := k.Validate(ctx, docs)
	if err != nil {
		t.Fatalf("running the StrucMin schematron on %d documents: %v", len(docs), err)
	}
	t.Logf("kit: %d documents in %v (one batch)", len(docs), time.Since(start).Round(time.Millisecond))
	return reps
}

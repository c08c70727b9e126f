package main

import (
	"fmt"
	"io"
	"time"
)

// report prints the numbered steps of the scenario and, at the end, the
// artifacts written.
type report struct {
	w         io.Writer
	start     time.Time
	n         int
	artifacts []string
}

func newReport(w io.Writer) *report {
	fmt.Fprintln(w, "MSSanté Go SDK quickstart (embedded test operator, fictitious data)")
	return &report{w: w, start: time.Now()}
}

func (r *report) step(format string, args ...any) {
	r.n++
	fmt.Fprintf(r.w, "%2d. %s\n", r.n, fmt.Sprintf(format, args...))
}

func (r *report) done() {
	if len(r.artifacts) > 0 {
		fmt.Fprintln(r.w, "Artifacts:")
		for _, a := range r.artifacts {
			fmt.Fprintln(r.w, "   ", a)
		}
	}
	fmt.Fprintf(r.w, "Done in %s: every step passed.\n", time.Since(r.start).Round(time.Millisecond))
}

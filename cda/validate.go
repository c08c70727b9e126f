package cda

import (
	"errors"
	"io"
)

// ValidateOptions tunes Validate. The zero value (or nil) is the default:
// every rule at its normal level.
type ValidateOptions struct {
	// TestINSKeyWarning downgrades a wrong INS key under the test or
	// demonstration authority (.10, .11) to a warning (ins.md §8.2), to
	// replay the official examples.
	TestINSKeyWarning bool
	// Read sets the reader limits.
	Read *ReadOptions
}

// Validate checks a CDA document against the CI-SIS header rules (cda.md
// §1-§7) and the level 1 body rules, and returns levelled findings. The
// error is non-nil only when the document cannot be read at all (not XML,
// not CDA, over a limit).
func Validate(r io.Reader, opts *ValidateOptions) (Findings, error) {
	return nil, errors.New("cda: not implemented")
}

package annuaire

import (
	"errors"
	"fmt"
)

var (
	// ErrNotFound is returned by a Resolver that knows nothing of the queried
	// address, person or structure. For an address it does not mean that the
	// address is invalid: red-listed mailboxes are never published.
	ErrNotFound = errors.New("annuaire: not found in the directory")

	// ErrOutsideTrustSpace is wrapped by every refusal of RecipientChecker
	// (a domain not on the liste blanche, an invalid address): nothing is
	// sent to such a recipient. It is the SDK's one trust-space error;
	// mssante.Send returns it, inside a *mssante.PartialError, for a
	// recipient that a transport's RecipientChecker refused.
	ErrOutsideTrustSpace = errors.New("annuaire: domain outside the MSSanté trust space (not on the liste blanche)")

	// ErrInvalidAddress is wrapped for a string that is not an e-mail address.
	ErrInvalidAddress = errors.New("annuaire: invalid e-mail address")

	// ErrBadHeader is returned when an extraction file has no usable header
	// (no "Adresse BAL" column).
	ErrBadHeader = errors.New("annuaire: bad extraction header")

	// ErrWhitelist is wrapped by the errors of ParseWhitelist for a document
	// that is not a usable liste blanche.
	ErrWhitelist = errors.New("annuaire: unusable liste blanche")

	// ErrChecksum is wrapped when a downloaded liste blanche does not match
	// its SHA-256 checksum.
	ErrChecksum = errors.New("annuaire: checksum mismatch")

	// ErrFHIR is wrapped by every error the FHIR server returned
	// (see *FHIRError for the status and OperationOutcome).
	ErrFHIR = errors.New("annuaire: FHIR server error")
)

// LineError reports a line of an extraction file that was skipped.
type LineError struct {
	Line   int    // 1-based line number in the file (the header is line 1)
	Reason string // what is wrong
}

func (e *LineError) Error() string {
	return fmt.Sprintf("annuaire: extraction line %d skipped: %s", e.Line, e.Reason)
}

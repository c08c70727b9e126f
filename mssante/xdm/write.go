package xdm

import (
	"errors"
	"io"
)

// Write writes p as an IHE_XDM.ZIP archive to w (xdm.md §1, §12): INDEX.HTM,
// README.TXT, IHE_XDM/SUBSET01/METADATA.XML and the documents. It refuses a
// package without documents (ErrNoDocument), with two patients
// (ErrSeveralPatients), with a bad file name (ErrInvalidName) or without a
// required field (ErrMissingField). Write does not modify p. opts nil means
// the defaults (random UUIDs, time.Now).
func Write(w io.Writer, p *Package, opts *WriteOptions) error {
	return errors.New("xdm: Write not implemented yet")
}

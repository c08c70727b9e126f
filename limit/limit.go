package limit

import (
	"errors"
	"fmt"
)

// ErrExceeded is matched by every *Error.
var ErrExceeded = errors.New("limit exceeded")

// Names of the limits, the values of Error.Limit.
const (
	Size             = "size"              // bytes of the whole input (document, message, archive once uncompressed)
	HeaderSize       = "header size"       // bytes of a CDA header, before the body
	EntrySize        = "entry size"        // bytes of one archive entry once uncompressed (METADATA.XML)
	Depth            = "depth"             // element or MIME nesting
	Attributes       = "attribute count"   // attributes of one XML element
	Parts            = "parts"             // MIME parts of a message
	Entries          = "entries"           // entries of a zip archive
	CompressionRatio = "compression ratio" // uncompressed size / compressed size of an archive entry
)

// Error reports that What went beyond its Limit.
type Error struct {
	// What is the input, as the message names it: "CDA document",
	// "message", "IHE_XDM.ZIP", "DOC0001.XML"...
	What string
	// Limit is the name of the limit (Size, Depth...).
	Limit string
	// Max is the configured maximum.
	Max int64
	// Value is the value found, when it is known (an entry count, a
	// message size); 0 when the reader stopped at the limit.
	Value int64
}

func (e *Error) Error() string {
	what := e.What
	if what == "" {
		what = "input"
	}
	if e.Value > 0 {
		return fmt.Sprintf("%s: %s %d exceeds the limit of %d", what, e.Limit, e.Value, e.Max)
	}
	return fmt.Sprintf("%s exceeds the %s limit (%d)", what, e.Limit, e.Max)
}

// Unwrap returns ErrExceeded.
func (e *Error) Unwrap() error { return ErrExceeded }

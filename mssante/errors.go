package mssante

import (
	"errors"
)

// Sentinel errors. Functions of the package return them wrapped with
// context; test them with errors.Is.
var (
	// ErrNotReport: the message is neither a delivery status notification
	// nor a message disposition notification.
	ErrNotReport = errors.New("mssante: not a delivery or disposition report")
	// ErrMalformed: the message cannot be parsed at all (no header block...).
	ErrMalformed = errors.New("mssante: malformed message")
	// ErrNoNIL: the message has no X-MSS-NIL product reference (ECO.2.4.3).
	ErrNoNIL = errors.New("mssante: X-MSS-NIL product reference missing (ECO.2.4.3)")
	// ErrNoSender: the message has no sender address.
	ErrNoSender = errors.New("mssante: no sender address")
	// ErrNoRecipient: the message has no recipient.
	ErrNoRecipient = errors.New("mssante: no recipient")
	// ErrAddress: an address is not a valid RFC 5322 addr-spec.
	ErrAddress = errors.New("mssante: invalid address")
	// ErrHeader: a header value would corrupt the message (line breaks,
	// control characters, reserved header names).
	ErrHeader = errors.New("mssante: invalid header")
	// ErrTwoPatients: the documents of one message concern more than one
	// patient (ECO.2.1.1).
	ErrTwoPatients = errors.New("mssante: documents for more than one patient in one message (ECO.2.1.1)")
	// ErrNoDocument: AttachDocuments was called without a document.
	ErrNoDocument = errors.New("mssante: no health document")
	// ErrNoMDNRequested: WriteMDN was asked to answer a message that does not
	// request a disposition notification.
	ErrNoMDNRequested = errors.New("mssante: the message does not request a disposition notification")
)

package msc

import (
	"fmt"
	"io"
	"strings"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/internal/mestext"
	"github.com/mssante-go/sdk/mssante"
)

// The two ways a professional ends an exchange with a patient (msc.md §3).
const (
	// ValueFIN is the only value of the header X-MSS-MES
	// (mssante.HeaderMES): three upper-case letters. With it the patient
	// cannot answer (ECO.2.2.8, msc.md §3.2). It is the preferred way: the
	// same message carries content and closes.
	ValueFIN = mestext.ValueFIN
	// SubjectFIN is the whole subject of a dedicated closing message: the
	// five characters "[FIN]", upper case, nothing before or after, not
	// encoded (msc.md §3.1).
	SubjectFIN = mestext.SubjectFIN
)

// ClosingForm tells how a message closes an exchange.
type ClosingForm int

const (
	// NotClosing: the message leaves the exchange open (or reopens it).
	NotClosing ClosingForm = 0
	// ClosingHeader: the message carries "X-MSS-MES: FIN".
	ClosingHeader ClosingForm = 1
	// ClosingSubject: the subject is exactly "[FIN]".
	ClosingSubject ClosingForm = 2
)

// Closing returns the forms by which h closes the exchange: ClosingHeader,
// ClosingSubject, both (ClosingHeader|ClosingSubject) or NotClosing. Only
// the exact forms count: the header value "FIN" (spaces around it are
// ignored, as header parsers drop them) and the subject "[FIN]" byte for
// byte. "[fin]", "RE: [FIN]", " [FIN]", "[FIN] merci" or an RFC 2047
// encoded subject do not close; ClosingFindings explains such near misses.
func Closing(h Header) ClosingForm {
	var f ClosingForm
	byHeader, bySubject := mestext.Closing(h.Get(mssante.HeaderMES), h.Get("Subject"))
	if byHeader {
		f |= ClosingHeader
	}
	if bySubject {
		f |= ClosingSubject
	}
	return f
}

// IsClosing reports whether a message with header h, sent to a patient, ends
// the exchange: "X-MSS-MES: FIN" or the subject exactly "[FIN]".
func IsClosing(h Header) bool { return Closing(h) != NotClosing }

// IsClosingMessage reads the header of a message from r and reports whether
// it ends the exchange (see IsClosing). It reads no further than the header.
func IsClosingMessage(r io.Reader) (bool, error) {
	h, err := ReadHeader(r)
	if err != nil {
		return false, err
	}
	return IsClosing(h), nil
}

// SetClosing adds "X-MSS-MES: FIN" to a message being composed, so that it
// both delivers its content and stops the patient from answering. The
// patient can answer again once the professional writes without it.
func SetClosing(h HeaderSetter) { h.Set(mssante.HeaderMES, ValueFIN) }

// Rules of the closing checks.
const (
	RuleClosingSubject = "MSC-FIN-SUBJECT"
	RuleClosingHeader  = "MSC-FIN-HEADER"
)

// ClosingFindings reports near misses: a subject or an X-MSS-MES value that
// looks like an attempt to close the exchange but that Mon Espace Santé will
// not honour (wrong case, prefix, spaces, encoding). Each is a warning: the
// message is sent, but the patient can still answer.
func ClosingFindings(h Header) finding.List {
	var out finding.List
	subj := h.Get("Subject")
	if subj != SubjectFIN && looksLikeFIN(subj) {
		out.Add(finding.Warning, RuleClosingSubject, "Subject", "msc.md §3.1",
			"subject %q does not close the exchange: it must be exactly %q (upper case, no prefix, no spaces, not encoded)", subj, SubjectFIN)
	}
	if v := strings.TrimSpace(h.Get(mssante.HeaderMES)); v != "" && v != ValueFIN {
		out.Add(finding.Warning, RuleClosingHeader, mssante.HeaderMES, "msc.md §3.2",
			"%s: %q is not recognised: the only value is %q (three upper-case letters)", mssante.HeaderMES, v, ValueFIN)
	}
	return out
}

// looksLikeFIN reports whether a subject contains "[fin]" in any case and
// spacing, or is
// an encoded word (whose decoding may say [FIN]).
func looksLikeFIN(s string) bool {
	l := strings.ToLower(strings.ReplaceAll(s, " ", ""))
	return strings.Contains(l, "[fin]") || strings.Contains(l, "=?") && strings.Contains(l, "fin")
}

// MarshalText writes the form as String does.
func (f ClosingForm) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// String names the form, for logs.
func (f ClosingForm) String() string {
	switch f {
	case NotClosing:
		return "open"
	case ClosingHeader:
		return "X-MSS-MES: FIN"
	case ClosingSubject:
		return "subject [FIN]"
	case ClosingHeader | ClosingSubject:
		return "X-MSS-MES: FIN and subject [FIN]"
	}
	return fmt.Sprintf("ClosingForm(%d)", int(f))
}

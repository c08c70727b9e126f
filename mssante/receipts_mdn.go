package mssante

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mssante-go/sdk/finding"
)

// ErrorCode is a French application error code (applicationErrorCondition)
// returned by a receiving record system in an MDN when it could not
// integrate the documents of a message (volet "Transmission au LPS de
// documents CDA provenant d'un courriel MSSanté", error-codes.md; the codes are
// given "à titre indicatif"). The zero value means no error.
type ErrorCode int

// French application error codes.
const (
	CodeWrongVersion     ErrorCode = 900 // document version incorrect for a replace/delete
	CodeAuthorNotAllowed ErrorCode = 901 // author not allowed to replace or delete the document
	CodeUnknownPatient   ErrorCode = 902 // patient identifier unknown
	CodeINSMissing       ErrorCode = 903 // no INS in the document
	CodeINSMismatch      ErrorCode = 904 // INS differs from the one the consumer holds
	CodeINSIncomplete    ErrorCode = 905 // INS incomplete (traits missing)
	CodeOther            ErrorCode = 906 // other error

	firstErrorCode = CodeWrongVersion
	lastErrorCode  = CodeOther
)

// Label returns the French label of the code (mssante.md §9), or "" for an
// unknown code.
func (c ErrorCode) Label() string {
	switch c {
	case CodeWrongVersion:
		return "Version du document incorrecte lors d'une demande de remplacement/suppression"
	case CodeAuthorNotAllowed:
		return "Auteur non autorisé à remplacer ou supprimer un document"
	case CodeUnknownPatient:
		return "Identifiant patient inconnu"
	case CodeINSMissing:
		return "INS non présent dans le document"
	case CodeINSMismatch:
		return "L'INS transmis ne correspond pas exactement à celui stocké dans la base du consommateur"
	case CodeINSIncomplete:
		return "L'INS transmis n'est pas complet"
	case CodeOther:
		return "Erreur 'Autre'"
	}
	return ""
}

// Valid reports whether c is one of the codes 900–906.
func (c ErrorCode) Valid() bool { return c >= firstErrorCode && c <= lastErrorCode }

func (c ErrorCode) String() string { return strconv.Itoa(int(c)) }

// ErrorCodes returns the known codes in order.
func ErrorCodes() []ErrorCode {
	out := make([]ErrorCode, 0, lastErrorCode-firstErrorCode+1)
	for c := firstErrorCode; c <= lastErrorCode; c++ {
		out = append(out, c)
	}
	return out
}

// ParseErrorCode reads a code such as "902". Any three-digit code is
// accepted (the list is indicative); use Valid to restrict it to 900–906.
func ParseErrorCode(s string) (ErrorCode, error) {
	s = strings.TrimSpace(s)
	if len(s) != 3 {
		return 0, fmt.Errorf("mssante: error code %q: want three digits", s)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 100 {
		return 0, fmt.Errorf("mssante: error code %q: want three digits", s)
	}
	return ErrorCode(n), nil
}

// MDN holds the fields of a message disposition notification (RFC 8098 §3.2).
type MDN struct {
	ReportingUA       string `json:"reporting_ua,omitempty"`
	MDNGateway        string `json:"mdn_gateway,omitempty"`
	OriginalRecipient string `json:"original_recipient,omitempty"` // bare address (NormalizeAddress)
	FinalRecipient    string `json:"final_recipient,omitempty"`    // bare address (NormalizeAddress)
	OriginalMessageID string `json:"original_message_id,omitempty"`

	Disposition Disposition `json:"disposition"`

	// Errors are the Error field values; with the pre-1.1.3 French form
	// ("processed/Error: 902^..."), the error text read from the
	// Disposition field comes first and LegacyError is set.
	Errors      []string `json:"errors,omitempty"`
	LegacyError bool     `json:"legacy_error,omitempty"`

	// ErrorCode is the French application code (the text before the first
	// "^" of the first error with one), ErrorLabel the text after it.
	ErrorCode  ErrorCode `json:"error_code,omitempty"`
	ErrorLabel string    `json:"error_label,omitempty"`
}

// Failed reports whether the MDN announces a failure: an error or failure
// modifier (case-insensitive, IHE ITI-32), a French error code or an Error
// field.
func (m *MDN) Failed() bool {
	return m.Disposition.Failed() || m.ErrorCode != 0 || len(m.Errors) > 0
}

// Disposition is the Disposition field of an MDN:
// "action-mode/sending-mode; type[/modifier,...]".
type Disposition struct {
	ActionMode  string   `json:"action_mode"`  // automatic-action or manual-action
	SendingMode string   `json:"sending_mode"` // MDN-sent-automatically or MDN-sent-manually
	Type        string   `json:"type"`         // processed, displayed, deleted, dispatched (lower case)
	Modifiers   []string `json:"modifiers,omitempty"`
}

// Disposition types (RFC 8098 §3.2.6.2).
const (
	DispositionProcessed  = "processed"
	DispositionDisplayed  = "displayed"
	DispositionDeleted    = "deleted"
	DispositionDispatched = "dispatched"
)

// Failed reports whether a modifier is "error" or "failure" (or, for old
// agents, contains one of them), case-insensitively.
func (d Disposition) Failed() bool {
	for _, m := range d.Modifiers {
		l := strings.ToLower(m)
		if strings.Contains(l, "error") || strings.Contains(l, "failure") {
			return true
		}
	}
	return false
}

func (d Disposition) String() string {
	s := d.ActionMode + "/" + d.SendingMode + "; " + d.Type
	if len(d.Modifiers) > 0 {
		s += "/" + strings.Join(d.Modifiers, ",")
	}
	return s
}

// ParseDisposition reads a Disposition field value. It also accepts the
// pre-1.1.3 French form where the error text follows the modifier
// ("processed/Error: 902^..."), returned as legacyError.
func ParseDisposition(v string) (d Disposition, legacyError string, err error) {
	v = strings.TrimSpace(v)
	semi := strings.IndexByte(v, ';')
	if semi < 0 {
		return d, "", fmt.Errorf("mssante: disposition %q: missing ';'", truncate(v, 80))
	}
	modes := stripComments(v[:semi])
	if a, s, ok := strings.Cut(modes, "/"); ok {
		d.ActionMode, d.SendingMode = strings.TrimSpace(a), strings.TrimSpace(s)
	} else {
		d.ActionMode = modes
	}
	rest := strings.TrimSpace(v[semi+1:])
	// Legacy French form: the error text sits after "Error:".
	if i := indexFold(rest, "error:"); i >= 0 {
		legacyError = strings.TrimSpace(rest[i+len("error:"):])
		rest = strings.TrimRight(strings.TrimSpace(rest[:i]), ",/ ") + "/error"
		if strings.HasPrefix(rest, "/") {
			rest = rest[1:]
		}
	}
	rest = stripComments(rest)
	typ, mods, hasMods := strings.Cut(rest, "/")
	d.Type = strings.ToLower(strings.TrimSpace(typ))
	if hasMods {
		for _, m := range strings.Split(mods, ",") {
			if m = strings.TrimSpace(m); m != "" {
				d.Modifiers = append(d.Modifiers, m)
			}
		}
	}
	if d.Type == "" {
		return d, legacyError, fmt.Errorf("mssante: disposition %q: missing disposition type", truncate(v, 80))
	}
	return d, legacyError, nil
}

// parseFrenchError reads "902^Identifiant patient inconnu^applicationErrorCondition| E^Error^errorSeverity".
func parseFrenchError(s string) (ErrorCode, string, bool) {
	head, rest, _ := strings.Cut(s, "^")
	c, err := ParseErrorCode(head)
	if err != nil {
		return 0, "", false
	}
	label, _, _ := strings.Cut(rest, "^")
	return c, strings.TrimSpace(label), true
}

func parseMDNFields(rep *Report, blocks []fieldBlock, path string) {
	loc := partLocation(path)
	m := &MDN{}
	rep.MDN = m
	var b fieldBlock
	for _, bl := range blocks { // fields are one block; tolerate stray blank lines
		b = append(b, bl...)
	}
	m.ReportingUA = b.get("Reporting-UA")
	m.MDNGateway = b.get("MDN-Gateway")
	if v := b.get("Original-Recipient"); v != "" {
		_, m.OriginalRecipient = reportAddress(rep, v, "Original-Recipient", loc)
	}
	_, m.FinalRecipient = reportAddress(rep, b.get("Final-Recipient"), "Final-Recipient", loc)
	if m.FinalRecipient == "" {
		rep.Warnings.Add(finding.Warning, "MDN-FINAL-RECIPIENT", loc, "RFC 8098 §3.2.4", "Final-Recipient missing")
	}
	m.OriginalMessageID = NormalizeMessageID(b.get("Original-Message-ID"))
	if m.OriginalMessageID != "" {
		rep.OriginalMessageID = m.OriginalMessageID
	}
	if dv := b.get("Disposition"); dv == "" {
		rep.Warnings.Add(finding.Warning, "MDN-DISPOSITION", loc, "RFC 8098 §3.2.6", "Disposition missing")
	} else {
		d, legacy, err := ParseDisposition(dv)
		m.Disposition = d
		if err != nil {
			rep.Warnings.Add(finding.Warning, "MDN-DISPOSITION", loc, "RFC 8098 §3.2.6", "%v", err)
		}
		if legacy != "" {
			m.Errors = append(m.Errors, legacy)
			m.LegacyError = true
			rep.Warnings.Add(finding.Info, "MDN-LEGACY-ERROR", loc, "volet PFI v1.1.3 struct-msg-mdn", "error text inside the Disposition field (pre-1.1.3 French form)")
		}
	}
	m.Errors = append(m.Errors, b.all("Error")...)
	// RFC 3798 Failure and Warning fields, still sent by old agents.
	m.Errors = append(m.Errors, b.all("Failure")...)
	for _, e := range m.Errors {
		if c, label, ok := parseFrenchError(e); ok {
			m.ErrorCode, m.ErrorLabel = c, label
			break
		}
	}
}

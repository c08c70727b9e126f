package msc

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/mssante"
)

// Rules of Policy.Check, as they appear in Finding.Rule.
const (
	RuleOnePatient   = "MSC-ONE-PATIENT"   // one patient per message (professionals may be in copy)
	RuleAddress      = "MSC-ADDRESS"       // a patient-domain recipient whose matricule is not valid
	RuleQualified    = "MSC-QUALIFIED"     // the content's patient identity is not qualified (ECO.2.2.6)
	RuleRightPatient = "MSC-RIGHT-PATIENT" // the patient recipient is not the content's patient
	RuleMinor        = "MSC-MINOR"         // a minor's data go to the minor's own address
	RuleSize         = "MSC-SIZE"          // 25 Mo limit
	RuleMatrix       = "MSC-CONF-MATRIX"   // confidentiality flags vs recipients (CI-SIS matrix)
	RuleOpposition   = "MSC-OPPOSITION"    // the patient opposed MSSanté sending (MSS/va1.20, va1.22)
	RuleReplyTo      = "MSC-REPLY-TO"      // where patient replies go
	RuleFINCopy      = "MSC-FIN-COPY"      // closing a message that professionals receive in copy
)

// Outgoing describes a message about to be sent, as far as the rules of
// Mon Espace Santé are concerned. NewOutgoing fills the address fields,
// Subject and MES from a header; the caller adds the size and what the
// message is about.
type Outgoing struct {
	To, Cc, Bcc []string // recipients (addresses or mailboxes with display names)
	ReplyTo     []string
	Subject     string // raw Subject
	MES         string // raw X-MSS-MES value

	// Size is the size of the encoded message in bytes; 0 means unknown and
	// the size rule is skipped (with an info finding).
	Size int64

	// Patient is the patient the content concerns (the document's
	// recordTarget), nil when the message is not about one patient. When
	// set, a patient recipient must be this patient's own address.
	Patient *ins.Identity
	// Minor says the patient is under 18. Policy also derives it from
	// Patient.Traits.BirthDate when that is set.
	Minor bool
	// Document holds the confidentiality metadata of the health document
	// sent, nil when there is none (a plain message): the matrix is then
	// not applied.
	Document *Confidentiality
	// Opposition is the patient's recorded opposition to MSSanté sending.
	Opposition Opposition
}

// Confidentiality is the confidentiality metadata of a document, as the
// CI-SIS HL7 v2 volets carry it (msc.md §7): Y is true.
type Confidentiality struct {
	MasquePS           bool // MASQUE_PS: hidden from professionals in the DMP
	InvisiblePatient   bool // INVISIBLE_PATIENT: not to be shown to the patient
	InvisibleRepLegaux bool // INVISIBLE_REP_LEGAUX: hidden from legal representatives
	ConnexionSecrete   bool // CONNEXION_SECRETE: no MSSanté exchange at all
	DestDMP            bool // DESTDMP: the document also goes to the DMP
}

// Opposition records a patient's opposition to MSSanté sending (Ségur
// MSS/va1.20 and va1.22, msc.md §7).
type Opposition struct {
	ToPatient       bool // the patient refuses messages in Mon Espace Santé
	ToProfessionals bool // the patient refuses that their data go to professionals by MSSanté
}

// NewOutgoing reads the recipients, Reply-To, Subject and X-MSS-MES of a
// message header. An address list that cannot be read gives an
// *ins.AddressError wrapping ins.ErrMalformedAddress: a recipient is never dropped
// silently.
func NewOutgoing(h Header) (*Outgoing, error) {
	o := &Outgoing{Subject: h.Get("Subject"), MES: h.Get(mssante.HeaderMES)}
	for _, f := range []struct {
		key string
		dst *[]string
	}{{"To", &o.To}, {"Cc", &o.Cc}, {"Bcc", &o.Bcc}, {"Reply-To", &o.ReplyTo}} {
		list, err := addressList(h.Get(f.key))
		if err != nil {
			return nil, &ins.AddressError{Input: h.Get(f.key), Err: fmt.Errorf("%w in %s", ins.ErrMalformedAddress, f.key)}
		}
		*f.dst = list
	}
	return o, nil
}

// addressList splits an address list field into bare addresses.
func addressList(v string) ([]string, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	if list, err := mail.ParseAddressList(v); err == nil {
		out := make([]string, len(list))
		for i, a := range list {
			out[i] = a.Address
		}
		return out, nil
	}
	// Tolerant reader: comma-separated addresses net/mail refuses (e.g. a
	// display name with a stray character).
	var out []string
	for _, part := range strings.Split(v, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		a, err := bareAddress(part)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Policy checks outgoing messages against the rules of Mon Espace Santé.
// The zero value applies the defaults documented on each field.
type Policy struct {
	// MaxSize is the limit on the encoded message when a patient is a
	// recipient; 0 means mssante.PatientMaxMessageSize (25 Mo).
	MaxSize int64
	// Matrix is the table of allowed confidentiality combinations; nil means
	// DefaultMatrix().
	Matrix []MatrixRow
	// IsMSSante tells whether a Reply-To address is an MSSanté mailbox
	// (e.g. a liste blanche lookup); nil accepts the domains ending in
	// ".mssante.fr" and warns about the others.
	IsMSSante func(addr string) bool
	// Now gives the date used to tell a minor from the birth date; nil
	// means time.Now.
	Now func() time.Time
	// OppositionOf looks up a patient's recorded opposition (Ségur
	// MSS/va1.20, va1.22) for every patient recipient; it adds to
	// Outgoing.Opposition. nil looks nothing up.
	OppositionOf func(patient ins.Matricule) Opposition
}

// Check applies the rules to o and returns the findings. An error-level
// finding means the message must not be sent as it is. A nil o, like a zero
// Outgoing, has no recipient and gets no finding. Rules:
//
//   - RuleOnePatient (error): more than one patient address among To, Cc
//     and Bcc. Professionals in copy are allowed (msc.md §6).
//   - RuleAddress (error): a patient-domain recipient whose local part is
//     not a valid matricule; it would bounce as "adresse invalide".
//   - RuleQualified (error): o.Patient is not a qualified identity (ECO.2.2.6).
//   - RuleRightPatient (error): the patient recipient is not o.Patient.
//   - RuleMinor (error, or warning when o.Patient is unknown): a minor's
//     data go to the minor's own address, never a legal representative's.
//   - RuleSize (error): the message is larger than MaxSize (info when the
//     size is unknown).
//   - RuleMatrix (error, or warning on a tolerated row): the document's
//     confidentiality flags do not allow these recipients.
//   - RuleOpposition (error): the patient opposed this kind of sending.
//   - RuleReplyTo: a patient address as Reply-To (error), several Reply-To
//     or a non-MSSanté one (warning), and an info finding naming the mailbox
//     that becomes the patient's contact.
//   - RuleFINCopy (info): the closing applies to the patient; its effect on
//     professionals in copy is UNCONFIRMED.
//   - RuleClosingSubject, RuleClosingHeader (warning): a near miss of the
//     closing forms.
func (p *Policy) Check(o *Outgoing) finding.List {
	var out finding.List
	if o == nil {
		return out // nothing is sent: the same as a zero Outgoing
	}
	patients, pros := p.recipients(o, &out)
	opp := o.Opposition
	if p.OppositionOf != nil {
		for _, a := range patients {
			if m, err := ins.ParseMSCAddress(a); err == nil {
				r := p.OppositionOf(m)
				opp.ToPatient = opp.ToPatient || r.ToPatient
				opp.ToProfessionals = opp.ToProfessionals || r.ToProfessionals
			}
		}
	}
	if opp.ToPatient && len(patients) > 0 {
		out.Add(finding.Error, RuleOpposition, "To", "msc.md §7 (MSS/va1.20)",
			"the patient opposed receiving MSSanté messages: do not write to %s", patients[0])
	}
	if opp.ToProfessionals && len(pros) > 0 {
		out.Add(finding.Error, RuleOpposition, "To", "msc.md §7 (MSS/va1.22)",
			"the patient opposed the sending of their data to professionals by MSSanté (%d professional recipients)", len(pros))
	}
	if o.Document != nil && len(patients)+len(pros) > 0 {
		p.checkMatrix(o.Document, len(patients) > 0, len(pros) > 0, &out)
	}
	if len(patients) == 0 {
		return out
	}
	p.checkPatient(o, patients, &out)
	p.checkSize(o, &out)
	p.checkReplyTo(o, &out)
	closing := Closing(HeaderMap{"Subject": o.Subject, mssante.HeaderMES: o.MES})
	if closing != NotClosing && len(pros) > 0 {
		out.Add(finding.Info, RuleFINCopy, mssante.HeaderMES, "msc.md §13",
			"the message ends the exchange with the patient (%v); its effect on the %d professionals in copy is not documented", closing, len(pros))
	}
	out = append(out, ClosingFindings(HeaderMap{"Subject": o.Subject, mssante.HeaderMES: o.MES})...)
	return out
}

// recipients splits the recipients into patient addresses (lower case,
// deduplicated) and professional ones, reporting RuleOnePatient and
// RuleAddress.
func (p *Policy) recipients(o *Outgoing, out *finding.List) (patients, pros []string) {
	seen := map[string]bool{}
	for _, f := range []struct {
		name string
		list []string
	}{{"To", o.To}, {"Cc", o.Cc}, {"Bcc", o.Bcc}} {
		for _, r := range f.list {
			a := lowerAddress(r)
			if seen[a] {
				continue
			}
			seen[a] = true
			if !ins.IsPatientAddress(a) {
				pros = append(pros, a)
				continue
			}
			patients = append(patients, a)
			if a == ins.TestAutoReplyAddress {
				continue
			}
			if _, err := ins.ParseMSCAddress(a); err != nil {
				out.Add(finding.Error, RuleAddress, f.name, "msc.md §1",
					"%s is not a valid Mon Espace Santé address (%v): it would bounce as \"adresse invalide\"", a, unwrapAddress(err))
			}
		}
	}
	if len(patients) > 1 {
		out.Add(finding.Error, RuleOnePatient, "To", "mssante.md §7 (ECO.2.1.1), msc.md §14.5",
			"one patient per message: %d patient addresses (%s)", len(patients), strings.Join(patients, ", "))
	}
	return patients, pros
}

// checkPatient applies RuleQualified, RuleRightPatient and RuleMinor.
func (p *Policy) checkPatient(o *Outgoing, patients []string, out *finding.List) {
	minor := o.Minor
	if o.Patient != nil && !o.Patient.Traits.BirthDate.IsZero() {
		minor = minor || isMinor(o.Patient.Traits.BirthDate, p.now())
	}
	if o.Patient == nil {
		if minor {
			out.Add(finding.Warning, RuleMinor, "To", "msc.md §5",
				"the data concern a minor but the patient is not given: cannot check that %s is the minor's own address", patients[0])
		}
		return
	}
	if err := o.Patient.CheckQualified(); err != nil {
		out.Add(finding.Error, RuleQualified, "To", "msc.md §1 (ECO.2.2.6)",
			"patient addresses are built from qualified identities only: %v", err)
		return
	}
	want := strings.ToLower(o.Patient.INS.MSCAddress())
	for _, a := range patients {
		if a == want {
			continue
		}
		if minor {
			out.Add(finding.Error, RuleMinor, "To", "msc.md §5 (ENS-V1.3 §2)",
				"the data concern a minor: write to the minor's own address %s, not to %s (a legal representative's mailbox is not allowed)", want, a)
			continue
		}
		out.Add(finding.Error, RuleRightPatient, "To", "msc.md §14.5",
			"the recipient %s is not the patient the content concerns (%s)", a, want)
	}
}

func isMinor(birth, now time.Time) bool {
	eighteen := time.Date(birth.Year()+18, birth.Month(), birth.Day(), 0, 0, 0, 0, now.Location())
	return now.Before(eighteen)
}

func (p *Policy) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Policy) checkSize(o *Outgoing, out *finding.List) {
	max := p.MaxSize
	if max <= 0 {
		max = mssante.PatientMaxMessageSize
	}
	switch {
	case o.Size <= 0:
		out.Add(finding.Info, RuleSize, "", "msc.md §8", "message size unknown: the %d-byte limit of Mon Espace Santé was not checked", max)
	case o.Size > max:
		out.Add(finding.Error, RuleSize, "", "msc.md §8",
			"the encoded message is %d bytes, over the %d-byte limit of Mon Espace Santé: it would bounce", o.Size, max)
	}
}

func (p *Policy) checkReplyTo(o *Outgoing, out *finding.List) {
	if len(o.ReplyTo) == 0 {
		return
	}
	if len(o.ReplyTo) > 1 {
		out.Add(finding.Warning, RuleReplyTo, "Reply-To", "msc.md §4",
			"%d Reply-To addresses: which one Mon Espace Santé uses is not documented; give one", len(o.ReplyTo))
	}
	for _, r := range o.ReplyTo {
		a := lowerAddress(r)
		switch {
		case ins.IsPatientAddress(a):
			out.Add(finding.Error, RuleReplyTo, "Reply-To", "msc.md §4",
				"Reply-To %s is a patient address: patient replies must go to a professional mailbox", a)
			continue
		case p.IsMSSante != nil && !p.IsMSSante(a),
			p.IsMSSante == nil && !strings.HasSuffix(a, ".mssante.fr"):
			out.Add(finding.Warning, RuleReplyTo, "Reply-To", "msc.md §4",
				"Reply-To %s is not known as an MSSanté mailbox: the patient's replies may not be deliverable", a)
		}
		out.Add(finding.Info, RuleReplyTo, "Reply-To", "msc.md §4 (ENS-V1.3 §9)",
			"the patient's replies go to %s, which becomes the patient's authorised contact instead of the sender", a)
	}
}

// unwrapAddress returns the reason of an *ins.AddressError, without the input
// the message already names.
func unwrapAddress(err error) error {
	if ae, ok := err.(*ins.AddressError); ok {
		return ae.Err
	}
	return err
}

// ErrRefused: the message breaks a rule of Mon Espace Santé (an
// error-level finding of Policy.Check). Errors are *RefusedError.
var ErrRefused = errors.New("msc: message refused by the Mon Espace Santé rules")

// RefusedError lists the error-level findings that refuse a message.
type RefusedError struct {
	Findings finding.List
}

func (e *RefusedError) Error() string {
	if len(e.Findings) == 0 {
		return ErrRefused.Error()
	}
	s := "msc: message refused: " + e.Findings[0].Rule + ": " + e.Findings[0].Message
	if n := len(e.Findings) - 1; n > 0 {
		s += fmt.Sprintf(" (and %d more)", n)
	}
	return s
}

func (e *RefusedError) Unwrap() error { return ErrRefused }

// Validate is Check for callers that want an error: it returns every
// finding, and a *RefusedError (wrapping ErrRefused) holding the
// error-level ones when there are any.
func (p *Policy) Validate(o *Outgoing) (finding.List, error) {
	f := p.Check(o)
	if errs := f.Errors(); len(errs) > 0 {
		return f, &RefusedError{Findings: errs}
	}
	return f, nil
}

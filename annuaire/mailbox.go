package annuaire

import (
	"fmt"
	"strings"
)

// MailboxType is the "Type de BAL" (TRE_R257-TypeBAL).
type MailboxType string

// Mailbox types of TRE_R257. Only PER and ORG occur in the open extraction.
const (
	TypePersonal       MailboxType = "PER" // a person's mailbox
	TypeOrganisational MailboxType = "ORG" // a structure's or a service's mailbox
	TypeApplicative    MailboxType = "APP" // an application's mailbox
	TypeCabinet        MailboxType = "CAB" // a cabinet's mailbox
)

// Known reports whether t is one of the four TRE_R257 codes.
func (t MailboxType) Known() bool {
	switch t {
	case TypePersonal, TypeOrganisational, TypeApplicative, TypeCabinet:
		return true
	}
	return false
}

// Tristate is a yes/no value that may be absent.
type Tristate int8

// Tristate values.
const (
	Unknown Tristate = iota
	Yes
	No
)

func (t Tristate) String() string {
	switch t {
	case Yes:
		return "yes"
	case No:
		return "no"
	}
	return "unknown"
}

// MarshalText writes "yes", "no" or "unknown".
func (t Tristate) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads "yes", "no", "unknown" (or empty), and the
// extraction's literals (O/N...).
func (t *Tristate) UnmarshalText(b []byte) error {
	switch string(b) {
	case "yes":
		*t = Yes
		return nil
	case "no":
		*t = No
		return nil
	case "unknown":
		*t = Unknown
		return nil
	}
	v, ok := parseTristate(string(b))
	if !ok {
		return fmt.Errorf("annuaire: bad yes/no value %q", b)
	}
	*t = v
	return nil
}

// parseTristate reads the "Dématérialisation" column. Its literal is
// UNCONFIRMED (annuaire.md §1.3 #18): O/N, Oui/Non, True/False and 1/0 are
// accepted. ok is false for an unrecognised non-empty value.
func parseTristate(s string) (v Tristate, ok bool) {
	switch s { // fast path for the usual literals
	case "":
		return Unknown, true
	case "O", "1":
		return Yes, true
	case "N", "0":
		return No, true
	}
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "":
		return Unknown, true
	case "O", "OUI", "Y", "YES", "TRUE", "T", "1", "VRAI":
		return Yes, true
	case "N", "NON", "NO", "FALSE", "F", "0", "FAUX":
		return No, true
	}
	return Unknown, false
}

// Source tells where a Mailbox comes from.
type Source string

// Sources.
const (
	SourceExtraction Source = "extraction"
	SourceFHIR       Source = "fhir"
)

// Mailbox is one MSSanté mailbox (BAL) as published by the directory.
type Mailbox struct {
	Type    MailboxType `json:"type"`
	Address string      `json:"address"`
	// Dematerialisation is the "Dématérialisation" column: whether the mailbox
	// accepts dematerialised documents.
	Dematerialisation Tristate  `json:"dematerialisation"`
	Person            Person    `json:"person"`
	Structure         Structure `json:"structure"`
	Source            Source    `json:"source"`
	// Line is the line of the extraction file the mailbox comes from (the
	// first one when duplicated lines were merged); 0 for other sources.
	Line int `json:"line,omitempty"`
}

// Domain returns the lower-cased domain of the address.
func (m *Mailbox) Domain() string {
	_, d, _ := splitAddress(m.Address)
	return strings.ToLower(d)
}

// Person is the professional a PER mailbox belongs to.
type Person struct {
	IDType          string `json:"id_type,omitempty"`     // "Type Identifiant PP" (8 = RPPS, 0 = ADELI in PS_LibreAcces; UNCONFIRMED here)
	ID              string `json:"id,omitempty"`          // RPPS (11 digits) or ADELI (9 digits)
	NationalID      string `json:"national_id,omitempty"` // "8"+RPPS or "0"+ADELI
	Civility        string `json:"civility,omitempty"`    // civilité d'exercice, e.g. "DR"
	LastName        string `json:"last_name,omitempty"`
	FirstName       string `json:"first_name,omitempty"`
	CategoryCode    string `json:"category_code,omitempty"`
	CategoryLabel   string `json:"category_label,omitempty"`
	ProfessionCode  string `json:"profession_code,omitempty"` // TRE_G15, e.g. "10" = Médecin
	ProfessionLabel string `json:"profession_label,omitempty"`
	SpecialtyCode   string `json:"specialty_code,omitempty"` // savoir-faire, e.g. "SM54"
	SpecialtyLabel  string `json:"specialty_label,omitempty"`
}

// IsZero reports whether no field is set.
func (p Person) IsZero() bool { return p == Person{} }

// Structure is the structure a mailbox is attached to.
type Structure struct {
	IDType    string        `json:"id_type,omitempty"` // "Type identifiant structure" (encoding UNCONFIRMED)
	ID        string        `json:"id,omitempty"`      // "Identification Structure"
	Service   string        `json:"service,omitempty"`
	Name      string        `json:"name,omitempty"` // raison sociale
	TradeName string        `json:"trade_name,omitempty"`
	Address   PostalAddress `json:"address"`
}

// PostalAddress is a structure's address in the AFNOR lines of the extraction.
type PostalAddress struct {
	Line2       string `json:"line2,omitempty"`       // complément de localisation
	Line3       string `json:"line3,omitempty"`       // complément de distribution (BP, CS)
	Number      string `json:"number,omitempty"`      // numéro de voie
	NumberExt   string `json:"number_ext,omitempty"`  // bis, ter
	StreetType  string `json:"street_type,omitempty"` // R, AV, BD...
	Street      string `json:"street,omitempty"`
	LieuDit     string `json:"lieu_dit,omitempty"`
	Line6       string `json:"line6,omitempty"` // ligne d'acheminement: postcode + city
	PostalCode  string `json:"postal_code,omitempty"`
	Departement string `json:"departement,omitempty"`
	Country     string `json:"country,omitempty"`
}

// splitAddress splits local@domain at the last '@'.
func splitAddress(addr string) (local, domain string, ok bool) {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return addr, "", false
	}
	return addr[:i], addr[i+1:], true
}

// forbiddenInAddress marks the ASCII bytes an address may not hold:
// controls, space and the RFC 5322 specials other than '@' and '.'.
var forbiddenInAddress = func() (t [128]bool) {
	for c := 0; c < 0x21; c++ {
		t[c] = true
	}
	t[0x7f] = true
	for _, c := range "<>(),;:\"[]\\" {
		t[c] = true
	}
	return t
}()

func hasForbidden(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 128 && forbiddenInAddress[c] {
			return true
		}
	}
	return false
}

// CheckAddress checks the syntax of a bare address (local@domain, no
// display name, no spaces). It returns an error wrapping ErrInvalidAddress.
func CheckAddress(addr string) error {
	local, domain, ok := splitAddress(addr)
	switch {
	case !ok:
		return fmt.Errorf("%w %q: no '@'", ErrInvalidAddress, addr)
	case local == "":
		return fmt.Errorf("%w %q: empty local part", ErrInvalidAddress, addr)
	case domain == "" || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, ".."):
		return fmt.Errorf("%w %q: bad domain", ErrInvalidAddress, addr)
	case hasForbidden(addr) || strings.Contains(local, "@"):
		return fmt.Errorf("%w %q: forbidden character", ErrInvalidAddress, addr)
	case len(addr) > 254:
		return fmt.Errorf("%w: longer than 254 characters", ErrInvalidAddress)
	}
	return nil
}

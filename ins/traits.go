package ins

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mssante-go/sdk/internal/check"
)

// Sex is the administrative sex of the INS traits.
type Sex string

const (
	SexFemale  Sex = "F"
	SexMale    Sex = "M"
	SexUnknown Sex = "U" // undetermined; CDA writes "UN" (JDV_J143)
)

// ParseSex accepts F, M, U, and the CDA code UN.
func ParseSex(s string) (Sex, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "F":
		return SexFemale, nil
	case "M":
		return SexMale, nil
	case "U", "UN", "I":
		return SexUnknown, nil
	}
	return "", fmt.Errorf("ins: unknown sex %q (want F, M or U)", s)
}

// Valid reports whether s is F, M or U.
func (s Sex) Valid() bool { return s == SexFemale || s == SexMale || s == SexUnknown }

// CDACode returns the JDV_J143 code (F, M, UN; code system 2.16.840.1.113883.5.1).
func (s Sex) CDACode() string {
	if s == SexUnknown {
		return "UN"
	}
	return string(s)
}

// Traits are the identity traits returned by the INSi teleservice. Keep the
// strings exactly as INSi returns them: they are compared byte for byte by
// receivers (no re-casing, no trimming, no accent stripping).
type Traits struct {
	// BirthName is the nom de naissance.
	BirthName string `validate:"required" json:"birth_name,omitempty"`
	// BirthGivenNames is the liste des prénoms de naissance: every birth given
	// name in one string separated by spaces ("DOMINIQUE MARIE-LOUISE").
	BirthGivenNames string `validate:"required" json:"birth_given_names,omitempty"`
	// FirstGivenName is the premier prénom de naissance. When empty,
	// FirstGiven derives it from BirthGivenNames.
	FirstGivenName string `json:"first_given_name,omitempty"`
	// BirthDate is the date of birth (only year, month and day are used).
	BirthDate time.Time `validate:"required" json:"birth_date,omitzero"`
	// Sex is F, M or U.
	Sex Sex `validate:"required,oneof=F M U" json:"sex,omitempty"`
	// BirthPlace is the INSEE COG code of the place of birth (5 characters,
	// e.g. "51215"; "99xxx" for a country).
	BirthPlace string `validate:"required,len=5,cog" json:"birth_place,omitempty"`

	// UsedName and UsedGivenName are the nom and prénom utilisés, when they
	// differ from the birth traits. Not INS traits; optional.
	UsedName      string `json:"used_name,omitempty"`
	UsedGivenName string `json:"used_given_name,omitempty"`
}

// FirstGiven returns the first birth given name: FirstGivenName when set,
// otherwise the text of BirthGivenNames before its first space (a hyphenated
// name such as MARIE-LOUISE stays whole).
func (t *Traits) FirstGiven() string {
	if t.FirstGivenName != "" {
		return t.FirstGivenName
	}
	if i := strings.IndexByte(t.BirthGivenNames, ' '); i >= 0 {
		return t.BirthGivenNames[:i]
	}
	return t.BirthGivenNames
}

// BirthDateString returns the birth date as CDA and HL7 write it (YYYYMMDD).
func (t *Traits) BirthDateString() string {
	if t.BirthDate.IsZero() {
		return ""
	}
	return t.BirthDate.Format("20060102")
}

// ErrMissingTrait: a trait required to carry the INS is missing or malformed.
var ErrMissingTrait = errors.New("ins: incomplete INS traits")

// TraitsError lists the traits that are missing or malformed.
type TraitsError struct {
	Fields []string // e.g. ["BirthName", "BirthPlace"]
}

func (e *TraitsError) Error() string {
	return "ins: incomplete or malformed INS traits: " + strings.Join(e.Fields, ", ")
}

func (e *TraitsError) Unwrap() error { return ErrMissingTrait }

// Validate checks that the six INS traits are present and well-formed
// (birth name, birth given-name list, first given name, birth date, sex,
// birthplace COG), as the struct tags of Traits state them. The error is a
// *TraitsError wrapping ErrMissingTrait.
func (t *Traits) Validate() error {
	var fields []string
	for _, fe := range check.Struct(t) {
		fields = append(fields, fe.Field)
	}
	if t.BirthGivenNames != "" && t.FirstGiven() == "" {
		fields = append(fields, "FirstGivenName")
	}
	if len(fields) > 0 {
		return &TraitsError{Fields: fields}
	}
	return nil
}

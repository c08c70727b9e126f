package ins

import (
	"fmt"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/internal/check"
)

// Rule ids of Coherence.
const (
	RuleSexDigit   = "INS-COH-SEX"   // sex digit vs sex trait
	RuleBirthYear  = "INS-COH-YEAR"  // positions 2-3 vs year of birth
	RuleBirthMonth = "INS-COH-MONTH" // positions 4-5 vs month of birth
	RulePlace      = "INS-COH-PLACE" // positions 6-10 vs birthplace COG
)

// Coherence compares a matricule with the traits of the same person and
// returns warnings (never errors: NIA and special numbers follow rules no
// primary source documents, ins.md §10.4). An empty trait is not compared.
//
//   - sex digit 1/2 against the sex trait; other first digits are reported as info;
//   - positions 2-3 against the last two digits of the year of birth;
//   - positions 4-5 against the month of birth, unless they hold a value
//     outside 01-12 (unknown or special month), reported as info;
//   - the département of birth (positions 6-7, or 6-8 overseas) against the
//     birthplace COG; a different commune in the same département is info
//     (communes merge and change codes).
func Coherence(m Matricule, t *Traits) finding.List {
	var out finding.List
	if len(m) != 15 || t == nil {
		return out
	}
	const spec = "ins.md §2"
	switch d := m.SexDigit(); {
	case d != '1' && d != '2':
		out.Add(finding.Info, RuleSexDigit, "matricule[1]", spec, "first digit %c is not 1 or 2 (special number): sex not compared", d)
	case t.Sex == SexMale && d != '1', t.Sex == SexFemale && d != '2':
		out.Add(finding.Warning, RuleSexDigit, "matricule[1]", spec, "sex digit %c does not match sex %s", d, t.Sex)
	}
	if !t.BirthDate.IsZero() {
		if y := fmt.Sprintf("%02d", t.BirthDate.Year()%100); y != m.BirthYear() {
			out.Add(finding.Warning, RuleBirthYear, "matricule[2-3]", spec, "year digits %s do not match the birth date %s", m.BirthYear(), t.BirthDate.Format("2006-01-02"))
		}
		mm := m.BirthMonth()
		if mm < "01" || mm > "12" {
			out.Add(finding.Info, RuleBirthMonth, "matricule[4-5]", spec, "month digits %s are outside 01-12 (unknown or special month): not compared", mm)
		} else if mo := fmt.Sprintf("%02d", int(t.BirthDate.Month())); mo != mm {
			out.Add(finding.Warning, RuleBirthMonth, "matricule[4-5]", spec, "month digits %s do not match the birth date %s", mm, t.BirthDate.Format("2006-01-02"))
		}
	}
	if check.COG(t.BirthPlace) {
		place := m.Place()
		dm, dc := departement(place), departement(t.BirthPlace)
		switch {
		case dm != dc:
			out.Add(finding.Warning, RulePlace, "matricule[6-10]", spec, "département of birth %s does not match the birthplace code %s", dm, t.BirthPlace)
		case place != t.BirthPlace:
			out.Add(finding.Info, RulePlace, "matricule[6-10]", spec, "place of birth %s differs from the birthplace code %s in the same département", place, t.BirthPlace)
		}
	}
	return out
}

// Warnings returns the warnings of a matricule alone (ins.md §9): a first
// digit other than 1 or 2 (INS-COH-SEX) and month digits outside 01-12
// (INS-COH-MONTH). Special numbers and NIAs may have both (ins.md §10.4):
// they are warnings, never errors. A matricule that is not 15 characters
// long has none.
func (m Matricule) Warnings() finding.List {
	var out finding.List
	if len(m) != 15 {
		return out
	}
	const spec = "ins.md §2, §9"
	if d := m.SexDigit(); d != '1' && d != '2' {
		out.Add(finding.Warning, RuleSexDigit, "matricule[1]", spec, "first digit %c is not 1 or 2 (sex): a special number?", d)
	}
	if mm := m.BirthMonth(); mm < "01" || mm > "12" {
		out.Add(finding.Warning, RuleBirthMonth, "matricule[4-5]", spec, "month digits %s are outside 01-12: an unknown or special month?", mm)
	}
	return out
}

// departement returns the département part of a 5-character place code:
// 3 characters overseas (97x, 98x), 2 otherwise (99 abroad, 2A, 2B, 01-95).
func departement(place string) string {
	if len(place) == 5 && place[0] == '9' && (place[1] == '7' || place[1] == '8') {
		return place[:3]
	}
	return place[:2]
}

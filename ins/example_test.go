package ins_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/mssante-go/sdk/ins"
)

func ExampleParse() {
	m, err := ins.Parse("2 79 03 51 215 189 89")
	fmt.Println(m, err)

	_, err = ins.Parse("295109912611199")
	fmt.Println(errors.Is(err, ins.ErrChecksum), err)
	// Output:
	// 279035121518989 <nil>
	// true ins: control key 99 does not match, expected 93
}

func ExampleKey() {
	k, _ := ins.Key("253072B073004") // Corsica: 2B counts as 18
	fmt.Println(ins.FormatKey(k))
	// Output: 70
}

// Only a qualified identity (status QUAL) may carry the INS: the emitters
// refuse the others, naming the status.
func ExampleIdentity_MSCAddress() {
	id := ins.Identity{
		INS: ins.INS{Matricule: "279035121518989", OID: ins.OIDNIRTest},
		Traits: ins.Traits{
			BirthName:       "PAT-TROIS",
			BirthGivenNames: "DOMINIQUE MARIE-LOUISE",
			BirthDate:       time.Date(1979, 3, 28, 0, 0, 0, 0, time.UTC),
			Sex:             ins.SexFemale,
			BirthPlace:      "51215",
		},
		Status: ins.StatusQualified,
	}
	addr, err := id.MSCAddress(ins.AnyEnvironment)
	fmt.Println(addr, err)
	fmt.Println(id.Traits.FirstGiven(), id.XMSSINS())

	id.Status = ins.StatusRecovered
	_, err = id.MSCAddress(ins.AnyEnvironment)
	fmt.Println(errors.Is(err, ins.ErrNotQualified))
	fmt.Println(err)
	fmt.Println(id.XMSSINS())
	// Output:
	// 279035121518989@patient.mssante.fr <nil>
	// DOMINIQUE O
	// true
	// ins: cannot build the patient address: ins: identity status is RECUP (Identité récupérée); only a qualified identity (QUAL) may carry the INS
	// N
}

func ExampleINS_CX() {
	i, _ := ins.New("279035121518989", "1.2.250.1.213.1.4.10")
	fmt.Println(i.CX())
	fmt.Println(i.PID3("ASIP-SANTE-INS-NIR"))
	back, _ := ins.ParseCX(i.CX())
	fmt.Println(back == i, back.OID.Name())
	// Output:
	// 279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH
	// 279035121518989^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS
	// true INS-NIR de test
}

func ExampleParseOID() {
	_, err := ins.ParseOID("1.2.250.1.213.1.4.2")
	fmt.Println(err)
	// Output: ins: not an INS assigning authority OID: 1.2.250.1.213.1.4.2 is the legacy INS-C (computed INS), not an INS
}

func ExampleCoherence() {
	m := ins.MustParse("279035121518989")
	t := ins.Traits{Sex: ins.SexMale, BirthDate: time.Date(1979, 3, 28, 0, 0, 0, 0, time.UTC), BirthPlace: "51215"}
	for _, f := range ins.Coherence(m, &t) {
		fmt.Println(f)
	}
	// Output: warning INS-COH-SEX at matricule[1]: sex digit 2 does not match sex M [ins.md §2]
}

func ExampleIdentity_MSCAddress_environment() {
	// The public ANS test identity (ins.md §8.1).
	id := ins.Identity{
		INS:    ins.INS{Matricule: "279035121518989", OID: ins.OIDNIRTest},
		Status: ins.StatusQualified,
	}
	addr, err := id.MSCAddress(ins.Test)
	fmt.Println(addr, err)

	// Only a qualified identity gets an address.
	id.Status = ins.StatusRecovered
	_, err = id.MSCAddress(ins.Test)
	fmt.Println(errors.Is(err, ins.ErrNotQualified))

	// A test identity is refused in production.
	id.Status = ins.StatusQualified
	_, err = id.MSCAddress(ins.Production)
	fmt.Println(errors.Is(err, ins.ErrWrongEnvironment))
	// Output:
	// 279035121518989@patient.mssante.fr <nil>
	// true
	// true
}

func ExampleParseMSCAddress() {
	m, err := ins.ParseMSCAddress("Dominique PAT-TROIS <279035121518989@patient.mssante.fr>")
	fmt.Println(m, err)

	// The CI-SIS example address has a wrong key (msc.md §1).
	_, err = ins.ParseMSCAddress("288091234567823@patient.mssante.fr")
	var pe *ins.ParseError
	fmt.Println(errors.Is(err, ins.ErrChecksum), errors.As(err, &pe) && pe.Want == 94)
	// Output:
	// 279035121518989 <nil>
	// true true
}

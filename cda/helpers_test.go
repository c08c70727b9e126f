package cda_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/ins"
)

// Generated, fictitious national identifiers (valid Luhn keys).
const (
	testRPPS   = "10001234565"
	testRPPS2  = "10007654329"
	testFINESS = "750000002"
)

var paris = time.FixedZone("", 3600)

// testIdentity is the public ANS test identity (ins.md §8.1).
func testIdentity() ins.Identity {
	return ins.Identity{
		INS:    ins.INS{Matricule: ins.MustParse("279035121518989"), OID: ins.OIDNIRTest},
		Status: ins.StatusQualified,
		Traits: ins.Traits{
			BirthName:       "PAT-TROIS",
			BirthGivenNames: "DOMINIQUE MARIE-LOUISE",
			BirthDate:       time.Date(1979, 3, 28, 0, 0, 0, 0, time.UTC),
			Sex:             ins.SexFemale,
			BirthPlace:      "51215",
			UsedName:        "PAT-TROIS",
			UsedGivenName:   "DOMINIQUE",
		},
	}
}

func mustID(id cda.II, err error) cda.II {
	if err != nil {
		panic(err)
	}
	return id
}

// testHeader returns a complete level 1 header for the test identity.
func testHeader(t testing.TB) *cda.Header {
	ps := mustID(cda.NewRPPS(testRPPS))
	ps2 := mustID(cda.NewRPPS(testRPPS2))
	st := mustID(cda.NewFINESS(testFINESS))
	org := &cda.Organization{ID: st, Name: "Cabinet du Dr Test", Telecoms: []cda.Telecom{{Value: "tel:0100000000", Use: "WP"}}}
	return &cda.Header{
		ID:                  cda.II{Root: "1.2.250.1.999.1.1.1", Extension: "DOC-0001"},
		SetID:               cda.II{Root: "1.2.250.1.999.1.1.2", Extension: "SET-0001"},
		VersionNumber:       1,
		Code:                cda.Code{Code: "11488-4", CodeSystem: cda.OIDLOINC},
		Title:               "Compte rendu de consultation",
		EffectiveTime:       time.Date(2025, 3, 14, 10, 30, 0, 0, paris),
		ConfidentialityCode: cda.Code{Code: "N", CodeSystem: cda.OIDConfidentiality},
		LanguageCode:        "fr-FR",
		Patient: cda.Patient{
			Identity:       testIdentity(),
			IDs:            []cda.II{{Root: "1.2.250.1.999.1.2", Extension: "IPP-42"}},
			BirthPlaceCity: "DOMPREMY",
		},
		Authors: []cda.Author{{
			Time:         time.Date(2025, 3, 14, 10, 0, 0, 0, paris),
			ID:           ps,
			Code:         cda.Code{Code: "G15_10/SM26", CodeSystem: "1.2.250.1.213.1.1.4.5"},
			Telecoms:     []cda.Telecom{{Value: "mailto:jean.medecin@test.mssante.fr", Use: "WP"}},
			Person:       &cda.PersonName{Civility: cda.CivilityMr, Given: "Jean", Family: "MEDECIN", Title: cda.TitleDoctor},
			Organization: org,
		}},
		Custodian: *org,
		LegalAuthenticator: &cda.LegalAuthenticator{
			Time:   time.Date(2025, 3, 14, 10, 30, 0, 0, paris),
			Person: cda.Person{ID: ps, Name: cda.PersonName{Given: "Jean", Family: "MEDECIN"}},
		},
		InformationRecipients: []cda.Recipient{{
			Person: &cda.Person{ID: ps2, Name: cda.PersonName{Given: "Anne", Family: "CONFRERE"},
				Telecoms: []cda.Telecom{{Value: "mailto:anne.confrere@test.mssante.fr"}}},
		}},
		ServiceEvent: cda.ServiceEvent{
			Code:  cda.Code{Code: "GLQP012", CodeSystem: "1.2.250.1.213.2.5", DisplayName: "Consultation"},
			Start: time.Date(2025, 3, 14, 9, 0, 0, 0, paris),
			Stop:  time.Date(2025, 3, 14, 9, 30, 0, 0, paris),
			Performer: &cda.Performer{
				Person:          cda.Person{ID: ps, Name: cda.PersonName{Given: "Jean", Family: "MEDECIN"}, Organization: org},
				PracticeSetting: cda.Code{Code: "AMBULATOIRE", CodeSystem: "1.2.250.1.213.1.1.4.9"},
			},
		},
		Encounter: cda.Encounter{
			Start:        time.Date(2025, 3, 14, 9, 0, 0, 0, paris),
			FacilityType: cda.Code{Code: "SA07", CodeSystem: "1.2.250.1.71.4.2.4"},
		},
	}
}

// builderDoc is a document the tests build: a header variant and its body.
type builderDoc struct {
	name   string
	header *cda.Header
	body   cda.Body
}

// builderDocs returns every header variant the builder is tested with: each
// shape of author, legal authenticator, performer, recipient, participant
// and informant, a replacement, minors with guardians, each
// confidentiality, a patient without INS, the two media types. Each must
// build, pass Validate with no error and no warning, round-trip through the
// reader, pass the CDA schema and the official rules of the kit (kit_test.go).
func builderDocs(t testing.TB) []builderDoc {
	t.Helper()
	pdf := func() cda.Body { return cda.Body{MediaType: cda.MediaTypePDF, Content: bytes.NewReader(fakePDF(300))} }
	ps := mustID(cda.NewRPPS(testRPPS))
	ps2 := mustID(cda.NewRPPS(testRPPS2))
	st := mustID(cda.NewFINESS(testFINESS))
	at := time.Date(2025, 3, 14, 10, 30, 0, 0, paris)
	home := &cda.Address{Use: "H", HouseNumber: "28", StreetName: "Avenue de Breteuil", PostalCode: "75007", City: "PARIS", Country: "FRANCE"}
	work := &cda.Address{Use: "WP", HouseNumber: "1", StreetName: "rue de la Santé", PostalCode: "75014", City: "PARIS"}
	lines := &cda.Address{Use: "WP", StreetAddressLine: "1 rue de la Santé 75014 PARIS"}
	docs := []builderDoc{{"base", testHeader(t), pdf()}}
	add := func(name string, edit func(h *cda.Header)) {
		h := testHeader(t)
		edit(h)
		docs = append(docs, builderDoc{name, h, pdf()})
	}
	docs = append(docs, builderDoc{"text-body", testHeader(t), cda.Body{MediaType: cda.MediaTypeText, Content: strings.NewReader("Bonjour <&> é")}})
	add("title-special-characters", func(h *cda.Header) { h.Title = "Compte rendu \uFFFD\nsuite <&>" })
	add("author-device", func(h *cda.Header) {
		h.Authors[0].Person = nil
		h.Authors[0].Device = &cda.Device{ManufacturerModelName: "Editeur Test", SoftwareName: "DPI Test 1.0"}
		h.Authors[0].Code = cda.Code{}
	})
	add("author-full", func(h *cda.Header) {
		a := &h.Authors[0]
		a.FunctionCode = cda.Code{Code: "ATTPHYS", CodeSystem: "2.16.840.1.113883.5.88"}
		a.Addr = work
		a.Person = &cda.PersonName{Civility: cda.CivilityMrs, Given: "Anne", Family: "PROFESSEUR", Title: cda.TitleProfessor}
		org := *a.Organization
		org.Addr = work
		org.IndustryCode = cda.Code{Code: "ETABLISSEMENT", CodeSystem: "1.2.250.1.213.1.1.4.9"}
		a.Organization = &org
	})
	add("author-no-organization", func(h *cda.Header) { h.Authors[0].Organization = nil })
	add("two-authors", func(h *cda.Header) {
		h.Authors = append(h.Authors, cda.Author{Time: at, ID: cda.II{Root: "1.2.250.1.999.3", Extension: "DPI"},
			Device: &cda.Device{ManufacturerModelName: "Editeur Test", SoftwareName: "DPI Test 1.0"}})
	})
	add("legal-authenticator-full", func(h *cda.Header) {
		la := &h.LegalAuthenticator.Person
		la.Code = cda.Code{Code: "G15_10/SM26", CodeSystem: "1.2.250.1.213.1.1.4.5"}
		la.Name = cda.PersonName{Civility: cda.CivilityMr, Given: "Jean", Family: "MEDECIN", Title: cda.TitleDoctor}
		la.Addr = work
		la.Telecoms = []cda.Telecom{{Value: "tel:0100000001", Use: "WP"}, {Value: "mailto:jean.medecin@test.mssante.fr", Use: "WP"}}
		la.Organization = &cda.Organization{ID: st, Name: "Cabinet du Dr Test"}
	})
	add("performer-titles", func(h *cda.Header) {
		pf := h.ServiceEvent.Performer
		pf.Name = cda.PersonName{Civility: cda.CivilityMrs, Given: "Claire", Family: "CHEF", Title: cda.TitleChiefPhysician}
		pf.Code = cda.Code{Code: "G15_10", CodeSystem: "1.2.250.1.213.1.1.4.5"}
		pf.Organization = nil // the practice setting alone
		pf.PracticeSetting = cda.Code{Code: "ETABLISSEMENT", CodeSystem: "1.2.250.1.213.1.1.4.9"}
	})
	add("pharmacist", func(h *cda.Header) {
		h.Authors[0].Person = &cda.PersonName{Civility: cda.CivilityMr, Given: "Paul", Family: "OFFICINE", Title: cda.TitleChiefPharmacist}
		h.Authors[0].Code = cda.Code{Code: "G15_21", CodeSystem: "1.2.250.1.213.1.1.4.5"}
	})
	add("other-service-events", func(h *cda.Header) {
		h.OtherServiceEvents = []cda.ServiceEvent{{Code: cda.Code{Code: "GLQP012", CodeSystem: "1.2.250.1.213.2.5", DisplayName: "Consultation"}, Start: at}}
	})
	add("recipients", func(h *cda.Header) {
		h.InformationRecipients = []cda.Recipient{
			{Person: &cda.Person{ID: ps2, Name: cda.PersonName{Civility: cda.CivilityMrs, Given: "Anne", Family: "CONFRERE", Title: cda.TitleDoctor}}},
			{TypeCode: "TRC", Organization: &cda.Organization{ID: st, Name: "Clinique Test"}},
			{Person: &cda.Person{ID: ps, Name: cda.PersonName{Given: "Jean", Family: "MEDECIN"}, Addr: work,
				Telecoms: []cda.Telecom{{Value: "mailto:jean.medecin@test.mssante.fr"}}}, Organization: &cda.Organization{ID: st, Name: "Clinique Test"}},
		}
	})
	add("participants", func(h *cda.Header) {
		h.Participants = []cda.Participant{
			{TypeCode: "REF", Stop: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), Person: cda.Person{ID: ps2, Addr: work,
				Name: cda.PersonName{Given: "Anne", Family: "CONFRERE", Title: cda.TitleDoctor}, Telecoms: []cda.Telecom{{Value: "tel:0100000002", Use: "WP"}},
				Organization: &cda.Organization{ID: st, Name: "Clinique Test"}}},
			{TypeCode: "INF", FunctionCode: cda.Code{Code: "PCP", CodeSystem: "2.16.840.1.113883.5.88"}, ClassCode: "PROV", Start: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
				Person: cda.Person{ID: ps, Code: cda.Code{Code: "G15_10/SM54", CodeSystem: "1.2.250.1.213.1.1.4.5"}, Addr: lines,
					Name: cda.PersonName{Civility: cda.CivilityMr, Given: "Jean", Family: "MEDECIN"}}},
			{TypeCode: "PRF", FunctionCode: cda.Code{Code: "PRELV", CodeSystem: "1.2.250.1.213.1.1.4.2.280"}, Start: at.Add(-2 * time.Hour), Stop: at.Add(-time.Hour),
				Person: cda.Person{ID: ps2, Name: cda.PersonName{Civility: cda.CivilityMrs, Given: "Roberta", Family: "PRELEVEUSE"}}},
		}
	})
	add("informant-professional", func(h *cda.Header) {
		h.Informants = []cda.Informant{{Person: &cda.Person{ID: ps2, Code: cda.Code{Code: "G15_10", CodeSystem: "1.2.250.1.213.1.1.4.5"},
			Name: cda.PersonName{Civility: cda.CivilityMrs, Given: "Anne", Family: "CONFRERE", Title: cda.TitleDoctor}}}}
	})
	add("encounter-full", func(h *cda.Header) {
		e := &h.Encounter
		e.ID = cda.II{Root: "1.2.250.1.999.1.3", Extension: "VENUE-7"}
		e.Code = cda.Code{Code: "IMP", CodeSystem: "2.16.840.1.113883.5.4"}
		e.Stop = at
		e.FacilityID = st
		e.FacilityType = cda.Code{Code: "SA01", CodeSystem: "1.2.250.1.71.4.2.4"}
		e.Participants = []cda.EncounterParticipant{
			{TypeCode: "ATND", Start: at.Add(-time.Hour), Person: cda.Person{ID: ps, Name: cda.PersonName{Given: "Jean", Family: "MEDECIN", Title: cda.TitleDoctor}}},
			{TypeCode: "DIS", Person: cda.Person{ID: ps2, Name: cda.PersonName{Given: "Anne", Family: "CONFRERE"}, Organization: &cda.Organization{ID: st, Name: "Clinique Test"}}},
		}
	})
	add("minor-with-guardians", func(h *cda.Header) {
		p := &h.Patient
		p.Identity.Traits.BirthDate = time.Date(2015, 6, 1, 0, 0, 0, 0, time.UTC)
		p.Addr = home
		p.Telecoms = []cda.Telecom{{Value: "tel:0147150000", Use: "H"}}
		p.Guardians = []cda.Guardian{
			{Person: &cda.PersonName{Civility: cda.CivilityMrs, Given: "Jeanne", Family: "NESSI"}, Addr: home, Telecoms: []cda.Telecom{{Value: "tel:0147150000", Use: "H"}}},
			{Person: &cda.PersonName{Civility: cda.CivilityMr, Given: "Pierre", Family: "NESSI"}},
		}
		h.Informants = []cda.Informant{{Relative: &cda.Relative{Relation: cda.Code{Code: "MTH", CodeSystem: "2.16.840.1.113883.5.111"},
			Name: cda.PersonName{Civility: cda.CivilityMrs, Given: "Jeanne", Family: "NESSI"}, Telecoms: []cda.Telecom{{Value: "tel:0147150000", Use: "H"}}}}}
	})
	add("protected-adult", func(h *cda.Header) {
		h.Patient.Guardians = []cda.Guardian{{Organization: &cda.Organization{ID: st, Name: "Association tutélaire Test"}, Addr: work}}
		h.Informants = []cda.Informant{{Relative: &cda.Relative{ClassCode: "CAREGIVER", Relation: cda.Code{Code: "TUTEUR", CodeSystem: "1.2.250.1.213.1.1.4.327"},
			Name: cda.PersonName{Given: "Luc", Family: "TUTEUR"}, Addr: work}}}
	})
	add("no-ins", func(h *cda.Header) {
		h.Patient.Identity = ins.Identity{Status: ins.StatusProvisional, Traits: ins.Traits{BirthName: "PROVISOIRE", BirthGivenNames: "JEAN",
			BirthDate: time.Date(1980, 1, 2, 0, 0, 0, 0, time.UTC), Sex: ins.SexMale}}
		h.Patient.BirthPlaceCity = ""
	})
	add("ins-production-oid", func(h *cda.Header) { h.Patient.Identity.INS.OID = ins.OIDNIR })
	for _, c := range []string{"L", "M", "R", "U", "V"} {
		add("confidentiality-"+c, func(h *cda.Header) { h.ConfidentialityCode = cda.Code{Code: c, CodeSystem: cda.OIDConfidentiality} })
	}
	repl := cda.NewReplacement(testHeader(t), cda.II{Root: "1.2.250.1.999.1.1.1", Extension: "DOC-0002"})
	docs = append(docs, builderDoc{"replacement", repl, pdf()})
	repl2 := cda.NewReplacement(repl, cda.II{Root: "1.2.250.1.999.1.1.1", Extension: "DOC-0003"})
	docs = append(docs, builderDoc{"replacement-of-replacement", repl2, pdf()})
	return docs
}

// fakePDF returns n bytes that start like a PDF.
func fakePDF(n int) []byte {
	b := make([]byte, n)
	copy(b, "%PDF-1.4\n")
	for i := 9; i < n; i++ {
		b[i] = byte(i*31 + i/7)
	}
	return b
}

func build(t testing.TB, h *cda.Header, pdf []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := cda.Build(&out, h, cda.Body{MediaType: cda.MediaTypePDF, Content: bytes.NewReader(pdf)}); err != nil {
		t.Fatalf("Build: %v", err)
	}
	return out.Bytes()
}

// hasSpec reports whether a finding mirrors the kit's assert id.
func hasSpec(fs finding.List, assert string) bool {
	for _, f := range fs {
		if f.Spec == "StrucMin "+assert {
			return true
		}
	}
	return false
}

func findingsString(fs finding.List) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String())
		b.WriteString("\n")
	}
	return b.String()
}

package mssante

import (
	"bytes"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/mssante/xdm"
)

// Generated identifiers (valid keys), no real person or structure.
const (
	tRPPS   = "10001234565"
	tFINESS = "750000002"
)

var tZone = time.FixedZone("", 3600)

// tIdentity is the public ANS test identity.
func tIdentity() ins.Identity {
	return ins.Identity{
		INS:    ins.INS{Matricule: ins.MustParse("279035121518989"), OID: ins.OIDNIRTest},
		Status: ins.StatusQualified,
		Traits: ins.Traits{
			BirthName: "PAT-TROIS", BirthGivenNames: "DOMINIQUE MARIE-LOUISE",
			BirthDate: time.Date(1979, 3, 28, 0, 0, 0, 0, time.UTC), Sex: ins.SexFemale, BirthPlace: "51215",
		},
	}
}

func tHeader(t testing.TB, id string) *cda.Header {
	t.Helper()
	ps, err := cda.NewRPPS(tRPPS)
	if err != nil {
		t.Fatal(err)
	}
	st, err := cda.NewFINESS(tFINESS)
	if err != nil {
		t.Fatal(err)
	}
	org := &cda.Organization{ID: st, Name: "Clinique de Test"}
	when := time.Date(2026, 5, 31, 11, 0, 0, 0, tZone)
	return &cda.Header{
		ID:                  cda.II{Root: "1.2.250.1.999.7.1", Extension: id},
		SetID:               cda.II{Root: "1.2.250.1.999.7.2", Extension: "SET-" + id},
		VersionNumber:       1,
		Code:                cda.Code{Code: "11488-4", CodeSystem: cda.OIDLOINC},
		Title:               "Compte rendu de consultation",
		EffectiveTime:       when,
		ConfidentialityCode: cda.Code{Code: "N", CodeSystem: cda.OIDConfidentiality},
		LanguageCode:        "fr-FR",
		Patient:             cda.Patient{Identity: tIdentity()},
		Authors: []cda.Author{{
			Time: when, ID: ps,
			Code:         cda.Code{Code: "G15_10/SM26", CodeSystem: "1.2.250.1.213.1.1.4.5"},
			Person:       &cda.PersonName{Civility: cda.CivilityMr, Given: "Paul", Family: "TESTEUR", Title: cda.TitleDoctor},
			Organization: org,
		}},
		Custodian: *org,
		LegalAuthenticator: &cda.LegalAuthenticator{
			Time: when, Person: cda.Person{ID: ps, Name: cda.PersonName{Given: "Paul", Family: "TESTEUR"}},
		},
		ServiceEvent: cda.ServiceEvent{
			Code:  cda.Code{Code: "GLQP012", CodeSystem: "1.2.250.1.213.2.5", DisplayName: "Consultation"},
			Start: time.Date(2026, 5, 31, 9, 0, 0, 0, tZone),
			Performer: &cda.Performer{
				Person:          cda.Person{ID: ps, Name: cda.PersonName{Given: "Paul", Family: "TESTEUR"}, Organization: org},
				PracticeSetting: cda.Code{Code: "AMBULATOIRE", CodeSystem: "1.2.250.1.213.1.1.4.9"},
			},
		},
		Encounter: cda.Encounter{Start: when, FacilityType: cda.Code{Code: "SA07", CodeSystem: "1.2.250.1.71.4.2.4"}},
	}
}

func tPDF(n int) []byte {
	b := make([]byte, n)
	copy(b, "%PDF-1.4\n")
	for i := 9; i < n; i++ {
		b[i] = byte(i*131 + i/5)
	}
	return b
}

func tCDA(t testing.TB, h *cda.Header, pdf []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := cda.Build(&out, h, cda.Body{MediaType: cda.MediaTypePDF, Content: bytes.NewReader(pdf)}); err != nil {
		t.Fatalf("cda.Build: %v", err)
	}
	return out.Bytes()
}

func tSender() *Sender {
	return &Sender{
		Address: "paul.testeur@clinique-test.mssante.fr", Type: MailboxPER,
		Title: "Dr", GivenName: "Paul", FamilyName: "Testeur", Entity: "Cardiologie", NIL: "DEV000001",
	}
}

func tDocOptions() *DocumentsOptions {
	fixed := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	n := 0
	return &DocumentsOptions{
		Sender: xdm.SenderInfo{StructureName: "Clinique de Test", StructureID: "1" + tFINESS, ApplicationName: "DPI Test"},
		XDM: &xdm.WriteOptions{
			Now: func() time.Time { return fixed },
			NewUUID: func() string {
				n++
				return "00000000-0000-4000-8000-" + pad12(n)
			},
		},
	}
}

func pad12(n int) string {
	s := "000000000000"
	d := []byte(s)
	for i := 11; n > 0 && i >= 0; i-- {
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return string(d)
}

func tMessage() *Message {
	return &Message{
		From:    tSender(),
		To:      []*mail.Address{{Name: "Dr Anne Confrère", Address: "anne.confrere@hopital-test.mssante.fr"}},
		Subject: "Compte rendu",
		Text:    "Bonjour,\nveuillez trouver ci-joint le compte rendu.\n",
		Date:    time.Date(2026, 6, 1, 10, 0, 0, 0, tZone),
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

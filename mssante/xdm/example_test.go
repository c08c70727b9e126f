package xdm_test

import (
	"bytes"
	"fmt"
	"log"
	"time"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/mssante/xdm"
)

func Example() {
	patient, err := ins.New("279035121518989", "1.2.250.1.213.1.4.10") // public test identity
	if err != nil {
		log.Fatal(err)
	}
	p := &xdm.Package{
		SubmissionSet: xdm.SubmissionSet{
			SourceID:           "1.2.250.1.71.4.2.2.1120456791",
			Author:             xdm.Author{Institutions: []string{"Centre de santé du Belvédère^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1120456791"}},
			IntendedRecipients: []string{"secretariat@hopital.mssante.fr"},
		},
		Documents: []*xdm.Document{{
			// With a real CDA, xdm.DocumentFromCDA fills the entry from its header.
			Entry: xdm.DocumentEntry{
				UniqueID:   "1.2.250.1.213.1.1.1.5.2.12345.2",
				Title:      "Compte rendu",
				MimeType:   "application/pdf",
				TypeCode:   xdm.Code{Code: "11490-0", CodeSystem: "2.16.840.1.113883.6.1", DisplayName: "Lettre de sortie"},
				PatientINS: patient,
			},
			Content: []byte("%PDF-1.4 ..."),
		}},
		Sender: xdm.SenderInfo{StructureName: "Centre de santé du Belvédère", StructureID: "1120456791", ApplicationName: "Exemple DPI"},
	}
	var zip bytes.Buffer
	if err := xdm.Write(&zip, p, &xdm.WriteOptions{Now: func() time.Time { return time.Date(2025, 1, 10, 8, 30, 0, 0, time.UTC) }}); err != nil {
		log.Fatal(err)
	}

	a, err := xdm.Read(bytes.NewReader(zip.Bytes()), int64(zip.Len()), nil)
	if err != nil {
		log.Fatal(err)
	}
	findings := a.Verify()
	patientINS, _ := a.PatientINS()
	fmt.Println("patient:", patientINS.Matricule)
	for _, d := range a.Documents {
		fmt.Println(d.Path, d.Entry.MimeType, d.Entry.TypeCode.Code, d.Integrity.Status())
	}
	fmt.Println("errors:", findings.HasErrors())
	// Output:
	// patient: 279035121518989
	// IHE_XDM/SUBSET01/DOC0001.PDF application/pdf 11490-0 ok
	// errors: false
}

// The XDS metadata of a CDA document comes from its header: package cda
// reads the header, EntryFromHeader maps it (one mapping, in this package).
func ExampleEntryFromHeader() {
	h := &cda.Header{
		ID:            cda.II{Root: "1.2.250.1.999.1.1.1", Extension: "DOC-0001"},
		Code:          cda.Code{Code: "11488-4", CodeSystem: cda.OIDLOINC},
		EffectiveTime: time.Date(2025, 3, 14, 10, 30, 0, 0, time.FixedZone("", 3600)),
		Patient: cda.Patient{Identity: ins.Identity{
			INS: ins.INS{Matricule: "279035121518989", OID: ins.OIDNIRTest}, Status: ins.StatusQualified}},
		Authors: []cda.Author{{
			ID:     cda.II{Root: "1.2.250.1.71.4.2.1", Extension: "810001234565"},
			Person: &cda.PersonName{Given: "Jean", Family: "MEDECIN"},
		}},
		BodyMediaType: cda.MediaTypePDF,
	}
	e, err := xdm.EntryFromHeader(h)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(e.UniqueID, e.CreationTime.Format("20060102150405"))
	fmt.Println(e.TypeCode.DisplayName, "/", e.ClassCode.Code, "/", e.FormatCode.Code)
	fmt.Println(e.PatientID)
	fmt.Println(e.Authors[0].Person)
	// Output:
	// 1.2.250.1.999.1.1.1^DOC-0001 20250314093000
	// CR ou fiche de consultation ou de visite / 10 / urn:ihe:iti:xds-sd:pdf:2008
	// 279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH
	// 810001234565^MEDECIN^Jean^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS
}

package xdm_test

import (
	"bytes"
	"fmt"
	"log"
	"time"

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

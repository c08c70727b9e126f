package msc

import (
	"testing"

	"github.com/mssante-go/sdk/ins"
)

func qualified(m string, oid ins.OID) ins.Identity {
	return ins.Identity{INS: ins.INS{Matricule: ins.Matricule(m), OID: oid}, Status: ins.StatusQualified}
}

func TestPatientSender(t *testing.T) {
	if m, ok := PatientSender(HeaderMap{"From": "D. PAT-TROIS <279035121518989@patient.mssante.fr>"}); !ok || m != "279035121518989" {
		t.Errorf("PatientSender = %q, %v", m, ok)
	}
	for _, from := range []string{"pharmacie@pharmacie.mssante.fr", ins.TestAutoReplyAddress, "288091234567823@patient.mssante.fr"} {
		if _, ok := PatientSender(HeaderMap{"From": from}); ok {
			t.Errorf("%s is not a patient sender", from)
		}
	}
}

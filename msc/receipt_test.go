package msc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/mssante"
)

func TestReadByPatient(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "mdn-displayed.eml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := mssante.ParseReport(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := ReadByPatient(rep); !ok || m != "279035121518989" {
		t.Errorf("ReadByPatient = %q, %v", m, ok)
	}
	rep.MDN.FinalRecipient, rep.MDN.OriginalRecipient, rep.From = proAddr, "", proAddr
	if _, ok := ReadByPatient(rep); ok {
		t.Error("an MDN from a professional is not a patient's")
	}
	if _, ok := ReadByPatient(nil); ok {
		t.Error("nil report")
	}
	dsn, err := mssante.ParseReport(strings.NewReader(mustRead(t, "dsn-delivered.eml")), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ReadByPatient(dsn); ok {
		t.Error("a delivered DSN is not a read receipt")
	}
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPolicyOppositionHook(t *testing.T) {
	p := &Policy{OppositionOf: func(m ins.Matricule) Opposition {
		return Opposition{ToProfessionals: m == "279035121518989"}
	}}
	f := p.Check(&Outgoing{To: []string{patientAddr}, Cc: []string{proAddr}, Size: 1})
	if got := rules(f, finding.Error); len(got) != 1 || got[0] != RuleOpposition {
		t.Errorf("%v", f)
	}
	if f := p.Check(&Outgoing{To: []string{otherAddr}, Cc: []string{proAddr}, Size: 1}); f.HasErrors() {
		t.Errorf("%v", f)
	}
}

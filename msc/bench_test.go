package msc

import (
	"os"
	"path/filepath"
	"testing"
)

func benchClassify(b *testing.B, name string) {
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		b.Fatal(err)
	}
	var c Classifier
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.ClassifyBytes(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClassifyDSN(b *testing.B)         { benchClassify(b, "dsn-unknown-address.eml") }
func BenchmarkClassifyPostfixSize(b *testing.B) { benchClassify(b, "dsn-size-postfix.eml") }
func BenchmarkClassifyFrenchText(b *testing.B)  { benchClassify(b, "text-closed.eml") }
func BenchmarkClassifyHTML(b *testing.B)        { benchClassify(b, "text-invalid-address.eml") }

func BenchmarkIsClosing(b *testing.B) {
	h := HeaderMap{"Subject": "RE: [FIN]", "X-MSS-MES": "FIN"}
	b.ReportAllocs()
	for b.Loop() {
		IsClosing(h)
	}
}

func BenchmarkPolicyCheck(b *testing.B) {
	p := &Policy{}
	o := &Outgoing{To: []string{patientAddr}, Cc: []string{proAddr, orgAddr}, Size: 1 << 20, Patient: testPatient(), Document: &Confidentiality{DestDMP: true}}
	b.ReportAllocs()
	for b.Loop() {
		p.Check(o)
	}
}

package xdm

import (
	"bytes"
	"encoding/base64"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bigCDA returns a level 1 CDA of about size bytes: the test header and a
// base64 body (an embedded PDF, the usual MSSanté case), like the one the
// comparison script bench/xdm/compare.sh builds.
func bigCDA(size int) []byte {
	head := testCDA[:strings.Index(testCDA, "<component>")]
	raw := make([]byte, size*3/4)
	rand.New(rand.NewSource(1)).Read(raw)
	var b bytes.Buffer
	b.WriteString(head)
	b.WriteString(`<component><nonXMLBody><text mediaType="application/pdf" representation="B64">`)
	enc := base64.StdEncoding.EncodeToString(raw)
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteByte('\n')
		enc = enc[76:]
	}
	b.WriteString(enc)
	b.WriteString("</text></nonXMLBody></component>\n</ClinicalDocument>\n")
	return b.Bytes()
}

// BenchmarkWrite writes an archive holding one 1 MB CDA.
func BenchmarkWrite(b *testing.B) {
	p := testPackage()
	p.Documents[0].Content = bigCDA(1 << 20)
	b.SetBytes(int64(len(p.Documents[0].Content)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, p, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify reads and verifies the largest official archive.
func BenchmarkVerify(b *testing.B) {
	var largest string
	var max int64
	for _, p := range officialArchives(b) {
		if st, err := os.Stat(p); err == nil && st.Size() > max {
			largest, max = p, st.Size()
		}
	}
	data, err := os.ReadFile(largest)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s, %d bytes", filepath.Base(largest), len(data))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		a, err := Read(bytes.NewReader(data), int64(len(data)), nil)
		if err != nil {
			b.Fatal(err)
		}
		if fs := a.Verify(); fs.HasErrors() {
			b.Fatal(fs)
		}
	}
}

// BenchmarkVerifyAllOfficial reads and verifies the 54 official archives
// (target: under 1 s in total).
func BenchmarkVerifyAllOfficial(b *testing.B) {
	var all [][]byte
	for _, p := range officialArchives(b) {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, data)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, data := range all {
			a, err := Read(bytes.NewReader(data), int64(len(data)), nil)
			if err != nil {
				b.Fatal(err)
			}
			a.Verify()
		}
	}
}

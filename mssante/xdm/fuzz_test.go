package xdm

import (
	"bytes"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/testenv"
)

// FuzzRead feeds arbitrary bytes to Read, Verify and Open: nothing may
// panic, and whatever Read accepts can be verified and opened.
func FuzzRead(f *testing.F) {
	good := writeBytes(f, testPackage(), fixedOptions())
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(makeZip(f, []zipEntry{{name: "../x", data: []byte("x")}}))
	f.Add(makeZip(f, []zipEntry{{name: metaPath, data: []byte("<a><b>")}}))
	// Official archives seed the corpus when the shared test data is there
	// (the fuzz target does not need them).
	for _, name := range []string{"ansforge/CSE-MDE_2023.01.zip", "ansforge/CSE-CS9_2025.01.zip",
		"foreign/direct_java_xdmail_src_test_resources_samplexdm.zip", "foreign/nist_XDM-Samples_MIE.zip", "foreign/nist_xdm_xdm.zip"} {
		if b, err := os.ReadFile(filepath.Join(testenv.SharedDir(), "xdm", filepath.FromSlash(name))); err == nil {
			f.Add(b)
		}
	}
	f.Add(makeZip(f, []zipEntry{{name: `SUBSET01\METADATA.XML`, data: []byte("<a/>")}, {name: "__MACOSX/._A", data: []byte("x")}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := &ReadOptions{MaxTotalSize: 8 << 20, MaxEntries: 64}
		a, err := Read(bytes.NewReader(data), int64(len(data)), opts)
		if err != nil {
			return
		}
		a.Verify()
		a.PatientID()
		a.PatientINS()
		for _, d := range a.Documents {
			if rc, err := d.Open(); err == nil {
				io.Copy(io.Discard, rc)
				rc.Close()
			}
		}
	})
}

// FuzzMetadata feeds arbitrary METADATA.XML to the metadata reader.
func FuzzMetadata(f *testing.F) {
	for _, e := range unzipAll(f, writeBytes(f, testPackage(), fixedOptions())) {
		if e.name == metaPath {
			f.Add(e.data)
		}
	}
	f.Add([]byte(`<SubmitObjectsRequest><RegistryObjectList><RegistryPackage id="a"/><Association associationType="HasMember" sourceObject="a" targetObject="b"/></RegistryObjectList></SubmitObjectsRequest>`))
	// Other vendors' metadata (other namespaces, ebRS 2.1), when the shared
	// test data is there.
	if paths, err := filepath.Glob(filepath.Join(testenv.SharedDir(), "xdm", "foreign", "*.zip")); err == nil {
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			for _, e := range unzipAll(f, b) {
				if strings.EqualFold(path.Base(strings.ReplaceAll(e.name, `\`, "/")), MetadataName) {
					f.Add(e.data)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tree, err := parseMetadata(data, DefaultMaxXMLDepth)
		if err != nil {
			return
		}
		m := &metaReader{loc: MetadataName}
		m.read(tree)
	})
}

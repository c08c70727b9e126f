package tlsauth

import "testing"

// The parsers read files a vendor configures: bad bytes give errors, never
// panics.
func FuzzParsers(f *testing.F) {
	f.Add([]byte("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"), "pw")
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), "")
	f.Add([]byte{0x30, 0x82, 0x01, 0x00}, "x")
	f.Fuzz(func(t *testing.T, data []byte, pw string) {
		ParseCRLs(data)
		LoadRoots(data)
		LoadPKCS12(data, pw)
		LoadPEM(data, data)
		IsLoopback(string(data))
	})
}

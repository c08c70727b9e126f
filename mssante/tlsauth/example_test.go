package tlsauth_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"

	"github.com/mssante-go/sdk/mssante/tlsauth"
)

func ExampleTLSOptions_Config() {
	roots := x509.NewCertPool() // in real code: tlsauth.LoadRoots(the IGC Santé chain)
	opt := tlsauth.TLSOptions{RootCAs: roots}
	cfg, err := opt.Config("smtp.operateur.example")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tls.VersionName(cfg.MinVersion), tls.VersionName(cfg.MaxVersion))
	for _, id := range cfg.CipherSuites {
		fmt.Printf("%#04x %s\n", id, tls.CipherSuiteName(id))
	}
	fmt.Printf("missing from Go: %#04x\n", tlsauth.MissingSuite)
	// Output:
	// TLS 1.2 TLS 1.2
	// 0xc030 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
	// 0xc02f TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
	// 0xc027 TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256
	// missing from Go: 0xc028
}

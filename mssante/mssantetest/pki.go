package mssantetest

import (
	"strings"
	"sync"

	"github.com/mssante-go/sdk/internal/testpki"
)

// RSA key generation dominates the start of an operator, so the operators of
// one process share one test PKI, generated on first use: one root, one
// server certificate per host name and one client certificate per
// applicative address. Certificates are immutable once issued.
var shared struct {
	mu      sync.Mutex
	pki     *testpki.PKI
	servers map[string]*testpki.Issued
	clients map[string]*testpki.Issued
}

// sharedPKI returns the process's test root and a server certificate for
// localhost, 127.0.0.1, ::1 and hostname.
func sharedPKI(hostname string) (*testpki.PKI, *testpki.Issued, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.pki == nil {
		p, err := testpki.New("MSSanté Test IGC Santé Root")
		if err != nil {
			return nil, nil, err
		}
		shared.pki = p
		shared.servers = map[string]*testpki.Issued{}
		shared.clients = map[string]*testpki.Issued{}
	}
	srv := shared.servers[hostname]
	if srv == nil {
		var err error
		if srv, err = shared.pki.Server("localhost", "127.0.0.1", "::1", hostname); err != nil {
			return nil, nil, err
		}
		shared.servers[hostname] = srv
	}
	return shared.pki, srv, nil
}

// sharedClientCert returns the client certificate of an applicative
// mailbox: common name and e-mail SAN are its address.
func sharedClientCert(address string) (*testpki.Issued, error) {
	address = strings.ToLower(address)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if is := shared.clients[address]; is != nil {
		return is, nil
	}
	is, err := shared.pki.Client(address, address)
	if err != nil {
		return nil, err
	}
	shared.clients[address] = is
	return is, nil
}

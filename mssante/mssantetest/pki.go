package mssantetest

import (
	"strings"
	"sync"

	"github.com/mssante-go/sdk/internal/testpki"
)

// RSA key generation dominates the start of an operator, so the operators of
// one process share one test PKI, generated on first use: one root, one
// server certificate per host name and one client certificate per
// applicative address. This cache is the package's one piece of
// process-wide state, a documented exception to the SDK's "no global
// mutable state" rule (see the package documentation): every access holds
// shared.mu, entries are only ever added, and certificates are immutable
// once issued, so operators started from parallel tests are safe.
var shared struct {
	mu      sync.Mutex
	pki     *testpki.PKI
	servers map[string]*testpki.Issued
	clients map[string]*testpki.Issued
}

// sharedRootLocked generates the root on first use. shared.mu is held.
func sharedRootLocked() error {
	if shared.pki != nil {
		return nil
	}
	p, err := testpki.New("MSSanté Test IGC Santé Root")
	if err != nil {
		return err
	}
	shared.pki = p
	shared.servers = map[string]*testpki.Issued{}
	shared.clients = map[string]*testpki.Issued{}
	return nil
}

// sharedPKI returns the process's test root and a server certificate for
// localhost, 127.0.0.1, ::1 and hostname.
func sharedPKI(hostname string) (*testpki.PKI, *testpki.Issued, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if err := sharedRootLocked(); err != nil {
		return nil, nil, err
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
	if err := sharedRootLocked(); err != nil {
		return nil, err
	}
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

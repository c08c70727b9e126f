package tlsauth

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Endpoint is an operator's server with what it takes to connect to it,
// checked once by NewEndpoint for both transports.
type Endpoint struct {
	Host string         // host name or IP address, as given
	Addr string         // host:port to dial
	Auth *Authenticator // SASL clients for each new connection
}

// NewEndpoint checks addr ("host" or "host:port"; defaultPort when no port
// is given), the TLS options (roots present, versions allowed) and the
// authentication (PLAIN only towards a loopback host).
func NewEndpoint(addr string, defaultPort int, tlsOpt *TLSOptions, a Auth) (*Endpoint, error) {
	if addr == "" {
		return nil, errors.New("tlsauth: no server address")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		host, port = strings.Trim(addr, "[]"), ""
	}
	if port == "" {
		port = strconv.Itoa(defaultPort)
	}
	if _, err := tlsOpt.Config(host); err != nil {
		return nil, err
	}
	if a.Mechanism == Plain && !IsLoopback(host) {
		return nil, fmt.Errorf("%w: %q", ErrPlainNotLoopback, host)
	}
	au, err := NewAuthenticator(a)
	if err != nil {
		return nil, err
	}
	return &Endpoint{Host: host, Addr: net.JoinHostPort(host, port), Auth: au}, nil
}

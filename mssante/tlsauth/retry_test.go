package tlsauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestRetryable(t *testing.T) {
	opErr := func(op string, err error) error { return &net.OpError{Op: op, Net: "tcp", Err: err} }
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"EOF during the greeting", fmt.Errorf("greeting: %w", io.EOF), true},
		{"EOF in a literal", io.ErrUnexpectedEOF, true},
		{"reset during the TLS handshake", opErr("read", os.NewSyscallError("read", syscall.ECONNRESET)), true},
		{"refused while dialling", opErr("dial", os.NewSyscallError("connect", syscall.ECONNREFUSED)), true},
		{"broken pipe", opErr("write", syscall.EPIPE), true},
		{"timeout", opErr("read", os.ErrDeadlineExceeded), true},
		{"set-up deadline", fmt.Errorf("%w (x)", context.DeadlineExceeded), true},
		{"caller cancelled", fmt.Errorf("%w (x)", context.Canceled), false},
		{"unknown authority", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, false},
		{"server alert", opErr("remote error", errors.New("tls: bad certificate")), false},
		{"not TLS", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, false},
		{"revoked", &RevocationError{Err: ErrRevoked}, false},
		{"anything else", errors.New("sasl: bad mechanism"), false},
	} {
		if got := Retryable("tls", tt.err); got != tt.want {
			t.Errorf("%s: Retryable = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	b := RetryOptions{Min: 100 * time.Millisecond, Max: 350 * time.Millisecond}.Backoff()
	for i, want := range []time.Duration{100, 200, 350, 350} {
		want *= time.Millisecond
		if d := b.Next(); d < want/2 || d > want {
			t.Errorf("wait %d = %v, want within [%v, %v]", i, d, want/2, want)
		}
	}
	b.Reset()
	if d := b.Next(); d > 100*time.Millisecond {
		t.Errorf("after Reset: %v", d)
	}
	if d := (RetryOptions{}).Backoff().Next(); d < DefaultRetryMin/2 || d > DefaultRetryMin {
		t.Errorf("default first wait %v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if b.Wait(ctx) {
		t.Error("Wait went on after the context ended")
	}
}

package mailservers

import (
	"bytes"
	"context"
	"os"
	"sync"
	"testing"

	"github.com/mssante-go/sdk/internal/testenv"
)

// TempFailUser is the local part that the shared servers refuse with 451.
const TempFailUser = "busy"

var (
	sharedMu  sync.Mutex
	sharedSrv *Servers
	sharedErr error
)

// Shared returns a Postfix and Dovecot pair started on first use and shared
// by the tests of one test binary, with the default Options plus
// TempFailUser@Domain refused temporarily. A missing program skips the test,
// or fails it under CI=true. Stop them with Main or StopShared.
func Shared(t testing.TB) *Servers {
	t.Helper()
	for _, p := range Programs {
		testenv.LookPath(t, p)
	}
	if os.Geteuid() != 0 {
		testenv.Missing(t, "root privileges to run Postfix and Dovecot")
	}
	sharedMu.Lock()
	defer sharedMu.Unlock()
	// A free port may be taken by another test binary between the moment
	// Start picks it and the moment the server binds it: try again then.
	for attempt := 0; sharedSrv == nil && attempt < 3; attempt++ {
		sharedSrv, sharedErr = Start(context.Background(), "", &Options{
			Users:    []string{"alice", "bob", "dpi"},
			TempFail: []string{TempFailUser + "@hopital.mssante.test"},
		})
	}
	if sharedErr != nil {
		t.Fatalf("starting Postfix and Dovecot: %v", sharedErr)
	}
	return sharedSrv
}

// StopShared stops the servers Shared started, if any.
func StopShared() {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	sharedSrv.Stop()
	sharedSrv = nil
}

// Main runs the tests of m, stops the shared servers and exits: the TestMain
// of a package using Shared is
//
//	func TestMain(m *testing.M) { mailservers.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	StopShared()
	os.Exit(code)
}

// CheckBccDelivery fails t unless the message whose subject is given
// reached to and each of bcc exactly once, with no Bcc field in any copy
// and, in the copy of to, no mention of bcc[0] (further Bcc recipients may
// be the sender, whose address the message carries).
func (s *Servers) CheckBccDelivery(t testing.TB, ctx context.Context, subject, to string, bcc ...string) {
	t.Helper()
	for _, rcpt := range append([]string{to}, bcc...) {
		got, err := s.Delivered(ctx, rcpt, "Subject: "+subject)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Errorf("%s got %d copies", rcpt, len(got))
		}
		for _, data := range got {
			head := data
			if i := bytes.Index(data, []byte("\n\n")); i >= 0 {
				head = data[:i]
			}
			if i := bytes.Index(data, []byte("\r\n\r\n")); i >= 0 && i < len(head) {
				head = data[:i]
			}
			for _, line := range bytes.Split(head, []byte("\n")) {
				if bytes.HasPrefix(bytes.ToLower(line), []byte("bcc")) {
					t.Errorf("%s received a Bcc field: %q", rcpt, line)
				}
			}
			if rcpt == to && len(bcc) > 0 && bytes.Contains(data, []byte(bcc[0])) {
				t.Errorf("the To recipient's copy names the Bcc recipient %s:\n%s", bcc[0], data)
			}
		}
	}
}

package imapclient_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/imapclient"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

// An applicative mailbox stores its new messages as files; each is marked
// seen only once written.
func Example() {
	// The IGC Santé roots and the mailbox's certificate, loaded with
	// tlsauth.LoadRoots and tlsauth.LoadPKCS12 (see smtpclient's example).
	var roots *x509.CertPool
	var cert tls.Certificate
	r, err := imapclient.New(&imapclient.Options{
		Addr:   "imap.operateur.example", // port 143, STARTTLS
		TLS:    tlsauth.TLSOptions{RootCAs: roots, Certificate: &cert},
		Auth:   tlsauth.Auth{Mechanism: tlsauth.External},
		Cursor: &imapclient.FileCursor{Path: "inbox-cursor.json"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	err = r.Watch(context.Background(), func(ctx context.Context, m *mssante.Received) error {
		name := filepath.Join("inbox", strings.ReplaceAll(m.ID, "/", "_")+".eml")
		f, err := os.Create(name)
		if err != nil {
			return err // the message stays new on the server
		}
		if _, err := io.Copy(f, m.Body); err != nil {
			f.Close()
			return err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
	log.Println(err)
}

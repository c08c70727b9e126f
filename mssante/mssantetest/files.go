package mssantetest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// P12Password protects the PKCS#12 files WriteFiles writes for applicative
// mailboxes (the form in which operators hand out IGC Santé certificates).
const P12Password = "mssantetest"

// DescriptionFile is the name of the JSON description WriteFiles writes.
const DescriptionFile = "operator.json"

// Description is what WriteFiles records in operator.json, so that programs
// outside the test process can use the operator.
type Description struct {
	SMTP string `json:"smtp"`
	IMAP string `json:"imap"`
	CA   string `json:"ca"`
	// ListeBlanche is the liste blanche of the operator's trust space
	// (ListeBlanche), relative to the directory: what senders check their
	// recipients against.
	ListeBlanche string               `json:"liste_blanche"`
	Mailboxes    []MailboxDescription `json:"mailboxes"`
	Patients     []PatientDescription `json:"patients"`
}

// MailboxDescription describes a professional mailbox and its credentials.
// Paths are relative to the directory.
type MailboxDescription struct {
	Address      string      `json:"address"`
	Type         MailboxType `json:"type"`
	Label        string      `json:"label,omitempty"`
	Password     string      `json:"password"`
	Token        string      `json:"token,omitempty"` // PER, ORG
	TokenExpires *time.Time  `json:"token_expires,omitempty"`
	Cert         string      `json:"cert,omitempty"` // APP: PEM certificate
	Key          string      `json:"key,omitempty"`  // APP: PEM PKCS#8 key
	P12          string      `json:"p12,omitempty"`  // APP: PKCS#12, password P12Password
	ReadReceipt  Disposition `json:"read_receipt,omitempty"`
	Pharmacy     bool        `json:"pharmacy,omitempty"`
}

// PatientDescription describes a patient of the registry.
type PatientDescription struct {
	Address string `json:"address"`
	State   string `json:"state"`
	Name    string `json:"name,omitempty"`
	Unread  bool   `json:"unread,omitempty"`
}

// Describe issues a token valid for Options.TokenTTL to each personal and
// organisational mailbox and returns the description WriteFiles records.
func (op *Operator) Describe() Description {
	d := Description{SMTP: op.SMTPAddr(), IMAP: op.IMAPAddr(), CA: "ca.pem", ListeBlanche: ListeBlancheFile}
	for _, mb := range op.Mailboxes() {
		md := MailboxDescription{
			Address: mb.Address, Type: mb.Type, Label: mb.Label, Password: mb.Password,
			ReadReceipt: mb.ReadReceipt, Pharmacy: mb.Pharmacy,
		}
		if mb.Type == APP {
			md.Cert, md.Key, md.P12 = mb.Address+".pem", mb.Address+".key", mb.Address+".p12"
		} else {
			exp := time.Now().Add(op.opts.TokenTTL).UTC().Truncate(time.Second)
			md.Token, _ = op.IssueToken(mb.Address, op.opts.TokenTTL)
			md.TokenExpires = &exp
		}
		d.Mailboxes = append(d.Mailboxes, md)
	}
	for _, p := range op.Patients() {
		d.Patients = append(d.Patients, PatientDescription{Address: p.Address(), State: p.State.String(), Name: p.Name, Unread: p.Unread})
	}
	return d
}

// WriteFiles writes the operator's test PKI and a description of it into
// dir (created if needed), for programs outside the test process: ca.pem
// (the root), server.pem and server.key, ADDRESS.pem, ADDRESS.key and
// ADDRESS.p12 for each applicative mailbox, listeblanche.xml (ListeBlanche)
// and operator.json (Description, with fresh tokens). Keys are written
// with mode 0600.
func (op *Operator) WriteFiles(dir string) (Description, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Description{}, err
	}
	if err := op.pki.WriteRoot(dir); err != nil {
		return Description{}, err
	}
	if err := op.serverCert.WriteFiles(dir, "server"); err != nil {
		return Description{}, err
	}
	for _, mb := range op.opts.Mailboxes {
		if mb.Type != APP {
			continue
		}
		is := op.appCerts[strings.ToLower(mb.Address)]
		if err := is.WriteFiles(dir, mb.Address); err != nil {
			return Description{}, err
		}
		p12, err := pkcs12.Modern.WithRand(rand.Reader).Encode(is.TLS.PrivateKey, is.TLS.Leaf, nil, P12Password)
		if err != nil {
			return Description{}, fmt.Errorf("mssantetest: PKCS#12 for %s: %w", mb.Address, err)
		}
		if err := os.WriteFile(filepath.Join(dir, mb.Address+".p12"), p12, 0o600); err != nil {
			return Description{}, err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, ListeBlancheFile), op.ListeBlanche(), 0o644); err != nil {
		return Description{}, err
	}
	d := op.Describe()
	js, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return Description{}, err
	}
	// The description holds passwords and tokens: owner only.
	if err := os.WriteFile(filepath.Join(dir, DescriptionFile), append(js, '\n'), 0o600); err != nil {
		return Description{}, err
	}
	return d, nil
}

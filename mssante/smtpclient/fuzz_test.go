package smtpclient

import (
	"testing"

	"github.com/mssante-go/sdk/mssante"
)

// Any envelope is either refused with ErrInvalidEnvelope or turned into
// MAIL/RCPT options in its wire form, without panicking.
func FuzzEnvelope(f *testing.F) {
	f.Add("dpi@hopital.mssante.fr", "dr@cabinet.mssante.fr", "SUCCESS", "HDRS", "id-1")
	f.Add("a@b", "x@y>\r\nRSET", "NEVER", "full", "é")
	f.Add("", "@", "", "", "")
	f.Fuzz(func(t *testing.T, from, to, notify, ret, envid string) {
		env := &mssante.Envelope{From: from, To: []string{to},
			DSN: &mssante.DSNRequest{Notify: []string{notify}, Return: ret, EnvelopeID: envid, OriginalRecipient: true}}
		w, err := wireEnvelope(env)
		if err != nil {
			return
		}
		mailOptions(w.Envelope, nil)
		if w.To[0] != "" {
			rcptOptions(w.Envelope, w.To[0])
		}
	})
}

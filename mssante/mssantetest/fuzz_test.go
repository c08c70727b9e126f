package mssantetest

import (
	"context"
	"testing"
)

// FuzzDeliver feeds arbitrary bytes to the delivery path, as a client may
// submit anything after DATA: to a reader, a patient that reads, and an
// unknown address, with a DSN request. Nothing may panic.
func FuzzDeliver(f *testing.F) {
	f.Add([]byte(message(DefaultDoctor, DefaultPatient, "x", "Disposition-Notification-To: <"+DefaultDoctor+">")))
	f.Add([]byte("Subject: [FIN]\r\nReply-To: ,,<\r\nDisposition-Notification-To: \"\" <>\r\n\r\n"))
	f.Add([]byte("X-MSS-MES: FIN\nContent-Type: multipart/report; report-type=\"\n\n--"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		// A fresh operator each time: state must not pile up.
		op, err := Start(context.Background(), &Options{PatientMaxBytes: 512})
		if err != nil {
			t.Fatal(err)
		}
		defer op.Close()
		env := envelope{from: DefaultDoctor, ret: "HDRS", envID: "e", rcpts: []recipient{
			{addr: DefaultApp, notify: []string{"SUCCESS", "FAILURE"}},
			{addr: DefaultPatient, orcpt: DefaultPatient},
			{addr: "nobody@hopital-test.mssante.fr"},
		}}
		if err := op.deliver(env, data); err != nil {
			t.Fatal(err)
		}
		for _, m := range op.Messages(DefaultDoctor) {
			_ = m.Subject()
			_ = m.ReportType()
		}
		_ = op.PatientReply(context.Background(), DefaultPatient, DefaultDoctor, string(data))
	})
}

// FuzzXOAUTH2 checks the SASL XOAUTH2 server on arbitrary responses.
func FuzzXOAUTH2(f *testing.F) {
	f.Add([]byte("user=a@b.fr\x01auth=Bearer t\x01\x01"), []byte{})
	f.Add([]byte("\x01\x01="), []byte("x"))
	f.Fuzz(func(t *testing.T, first, second []byte) {
		s := &xoauth2Server{
			check: func(user, tok string) (string, bool) { return user, user == "a@b.fr" && tok == "t" },
			login: func(string) {},
			fail:  errSMTPAuthFailed,
		}
		_, done, err := s.Next(first)
		if !done && err == nil {
			_, _, _ = s.Next(second)
		}
		_, _, _ = s.Next(nil)
	})
}

// FuzzValidMatricule checks the key check on arbitrary local parts.
func FuzzValidMatricule(f *testing.F) {
	for _, s := range []string{"279035121518989", "253072A07300443", "2530721A7300443", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { _ = validMatricule(s) })
}

package msc

import (
	"context"
	"strings"
	"testing"
)

// FuzzTracker runs any sequence of sends, receptions, bounces and lookups
// against the tracker and checks every state against the rules of msc.md
// §3 (a model of the state machine kept beside it): sending opens or
// closes, a patient's message opens only what was unknown, a permanent
// patient bounce makes the address undeliverable, nothing else moves.
func FuzzTracker(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7}, "[FIN]", "FIN", patientAddr)
	f.Add([]byte{1, 0, 6, 2, 3}, "RE: [FIN]", "fin", "253072A07300443@patient.mssante.fr")
	f.Add([]byte{2, 2, 0, 5}, "Compte rendu", "", "not-a-patient@gmail.com")
	kinds := []Kind{KindUnknownAddress, KindClosed, KindInvalidAddress, KindTooLarge, KindMailboxUnknown, KindTemporary, KindOther, ""}
	f.Fuzz(func(t *testing.T, ops []byte, subject, mes, patient string) {
		ctx := context.Background()
		tr, _ := newTracker()
		model := map[string]State{} // by mailbox, for patient
		valid := validPatient(patient)
		for _, op := range ops {
			mailbox := proAddr
			if op&8 != 0 {
				mailbox = pharmacy
			}
			switch op % 4 {
			case 0: // sent
				h := HeaderMap{"To": patient, "Subject": subject, "X-MSS-MES": mes}
				if err := tr.Sent(ctx, mailbox, h); err != nil {
					return // a header the tracker cannot read
				}
				if valid {
					if IsClosing(h) {
						model[mailbox] = StateClosed
					} else {
						model[mailbox] = StateOpen
					}
				}
			case 1: // received
				_, err := tr.Received(ctx, mailbox, HeaderMap{"From": patient, "Subject": subject})
				if (err == nil) != valid {
					t.Fatalf("Received from %q: %v", patient, err)
				}
				if valid && model[mailbox] == StateNone {
					model[mailbox] = StateOpen
				}
			case 2: // bounced
				k := kinds[int(op/16)%len(kinds)]
				if err := tr.Bounced(ctx, mailbox, &Bounce{Recipients: []RecipientBounce{{Kind: k, Recipient: patient}}}); err != nil {
					t.Fatal(err)
				}
				if valid && k.Patient() {
					model[mailbox] = StateUndeliverable
				}
			case 3: // looked up
				c, err := tr.Conversation(ctx, patient, mailbox)
				if !strings.Contains(patient, "@") {
					continue // a bare matricule is looked up, never sent to
				}
				if (err == nil) != valid {
					t.Fatalf("Conversation(%q): %v", patient, err)
				}
				if valid && c.State != model[mailbox] {
					t.Fatalf("after %v: state %v, want %v", ops, c.State, model[mailbox])
				}
			}
		}
	})
}

func validPatient(addr string) bool {
	_, ok := PatientSender(HeaderMap{"From": addr})
	return ok
}

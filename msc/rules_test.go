package msc

import (
	"context"
	"errors"
	"io"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/limit"
	"github.com/mssante-go/sdk/mssante"
)

const (
	patientAddr = "279035121518989@patient.mssante.fr"
	otherAddr   = "295109912611193@patient.mssante.fr"
	proAddr     = "marie.martin@medecin.mssante.fr"
	orgAddr     = "secretariat@chu-exemple.mssante.fr"
)

func testPatient() *ins.Identity {
	id := qualified("279035121518989", ins.OIDNIRTest)
	id.Traits.BirthDate = time.Date(1979, 3, 28, 0, 0, 0, 0, time.UTC)
	return &id
}

// rules returns the rule ids of the findings at level lv.
func rules(f finding.List, lv finding.Level) []string {
	var out []string
	for _, x := range f {
		if x.Level == lv {
			out = append(out, x.Rule)
		}
	}
	return out
}

func TestPolicyRecipients(t *testing.T) {
	p := &Policy{}
	tests := []struct {
		name   string
		o      Outgoing
		errors []string
	}{
		{"patient alone", Outgoing{To: []string{patientAddr}, Size: 1000, Patient: testPatient()}, nil},
		{"patient and professionals", Outgoing{To: []string{patientAddr}, Cc: []string{proAddr, orgAddr}, Size: 1000}, nil},
		{"same patient twice", Outgoing{To: []string{patientAddr}, Cc: []string{"<279035121518989@PATIENT.mssante.fr>"}, Size: 1}, nil},
		{"two patients", Outgoing{To: []string{patientAddr}, Bcc: []string{otherAddr}, Size: 1}, []string{RuleOnePatient}},
		{"bad key", Outgoing{To: []string{"288091234567823@patient.mssante.fr"}, Size: 1}, []string{RuleAddress}},
		{"key dropped", Outgoing{To: []string{"2790351215189@patient.mssante.fr"}, Size: 1}, []string{RuleAddress}},
		{"auto-reply test mailbox", Outgoing{To: []string{ins.TestAutoReplyAddress}, Size: 1}, nil},
		{"wrong patient", Outgoing{To: []string{otherAddr}, Size: 1, Patient: testPatient()}, []string{RuleRightPatient}},
		{"too large", Outgoing{To: []string{patientAddr}, Size: mssante.PatientMaxMessageSize + 1}, []string{RuleSize}},
		{"at the limit", Outgoing{To: []string{patientAddr}, Size: mssante.PatientMaxMessageSize}, nil},
		{"professionals only, large", Outgoing{To: []string{proAddr}, Size: mssante.PatientMaxMessageSize * 2}, nil},
		{"opposed", Outgoing{To: []string{patientAddr}, Size: 1, Opposition: Opposition{ToPatient: true}}, []string{RuleOpposition}},
		{"opposed to pros", Outgoing{To: []string{proAddr}, Opposition: Opposition{ToProfessionals: true}}, []string{RuleOpposition}},
		{"reply-to patient", Outgoing{To: []string{patientAddr}, Size: 1, ReplyTo: []string{otherAddr}}, []string{RuleReplyTo}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := p.Check(&tt.o)
			if got := rules(f, finding.Error); strings.Join(got, ",") != strings.Join(tt.errors, ",") {
				t.Errorf("errors = %v, want %v\n%v", got, tt.errors, f)
			}
		})
	}
}

func TestPolicyUnqualified(t *testing.T) {
	id := testPatient()
	id.Status = ins.StatusValidated
	f := (&Policy{}).Check(&Outgoing{To: []string{patientAddr}, Size: 1, Patient: id})
	if got := rules(f, finding.Error); len(got) != 1 || got[0] != RuleQualified {
		t.Errorf("errors = %v", f)
	}
}

func TestPolicyMinor(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }
	p := &Policy{Now: now}
	child := qualified("279035121518989", ins.OIDNIRTest)
	child.Traits.BirthDate = time.Date(2010, 6, 2, 0, 0, 0, 0, time.UTC) // 17 until tomorrow
	parent := otherAddr

	f := p.Check(&Outgoing{To: []string{parent}, Size: 1, Patient: &child})
	if got := rules(f, finding.Error); len(got) != 1 || got[0] != RuleMinor {
		t.Errorf("to a parent: %v", f)
	}
	if f := p.Check(&Outgoing{To: []string{patientAddr}, Size: 1, Patient: &child}); f.HasErrors() {
		t.Errorf("to the minor: %v", f)
	}
	child.Traits.BirthDate = time.Date(2008, 6, 1, 0, 0, 0, 0, time.UTC) // 18 today
	f = p.Check(&Outgoing{To: []string{parent}, Size: 1, Patient: &child})
	if got := rules(f, finding.Error); len(got) != 1 || got[0] != RuleRightPatient {
		t.Errorf("adult: %v", f)
	}
	f = p.Check(&Outgoing{To: []string{parent}, Size: 1, Minor: true})
	if got := rules(f, finding.Warning); len(got) != 1 || got[0] != RuleMinor {
		t.Errorf("minor without identity: %v", f)
	}
}

func TestPolicyMatrix(t *testing.T) {
	p := &Policy{}
	patient := []string{patientAddr}
	pro := []string{proAddr}
	tests := []struct {
		name    string
		to, cc  []string
		c       Confidentiality
		level   string // "", "warning", "error"
		message string
	}{
		{"mixed, no flag", patient, pro, Confidentiality{}, "", ""},
		{"mixed, DMP", patient, pro, Confidentiality{DestDMP: true}, "", ""},
		{"mixed, masque PS", patient, pro, Confidentiality{MasquePS: true}, "error", "MASQUE_PS"},
		{"mixed, invisible rep", patient, pro, Confidentiality{InvisibleRepLegaux: true}, "error", "INVISIBLE_REP_LEGAUX"},
		{"mixed, invisible patient", patient, pro, Confidentiality{InvisiblePatient: true}, "error", "INVISIBLE_PATIENT"},
		{"patient, masque PS", patient, nil, Confidentiality{MasquePS: true, InvisibleRepLegaux: true}, "", ""},
		{"patient, DMP", patient, nil, Confidentiality{DestDMP: true}, "error", "DESTDMP=N"},
		{"patient, invisible patient", patient, nil, Confidentiality{InvisiblePatient: true}, "error", "never"},
		{"patient, secret", patient, nil, Confidentiality{ConnexionSecrete: true}, "error", "CONNEXION_SECRETE"},
		{"pros, invisible patient", pro, nil, Confidentiality{InvisiblePatient: true, MasquePS: true, DestDMP: true}, "", ""},
		{"pros, visible to patient", pro, nil, Confidentiality{}, "warning", "UNCONFIRMED"},
		{"pros, secret", pro, nil, Confidentiality{InvisiblePatient: true, ConnexionSecrete: true}, "error", "CONNEXION_SECRETE"},
		{"pros, invisible rep", pro, nil, Confidentiality{InvisiblePatient: true, InvisibleRepLegaux: true}, "error", "professional-only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			f := p.Check(&Outgoing{To: tt.to, Cc: tt.cc, Size: 1, Document: &c}).ByRule(RuleMatrix)
			if tt.level == "" {
				if len(f) != 0 {
					t.Fatalf("want no finding, got %v", f)
				}
				return
			}
			if len(f) != 1 || f[0].Level.String() != tt.level || !strings.Contains(f[0].Message, tt.message) {
				t.Fatalf("want one %s containing %q, got %v", tt.level, tt.message, f)
			}
		})
	}
	// A caller who confirmed the literal reading drops the tolerated row.
	strict := &Policy{Matrix: DefaultMatrix()[:3]}
	if f := strict.Check(&Outgoing{To: pro, Document: &Confidentiality{}}); !f.HasErrors() {
		t.Errorf("strict matrix: %v", f)
	}
}

func TestPolicyReplyToAndFIN(t *testing.T) {
	p := &Policy{}
	f := p.Check(&Outgoing{To: []string{patientAddr}, Size: 1, ReplyTo: []string{orgAddr}})
	if f.HasErrors() || len(f.ByRule(RuleReplyTo)) != 1 || f.ByRule(RuleReplyTo)[0].Level != finding.Info {
		t.Errorf("org Reply-To: %v", f)
	}
	f = p.Check(&Outgoing{To: []string{patientAddr}, Size: 1, ReplyTo: []string{"contact@example.com", orgAddr}})
	if got := rules(f, finding.Warning); len(got) != 2 {
		t.Errorf("two Reply-To, one outside: %v", f)
	}
	known := &Policy{IsMSSante: func(a string) bool { return a == "contact@example.com" }}
	if got := rules(known.Check(&Outgoing{To: []string{patientAddr}, Size: 1, ReplyTo: []string{"contact@example.com"}}), finding.Warning); len(got) != 0 {
		t.Errorf("IsMSSante: %v", got)
	}
	f = p.Check(&Outgoing{To: []string{patientAddr}, Cc: []string{proAddr}, Size: 1, MES: "FIN"})
	if len(f.ByRule(RuleFINCopy)) != 1 {
		t.Errorf("FIN with copy: %v", f)
	}
	f = p.Check(&Outgoing{To: []string{patientAddr}, Size: 1, Subject: "RE: [FIN]"})
	if len(f.ByRule(RuleClosingSubject)) != 1 {
		t.Errorf("near miss: %v", f)
	}
	if f := p.Check(&Outgoing{To: []string{patientAddr}}); len(f.ByRule(RuleSize)) != 1 || f.HasErrors() {
		t.Errorf("unknown size: %v", f)
	}
}

func TestNewOutgoing(t *testing.T) {
	h := HeaderMap{
		"To":        `"PAT-TROIS Dominique" <279035121518989@patient.mssante.fr>`,
		"Cc":        "Dr Marie MARTIN <marie.martin@medecin.mssante.fr>, secretariat@chu-exemple.mssante.fr",
		"Reply-To":  "secretariat@chu-exemple.mssante.fr",
		"Subject":   "Compte rendu",
		"X-MSS-MES": "FIN",
	}
	o, err := NewOutgoing(h)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.To) != 1 || o.To[0] != patientAddr || len(o.Cc) != 2 || len(o.ReplyTo) != 1 || o.MES != "FIN" {
		t.Fatalf("%+v", o)
	}
	// Tolerant: a display name net/mail refuses.
	o, err = NewOutgoing(HeaderMap{"To": "Dr. M. [cardio] <marie.martin@medecin.mssante.fr>"})
	if err != nil || len(o.To) != 1 || o.To[0] != proAddr {
		t.Fatalf("tolerant: %+v, %v", o, err)
	}
	if _, err := NewOutgoing(HeaderMap{"To": "patient, <>"}); !errors.Is(err, ins.ErrMalformedAddress) {
		t.Fatalf("malformed list: %v", err)
	}
}

func TestPolicyValidate(t *testing.T) {
	p := &Policy{}
	f, err := p.Validate(&Outgoing{To: []string{patientAddr, otherAddr}, Size: mssante.PatientMaxMessageSize + 1})
	var re *RefusedError
	if !errors.Is(err, ErrRefused) || !errors.As(err, &re) || len(re.Findings) != 2 || len(f) != 2 {
		t.Fatalf("%v, %v", f, err)
	}
	if !strings.Contains(err.Error(), "and 1 more") {
		t.Errorf("message: %v", err)
	}
	if _, err := p.Validate(&Outgoing{To: []string{patientAddr}, Size: 10}); err != nil {
		t.Errorf("valid: %v", err)
	}
}

// sizeTransport records that Send reached it.
type sizeTransport struct{ called bool }

func (s *sizeTransport) Send(context.Context, *mssante.Envelope, io.Reader) (*mssante.SendResult, error) {
	s.called = true
	return &mssante.SendResult{}, nil
}

// TestSizeLimitAgreesWithSend: a message between 25,000,000 bytes and 25 MiB
// to a patient is refused by mssante.Send and by Policy.Check alike (they
// once used 25<<20 and 25_000_000: such a message passed Send and failed
// the policy).
func TestSizeLimitAgreesWithSend(t *testing.T) {
	m := &mssante.Message{
		From: &mssante.Sender{Address: proAddr, Type: mssante.MailboxPER, GivenName: "Marie", FamilyName: "Martin", NIL: "DEV000000"},
		To:   []*mail.Address{{Address: patientAddr}},
		Text: "Bonjour",
		// 19 MB base64-encode to about 25.5 MB: over 25,000,000, under 25 MiB.
		Attachments: []*mssante.Attachment{{Filename: "big.bin", Data: make([]byte, 19_100_000)}},
	}
	o, err := NewOutgoingMessage(m)
	if err != nil {
		t.Fatal(err)
	}
	if o.Size <= mssante.PatientMaxMessageSize || o.Size >= 25<<20 {
		t.Fatalf("message of %d bytes is not between the two readings of 25 Mo", o.Size)
	}
	if fs := (&Policy{}).Check(o); len(fs.ByRule(RuleSize).Errors()) != 1 {
		t.Errorf("policy: %v", fs)
	}
	tr := &sizeTransport{}
	_, err = mssante.Send(context.Background(), tr, m, &mssante.SendOptions{MaxSize: -1})
	if le, ok := errors.AsType[*limit.Error](err); !ok || le.Max != mssante.PatientMaxMessageSize || tr.called {
		t.Errorf("Send: %v (transport called: %v)", err, tr.called)
	}
}

package mssante

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
)

type fakeSender struct{ refreshed int }

func (f *fakeSender) Send(context.Context, *Envelope, io.Reader) (*SendResult, error) {
	return &SendResult{}, nil
}
func (f *fakeSender) RefreshToken(context.Context) error { f.refreshed++; return nil }

type fakeReceiver struct{ refreshed int }

func (f *fakeReceiver) Receive(context.Context, func(context.Context, *Received) error) error {
	return nil
}
func (f *fakeReceiver) RefreshToken(context.Context) error { f.refreshed++; return nil }

// errOutside stands for the refusal of a RecipientChecker.
var errOutside = errors.New("outside the trust space")

func TestWithReceiverAddOns(t *testing.T) {
	s, r := &fakeSender{}, &fakeReceiver{}
	var tr Transport = WithReceiver(s, r)
	if _, ok := tr.(Receiver); !ok {
		t.Fatal("no Receiver add-on")
	}
	ref, ok := tr.(TokenRefresher)
	if !ok {
		t.Fatal("no TokenRefresher add-on")
	}
	if err := ref.RefreshToken(context.Background()); err != nil || s.refreshed != 1 || r.refreshed != 1 {
		t.Fatalf("refresh: %v %d %d", err, s.refreshed, r.refreshed)
	}
}

func TestTemporaryAndPartialErrors(t *testing.T) {
	temp := &SMTPError{Code: 451, EnhancedCode: "4.3.2", Message: "later"}
	perm := &SMTPError{Code: 550, EnhancedCode: "5.1.1", Message: "unknown"}
	res := &SendResult{Recipients: []RecipientResult{
		{Recipient: "a@x.fr", Status: StatusAccepted},
		{Recipient: "b@x.fr", Status: StatusTemporaryFailure, Err: temp},
	}}
	err := res.Err()
	if !IsTemporary(err) {
		t.Errorf("%v: not temporary", err)
	}
	var se *SMTPError
	if !errors.As(err, &se) || se.Code != 451 {
		t.Errorf("errors.As through PartialError: %v", se)
	}
	res.Recipients = append(res.Recipients, RecipientResult{Recipient: "c@x.fr", Status: StatusPermanentFailure,
		Err: fmt.Errorf("%w: gmail.com", errOutside)})
	err = res.Err()
	if IsTemporary(err) || !errors.Is(err, errOutside) {
		t.Errorf("%v", err)
	}
	if IsTemporary(perm) || !IsTemporary(fmt.Errorf("wrapped: %w", temp)) || IsTemporary(nil) || IsTemporary(errors.New("x")) {
		t.Error("IsTemporary on single errors")
	}
	if (&SendResult{Recipients: []RecipientResult{{Status: StatusAccepted}}}).Err() != nil {
		t.Error("all accepted must give a nil error")
	}
}

func TestUnknownOutcome(t *testing.T) {
	conn := fmt.Errorf("read: %w", io.ErrUnexpectedEOF)
	res := &SendResult{Recipients: []RecipientResult{
		{Recipient: "a@x.fr", Status: StatusUnknown, Err: &UnknownOutcomeError{Err: conn}},
		{Recipient: "b@x.fr", Status: StatusTemporaryFailure, Err: &SMTPError{Code: 451, Message: "later"}},
	}}
	err := res.Err()
	if !IsOutcomeUnknown(err) || !errors.Is(err, io.ErrUnexpectedEOF) || IsTemporary(err) {
		t.Fatalf("%v: want unknown, not temporary", err)
	}
	if IsTemporary(&UnknownOutcomeError{Err: &SMTPError{Code: 421}}) {
		t.Error("an unknown outcome must not be temporary")
	}
	if IsOutcomeUnknown(&SMTPError{Code: 451}) || StatusUnknown.String() != "unknown" {
		t.Error("IsOutcomeUnknown or String")
	}
}

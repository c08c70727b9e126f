package mssantetest_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

// TestListeBlanche: the operator's liste blanche reads as the national one
// and admits its mailboxes and patients, not the rest of the world.
func TestListeBlanche(t *testing.T) {
	op := mssantetest.NewOperator(t, nil)
	wl, fs, err := annuaire.ParseWhitelist(bytes.NewReader(op.ListeBlanche()), nil)
	if err != nil || fs.HasErrors() {
		t.Fatalf("%v %v", err, fs)
	}
	c := &annuaire.RecipientChecker{Whitelist: wl}
	for _, mb := range op.Mailboxes() {
		if err := c.CheckRecipient(context.Background(), mb.Address); err != nil {
			t.Errorf("%s: %v", mb.Address, err)
		}
	}
	for _, p := range op.Patients() {
		if err := c.CheckRecipient(context.Background(), p.Address()); err != nil {
			t.Errorf("%s: %v", p.Address(), err)
		}
	}
	if err := c.CheckRecipient(context.Background(), "x@gmail.com"); !errors.Is(err, annuaire.ErrOutsideTrustSpace) {
		t.Errorf("gmail: %v", err)
	}
	_, domain, _ := strings.Cut(mssantetest.DefaultDoctor, "@")
	d, _ := wl.Lookup(domain)
	if len(d.Operators) != 1 || d.Operators[0].Organization() == "" {
		t.Errorf("%+v", d)
	}
}

package mssante

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/hostile"
	"github.com/mssante-go/sdk/limit"
)

func TestReadMessageBudget(t *testing.T) {
	e, err := hostile.NewEntry(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	var zip, eml bytes.Buffer
	if err := hostile.XDM(&zip, e, 3); err != nil {
		t.Fatal(err)
	}
	if err := hostile.Email(&eml, zip.Bytes(), 1); err != nil {
		t.Fatal(err)
	}
	// 3 listings of 1 MiB do not fit in 2 MiB: refused before inflating.
	_, err = Read(bytes.NewReader(eml.Bytes()), &ReadOptions{Limits: ReadLimits{Budget: 2 << 20}})
	var le *limit.Error
	if !errors.As(err, &le) || le.Limit != limit.MessageBudget || le.Max != 2<<20 {
		t.Fatalf("%v", err)
	}
	in, err := Read(bytes.NewReader(eml.Bytes()), nil)
	if err != nil {
		t.Fatal(err)
	}
	docs := in.XDM.Documents
	if len(docs) != 3 || len(docs[0].Content) != 1<<20 || &docs[0].Content[0] != &docs[2].Content[0] {
		t.Fatalf("%d documents; the listings of one entry must share one copy", len(docs))
	}
	for _, d := range docs {
		if d.Integrity != "ok" {
			t.Fatalf("%s", d.Integrity)
		}
	}
	// The decoded parts count too.
	big := "From: a@b.mssante.fr\r\nTo: c@d.mssante.fr\r\nSubject: s\r\n\r\n" + strings.Repeat("0123456789\r\n", 200_000)
	if _, err := Read(strings.NewReader(big), &ReadOptions{Limits: ReadLimits{Budget: 1 << 20}}); !errors.As(err, &le) || le.Limit != limit.MessageBudget {
		t.Fatalf("text body: %v", err)
	}
}

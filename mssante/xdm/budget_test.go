package xdm

import (
	"bytes"
	"errors"
	"testing"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/internal/hostile"
	"github.com/mssante-go/sdk/limit"
)

// hostileArchive lists one entry of size bytes listings times.
func hostileArchive(t *testing.T, size int64, listings int) []byte {
	t.Helper()
	e, err := hostile.NewEntry(size)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := hostile.XDM(&b, e, listings); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestEachEntryInflatedOnce(t *testing.T) {
	const size, listings = 1 << 20, 5
	b := hostileArchive(t, size, listings)
	a := readBytes(t, b, &ReadOptions{KeepContent: true})
	if len(a.Documents) != listings {
		t.Fatalf("%d documents", len(a.Documents))
	}
	meta := a.budget.Used() // METADATA.XML
	fs := a.Verify()
	if fs.HasErrors() {
		t.Fatalf("%v", fs.Errors())
	}
	if len(a.states) != 1 {
		t.Fatalf("%d entries read", len(a.entries))
	}
	// Inflated once, counted once per listing.
	if got := a.budget.Used() - meta; got != listings*size {
		t.Fatalf("budget charged %d, want %d", got, listings*size)
	}
	for _, d := range a.Documents {
		if d.Integrity.Status() != "ok" {
			t.Fatalf("%s: %s", d.Entry.EntryUUID, d.Integrity.Status())
		}
	}
	c0, err := a.Documents[0].Content()
	if err != nil {
		t.Fatal(err)
	}
	c4, _ := a.Documents[4].Content()
	if len(c0) != size || &c0[0] != &c4[0] {
		t.Fatal("the listings of one entry do not share its bytes")
	}
	used := a.budget.Used()
	a.Verify()
	if a.budget.Used() != used {
		t.Fatal("a second Verify read again")
	}
}

func TestArchiveBudget(t *testing.T) {
	b := hostileArchive(t, 1<<20, 10)
	// Refused before anything is inflated: 10 listings of 1 MiB do not fit in 4 MiB.
	_, err := Read(bytes.NewReader(b), int64(len(b)), &ReadOptions{MaxTotalSize: 4 << 20})
	var le *limit.Error
	if !errors.As(err, &le) || le.Limit != limit.ArchiveBudget || le.Max != 4<<20 {
		t.Fatalf("Read: %v", err)
	}
	// Within a message budget that runs out first: the message is named.
	msg := limit.NewBudget("message", limit.MessageBudget, 2<<20, nil)
	_, err = Read(bytes.NewReader(b), int64(len(b)), &ReadOptions{Within: msg})
	if !errors.As(err, &le) || le.Limit != limit.MessageBudget {
		t.Fatalf("Read within: %v", err)
	}
	// Within the budget: everything verified and counted in the parent too.
	msg = limit.NewBudget("message", limit.MessageBudget, 20<<20, nil)
	a := readBytes(t, b, &ReadOptions{Within: msg})
	if fs := a.Verify(); fs.HasErrors() || a.Exceeded() != nil {
		t.Fatalf("%v %v", fs.Errors(), a.Exceeded())
	}
	if msg.Used() < 10<<20 {
		t.Fatalf("message charged %d", msg.Used())
	}
}

func TestVerifyStopsWhenTheBudgetRunsOut(t *testing.T) {
	b := hostileArchive(t, 1<<20, 4)
	a := readBytes(t, b, nil)
	a.budget.Spend(DefaultMaxTotalSize - 2<<20 - a.budget.Used()) // room for two listings
	fs := a.Verify()
	if !hasRule(fs, "XDM-BUDGET", finding.Error) || !errors.Is(a.Exceeded(), limit.ErrExceeded) {
		t.Fatalf("%v", fs)
	}
	if a.Documents[1].Integrity.Status() != "ok" || a.Documents[3].Integrity.Status() != "unchecked" {
		t.Fatalf("%s %s", a.Documents[1].Integrity.Status(), a.Documents[3].Integrity.Status())
	}
	if _, err := a.Documents[3].Content(); !errors.Is(err, limit.ErrExceeded) {
		t.Fatalf("Content after the budget ran out: %v", err)
	}
}

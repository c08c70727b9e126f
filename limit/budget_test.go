package limit_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/limit"
)

func TestBudgetWithinParent(t *testing.T) {
	msg := limit.NewBudget("message", limit.MessageBudget, 100, nil)
	arch := limit.NewBudget("IHE_XDM.ZIP", limit.ArchiveBudget, 80, msg)
	if err := arch.Spend(50); err != nil {
		t.Fatal(err)
	}
	if msg.Used() != 50 || arch.Left() != 30 {
		t.Fatalf("used %d, left %d", msg.Used(), arch.Left())
	}
	if err := msg.Spend(40); err != nil { // the message spends elsewhere
		t.Fatal(err)
	}
	if arch.Left() != 10 {
		t.Fatalf("left %d, want the parent's 10", arch.Left())
	}
	// The parent runs out first: its name is the one reported.
	err := arch.Check(20)
	var le *limit.Error
	if !errors.As(err, &le) || le.Limit != limit.MessageBudget || le.Max != 100 || le.Value != 110 || !errors.Is(err, limit.ErrExceeded) {
		t.Fatalf("Check: %v", err)
	}
	if msg.Used() != 90 {
		t.Fatal("Check spent")
	}
	err = arch.Spend(35) // archive 85 > 80 and message 125 > 100: the archive is named
	if !errors.As(err, &le) || le.Limit != limit.ArchiveBudget || le.Value != 85 {
		t.Fatalf("Spend: %v", err)
	}
	if err := arch.Spend(0); err == nil {
		t.Fatal("a budget that ran out stays out")
	}
	var none *limit.Budget
	if none.Spend(1<<40) != nil || none.Check(1<<40) != nil || none.Used() != 0 || none.Reader(strings.NewReader("x")) == nil {
		t.Fatal("nil budget")
	}
}

func TestBudgetReader(t *testing.T) {
	b := limit.NewBudget("IHE_XDM.ZIP", limit.ArchiveBudget, 1000, nil)
	n, err := io.Copy(io.Discard, b.Reader(bytes.NewReader(make([]byte, 999))))
	if err != nil || n != 999 {
		t.Fatalf("%d %v", n, err)
	}
	n, err = io.Copy(io.Discard, b.Reader(bytes.NewReader(make([]byte, 10))))
	if !errors.Is(err, limit.ErrExceeded) || n > 10 {
		t.Fatalf("%d %v", n, err)
	}
}

func TestReadAllStopsAtMax(t *testing.T) {
	src := &countReader{n: 1 << 30}
	_, err := limit.ReadAll(src, "message", 1<<20)
	var le *limit.Error
	if !errors.As(err, &le) || le.Limit != limit.Size || le.What != "message" {
		t.Fatalf("%v", err)
	}
	if src.read > 1<<20+1 {
		t.Fatalf("read %d bytes of a 1 GiB input for a limit of 1 MiB", src.read)
	}
	b, err := limit.ReadAll(strings.NewReader(strings.Repeat("ab", 5<<20)), "x", 10<<20)
	if err != nil || len(b) != 10<<20 || b[0] != 'a' || b[len(b)-1] != 'b' {
		t.Fatalf("%d %v", len(b), err)
	}
	if b, err := limit.ReadAll(strings.NewReader(""), "x", 0); err != nil || len(b) != 0 {
		t.Fatalf("%q %v", b, err)
	}
}

type countReader struct{ n, read int64 }

func (c *countReader) Read(p []byte) (int, error) {
	if c.read >= c.n {
		return 0, io.EOF
	}
	n := min(int64(len(p)), c.n-c.read)
	c.read += n
	return int(n), nil
}

func ExampleBudget() {
	message := limit.NewBudget("message", limit.MessageBudget, 100, nil)
	archive := limit.NewBudget("IHE_XDM.ZIP", limit.ArchiveBudget, 80, message)
	message.Spend(30) // a part decoded
	_, err := io.Copy(io.Discard, archive.Reader(strings.NewReader(strings.Repeat("x", 75))))
	fmt.Println(err)
	// Output: message: message budget 105 exceeds the limit of 100
}

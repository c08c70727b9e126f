package limit_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/mssante-go/sdk/limit"
)

func TestError(t *testing.T) {
	err := fmt.Errorf("reading: %w", &limit.Error{What: "CDA document", Limit: limit.Depth, Max: 256})
	var le *limit.Error
	if !errors.Is(err, limit.ErrExceeded) || !errors.As(err, &le) || le.Limit != limit.Depth || le.Max != 256 {
		t.Fatalf("errors.Is/As on %v", err)
	}
	if got := le.Error(); got != "CDA document exceeds the depth limit (256)" {
		t.Errorf("Error() = %q", got)
	}
	sized := &limit.Error{What: "message", Limit: limit.Size, Max: 25_000_000, Value: 25_500_000}
	if got := sized.Error(); got != "message: size 25500000 exceeds the limit of 25000000" {
		t.Errorf("Error() = %q", got)
	}
	if got := (&limit.Error{Limit: limit.Parts, Max: 3}).Error(); got != "input exceeds the parts limit (3)" {
		t.Errorf("Error() = %q", got)
	}
}

func ExampleError() {
	err := fmt.Errorf("xdm: %w", &limit.Error{What: "IHE_XDM.ZIP", Limit: limit.Entries, Max: 1000, Value: 5000})
	var le *limit.Error
	if errors.As(err, &le) {
		fmt.Println(le.Limit, le.Max, errors.Is(err, limit.ErrExceeded))
	}
	// Output: entries 1000 true
}

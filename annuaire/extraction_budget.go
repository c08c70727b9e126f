package annuaire

import (
	"fmt"
	"io"

	"github.com/mssante-go/sdk/limit"
)

// The budget of a directory load (LoadOptions.MaxBytes and MaxRows). The
// real extraction has about 540,000 rows in 90 MB of text and shrinks
// slowly; the defaults leave it room to grow more than four times, and
// bound what a hostile file (a small ZIP that inflates to millions of valid
// rows) can cost: an index takes about 200 bytes of memory per row, so the
// default row budget is about 500 MB.
const (
	DefaultMaxBytes = 512 << 20 // bytes of text read, after decompression
	DefaultMaxRows  = 2_500_000 // rows accepted (good lines, duplicates included)
)

// The budgets' names in a *limit.Error that are the extraction's own (the
// bytes of text are limit.Size).
const (
	limitRows  = "row count"
	limitLines = "line count" // what the index can number: 2^32 lines
)

// loadLimit reports a budget of LoadOptions exceeded: a *limit.Error
// (errors.Is limit.ErrExceeded) naming the budget and the option that sets
// it. The load stops there; nothing of it is kept.
func loadLimit(name, option string, max int64) error {
	return fmt.Errorf("annuaire: %w (LoadOptions.%s)", &limit.Error{What: "extraction", Limit: name, Max: max}, option)
}

func bytesLimit(max int64) error { return loadLimit(limit.Size, "MaxBytes", max) }

// budget returns the effective budget of a LoadOptions value: zero means
// the default, negative no limit.
func budget[T int | int64](v, def T) T {
	switch {
	case v == 0:
		return def
	case v < 0:
		return -1
	}
	return v
}

// budgetReader counts the bytes read from r and fails with err once there
// are more than max.
type budgetReader struct {
	r      io.Reader
	n, max int64
	err    error
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.n > b.max {
		return 0, b.err
	}
	if left := b.max - b.n; int64(len(p)) > left {
		p = p[:left+1] // one more, to tell "exactly max" from "more"
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	if b.n > b.max {
		return n, b.err
	}
	return n, err
}

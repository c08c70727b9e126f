package limit

import (
	"io"
	"math"
	"sync/atomic"
)

// Names of the work budgets, the values of Error.Limit when a Budget runs
// out.
const (
	// MessageBudget is the bytes a message reader decodes and inflates
	// for one message: every MIME part decoded, every archive entry
	// inflated, every document kept (mssante.Read, Lint, ParseReport).
	MessageBudget = "message budget"
	// ArchiveBudget is the bytes inflated from one IHE_XDM.ZIP archive:
	// METADATA.XML and each document, counted once per listing in
	// METADATA.XML even when the entry itself is inflated once.
	ArchiveBudget = "archive budget"
)

// The default budgets, in one place; each reader's options document the
// field that changes them.
const (
	// DefaultMessageBudget bounds what one message costs to read
	// (mssante.ReadLimits.Budget): 256 MiB decoded and inflated. A message
	// is at most 64 MiB raw (mssante.DefaultMaxReadSize); its documents,
	// once inflated, are a few times that at most.
	DefaultMessageBudget int64 = 256 << 20
	// DefaultArchiveBudget bounds what one archive costs to read and verify
	// (xdm.ReadOptions.MaxTotalSize): 512 MiB inflated.
	DefaultArchiveBudget int64 = 512 << 20
	// DefaultInputSize bounds the files the command-line tool reads whole
	// (a message to send or to answer, a configuration, a cursor file)
	// unless the command has a limit of its own: 64 MiB.
	DefaultInputSize int64 = 64 << 20
)

// Budget counts the bytes spent on one unit of work (a message, an
// archive) and refuses to go beyond its maximum. A budget may sit within
// another (an archive within its message): what is spent on it is spent on
// its parent too, and the first one to run out is the one named in the
// error. The bytes are counted as they are read or produced, never taken
// from what a file declares.
//
// A nil *Budget has no limit. A Budget is safe for concurrent use.
type Budget struct {
	what, name string
	max        int64 // <= 0: no limit of its own
	parent     *Budget
	used       atomic.Int64
}

// NewBudget returns a budget of max bytes (max <= 0: no limit of its own)
// for what ("message", "IHE_XDM.ZIP"...) under the limit name (MessageBudget,
// ArchiveBudget...), within parent (nil for none).
func NewBudget(what, name string, max int64, parent *Budget) *Budget {
	return &Budget{what: what, name: name, max: max, parent: parent}
}

// Spend records n more bytes. It returns a *Error naming the budget that
// ran out (this one or a parent), with Value the bytes it would have
// reached; the bytes are recorded anyway, so that every later Spend fails
// too.
func (b *Budget) Spend(n int64) error {
	var first error
	for x := b; x != nil; x = x.parent {
		used := x.used.Add(n)
		if first == nil && x.max > 0 && used > x.max {
			first = &Error{What: x.what, Limit: x.name, Max: x.max, Value: used}
		}
	}
	return first
}

// Check returns the error Spend(n) would return, without spending: a
// reader uses it to refuse, before any work, what the input declares.
func (b *Budget) Check(n int64) error {
	for x := b; x != nil; x = x.parent {
		if used := x.used.Load(); x.max > 0 && used+n > x.max {
			return &Error{What: x.what, Limit: x.name, Max: x.max, Value: used + n}
		}
	}
	return nil
}

// Left returns the bytes that can still be spent (the smallest left of the
// budget and its parents), math.MaxInt64 when there is no limit.
func (b *Budget) Left() int64 {
	left := int64(math.MaxInt64)
	for x := b; x != nil; x = x.parent {
		if x.max > 0 {
			left = min(left, max(x.max-x.used.Load(), 0))
		}
	}
	return left
}

// Used returns the bytes spent on this budget (0 for nil).
func (b *Budget) Used() int64 {
	if b == nil {
		return 0
	}
	return b.used.Load()
}

// Reader returns a reader that spends on b every byte read from r and
// fails with the *Error of Spend once the budget runs out.
func (b *Budget) Reader(r io.Reader) io.Reader {
	if b == nil {
		return r
	}
	return &budgetReader{r: r, b: b}
}

type budgetReader struct {
	r   io.Reader
	b   *Budget
	err error
}

func (br *budgetReader) Read(p []byte) (int, error) {
	if br.err != nil {
		return 0, br.err
	}
	n, err := br.r.Read(p)
	if n > 0 {
		if e := br.b.Spend(int64(n)); e != nil {
			br.err = e
			return n, e
		}
	}
	return n, err
}

// NewReader returns a reader of r that fails with a *Error (Limit Size, What
// what) as soon as more than max bytes were read: the input is refused
// while it is read, before it is held. max <= 0 means no limit.
func NewReader(r io.Reader, what string, max int64) io.Reader {
	if max <= 0 {
		return r
	}
	return &sizeReader{r: r, what: what, max: max}
}

// ReadAll reads r to the end, at most max bytes (max <= 0: no limit); more
// is a *Error (Limit Size), returned before more than max+1 bytes are
// held. It reads in chunks of at most 4 MiB and joins them at the end, so
// that an input it refuses never costs more than max plus one chunk
// (io.ReadAll's doubling buffer would hold up to twice that).
func ReadAll(r io.Reader, what string, max int64) ([]byte, error) {
	r = NewReader(r, what, max)
	var chunks [][]byte
	total, size := 0, 4<<10
	for {
		buf := make([]byte, size)
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			chunks = append(chunks, buf[:n])
			total += n
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, err
		}
		size = min(size*2, 4<<20)
	}
	if len(chunks) == 1 {
		return chunks[0], nil
	}
	out := make([]byte, 0, total)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return out, nil
}

type sizeReader struct {
	r    io.Reader
	what string
	n    int64
	max  int64
}

func (s *sizeReader) Read(p []byte) (int, error) {
	if s.n > s.max {
		return 0, &Error{What: s.what, Limit: Size, Max: s.max}
	}
	if rest := s.max + 1 - s.n; int64(len(p)) > rest {
		p = p[:rest] // never read (nor hold) more than one byte past max
	}
	n, err := s.r.Read(p)
	s.n += int64(n)
	if s.n > s.max {
		return n, &Error{What: s.what, Limit: Size, Max: s.max}
	}
	return n, err
}

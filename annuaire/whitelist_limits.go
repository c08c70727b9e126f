package annuaire

import (
	"bytes"
	"fmt"
	"io"

	"github.com/mssante-go/sdk/limit"
)

// Default budgets of ParseWhitelist. The signed list of 2025-02-28 is
// 3.7 MB, 6,494 entries, about 45,500 elements and 4 levels deep; its
// longest token is the signer certificate (about 3 KB of base64).
const (
	DefaultWhitelistMaxBytes      = 8 << 20
	DefaultWhitelistMaxDepth      = 16
	DefaultWhitelistMaxTokenBytes = 64 << 10
	DefaultWhitelistMaxElements   = 150_000
)

// The budgets' names in a *limit.Error that are the liste blanche's own
// (the others are limit.Size and limit.Depth).
const (
	limitToken    = "token size"
	limitElements = "element count"
)

// limitError reports a budget of WhitelistOptions exceeded: a *limit.Error
// (errors.Is limit.ErrExceeded) that names the budget and the option that
// sets it, wrapped with ErrWhitelist. The budget is enforced on the bytes
// actually read, before the over-long token, the surplus elements or the
// surplus bytes are kept anywhere: a hostile file costs at most the budget.
func limitError(name, option string, max int64) error {
	return fmt.Errorf("%w: %w (WhitelistOptions.%s)", ErrWhitelist, &limit.Error{What: "liste blanche", Limit: name, Max: max}, option)
}

// lexState is where xmlGuard stands in the XML syntax.
type lexState uint8

const (
	lexText    lexState = iota // character data
	lexOpen                    // just read '<'
	lexBang                    // "<!": a comment, a CDATA section or a DTD
	lexTag                     // a start or end tag, attributes included
	lexComment                 // "<!-- ... -->"
	lexCDATA                   // "<![CDATA[ ... ]]>"
	lexPI                      // "<? ... ?>"
)

// xmlGuard sits between the input and encoding/xml. encoding/xml has no
// limit of its own: it holds a whole attribute value, text run, comment or
// CDATA section in memory before returning it. The guard follows the lexical
// structure of XML (where a tag, a comment, a CDATA section, a processing
// instruction and a run of text begin and end, quotes included) and fails
// the read as soon as one of them exceeds maxToken bytes, or the document
// maxBytes. It refuses document type declarations: a liste blanche has none,
// and a DTD is where entity tricks live. It keeps a copy of what it let
// through in buf, for the signature check.
type xmlGuard struct {
	r        io.Reader
	maxBytes int64
	maxToken int
	buf      *bytes.Buffer

	n     int64    // bytes read
	st    lexState // current state
	run   int      // bytes of the current token
	quote byte     // in a tag: the quote of the attribute value being read, or 0
	match int      // progress through the end sequence ("-->", "]]>", "?>") or "<![CDATA[" prefix
	err   error
}

func newXMLGuard(r io.Reader, o *WhitelistOptions, buf *bytes.Buffer) *xmlGuard {
	return &xmlGuard{r: r, maxBytes: o.MaxBytes, maxToken: o.MaxTokenBytes, buf: buf}
}

func (g *xmlGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	if rest := g.maxBytes + 1 - g.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	if g.n > g.maxBytes {
		g.err = limitError(limit.Size, "MaxBytes", g.maxBytes)
		return 0, g.err
	}
	if serr := g.scan(p[:n]); serr != nil {
		g.err = serr
		return 0, serr
	}
	if g.buf != nil {
		g.buf.Write(p[:n])
	}
	return n, err
}

// scan advances the lexical state over p.
func (g *xmlGuard) scan(p []byte) error {
	for _, b := range p {
		g.run++
		switch g.st {
		case lexText:
			if b == '<' {
				g.st, g.run = lexOpen, 1
			}
		case lexOpen:
			switch b {
			case '!':
				g.st, g.match = lexBang, 0
			case '?':
				g.st, g.match = lexPI, 0
			case '>':
				g.st, g.run = lexText, 0
			default:
				g.st, g.quote = lexTag, 0
			}
		case lexBang:
			// After "<!": "--" opens a comment, "[CDATA[" a CDATA section.
			const cdata = "[CDATA["
			switch {
			case g.match == 0 && b == '-':
				g.match = -1
			case g.match == -1 && b == '-':
				g.st, g.match = lexComment, 0
			case g.match >= 0 && b == cdata[g.match]:
				g.match++
				if g.match == len(cdata) {
					g.st, g.match = lexCDATA, 0
				}
			default:
				return fmt.Errorf("%w: a document type declaration or another <! construct at byte %d: not accepted in a liste blanche", ErrWhitelist, g.n)
			}
		case lexTag:
			switch {
			case g.quote != 0:
				if b == g.quote {
					g.quote = 0
				}
			case b == '"' || b == '\'':
				g.quote = b
			case b == '>':
				g.st, g.run = lexText, 0
			}
		case lexComment:
			g.endSeq(b, '-', 2)
		case lexCDATA:
			g.endSeq(b, ']', 2)
		case lexPI:
			g.endSeq(b, '?', 1)
		}
		if g.run > g.maxToken {
			return limitError(limitToken, "MaxTokenBytes", int64(g.maxToken))
		}
	}
	return nil
}

// endSeq follows an end sequence made of want repeated k times then '>'
// ("-->", "]]>", "?>").
func (g *xmlGuard) endSeq(b, c byte, k int) {
	switch {
	case b == c:
		if g.match < k {
			g.match++
		}
	case b == '>' && g.match == k:
		g.st, g.run, g.match = lexText, 0, 0
	default:
		g.match = 0
	}
}

package annuaire_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/limit"
)

// hostileStream yields head, then body repeated until size bytes in all,
// then tail, without ever holding more than one copy of each: a 60 MB
// hostile liste blanche costs the test nothing.
type hostileStream struct {
	head, body, tail string
	size             int64
	n                int64 // bytes served
}

func (h *hostileStream) Read(p []byte) (int, error) {
	i := 0
	for i < len(p) {
		var src string
		var off int64
		bodyEnd := h.size - int64(len(h.tail))
		switch {
		case h.n < int64(len(h.head)):
			src, off = h.head, h.n
		case h.n < bodyEnd:
			off = (h.n - int64(len(h.head))) % int64(len(h.body))
			src = h.body
			if rest := bodyEnd - h.n; int64(len(src))-off > rest {
				src = src[:off+rest]
			}
		case h.n < h.size:
			src, off = h.tail, h.n-bodyEnd
		default:
			if i == 0 {
				return 0, io.EOF
			}
			return i, nil
		}
		c := copy(p[i:], src[off:])
		i += c
		h.n += int64(c)
	}
	return i, nil
}

const hostileSize = 60 << 20 // the 60 MB attribute of the issue

const lbHead = `<?xml version="1.0" encoding="UTF-8"?><ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema">`

// hostileCases are documents built to make a reader without limits hold
// tens of megabytes: the budget each must hit.
var hostileCases = []struct {
	name  string
	limit string
	gen   func() *hostileStream
}{
	{"attribute", "token size", func() *hostileStream {
		return &hostileStream{head: `<ListeBlancheMSSante a="`, body: "aaaaaaaaaaaaaaaa", tail: `"/>`, size: hostileSize}
	}},
	{"attribute with > inside", "token size", func() *hostileStream {
		return &hostileStream{head: `<ListeBlancheMSSante a='`, body: "a>b>c>d>", tail: `'/>`, size: hostileSize}
	}},
	{"many attributes", "token size", func() *hostileStream {
		return &hostileStream{head: `<ListeBlancheMSSante`, body: ` xmlns:a="b"`, tail: `/>`, size: hostileSize}
	}},
	{"text", "token size", func() *hostileStream {
		return &hostileStream{head: lbHead + `<DateDeGeneration>`, body: "2025-02-28T15:42:07Z", tail: `</DateDeGeneration></ListeBlancheMSSante>`, size: hostileSize}
	}},
	{"text in pieces", "token size", func() *hostileStream {
		return &hostileStream{head: lbHead + `<ListeDomaines><Domaine><Nom>`, body: "aaaa<!---->", tail: `</Nom></Domaine></ListeDomaines></ListeBlancheMSSante>`, size: hostileSize}
	}},
	{"comment", "token size", func() *hostileStream {
		return &hostileStream{head: lbHead + `<!--`, body: "<a>-<b>", tail: `-->`, size: hostileSize}
	}},
	{"CDATA", "token size", func() *hostileStream {
		return &hostileStream{head: lbHead + `<ListeDomaines><Domaine><Nom><![CDATA[`, body: "<a></a>]]", tail: `]]></Nom></Domaine></ListeDomaines></ListeBlancheMSSante>`, size: hostileSize}
	}},
	{"processing instruction", "token size", func() *hostileStream {
		return &hostileStream{head: lbHead + `<?pi `, body: "<a>?", tail: `?>`, size: hostileSize}
	}},
	{"elements", "element count", func() *hostileStream {
		return &hostileStream{head: lbHead + `<ListeDomaines>`, body: `<Domaine/>`, tail: `</ListeDomaines></ListeBlancheMSSante>`, size: hostileSize}
	}},
	{"depth", "depth", func() *hostileStream {
		return &hostileStream{head: lbHead, body: `<a>`, tail: ``, size: hostileSize}
	}},
	{"bytes", "size", func() *hostileStream {
		h := &hostileStream{head: lbHead + `<ListeDomaines>`, tail: `</ListeDomaines></ListeBlancheMSSante>`, size: hostileSize}
		// Entries of 2 KB, each a new domain: 8 MiB hold 4,000 of them,
		// under the element budget.
		var b strings.Builder
		for i := range 64 {
			fmt.Fprintf(&b, `<Domaine><Nom>d%02d.mssante.fr</Nom><Description>%s</Description></Domaine>`, i, strings.Repeat("x", 2000))
		}
		h.body = b.String()
		return h
	}},
}

// TestWhitelistBudgets: each hostile document is refused with a
// *limit.Error naming the budget, after reading little more than the budget.
func TestWhitelistBudgets(t *testing.T) {
	for _, tc := range hostileCases {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.gen()
			_, _, err := annuaire.ParseWhitelist(h, nil)
			var le *limit.Error
			if !errors.As(err, &le) || le.Limit != tc.limit || !errors.Is(err, limit.ErrExceeded) || !errors.Is(err, annuaire.ErrWhitelist) ||
				!strings.Contains(err.Error(), tc.limit) {
				t.Fatalf("got %v", err)
			}
			budget := int64(annuaire.DefaultWhitelistMaxTokenBytes)
			switch {
			case tc.limit == "size" || tc.limit == "element count":
				budget = annuaire.DefaultWhitelistMaxBytes
			case tc.name == "text in pieces": // 4 bytes of text kept per 11 read
				budget *= 3
			}
			if h.n > budget+64<<10 {
				t.Errorf("read %d bytes before refusing (budget %d)", h.n, budget)
			}
		})
	}
	// A budget set in the options.
	_, _, err := annuaire.ParseWhitelist(strings.NewReader(genList(fixedTime, 100)), &annuaire.WhitelistOptions{MaxElements: 50})
	var le *limit.Error
	if !errors.As(err, &le) || le.Limit != "element count" || le.Max != 50 {
		t.Errorf("MaxElements 50: %v", err)
	}
}

package annuaire

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/limit"
)

const specWhitelist = "annuaire.md §4; mssante.md §10"

// WhitelistNamespace is the XML namespace of listeblanchemssante.xml.
const WhitelistNamespace = "https://listeblanche.mssante.fr/schema"

// Operator is one entry of a domain in the liste blanche: the operator's
// server certificate and its contacts. A domain has one entry per operator
// certificate.
type Operator struct {
	// DN is the DNCertificatOperateur as published
	// ("CN=medimail-asip.mipih.fr,OU=318310021300028,O=GIP MIPIH,...").
	DN          string    `json:"dn"`
	Description string    `json:"description,omitempty"`
	Responsible string    `json:"responsible,omitempty"`
	Support     string    `json:"support,omitempty"`
	Updated     time.Time `json:"updated,omitzero"` // DateMAJ
}

// Organization returns the O= attribute of the DN (the operator's name).
func (o Operator) Organization() string { return dnAttr(o.DN, "O") }

// dnAttr returns the first value of attribute name in a string DN,
// tolerating spaces after commas and around '='.
func dnAttr(dn, name string) string {
	for _, part := range strings.Split(dn, ",") {
		k, v, ok := strings.Cut(part, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Domain is a domain of the trust space with its operators.
type Domain struct {
	Name      string     `json:"name"` // lower case
	Operators []Operator `json:"operators"`
}

// Whitelist is a parsed liste blanche. It is immutable and safe for
// concurrent use.
type Whitelist struct {
	// Generated is DateDeGeneration (zero when absent or unreadable).
	Generated time.Time
	// Entries counts the well-formed <Domaine> entries read (before grouping).
	Entries int
	domains map[string]*Domain
	// SHA256 is the hex SHA-256 of the document, set by WhitelistRefresher.
	SHA256 string
}

// Len returns the number of distinct domains (0 for a nil list).
func (w *Whitelist) Len() int {
	if w == nil {
		return 0
	}
	return len(w.domains)
}

// Lookup returns the entry of a domain (case-insensitive, trailing dot
// ignored).
func (w *Whitelist) Lookup(domain string) (Domain, bool) {
	if w == nil {
		return Domain{}, false
	}
	d, ok := w.domains[normDomain(domain)]
	if !ok {
		return Domain{}, false
	}
	return *d, true
}

// Contains reports whether a domain is in the liste blanche.
func (w *Whitelist) Contains(domain string) bool {
	if w == nil {
		return false
	}
	_, ok := w.domains[normDomain(domain)]
	return ok
}

// OperatorDNs returns the operator certificate DNs of a domain.
func (w *Whitelist) OperatorDNs(domain string) []string {
	d, ok := w.Lookup(domain)
	if !ok {
		return nil
	}
	out := make([]string, len(d.Operators))
	for i, o := range d.Operators {
		out[i] = o.DN
	}
	return out
}

// MatchOperatorDN reports whether dn (e.g. the subject of the certificate an
// operator's server presented, in RFC 4514 form) is one of the DNs listed
// for domain. DNs are compared as sets of attributes: order, spaces around
// ',' and '=' and the case of attribute names do not matter; values are
// compared case-insensitively.
func (w *Whitelist) MatchOperatorDN(domain, dn string) bool {
	want := dnKey(dn)
	for _, d := range w.OperatorDNs(domain) {
		if dnKey(d) == want {
			return true
		}
	}
	return false
}

// dnKey normalises a string DN into a sorted list of TYPE=value.
func dnKey(dn string) string {
	parts := strings.Split(dn, ",")
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		out = append(out, strings.ToUpper(strings.TrimSpace(k))+"="+strings.ToLower(strings.TrimSpace(v)))
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// Domains returns the domain names, sorted.
func (w *Whitelist) Domains() []string {
	if w == nil {
		return nil
	}
	out := make([]string, 0, len(w.domains))
	for n := range w.domains {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// CheckAddress checks the syntax of an address and that its domain is in the
// liste blanche. The error wraps ErrInvalidAddress or ErrOutsideTrustSpace.
func (w *Whitelist) CheckAddress(address string) error {
	if err := CheckAddress(address); err != nil {
		return err
	}
	_, domain, _ := splitAddress(address)
	if !w.Contains(domain) {
		return &TrustError{Address: address, Domain: normDomain(domain), Reason: w.reason()}
	}
	return nil
}

func (w *Whitelist) reason() string {
	if w == nil {
		return "no liste blanche loaded"
	}
	if w.Generated.IsZero() {
		return fmt.Sprintf("domain not in the liste blanche (%d domains)", w.Len())
	}
	return fmt.Sprintf("domain not in the liste blanche generated %s (%d domains)", w.Generated.UTC().Format(time.RFC3339), w.Len())
}

// normDomain lower-cases a domain and drops a trailing dot. Unicode domains
// are compared in Unicode lower case (no IDNA mapping).
func normDomain(d string) string {
	d = strings.TrimSuffix(strings.TrimSpace(d), ".")
	if hasUpper(d) {
		d = strings.ToLower(d)
	}
	return d
}

// WhitelistOptions bounds ParseWhitelist. The zero value is usable.
type WhitelistOptions struct {
	// MaxBytes bounds the document; zero means 64 MiB (the file is ~4 MB).
	MaxBytes int64
	// MaxDepth bounds the element nesting; zero means 16 (the format uses 4).
	MaxDepth int
}

// ParseWhitelist reads listeblanchemssante.xml as a stream. It tolerates
// what the published files get wrong (annuaire.md §4.3), with findings: a
// missing closing root tag or a truncated document (warning; the complete
// entries are kept), the same domain once per operator (grouped, info),
// mixed case (lower-cased), entries whose Nom is not a domain (skipped,
// warning). It fails, with an error wrapping ErrWhitelist, when the root is
// not ListeBlancheMSSante, when no entry is usable, or past the limits.
func ParseWhitelist(r io.Reader, opts *WhitelistOptions) (*Whitelist, finding.List, error) {
	var o WhitelistOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 64 << 20
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = 16
	}
	lr := &io.LimitedReader{R: r, N: o.MaxBytes + 1}
	dec := xml.NewDecoder(lr)
	dec.Strict = true
	w := &Whitelist{domains: make(map[string]*Domain)}
	var fs finding.List
	var (
		stack   []string
		cur     *wlEntry
		text    strings.Builder
		entryNo int
		rootOK  bool
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if len(stack) > 0 {
				fs.Add(finding.Warning, "ANN-LB-TRUNCATED", "/"+strings.Join(stack, "/"), specWhitelist, "document ends before </%s>: the complete entries are kept", stack[0])
			}
			break
		}
		if err != nil {
			if lr.N <= 0 {
				return nil, fs, fmt.Errorf("%w: %w", ErrWhitelist, &limit.Error{What: "liste blanche", Limit: limit.Size, Max: o.MaxBytes})
			}
			var se *xml.SyntaxError
			if errors.As(err, &se) && strings.Contains(se.Msg, "unexpected EOF") && rootOK {
				fs.Add(finding.Warning, "ANN-LB-TRUNCATED", "/"+strings.Join(stack, "/"), specWhitelist, "document ends before </%s>: the complete entries are kept", stack[0])
				break
			}
			return nil, fs, fmt.Errorf("%w: %v", ErrWhitelist, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name.Local)
			if len(stack) > o.MaxDepth {
				return nil, fs, fmt.Errorf("%w: elements nested deeper than %d", ErrWhitelist, o.MaxDepth)
			}
			if len(stack) == 1 {
				if t.Name.Local != "ListeBlancheMSSante" {
					return nil, fs, fmt.Errorf("%w: root element is <%s>, want <ListeBlancheMSSante>", ErrWhitelist, t.Name.Local)
				}
				if t.Name.Space != WhitelistNamespace {
					fs.Add(finding.Warning, "ANN-LB-NAMESPACE", "/ListeBlancheMSSante", specWhitelist, "namespace %q, want %q", t.Name.Space, WhitelistNamespace)
				}
				rootOK = true
			}
			if t.Name.Local == "Domaine" {
				entryNo++
				cur = &wlEntry{}
			}
			text.Reset()
		case xml.CharData:
			if text.Len() < 64<<10 {
				text.Write(t)
			}
		case xml.EndElement:
			name := t.Name.Local
			v := strings.TrimSpace(text.String())
			text.Reset()
			switch {
			case name == "Domaine" && cur != nil:
				w.add(cur, entryNo, &fs)
				cur = nil
			case cur != nil:
				cur.set(name, v)
			case name == "DateDeGeneration":
				if ts, err := time.Parse(time.RFC3339, v); err == nil {
					w.Generated = ts
				} else {
					fs.Add(finding.Warning, "ANN-LB-DATE", "/ListeBlancheMSSante/DateDeGeneration", specWhitelist, "unreadable date %q", v)
				}
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(w.domains) == 0 {
		return nil, fs, fmt.Errorf("%w: no usable <Domaine> entry", ErrWhitelist)
	}
	return w, fs, nil
}

type wlEntry struct {
	name    string
	op      Operator
	badDate string // a DateMAJ that is not RFC 3339
}

func (e *wlEntry) set(field, v string) {
	switch field {
	case "Nom":
		e.name = v
	case "Description":
		e.op.Description = v
	case "DNCertificatOperateur":
		e.op.DN = v
	case "ResponsableContact":
		e.op.Responsible = v
	case "SupportContact":
		e.op.Support = v
	case "DateMAJ":
		var err error
		if e.op.Updated, err = time.Parse(time.RFC3339, v); err != nil && v != "" {
			e.badDate = v
		}
	}
}

func (w *Whitelist) add(e *wlEntry, n int, fs *finding.List) {
	loc := fmt.Sprintf("/ListeBlancheMSSante/ListeDomaines/Domaine[%d]", n)
	if !validDomain(e.name) {
		fs.Add(finding.Warning, "ANN-LB-ENTRY", loc, specWhitelist, "Nom %q is not a domain name: entry skipped", e.name)
		return
	}
	name := normDomain(e.name)
	if name != e.name {
		fs.Add(finding.Info, "ANN-LB-CASE", loc, specWhitelist, "Nom %q compared as %q", e.name, name)
	}
	if e.op.DN == "" {
		fs.Add(finding.Warning, "ANN-LB-DN", loc, specWhitelist, "domain %s has no DNCertificatOperateur", name)
	}
	if e.badDate != "" {
		fs.Add(finding.Warning, "ANN-LB-DATE", loc+"/DateMAJ", specWhitelist, "unreadable date %q: Updated left zero", e.badDate)
	}
	w.Entries++
	d := w.domains[name]
	if d == nil {
		w.domains[name] = &Domain{Name: name, Operators: []Operator{e.op}}
		return
	}
	for _, o := range d.Operators {
		if o.DN == e.op.DN {
			fs.Add(finding.Info, "ANN-LB-DUPLICATE", loc, specWhitelist, "domain %s repeated with the same operator DN", name)
			return
		}
	}
	d.Operators = append(d.Operators, e.op)
}

// validDomain accepts a DNS name: labels of letters (any script), digits
// and hyphens, at least two labels.
func validDomain(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= 0x80 && r != 0xFFFD) {
				return false
			}
		}
	}
	return true
}

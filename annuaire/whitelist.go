package annuaire

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/internal/dn"
	"github.com/mssante-go/sdk/limit"
	"github.com/mssante-go/sdk/mailaddr"
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

// Organization returns the O= attribute of the DN (the operator's name),
// "" when the DN does not parse (RFC 4514).
func (o Operator) Organization() string {
	d, err := dn.Parse(o.DN)
	if err != nil {
		return ""
	}
	return d.First("O")
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
	// SHA256 is the hex SHA-256 of the document as read.
	SHA256 string
	// Complete reports that the document reached its closing root tag.
	// Every copy of the GitHub mirror lacks it; the signed official file
	// has it.
	Complete bool
	// Truncated reports a document cut inside the list: entries after the
	// cut are missing (never true when Complete).
	Truncated bool
	// Signature is the verdict on the document's XML signature.
	Signature SignatureVerdict
	domains   map[string]*Domain
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

// MatchOperatorDN reports whether subject (e.g. the subject of the
// certificate an operator's server presented, in RFC 4514 form, as Go's
// pkix.Name.String writes it) is one of the DNs listed for domain. Both are
// parsed (RFC 4514: escapes honoured, every component TYPE=value) and
// compared as sets of attributes: order, spaces around ',' and '=', the
// case of attribute names and values and quoted values (the liste blanche's
// O="C.H. DE  CADILLAC") do not matter; one attribute more or less, or a
// component that does not parse (a DN followed by ",garbage"), never
// matches.
func (w *Whitelist) MatchOperatorDN(domain, subject string) bool {
	for _, d := range w.OperatorDNs(domain) {
		if dn.Match(d, subject) {
			return true
		}
	}
	return false
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

// CheckAddress checks an address as it will go on the wire
// (mailaddr.Normalize: RFC 5321 syntax, no '%' or '!' routing, an ASCII
// domain after IDNA, nothing trimmed) and that its domain is in the liste
// blanche. The error wraps ErrInvalidAddress and mailaddr.ErrInvalid, or is a
// *TrustError (ErrOutsideTrustSpace).
func (w *Whitelist) CheckAddress(address string) error {
	_, err := w.checkWire(address)
	return err
}

// checkWire returns the wire form of address if its domain is in the list.
func (w *Whitelist) checkWire(address string) (string, error) {
	wire, err := mailaddr.Normalize(address)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidAddress, err)
	}
	_, domain, _ := splitAddress(wire)
	if !w.Contains(domain) {
		return "", &TrustError{Address: address, Domain: domain, Reason: w.reason()}
	}
	return wire, nil
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

// normDomain is the key of a domain in the list: its ASCII form
// (mailaddr.Domain: lower case, IDNA), the form addresses are checked in;
// surrounding spaces and a trailing dot of a published name are dropped
// first. A name that is not a host name is kept lower-cased.
func normDomain(d string) string {
	d = strings.TrimSuffix(strings.TrimSpace(d), ".")
	if a, err := mailaddr.Domain(d); err == nil {
		return a
	}
	if hasUpper(d) {
		d = strings.ToLower(d)
	}
	return d
}

// WhitelistOptions bounds ParseWhitelist and gives it the trust anchors of
// the signature. A nil *WhitelistOptions, and every zero field, means the
// documented default.
type WhitelistOptions struct {
	// MaxBytes bounds the document; zero means 8 MiB (the list is 3.7 MB).
	// Checking the signature of a document of that size takes about
	// 150 MiB for a moment.
	MaxBytes int64
	// MaxDepth bounds the element nesting; zero means 16 (the format uses 4,
	// the signature 5).
	MaxDepth int
	// MaxTokenBytes bounds one tag with its attributes, one run of text
	// (an element's text, all its pieces together), one comment, CDATA
	// section or processing instruction; zero means 64 KiB.
	MaxTokenBytes int
	// MaxElements bounds the number of elements; zero means 150,000 (the
	// list has about 45,500).
	MaxElements int
	// Roots are the trust anchors of the signer's certificate: the IGC Santé
	// roots, as tlsauth.LoadRoots returns them. Nil trusts no one: a valid
	// signature is then reported as SignatureUnknownIssuer. The system pool
	// is never used.
	Roots *x509.CertPool
	// Revocation, if set, checks the signer's certificate and its
	// intermediates against the IGC Santé CRLs at the time of the check: a
	// certificate revoked since the list was signed no longer vouches for
	// it (SignatureInvalidCertificate). Pass the *tlsauth.Revocation used
	// for TLS (fail-closed unless AllowMissing).
	Revocation RevocationChecker
}

// RevocationChecker checks verified certificate chains against revocation
// lists. *tlsauth.Revocation implements it: the SDK checks CRLs in one place,
// and annuaire does not import the transports' packages.
type RevocationChecker interface {
	Check(chains [][]*x509.Certificate, now time.Time) error
}

func (o *WhitelistOptions) withDefaults() WhitelistOptions {
	var v WhitelistOptions
	if o != nil {
		v = *o
	}
	if v.MaxBytes <= 0 {
		v.MaxBytes = DefaultWhitelistMaxBytes
	}
	if v.MaxDepth <= 0 {
		v.MaxDepth = DefaultWhitelistMaxDepth
	}
	if v.MaxTokenBytes <= 0 {
		v.MaxTokenBytes = DefaultWhitelistMaxTokenBytes
	}
	if v.MaxElements <= 0 {
		v.MaxElements = DefaultWhitelistMaxElements
	}
	return v
}

// ParseWhitelist reads listeblanchemssante.xml and checks its signature.
//
// The document is read as a stream under the budgets of opts (a
// *limit.Error names the one exceeded). It tolerates what the published files get wrong
// (annuaire.md §4.3), with findings: a missing closing root tag
// (ANN-LB-UNCLOSED, every copy of the GitHub mirror), a document cut inside
// the list (ANN-LB-TRUNCATED; the complete entries are kept), the same
// domain once per operator (grouped), mixed case (lower-cased), entries
// whose Nom is not a domain (skipped). It fails, with an error wrapping
// ErrWhitelist, when the root is not ListeBlancheMSSante, when the structure
// is ambiguous (a second ListeDomaines or DateDeGeneration, a Domaine or
// ListeDomaines anywhere else than in its place, content after the root),
// when no entry is usable, or past the limits.
//
// When the document carries an enveloped XML signature, the signature is
// verified (see SignatureVerdict) and, when it holds, the entries are read
// from the content the signature covers, as the verifier returns it, never
// from the document as received. Whitelist.Signature says what was found;
// ParseWhitelist returns the list whatever the verdict: deciding which
// verdicts are acceptable is the caller's policy (WhitelistRefresher
// accepts only SignatureTrusted by default).
func ParseWhitelist(r io.Reader, opts *WhitelistOptions) (*Whitelist, finding.List, error) {
	o := opts.withDefaults()
	var raw bytes.Buffer
	wl, fs, sig, err := scanWhitelist(newXMLGuard(r, &o, &raw), &o)
	if err != nil {
		return nil, fs, err
	}
	sum := sha256.Sum256(raw.Bytes())
	hexSum := hex.EncodeToString(sum[:])
	wl.SHA256 = hexSum
	if sig.count == 0 {
		wl.Signature = SignatureVerdict{Status: SignatureUnsigned, Reason: "the document has no XML signature"}
		fs.Add(finding.Warning, "ANN-LB-UNSIGNED", "/ListeBlancheMSSante", specWhitelist, "the liste blanche is not signed: its origin cannot be checked")
		return wl, fs, nil
	}
	// A signed list is read again from what the signature covers: the
	// entries read so far are dropped, leaving their memory to the check.
	complete := wl.Complete
	wl, fs = nil, nil
	verdict, verified, signer := verifyWhitelistSignature(raw.Bytes(), complete, sig)
	if verified == nil {
		// Read again, to return the unverified entries with the verdict.
		wl, fs, _, err = scanWhitelist(newXMLGuard(bytes.NewReader(raw.Bytes()), &o, nil), &o)
		if err != nil {
			return nil, fs, err
		}
		wl.SHA256, wl.Signature = hexSum, verdict
		fs.Add(finding.Error, "ANN-LB-SIGNATURE", "/ListeBlancheMSSante/Signature", specWhitelist, "%s: %s; the entries were read from the unverified document", verdict.Status, verdict.Reason)
		return wl, fs, nil
	}
	// Read again, from what the signature covers.
	vwl, vfs, vsig, err := scanWhitelist(newXMLGuard(bytes.NewReader(verified), &o, nil), &o)
	if err != nil {
		return nil, fs, fmt.Errorf("%w: the signed content: %w", ErrWhitelist, err)
	}
	if vsig.count != 0 {
		return nil, fs, fmt.Errorf("%w: the signed content still holds a signature", ErrWhitelist)
	}
	vwl.SHA256 = hexSum
	vwl.Signature = judgeSigner(verdict, signer, vwl.Generated, &o)
	if vwl.Signature.Status == SignatureTrusted {
		vfs.Add(finding.Info, "ANN-LB-SIGNED", "/ListeBlancheMSSante/Signature", specWhitelist, "signed by %s (issuer %s), trusted", vwl.Signature.Signer.Subject, vwl.Signature.Signer.Issuer)
	} else {
		vfs.Add(finding.Warning, "ANN-LB-SIGNER", "/ListeBlancheMSSante/Signature", specWhitelist, "the signature holds but its signer is not trusted (%s): %s", vwl.Signature.Status, vwl.Signature.Reason)
	}
	return vwl, vfs, nil
}

// sigSeen is what scanWhitelist saw of XML signatures.
type sigSeen struct {
	count  int  // Signature elements in the XML-DSig namespace anywhere, or in any namespace under the root
	atRoot bool // one of them is a child of the root
}

// whitelistPlace is where each element of the format belongs.
var whitelistPlace = map[string]int{
	"ListeBlancheMSSante": 1,
	"DateDeGeneration":    2,
	"ListeDomaines":       2,
	"Domaine":             3,
}

// scanWhitelist is the streaming pass of ParseWhitelist.
func scanWhitelist(r io.Reader, o *WhitelistOptions) (*Whitelist, finding.List, sigSeen, error) {
	dec := xml.NewDecoder(r)
	dec.Strict = true
	w := &Whitelist{domains: make(map[string]*Domain)}
	var (
		fs         finding.List
		sig        sigSeen
		stack      []string
		cur        *wlEntry
		text       strings.Builder
		entryNo    int
		elements   int
		rootDone   bool
		listSeen   bool
		dateSeen   bool
		listClosed bool
		inSig      int // depth of the Signature being skipped, or 0
		notes      = entryNotes{fs: &fs}
	)
	path := func() string { return "/" + strings.Join(stack, "/") }
loop:
	for {
		tok, err := dec.Token()
		if err != nil {
			switch {
			case errors.Is(err, ErrWhitelist): // refused by the guard (a budget, a DTD)
				return nil, fs, sig, err
			case err != io.EOF && !isUnexpectedEOF(err):
				return nil, fs, sig, fmt.Errorf("%w: %v", ErrWhitelist, err)
			case len(stack) == 0 && !rootDone:
				return nil, fs, sig, fmt.Errorf("%w: no root element", ErrWhitelist)
			case len(stack) == 0:
				w.Complete = true
			case listClosed && len(stack) == 1:
				fs.Add(finding.Warning, "ANN-LB-UNCLOSED", path(), specWhitelist, "document ends before </%s>: every entry is complete", stack[0])
			default:
				w.Truncated = true
				fs.Add(finding.Warning, "ANN-LB-TRUNCATED", path(), specWhitelist, "document cut inside <%s>: the %d complete entries are kept, those after the cut are missing", stack[len(stack)-1], w.Entries)
			}
			break loop
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if rootDone {
				return nil, fs, sig, fmt.Errorf("%w: element <%s> after the root element", ErrWhitelist, t.Name.Local)
			}
			stack = append(stack, t.Name.Local)
			elements++
			if elements > o.MaxElements {
				return nil, fs, sig, limitError(limitElements, "MaxElements", int64(o.MaxElements))
			}
			if len(stack) > o.MaxDepth {
				return nil, fs, sig, limitError(limit.Depth, "MaxDepth", int64(o.MaxDepth))
			}
			text.Reset()
			// A Signature outside the XML-DSig namespace, as a child of the
			// root, is a signature someone mangled: counted, so that it is
			// reported as a bad signature rather than as no signature.
			if t.Name.Local == "Signature" && (t.Name.Space == xmldsigNS || len(stack) == 2) {
				sig.count++
				sig.atRoot = sig.atRoot || len(stack) == 2
				if inSig == 0 {
					inSig = len(stack)
				}
				continue
			}
			if want, ok := whitelistPlace[t.Name.Local]; ok && t.Name.Space != xmldsigNS {
				if want != len(stack) || inSig != 0 || want == 3 && stack[1] != "ListeDomaines" {
					return nil, fs, sig, fmt.Errorf("%w: <%s> out of its place, at %s", ErrWhitelist, t.Name.Local, path())
				}
			}
			switch {
			case len(stack) == 1:
				if t.Name.Local != "ListeBlancheMSSante" {
					return nil, fs, sig, fmt.Errorf("%w: root element is <%s>, want <ListeBlancheMSSante>", ErrWhitelist, t.Name.Local)
				}
				if t.Name.Space != WhitelistNamespace {
					fs.Add(finding.Warning, "ANN-LB-NAMESPACE", "/ListeBlancheMSSante", specWhitelist, "namespace %q, want %q", t.Name.Space, WhitelistNamespace)
				}
			case len(stack) == 2 && t.Name.Local == "ListeDomaines":
				if listSeen {
					return nil, fs, sig, fmt.Errorf("%w: a second <ListeDomaines>", ErrWhitelist)
				}
				listSeen = true
			case len(stack) == 2 && t.Name.Local == "DateDeGeneration":
				if dateSeen {
					return nil, fs, sig, fmt.Errorf("%w: a second <DateDeGeneration>", ErrWhitelist)
				}
				dateSeen = true
			case len(stack) == 3 && t.Name.Local == "Domaine":
				entryNo++
				cur = &wlEntry{}
			}
		case xml.CharData:
			if inSig != 0 {
				continue
			}
			if text.Len()+len(t) > o.MaxTokenBytes {
				return nil, fs, sig, limitError(limitToken, "MaxTokenBytes", int64(o.MaxTokenBytes))
			}
			text.Write(t)
		case xml.EndElement:
			name := t.Name.Local
			v := strings.TrimSpace(text.String())
			text.Reset()
			switch {
			case inSig != 0:
				if len(stack) == inSig {
					inSig = 0
				}
			case len(stack) == 3 && name == "Domaine" && cur != nil:
				w.add(cur, entryNo, &notes)
				cur = nil
			case len(stack) == 4 && cur != nil:
				cur.set(name, v)
			case len(stack) == 2 && name == "ListeDomaines":
				listClosed = true
			case len(stack) == 2 && name == "DateDeGeneration":
				if ts, err := time.Parse(time.RFC3339, v); err == nil {
					w.Generated = ts
				} else {
					fs.Add(finding.Warning, "ANN-LB-DATE", "/ListeBlancheMSSante/DateDeGeneration", specWhitelist, "unreadable date %q", v)
				}
			}
			stack = stack[:len(stack)-1]
			rootDone = len(stack) == 0
		}
	}
	if notes.omitted > 0 {
		fs.Add(finding.Info, "ANN-LB-FINDINGS", "/ListeBlancheMSSante/ListeDomaines", specWhitelist, "%d more findings on entries omitted", notes.omitted)
	}
	if len(w.domains) == 0 {
		return nil, fs, sig, fmt.Errorf("%w: no usable <Domaine> entry", ErrWhitelist)
	}
	return w, fs, sig, nil
}

// maxEntryFindings bounds the findings about entries, so that a list of
// 250,000 bad entries does not make 250,000 findings.
const maxEntryFindings = 1000

// entryNotes adds findings about entries, up to maxEntryFindings.
type entryNotes struct {
	fs      *finding.List
	n       int
	omitted int
}

func (e *entryNotes) Add(level finding.Level, rule, location, spec, format string, args ...any) {
	if e.n >= maxEntryFindings {
		e.omitted++
		return
	}
	e.n++
	e.fs.Add(level, rule, location, spec, format, args...)
}

// isUnexpectedEOF reports a document that ends inside an element.
func isUnexpectedEOF(err error) bool {
	var se *xml.SyntaxError
	return errors.As(err, &se) && strings.Contains(se.Msg, "unexpected EOF")
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

func (w *Whitelist) add(e *wlEntry, n int, fs *entryNotes) {
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
	} else if _, err := dn.Parse(e.op.DN); err != nil {
		fs.Add(finding.Warning, "ANN-LB-DN", loc, specWhitelist, "domain %s: DNCertificatOperateur is not an RFC 4514 DN, no certificate will match it: %v", name, err)
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

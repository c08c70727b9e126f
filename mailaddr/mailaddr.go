package mailaddr

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ErrInvalid is wrapped by every error of Normalize.
var ErrInvalid = errors.New("mailaddr: invalid address")

// Error reports an address Normalize refuses, and why.
type Error struct {
	Address string
	Reason  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%v %q: %s", ErrInvalid, e.Address, e.Reason)
}

// Unwrap returns ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }

// Limits of RFC 5321 §4.5.3.1.
const (
	MaxLocal   = 64
	MaxDomain  = 253 // 255 for the wire form, minus the root label's two octets
	MaxAddress = 254
)

// Normalize returns the wire form of addr (local part as given, domain in
// lower-case ASCII) or an *Error. See the package documentation for the
// rules.
func Normalize(addr string) (string, error) {
	bad := func(format string, args ...any) (string, error) {
		return "", &Error{Address: addr, Reason: fmt.Sprintf(format, args...)}
	}
	if !utf8.ValidString(addr) {
		return bad("not UTF-8")
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return bad("no '@'")
	}
	local, domain := addr[:at], addr[at+1:]
	if err := checkLocal(local); err != "" {
		return bad("local part: %s", err)
	}
	d, err := normalizeDomain(domain)
	if err != "" {
		return bad("domain: %s", err)
	}
	out := local + "@" + d
	if len(out) > MaxAddress {
		return bad("longer than %d octets", MaxAddress)
	}
	return out, nil
}

// Domain returns the lower-case ASCII form of a domain, by the rules of
// Normalize, or an *Error.
func Domain(domain string) (string, error) {
	d, err := normalizeDomain(domain)
	if err != "" {
		return "", &Error{Address: domain, Reason: "domain: " + err}
	}
	return d, nil
}

// isAtext reports whether c may appear in a dot-atom (RFC 5322 §3.2.3),
// '%' and '!' excepted.
func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("#$&'*+-/=?^_`{|}~", c) >= 0
}

func checkLocal(local string) string {
	switch {
	case local == "":
		return "empty"
	case len(local) > MaxLocal:
		return fmt.Sprintf("longer than %d octets", MaxLocal)
	case local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, ".."):
		return "a dot at either end or two in a row"
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		switch {
		case c == '.' || isAtext(c):
		case c == '%' || c == '!':
			return fmt.Sprintf("%q would route the message through another host (source route)", c)
		case c == '"' || c == '\\':
			return "quoted local parts are not accepted"
		case c >= 0x80:
			r, _ := utf8.DecodeRuneInString(local[i:])
			return fmt.Sprintf("non-ASCII character %U", r)
		case c <= ' ' || c == 0x7f:
			return fmt.Sprintf("white space or control character %q", c)
		default:
			return fmt.Sprintf("character %q", c)
		}
	}
	return ""
}

// registration converts a domain without mapping it (UTS #46 registration),
// with the STD3 host-name rules.
var registration = idna.New(idna.ValidateForRegistration(), idna.StrictDomainName(true), idna.BidiRule(), idna.CheckHyphens(true), idna.CheckJoiners(true))

func normalizeDomain(domain string) (string, string) {
	switch {
	case domain == "":
		return "", "empty"
	case strings.HasPrefix(domain, "["):
		return "", "address literals are not accepted"
	case strings.HasSuffix(domain, "."):
		return "", "trailing dot"
	}
	ascii := true
	for i := 0; i < len(domain); i++ {
		c := domain[i]
		if c >= 0x80 {
			ascii = false
			continue
		}
		if c <= ' ' || c == 0x7f {
			return "", fmt.Sprintf("white space or control character %q", c)
		}
	}
	if !ascii {
		for _, r := range domain {
			if r >= 0x80 && (isSpace(r) || r < 0xa0) {
				return "", fmt.Sprintf("white space or control character %U", r)
			}
		}
	}
	d := domain
	if !ascii || strings.Contains(domain, "xn--") || strings.Contains(domain, "XN--") {
		// IDNA, without mapping: only ASCII letters are lower-cased first,
		// since unicode.ToLower would fold the Kelvin sign K to k.
		lower := strings.Map(func(r rune) rune {
			if 'A' <= r && r <= 'Z' {
				return r + 'a' - 'A'
			}
			return r
		}, domain)
		var err error
		if d, err = registration.ToASCII(lower); err != nil {
			return "", "not a valid host name: " + strings.TrimPrefix(err.Error(), "idna: ")
		}
	} else if hasUpper(d) {
		d = strings.ToLower(d)
	}
	if len(d) > MaxDomain {
		return "", fmt.Sprintf("longer than %d octets", MaxDomain)
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "", "a host name needs at least two labels"
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return "", "labels of 1 to 63 octets"
		}
		if l[0] == '-' || l[len(l)-1] == '-' || len(l) >= 4 && l[2:4] == "--" && !strings.HasPrefix(l, "xn--") {
			return "", fmt.Sprintf("label %q: hyphens at either end or in the third and fourth positions", l)
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return "", fmt.Sprintf("character %q", c)
			}
		}
	}
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		return "", "the last label is numeric (an IP address is not a domain)"
	}
	return d, ""
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

func isSpace(r rune) bool {
	switch r {
	case '\u0085', '\u00a0', '\u1680', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff', '\u200b':
		return true
	}
	return r >= '\u2000' && r <= '\u200a'
}

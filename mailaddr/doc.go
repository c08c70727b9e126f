// Package mailaddr is the one rule for the address that goes on the wire:
// the form of a recipient (RCPT TO) or sender (MAIL FROM) that the trust
// space is checked against and that the SMTP transport sends, so that the
// address checked is the address sent.
//
// Normalize accepts an RFC 5321 Mailbox (§4.1.2) in its plainest form and
// refuses the rest, rather than repair it:
//
//   - the local part is a dot-atom of ASCII atext (RFC 5321 §4.1.2, RFC 5322
//     §3.2.3) without '%' and '!', which old relays read as source routes
//     ("x%gmail.com@relay", "gmail.com!x@relay", RFC 5321 §3.6.1 and
//     appendix C); no quoted string; at most 64 octets (§4.5.3.1.1);
//   - the domain is a host name: ASCII letters, digits and hyphens in labels
//     of 1 to 63 octets, at least two labels, no trailing dot, no address
//     literal, at most 253 octets once ASCII; ASCII letters are lower-cased;
//     an internationalised domain is converted with IDNA 2008 as UTS #46
//     registers names (golang.org/x/net/idna, Registration profile), which
//     maps nothing: a domain that only becomes valid once folded (a capital
//     É, the Kelvin sign K, full-width letters) is refused;
//   - nothing is trimmed: white space anywhere (a trailing space or NBSP, a
//     line break), control and format characters, bytes that are not UTF-8
//     are errors;
//   - at most 254 octets in all (RFC 5321 §4.5.3.1.3, a path of 256 with
//     its brackets).
//
// MSSanté addresses (prenom.nom@hopital.mssante.fr, <INS>@patient.mssante.fr)
// are all of this form; an address refused here could be read differently
// by the next relay than by the check that accepted it.
package mailaddr

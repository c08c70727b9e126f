package xdm

import (
	"crypto/rand"
	"encoding/hex"
	"math/big"
	"strings"
)

// randomUUID returns a version 4 UUID from crypto/rand.
func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics rather than return short)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(b)
}

func formatUUID(b [16]byte) string {
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// parseUUID reads a canonical UUID (any case), with or without "urn:uuid:".
func parseUUID(s string) (b [16]byte, ok bool) {
	if len(s) > 9 && strings.EqualFold(s[:9], "urn:uuid:") {
		s = s[9:]
	}
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return b, false
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	if _, err := hex.Decode(b[:], []byte(h)); err != nil {
		return b, false
	}
	return b, true
}

// uuidURN normalises a UUID to "urn:uuid:<lower-case uuid>".
func uuidURN(b [16]byte) string { return "urn:uuid:" + formatUUID(b) }

// uuidOID returns the OID 2.25.<UUID as an unsigned decimal> (ITU-T X.667).
func uuidOID(b [16]byte) string {
	return "2.25." + new(big.Int).SetBytes(b[:]).String()
}

// NewOID returns a fresh OID under 2.25 (a random UUID written as a
// decimal number, ITU-T X.667), for a uniqueId when the sender has no OID
// arc of its own.
func NewOID() string {
	b, _ := parseUUID(randomUUID())
	return uuidOID(b)
}

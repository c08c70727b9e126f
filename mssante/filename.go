package mssante

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxFilename is the longest name SafeFilename returns, in bytes (the limit
// of most file systems).
const maxFilename = 255

// SafeFilename returns an attachment name that can be used as a file name
// and shown as is: the last element of the path only (RFC 2183 §2.3: the
// receiver must not follow directory information), with every byte that is
// not UTF-8, every control or format character (C0, DEL, C1, the bidi
// overrides that disguise an extension) and each of \ / : * ? " < > |
// replaced by '_', without leading or trailing dots and spaces, a reserved
// Windows device name (CON, NUL, COM1...) prefixed with '_', and at most 255
// bytes (the extension kept). A name with nothing left becomes
// "attachment"; the empty name stays empty.
func SafeFilename(name string) string {
	if name == "" {
		return ""
	}
	var b strings.Builder
	for i := 0; i < len(name); {
		r, n := utf8.DecodeRuneInString(name[i:])
		i += n
		switch {
		case r == utf8.RuneError && n <= 1,
			r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0,
			unicode.Is(unicode.Cf, r), r == '\u2028', r == '\u2029',
			strings.ContainsRune(`:*?"<>|`, r):
			b.WriteByte('_')
		case r == '\\':
			b.WriteByte('/')
		default:
			b.WriteRune(r)
		}
	}
	s := path.Base(b.String())
	if s == "/" || s == "." {
		s = ""
	}
	s = strings.Trim(s, ". ")
	if s == "" {
		return "attachment"
	}
	stem, _, _ := strings.Cut(s, ".")
	if isDeviceName(stem) {
		s = "_" + s
	}
	if len(s) > maxFilename {
		ext := path.Ext(s)
		if len(ext) > 16 {
			ext = ""
		}
		stem := s[:maxFilename-len(ext)]
		for !utf8.ValidString(stem) { // do not cut a character in two
			stem = stem[:len(stem)-1]
		}
		s = stem + ext
	}
	return s
}

// isDeviceName reports whether s is a name Windows reserves for a device.
func isDeviceName(s string) bool {
	switch strings.ToUpper(strings.TrimRight(s, " ")) {
	case "CON", "PRN", "AUX", "NUL",
		"COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
		"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9":
		return true
	}
	return false
}

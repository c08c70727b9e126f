// Package xmltext is the SDK's one policy for text that goes into XML: what
// XML 1.0 cannot carry (invalid UTF-8, the control characters other than
// tab, line feed and carriage return, U+FFFE and U+FFFF, XML 1.0 §2.2) is
// refused with a typed error, never replaced. The writers of the SDK (the
// CDA header of cda.Build, METADATA.XML and INDEX.HTM of mssante/xdm) check
// every value with it, so that a health document never carries a silently
// altered name or identifier.
//
// Escape writes a value escaped for character data or an attribute value
// (line breaks and tabs in attributes as character references, so that a
// reader gets them back instead of spaces); Check only checks.
package xmltext

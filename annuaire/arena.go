package annuaire

import "unsafe"

// arena hands out strings carved from large byte chunks, so that loading
// half a million lines costs a few hundred allocations instead of one per
// line. A chunk is only appended to, never modified nor reused, which is
// what unsafe.String requires; the strings keep their chunk alive.
type arena struct {
	chunk []byte
}

const arenaChunk = 1 << 20

// strings returns the concatenation of parts as one string, built in
// place in the chunk; a nil arena allocates it alone.
func (a *arena) strings(parts [][]byte, total int) string {
	if a == nil || total == 0 || total > arenaChunk/8 {
		b := make([]byte, 0, total)
		for _, p := range parts {
			b = append(b, p...)
		}
		return string(b)
	}
	if cap(a.chunk)-len(a.chunk) < total {
		a.chunk = make([]byte, 0, arenaChunk)
	}
	start := len(a.chunk)
	for _, p := range parts {
		a.chunk = append(a.chunk, p...)
	}
	return unsafe.String(&a.chunk[start], total)
}

// string returns a copy of b as a string; a nil arena allocates it alone.
func (a *arena) string(b []byte) string {
	if a == nil || len(b) == 0 || len(b) > arenaChunk/8 {
		return string(b)
	}
	if cap(a.chunk)-len(a.chunk) < len(b) {
		a.chunk = make([]byte, 0, arenaChunk)
	}
	start := len(a.chunk)
	a.chunk = append(a.chunk, b...)
	return unsafe.String(&a.chunk[start], len(b))
}

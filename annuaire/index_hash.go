package annuaire

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// hashBytes hashes a key for the tables of an index: the keys are short
// (a few to a few dozen bytes), so a multiply-and-fold hash over 8-byte
// words is much cheaper than a general one. The seed is random for each
// index, so that a file cannot be made to collide on purpose.
func hashBytes(seed uint64, b []byte) uint64 {
	const (
		p0 = 0xa0761d6478bd642f
		p1 = 0xe7037ed1a0b428db
		p2 = 0x8ebc6af09c88c6e3
	)
	n := len(b)
	s := seed ^ p0
	var a, c uint64
	switch {
	case n > 16:
		i := 0
		for ; i+16 < n; i += 16 {
			s = mix(binary.LittleEndian.Uint64(b[i:])^p1, binary.LittleEndian.Uint64(b[i+8:])^s)
		}
		a, c = binary.LittleEndian.Uint64(b[n-16:]), binary.LittleEndian.Uint64(b[n-8:])
	case n >= 8:
		a, c = binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[n-8:])
	case n >= 4:
		a, c = uint64(binary.LittleEndian.Uint32(b)), uint64(binary.LittleEndian.Uint32(b[n-4:]))
	case n > 0:
		a = uint64(b[0])<<16 | uint64(b[n>>1])<<8 | uint64(b[n-1])
	}
	return mix(p2^uint64(n), mix(a^p1, c^s))
}

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

func hashString(seed uint64, s string) uint64 {
	return hashBytes(seed, unsafe.Slice(unsafe.StringData(s), len(s)))
}

// The hash tables of an Index are built once the records are known, so
// they are sized exactly: open addressing with linear probing at a load
// factor of at most 3/4, the slot of a hash found by multiplication
// (no power-of-two rounding).

// tableSize is the number of slots for n keys.
func tableSize(n int) int { return max(8, n+n/3+1) }

// slot maps a hash to a slot of a table of n slots.
func slot(h uint64, n int) int { return int(uint64(uint32(h)) * uint64(n) >> 32) }

// addrTable finds a record by its lower-case address. A slot holds the
// 32-bit tag of the hash and the record number + 1, so that most probes
// are decided without reading the record.
type addrTable struct {
	slots []uint64
}

// find returns the record of key, or the slot where to add it.
func (t *addrTable) find(st *store, refs []uint32, h uint64, key string) (rec uint32, at int, ok bool) {
	tag := h >> 32
	p := slot(h, len(t.slots))
	for {
		s := t.slots[p]
		if s == 0 {
			return 0, p, false
		}
		if s>>32 == tag {
			if i := uint32(s) - 1; st.key(refs[i]) == key {
				return i, p, true
			}
		}
		if p++; p == len(t.slots) {
			p = 0
		}
	}
}

func (t *addrTable) set(at int, h uint64, rec uint32) {
	t.slots[at] = h>>32<<32 | uint64(rec+1)
}

// resize rebuilds the table with m slots.
func (t *addrTable) resize(st *store, refs []uint32, seed uint64, m int) {
	t.slots = make([]uint64, m)
	for i, ref := range refs {
		h := hashString(seed, st.key(ref))
		p := slot(h, m)
		for t.slots[p] != 0 {
			if p++; p == m {
				p = 0
			}
		}
		t.set(p, h, uint32(i))
	}
}

// chains maps a key (a person, a structure, a domain) to the records that
// carry it, in file order: slots hold the first record of each key + 1,
// next[i] the record after i + 1 (0 ends a chain).
type chains struct {
	slots []uint32
	tags  []uint8 // per slot, the top byte of the key's hash: most probes read no record
	next  []uint32
	keys  int // distinct keys
}

func hashTag(h uint64) uint8 { return uint8(h >> 55) } // below the bit keyHash sets

// buildChains indexes the records by key: hs[i] is the hash of the key of
// record i (keyHash), 0 for none; keyOf reads a key, to tell two keys
// with the same hash apart.
func buildChains(hs []uint64, keyOf func(i uint32) string) chains {
	n := len(hs)
	count := 0
	for _, h := range hs {
		if h != 0 {
			count++
		}
	}
	c := chains{next: make([]uint32, n)}
	if count == 0 {
		return c
	}
	slots := make([]uint32, tableSize(count))
	// From the end, so that each key's chain ends up in file order.
	for i := n - 1; i >= 0; i-- {
		h := hs[i]
		if h == 0 {
			continue
		}
		p := slot(h, len(slots))
		for {
			s := slots[p]
			if s == 0 {
				c.keys++
				slots[p] = uint32(i + 1)
				break
			}
			if j := s - 1; hs[j] == h && keyOf(j) == keyOf(uint32(i)) {
				c.next[i] = s
				slots[p] = uint32(i + 1)
				break
			}
			if p++; p == len(slots) {
				p = 0
			}
		}
	}
	// Resize to the distinct keys, with the tags.
	m := tableSize(c.keys)
	c.slots, c.tags = make([]uint32, m), make([]uint8, m)
	for _, s := range slots {
		if s != 0 {
			p := freeSlot(c.slots, hs[s-1])
			c.slots[p], c.tags[p] = s, hashTag(hs[s-1])
		}
	}
	return c
}

// headTable makes the slots of chains whose heads are known.
func headTable(seed uint64, heads map[string][2]uint32) ([]uint32, []uint8) {
	if len(heads) == 0 {
		return nil, nil
	}
	m := tableSize(len(heads))
	slots, tags := make([]uint32, m), make([]uint8, m)
	for k, e := range heads {
		h := hashString(seed, k)
		p := freeSlot(slots, h)
		slots[p], tags[p] = e[0], hashTag(h)
	}
	return slots, tags
}

// freeSlot returns the first free slot for hash h.
func freeSlot(slots []uint32, h uint64) int {
	p := slot(h, len(slots))
	for slots[p] != 0 {
		if p++; p == len(slots) {
			p = 0
		}
	}
	return p
}

// head returns the first record of key + 1, or 0; keyOf reads the key of a
// record.
func (c *chains) head(seed uint64, k string, keyOf func(i uint32) string) uint32 {
	if len(c.slots) == 0 || k == "" {
		return 0
	}
	h := hashString(seed, k)
	p, tag := slot(h, len(c.slots)), hashTag(h)
	for {
		s := c.slots[p]
		if s == 0 {
			return 0
		}
		if c.tags[p] == tag && keyOf(s-1) == k {
			return s
		}
		if p++; p == len(c.slots) {
			p = 0
		}
	}
}

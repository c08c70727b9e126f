package annuaire

import (
	"encoding/binary"
	"math/bits"
	"sync"
	"unsafe"

	"github.com/mssante-go/sdk/limit"
)

// The records of an Index live in 1 MiB byte segments, written once and
// never modified, so that the strings of a Mailbox are views of them and a
// lookup allocates nothing. A record is addressed by a 32-bit reference:
// segment number (12 bits) and offset (20 bits).
//
// A record is a blob:
//
//	bitmap   uint32, little endian: bit b set when column blobCols[b] is
//	         not empty; bit 31 (keyBit) when the lower-case key differs
//	         from the address
//	address  uvarint length + bytes
//	key      uvarint length + bytes, only with keyBit
//	then, for every other non-empty column in blob order, a uvarint v:
//	  v odd:   v>>1 is the id of the value in the dictionary of the
//	           segment's writer
//	  v even:  v>>1 bytes of value follow; for "Identifiant PP", v = 0 means
//	           "Identification nationale PP" without its first character
//	           (the usual case: "8"+RPPS)
//
// Every column but the address and the two person identifiers may be
// interned: a dictionary keeps each distinct value once, so that the
// professions, the structures, their addresses and the common names cost a
// byte or two a row. Each parsing goroutine has its own dictionaries (no
// locking). A column whose values hardly repeat (a structure id, a postal
// line, in a file where each row has its own structure) is only sampled:
// most of its values are written inline, and interning comes back if the
// sample shows repeats. Records rewritten by a duplicate merge go to
// segments without a dictionary, every column inline.
const (
	segBits  = 20
	segSize  = 1 << segBits
	segMask  = segSize - 1
	maxSegs  = 1 << (32 - segBits)
	keyBit   = 1 << 31
	noDict   = -1
	maxStore = maxSegs * segSize // bytes a store can address (4 GiB)
)

// blobCols is the order of the columns in a blob: the address, then what
// the indexes read (names, département, type, identifiers), so that they
// decode only the start of a blob, then the rest.
var blobCols = [numCols]int{
	colAddress, colLastName, colFirstName, colStructureName, colTradeName, colDepartement, colType,
	colPersonID, colPersonNationalID, colStructureID,
	colPersonIDType, colStructureIDType, colService, colCivility, colCategoryCode, colCategoryLabel,
	colProfessionCode, colProfessionLabel, colSpecialtyCode, colSpecialtyLabel, colDematerialisation,
	colLine2, colLine3, colNumber, colNumberExt, colStreetType, colStreet, colLieuDit, colLine6,
	colPostalCode, colCountry,
}

// blobPos is the position of each column in blob order.
var blobPos = func() (p [numCols]int) {
	for b, c := range blobCols {
		p[c] = b
	}
	return p
}()

// Column classes: interned columns may be interned; always-interned ones
// are never sampled (the name index and the search read their ids).
var interned, alwaysInterned = func() (in, always [numCols]bool) {
	for c := range in {
		in[c] = true
	}
	in[colAddress], in[colPersonID], in[colPersonNationalID] = false, false, false
	for _, c := range nameCols {
		always[c] = true
	}
	always[colDepartement], always[colType] = true, true
	return in, always
}()

// store holds the segments. While loading, segs and owner have maxSegs
// entries, filled under alloc.mu; a loaded index keeps the used ones.
type store struct {
	segs  [][]byte // full length: a record never crosses the end of its segment
	owner []int16  // the dictionary set of each segment, or noDict
	dicts []*dictSet
	alloc *segAlloc // nil once frozen
}

// segAlloc hands out the segments of a store being loaded.
type segAlloc struct {
	mu sync.Mutex
	n  int
}

// dictSet is the dictionaries of one writer: for each column, its distinct
// values by id. The strings are views of byte chunks of their own, so that
// the values of a column are close together in memory.
type dictSet struct {
	strs [numCols][]string
}

func newStore() *store {
	return &store{segs: make([][]byte, maxSegs), owner: make([]int16, maxSegs), alloc: new(segAlloc)}
}

// freeze keeps the used segments only.
func (s *store) freeze() {
	n := s.alloc.n
	s.segs, s.owner, s.alloc = s.segs[:n:n], s.owner[:n:n], nil
}

// newSegment registers a segment for a writer.
func (s *store) newSegment(owner int16) (uint32, []byte, error) {
	s.alloc.mu.Lock()
	defer s.alloc.mu.Unlock()
	if s.alloc.n == maxSegs {
		return 0, nil, loadLimit(limit.Size+" of the index", "MaxBytes", maxStore)
	}
	n := uint32(s.alloc.n)
	s.alloc.n++
	b := make([]byte, segSize)
	s.segs[n], s.owner[n] = b, owner
	return n, b[:0], nil
}

func uvarint(b []byte) (uint64, int) {
	if b[0] < 0x80 {
		return uint64(b[0]), 1
	}
	return binary.Uvarint(b)
}

func (s *store) blob(ref uint32) []byte { return s.segs[ref>>segBits][ref&segMask:] }

// key returns the lower-case address of a record.
func (s *store) key(ref uint32) string {
	b := s.blob(ref)
	p := 4
	l, n := uvarint(b[p:])
	p += n
	if binary.LittleEndian.Uint32(b)&keyBit != 0 {
		p += int(l)
		l, n = uvarint(b[p:])
		p += n
	}
	return unsafe.String(&b[p], int(l))
}

// head reads the start of a record: its bytes, its bitmap, its address
// (into f) and where its other columns begin; and its dictionaries (nil for
// none).
func (s *store) head(ref uint32, f *[numCols]string) (b []byte, bm uint32, p int, ds *dictSet) {
	seg := ref >> segBits
	b = s.segs[seg][ref&segMask:]
	if o := s.owner[seg]; o != noDict {
		ds = s.dicts[o]
	}
	bm = binary.LittleEndian.Uint32(b)
	p = 4
	l, n := uvarint(b[p:])
	p += n
	f[colAddress] = unsafe.String(&b[p], int(l))
	p += int(l)
	if bm&keyBit != 0 {
		l, n = uvarint(b[p:])
		p += n + int(l)
	}
	return b, bm, p, ds
}

// decode reads a record up to blob position last. Interned values go to
// ids (id+1; 0 when the column is empty or inline) when ids is not nil,
// otherwise to f like the inline ones. It returns the record's
// dictionaries (nil for none).
func (s *store) decode(ref uint32, f *[numCols]string, ids *[numCols]uint32, last int) *dictSet {
	b, bm, p, ds := s.head(ref, f)
	suffix := false
	for rest := bm &^ (keyBit | 1); rest != 0; rest &= rest - 1 {
		pos := bits.TrailingZeros32(rest)
		if pos > last {
			break
		}
		c := blobCols[pos]
		v, n := uvarint(b[p:])
		p += n
		switch {
		case v&1 == 1:
			if ids != nil {
				ids[c] = uint32(v>>1) + 1
			} else {
				f[c] = ds.strs[c][v>>1]
			}
		case v == 0:
			suffix = true
		default:
			f[c] = unsafe.String(&b[p], int(v>>1))
			p += int(v >> 1)
		}
	}
	if suffix {
		f[colPersonID] = f[colPersonNationalID][1:]
	}
	return ds
}

// fields returns every column of a record: decode for the whole record,
// without its options (this is a lookup's main cost).
func (s *store) fields(ref uint32, f *[numCols]string) {
	*f = [numCols]string{}
	b, bm, p, ds := s.head(ref, f)
	var strs *[numCols][]string
	if ds != nil {
		strs = &ds.strs
	}
	suffix := false
	for rest := bm &^ (keyBit | 1); rest != 0; rest &= rest - 1 {
		c := blobCols[bits.TrailingZeros32(rest)&31]
		v := uint64(b[p])
		if v < 0x80 {
			p++
		} else {
			var n int
			v, n = binary.Uvarint(b[p:])
			p += n
		}
		switch {
		case v&1 == 1:
			f[c] = strs[c][v>>1]
		case v == 0:
			suffix = true
		default:
			f[c] = unsafe.String(&b[p], int(v>>1))
			p += int(v >> 1)
		}
	}
	if suffix {
		f[colPersonID] = f[colPersonNationalID][1:]
	}
}

// field returns one column of a record.
func (s *store) field(ref uint32, c int) string {
	var f [numCols]string
	last := blobPos[c]
	if c == colPersonID {
		last = blobPos[colPersonNationalID]
	}
	s.decode(ref, &f, nil, last)
	return f[c]
}

// writer appends records to segments of its own.
type writer struct {
	st   *store
	own  int16    // dictionary set, or noDict
	ds   *dictSet // nil for noDict
	seg  uint32
	buf  []byte // the current segment, up to what is written
	seed uint64
	cols [numCols]internCol
}

// internCol is the interning state of one column of a writer.
type internCol struct {
	slots   []uint64 // tag of the value's hash << 32 | id+1, open addressing
	short   []uint64 // values of up to 7 bytes, packed with their length (pack7)
	shortID []uint32 // id+1 of each of short
	nshort  int
	mid     []midKey // values of 8 to 16 bytes
	nmid    int
	chunk   []byte // where new values go
	sampled bool   // only values whose hash ends in 4 zero bits are interned
	uses    int    // lookups in the current window
	hits    int    // of which found
}

func newWriter(st *store, seed uint64, withDict bool) *writer {
	w := &writer{st: st, own: noDict, seed: seed}
	if withDict {
		st.alloc.mu.Lock()
		w.own = int16(len(st.dicts))
		w.ds = new(dictSet)
		st.dicts = append(st.dicts, w.ds)
		st.alloc.mu.Unlock()
	}
	return w
}

// write stores a record; key is its lower-case address when it differs
// from the address, nil otherwise.
func (w *writer) write(f *[numCols][]byte, key []byte) (uint32, error) {
	need := 4 + 2*binary.MaxVarintLen32 + len(f[colAddress]) + len(key)
	var bm uint32
	for b, c := range blobCols {
		if len(f[c]) > 0 {
			bm |= 1 << b
			need += binary.MaxVarintLen32 + len(f[c])
		}
	}
	if w.buf == nil || len(w.buf)+need > segSize {
		seg, buf, err := w.st.newSegment(w.own)
		if err != nil {
			return 0, err
		}
		w.seg, w.buf = seg, buf
	}
	start := len(w.buf)
	if key != nil {
		bm |= keyBit
	}
	b := binary.LittleEndian.AppendUint32(w.buf, bm)
	b = binary.AppendUvarint(b, uint64(len(f[colAddress])))
	b = append(b, f[colAddress]...)
	if key != nil {
		b = binary.AppendUvarint(b, uint64(len(key)))
		b = append(b, key...)
	}
	for rest := bm &^ (keyBit | 1); rest != 0; rest &= rest - 1 {
		c := blobCols[bits.TrailingZeros32(rest)]
		v := f[c]
		switch {
		case c == colPersonID && isSuffix(f[colPersonNationalID], v):
			b = append(b, 0)
			continue
		case w.ds != nil && interned[c]:
			if id, ok := w.intern(c, v); ok {
				b = binary.AppendUvarint(b, uint64(id)<<1|1)
				continue
			}
		}
		b = binary.AppendUvarint(b, uint64(len(v))<<1)
		b = append(b, v...)
	}
	w.buf = b
	return w.seg<<segBits | uint32(start), nil
}

// isSuffix reports whether id is nat without its first character.
func isSuffix(nat, id []byte) bool {
	return len(nat) == len(id)+1 && string(nat[1:]) == string(id)
}

// Sampling: a column is judged on windows of internWindow lookups. One
// where fewer than a quarter of the values were found again is sampled from
// then on (1 value in 16, chosen by hash, so a value is always or never
// sampled); a sampled one where more than half were found is interned
// again.
const (
	internWindow = 1024
	sampleMask   = 15
)

// intern returns the dictionary id of v in column c, adding it; ok is
// false when the column is sampled and v is not in the sample.
func (w *writer) intern(c int, v []byte) (id uint32, ok bool) {
	if len(v) <= 7 {
		return w.internShort(c, v)
	}
	if len(v) <= 16 {
		return w.internMid(c, v)
	}
	t := &w.cols[c]
	h := hashBytes(w.seed, v)
	if t.sampled && h&sampleMask != 0 {
		return 0, false
	}
	if 4*(len(w.ds.strs[c])-t.nshort-t.nmid+1) > 3*len(t.slots) {
		t.grow()
	}
	tag := uint32(h >> 32)
	mask := uint32(len(t.slots) - 1)
	strs := w.ds.strs[c]
	i := tag & mask
	for {
		s := t.slots[i]
		if s == 0 {
			break
		}
		if uint32(s>>32) == tag {
			if id := uint32(s) - 1; strs[id] == bstr(v) {
				t.count(c, true)
				return id, true
			}
		}
		i = (i + 1) & mask
	}
	id = uint32(len(strs))
	w.ds.strs[c] = append(strs, w.keep(t, v))
	t.slots[i] = uint64(tag)<<32 | uint64(id+1)
	t.count(c, false)
	return id, true
}

// internShort is intern for the values of up to 7 bytes (codes, postal
// codes, most names): the value packed with its length is its own key, so
// a lookup compares integers and reads no string.
func (w *writer) internShort(c int, v []byte) (id uint32, ok bool) {
	t := &w.cols[c]
	k := pack7(v)
	h := mix(k^w.seed, 0x9e3779b97f4a7c15)
	if t.sampled && h&sampleMask != 0 {
		return 0, false
	}
	if 4*(t.nshort+1) > 3*len(t.short) {
		t.growShort(w.seed)
	}
	mask := uint64(len(t.short) - 1)
	i := h >> 32 & mask
	for {
		switch t.short[i] {
		case k:
			t.count(c, true)
			return t.shortID[i] - 1, true
		case 0:
			id = uint32(len(w.ds.strs[c]))
			w.ds.strs[c] = append(w.ds.strs[c], w.keep(t, v))
			t.short[i], t.shortID[i] = k, id+1
			t.nshort++
			t.count(c, false)
			return id, true
		}
		i = (i + 1) & mask
	}
}

// midKey is a value of 8 to 16 bytes: its first and last 8 bytes (they
// overlap below 16) and its length; id is id+1, 0 for a free slot.
type midKey struct {
	a, b  uint64
	n, id uint32
}

// internMid is intern for the values of 8 to 16 bytes (first names,
// structure ids, streets, postal lines): like internShort, with a key of
// two words.
func (w *writer) internMid(c int, v []byte) (id uint32, ok bool) {
	t := &w.cols[c]
	n := len(v)
	k := midKey{a: binary.LittleEndian.Uint64(v), b: binary.LittleEndian.Uint64(v[n-8:]), n: uint32(n)}
	h := k.hash(w.seed)
	if t.sampled && h&sampleMask != 0 {
		return 0, false
	}
	if 4*(t.nmid+1) > 3*len(t.mid) {
		t.growMid(w.seed)
	}
	mask := uint64(len(t.mid) - 1)
	for i := h >> 32 & mask; ; i = (i + 1) & mask {
		e := &t.mid[i]
		if e.id == 0 {
			id = uint32(len(w.ds.strs[c]))
			w.ds.strs[c] = append(w.ds.strs[c], w.keep(t, v))
			k.id = id + 1
			*e = k
			t.nmid++
			t.count(c, false)
			return id, true
		}
		if e.a == k.a && e.b == k.b && e.n == k.n {
			t.count(c, true)
			return e.id - 1, true
		}
	}
}

func (k *midKey) hash(seed uint64) uint64 {
	return mix(k.a^seed, k.b^uint64(k.n)^0x9e3779b97f4a7c15)
}

func (t *internCol) growMid(seed uint64) {
	old := t.mid
	t.mid = make([]midKey, max(64, 2*len(old)))
	mask := uint64(len(t.mid) - 1)
	for _, k := range old {
		if k.id == 0 {
			continue
		}
		i := k.hash(seed) >> 32 & mask
		for t.mid[i].id != 0 {
			i = (i + 1) & mask
		}
		t.mid[i] = k
	}
}

// pack7 packs a value of up to 7 bytes with its length in the top byte.
func pack7(v []byte) uint64 {
	n := len(v)
	var k uint64
	if n >= 4 {
		// Two overlapping loads: the common bytes are the same.
		k = uint64(binary.LittleEndian.Uint32(v)) | uint64(binary.LittleEndian.Uint32(v[n-4:]))<<((n-4)*8)
	} else {
		for i, b := range v {
			k |= uint64(b) << (8 * i)
		}
	}
	return k | uint64(n)<<56
}

func (t *internCol) growShort(seed uint64) {
	old, oldID := t.short, t.shortID
	n := max(64, 2*len(old))
	t.short, t.shortID = make([]uint64, n), make([]uint32, n)
	mask := uint64(n - 1)
	for j, k := range old {
		if k == 0 {
			continue
		}
		i := mix(k^seed, 0x9e3779b97f4a7c15) >> 32 & mask
		for t.short[i] != 0 {
			i = (i + 1) & mask
		}
		t.short[i], t.shortID[i] = k, oldID[j]
	}
}

func (t *internCol) count(c int, hit bool) {
	t.uses++
	if hit {
		t.hits++
	}
	if t.uses < internWindow {
		return
	}
	if !alwaysInterned[c] {
		if t.sampled {
			t.sampled = 2*t.hits <= t.uses
		} else {
			t.sampled = 4*t.hits < t.uses
		}
	}
	t.uses, t.hits = 0, 0
}

// keep copies a new dictionary value next to the others of its column.
func (w *writer) keep(t *internCol, v []byte) string {
	if cap(t.chunk)-len(t.chunk) < len(v) {
		n := min(max(2*cap(t.chunk), 4<<10, len(v)), max(segSize, len(v)))
		t.chunk = make([]byte, 0, n)
	}
	start := len(t.chunk)
	t.chunk = append(t.chunk, v...)
	return unsafe.String(&t.chunk[start], len(v))
}

func (t *internCol) grow() {
	old := t.slots
	t.slots = make([]uint64, max(64, 2*len(old)))
	mask := uint32(len(t.slots) - 1)
	for _, s := range old {
		if s == 0 {
			continue
		}
		i := uint32(s>>32) & mask
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
}

// release drops what only the load needed.
func (w *writer) release() {
	for c := range w.cols {
		w.cols[c] = internCol{}
	}
}

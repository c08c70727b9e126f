package annuaire

import (
	"encoding/binary"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/mssante-go/sdk/internal/check"
)

// nameCols are the columns the name search looks at.
var nameCols = [...]int{colLastName, colFirstName, colStructureName, colTradeName}

// nameIndex is the sorted list of the folded words of the names, each with
// the records it occurs in. The names are interned, so the words of a
// record are those of its name values, folded once per distinct value.
type nameIndex struct {
	words []string // sorted
	cnt   []uint32 // cnt[w]: postings of the words before w (len(words)+1)
	off   []uint32 // off[w]: where the postings of word w start in post
	// post holds, per word, its records in increasing order: for each, the
	// uvarint delta of record+1 and the record's meta word (8 bytes, little
	// endian; see below), so that the search filters candidates reading on.
	post []byte
	// ent[d][k] gives the words (ranks in words) of each value of the
	// dictionary set d for the name column nameCols[k].
	ent [][len(nameCols)]entWords
	// late holds the words of the records a duplicate merge rewrote
	// without a dictionary.
	late map[uint32][]uint32
}

type entWords struct {
	start []uint32 // words of value id: ranks[start[id]:start[id+1]]
	ranks []uint32
}

// The meta word of a record lets the search discard most candidates
// without reading the record: bits 0-26 hold the first letters of its name
// words (a-z, 26 for any other), bits 27-47 a hash of their first two
// letters, bits 48-63 its département code (deptCode).
const (
	metaPairBits  = 21
	metaPairShift = 27
	metaDeptShift = 48
)

func firstBit(c byte) uint64 {
	if c >= 'a' && c <= 'z' {
		return 1 << (c - 'a')
	}
	return 1 << 26
}

func pairBit(a, b byte) uint64 {
	return 1 << (metaPairShift + (uint(a)*31+uint(b))%metaPairBits)
}

// termMask is what a record's meta word must contain for term to start
// one of its words; it is also the signature of a word.
func termMask(term []byte) uint64 {
	m := firstBit(term[0])
	if len(term) > 1 {
		m |= pairBit(term[0], term[1])
	}
	return m
}

// deptCode encodes a département in 16 bits: 1-99 for two digits, 100 and
// 101 for 2A and 2B, the number for three digits (971...); 0 for anything
// else (compared as a string then).
func deptCode(d string) uint64 {
	switch {
	case len(d) == 2 && d[0] >= '0' && d[0] <= '9' && d[1] >= '0' && d[1] <= '9':
		return uint64(d[0]-'0')*10 + uint64(d[1]-'0')
	case len(d) == 2 && d[0] == '2' && (d[1] == 'A' || d[1] == 'a'):
		return 100
	case len(d) == 2 && d[0] == '2' && (d[1] == 'B' || d[1] == 'b'):
		return 101
	case len(d) == 3 && check.Digits(d):
		return uint64(d[0]-'0')*100 + uint64(d[1]-'0')*10 + uint64(d[2]-'0')
	}
	return 0
}

// nameBuilder collects the distinct words of the name values.
type nameBuilder struct {
	ids  map[string]uint32
	list []string // words by id
	buf  []byte
	sig  uint64 // signature of the words of the last call to add
}

// add appends the ids of the words of a name value to dst (each once).
func (nb *nameBuilder) add(dst []uint32, v string) []uint32 {
	nb.buf = foldAppend(nb.buf[:0], v)
	first := len(dst)
	nb.sig = 0
	words(nb.buf, func(w []byte) {
		nb.sig |= termMask(w)
		id, ok := nb.ids[string(w)]
		if !ok {
			id = uint32(len(nb.list))
			s := string(w)
			nb.ids[s] = id
			nb.list = append(nb.list, s)
		}
		if !slices.Contains(dst[first:], id) {
			dst = append(dst, id)
		}
	})
	return dst
}

// buildNames makes the name index of idx: the words of every dictionary
// value of the name columns, then the postings in two passes over the
// records (count, then fill), so that nothing is sized by guess.
func buildNames(idx *Index) nameIndex {
	st := &idx.st
	n := len(idx.refs)
	nb := &nameBuilder{ids: make(map[string]uint32)}
	var ni nameIndex
	ni.ent = make([][len(nameCols)]entWords, len(st.dicts))
	// sigs[d][k][id] is the signature of a value, for the meta words.
	sigs := make([][len(nameCols)][]uint64, len(st.dicts))
	for d, ds := range st.dicts {
		for k, c := range nameCols {
			vals := ds.strs[c]
			e := &ni.ent[d][k]
			e.start = make([]uint32, len(vals)+1)
			sigs[d][k] = make([]uint64, len(vals))
			for id, v := range vals {
				e.ranks = nb.add(e.ranks, v)
				e.start[id+1] = uint32(len(e.ranks))
				sigs[d][k][id] = nb.sig
			}
		}
	}
	lateSig := map[uint32]uint64{}
	for i, ref := range idx.refs {
		if st.owner[ref>>segBits] != noDict {
			continue
		}
		if ni.late == nil {
			ni.late = make(map[uint32][]uint32)
		}
		var f [numCols]string
		st.fields(ref, &f)
		var ids []uint32
		var sig uint64
		for _, c := range nameCols {
			ids = nb.add(ids, f[c])
			sig |= nb.sig
		}
		// The same word in two columns counts once.
		ids = slices.Compact(slices.Sorted(slices.Values(ids)))
		ni.late[uint32(i)], lateSig[uint32(i)] = ids, sig
	}
	// Sort the words; the lists of ids become lists of ranks.
	order := make([]uint32, len(nb.list))
	for i := range order {
		order[i] = uint32(i)
	}
	sort.Slice(order, func(a, b int) bool { return nb.list[order[a]] < nb.list[order[b]] })
	rank := make([]uint32, len(order))
	ni.words = make([]string, len(order))
	for r, id := range order {
		rank[id] = uint32(r)
		ni.words[r] = nb.list[id]
	}
	nb = nil
	for d := range ni.ent {
		for k := range ni.ent[d] {
			for j, id := range ni.ent[d][k].ranks {
				ni.ent[d][k].ranks[j] = rank[id]
			}
		}
	}
	for _, ids := range ni.late {
		for j, id := range ids {
			ids[j] = rank[id]
		}
	}
	// The postings are counted, then written, by parts of the records in
	// parallel; a part's first posting of a word is a delta from the last
	// one of the parts before.
	nw := len(ni.words)
	meta := make([]uint64, n) // per record, while building
	nparts := min(runtime.GOMAXPROCS(0), max(1, n/8192))
	parts := make([]postingPart, nparts)
	var wg sync.WaitGroup
	for p := range parts {
		pp := &parts[p]
		pp.lo, pp.hi = p*n/nparts, (p+1)*n/nparts
		wg.Go(func() { pp.count(&ni, idx, nw, meta, sigs, lateSig) })
	}
	wg.Wait()
	ni.cnt = make([]uint32, nw+1)
	ni.off = make([]uint32, nw+1)
	prev := make([]uint32, nw) // last record + 1 of each word in the parts so far
	for p := range parts {
		pp := &parts[p]
		for w := range nw {
			ni.cnt[w+1] += pp.cnt[w]
			if pp.cnt[w] == 0 {
				continue
			}
			// The part counted its first delta from 0.
			pp.bytes[w] += uint32(uvarintLen(uint64(pp.first[w]-prev[w])) - uvarintLen(uint64(pp.first[w])))
			ni.off[w+1] += pp.bytes[w]
		}
		pp.prev = slices.Clone(prev)
		for w := range nw {
			if pp.cnt[w] != 0 {
				prev[w] = pp.last[w]
			}
		}
	}
	for w := range nw {
		ni.cnt[w+1] += ni.cnt[w]
		ni.off[w+1] += ni.off[w]
	}
	ni.post = make([]byte, ni.off[nw])
	pos := slices.Clone(ni.off[:nw])
	for p := range parts {
		pp := &parts[p]
		pp.pos = slices.Clone(pos)
		for w := range nw {
			pos[w] += pp.bytes[w]
		}
		wg.Go(func() {
			pp.fill(&ni, idx, meta)
			*pp = postingPart{}
		})
	}
	wg.Wait()
	return ni
}

// postingPart counts and writes the postings of records lo to hi.
type postingPart struct {
	lo, hi int
	cnt    []uint32 // postings per word
	bytes  []uint32 // their bytes
	first  []uint32 // first record + 1 per word
	last   []uint32 // last record + 1 per word
	prev   []uint32 // last record + 1 per word before lo
	pos    []uint32 // where the part writes
	ranks  []uint32 // the words of each record, from count to fill
	nranks []uint8  // how many for each record
}

func (pp *postingPart) count(ni *nameIndex, idx *Index, nw int, meta []uint64, sigs [][len(nameCols)][]uint64, lateSig map[uint32]uint64) {
	pp.cnt, pp.bytes = make([]uint32, nw), make([]uint32, nw)
	pp.first, pp.last = make([]uint32, nw), make([]uint32, nw)
	pp.ranks = make([]uint32, 0, 4*(pp.hi-pp.lo))
	pp.nranks = make([]uint8, pp.hi-pp.lo)
	for i := pp.lo; i < pp.hi; i++ {
		start := len(pp.ranks)
		var sig uint64
		var dept string
		pp.ranks, sig, dept = ni.record(idx, uint32(i), pp.ranks, sigs, lateSig)
		ranks := pp.ranks[start:]
		if len(ranks) > 255 {
			// More words than a byte counts (a hostile line): read them
			// again when filling.
			pp.ranks = pp.ranks[:start]
			pp.nranks[i-pp.lo] = 255
		} else {
			pp.nranks[i-pp.lo] = uint8(len(ranks))
		}
		meta[i] = sig | deptCode(dept)<<metaDeptShift
		r1 := uint32(i) + 1
		for _, r := range ranks {
			if pp.cnt[r] == 0 {
				pp.first[r] = r1
			}
			pp.cnt[r]++
			pp.bytes[r] += uint32(uvarintLen(uint64(r1-pp.last[r]))) + 8
			pp.last[r] = r1
		}
	}
}

func (pp *postingPart) fill(ni *nameIndex, idx *Index, meta []uint64) {
	last, pos := pp.prev, pp.pos
	var buf []uint32
	k := 0
	for i := pp.lo; i < pp.hi; i++ {
		var ranks []uint32
		if n := int(pp.nranks[i-pp.lo]); n < 255 {
			ranks = pp.ranks[k : k+n]
			k += n
		} else {
			buf, _, _ = ni.record(idx, uint32(i), buf[:0], nil, nil)
			ranks = buf
		}
		r1 := uint32(i) + 1
		for _, r := range ranks {
			p := pos[r] + uint32(binary.PutUvarint(ni.post[pos[r]:], uint64(r1-last[r])))
			binary.LittleEndian.PutUint64(ni.post[p:], meta[i])
			pos[r] = p + 8
			last[r] = r1
		}
	}
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// record appends the word ranks of record i to dst, each once (dst may
// hold those of other records before), and gives
// its signature (when sigs is set) and its département.
func (ni *nameIndex) record(idx *Index, i uint32, dst []uint32, sigs [][len(nameCols)][]uint64, lateSig map[uint32]uint64) (ranks []uint32, sig uint64, dept string) {
	var f [numCols]string
	var ids [numCols]uint32
	ref := idx.refs[i]
	ds := idx.st.decode(ref, &f, &ids, blobPos[colType])
	if ds == nil {
		return append(dst, ni.late[i]...), lateSig[i], f[colDepartement]
	}
	d := idx.st.owner[ref>>segBits]
	start := len(dst)
	for k, c := range nameCols {
		id := ids[c]
		if id == 0 {
			continue
		}
		e := &ni.ent[d][k]
		for _, r := range e.ranks[e.start[id-1]:e.start[id]] {
			if !slices.Contains(dst[start:], r) {
				dst = append(dst, r)
			}
		}
		if sigs != nil {
			sig |= sigs[d][k][id-1]
		}
	}
	if id := ids[colDepartement]; id != 0 {
		dept = ds.strs[colDepartement][id-1]
	}
	return dst, sig, dept
}

// ranks appends the word ranks of record i to dst, each once: the names
// only, for the candidates of a search.
func (ni *nameIndex) ranks(idx *Index, i uint32, dst []uint32) []uint32 {
	var f [numCols]string
	var ids [numCols]uint32
	ref := idx.refs[i]
	if idx.st.decode(ref, &f, &ids, blobPos[colTradeName]) == nil {
		return append(dst, ni.late[i]...)
	}
	d := idx.st.owner[ref>>segBits]
	for k, c := range nameCols {
		if id := ids[c]; id != 0 {
			e := &ni.ent[d][k]
			dst = append(dst, e.ranks[e.start[id-1]:e.start[id]]...)
		}
	}
	return dst
}

// prefixRange returns the range of words that start with prefix.
func (ni *nameIndex) prefixRange(prefix []byte) (lo, hi int) {
	p := string(prefix)
	lo = sort.SearchStrings(ni.words, p)
	rest := ni.words[lo:]
	return lo, lo + sort.Search(len(rest), func(i int) bool { return !strings.HasPrefix(rest[i], p) })
}

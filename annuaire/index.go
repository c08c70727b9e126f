package annuaire

import (
	"context"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/idnat"
	"github.com/mssante-go/sdk/internal/check"
)

// LoadOptions configures LoadIndex. The zero value is usable.
type LoadOptions struct {
	ReaderOptions
	// Progress, if set, is called about every 4,096 lines and at the end
	// with the bytes and lines read so far.
	Progress func(bytesRead int64, lines int)
	// SizeHint is the expected size of the text in bytes, used to size the
	// index up front (LoadIndexFile sets it from the file).
	SizeHint int64
}

// LoadStats describes a loaded index.
type LoadStats struct {
	ReadStats
	// Duplicates counts lines whose address was already seen: they are merged
	// into the first one (see Index).
	Duplicates int
	// Distinct counts the mailboxes of the index (distinct addresses).
	Distinct int
	Persons  int // distinct person identifiers
	Domains  int // distinct domains
	Loaded   time.Time
	Duration time.Duration
	// Generated is the generation time in the ANS file name, when
	// LoadIndexFile read one (see ExtractionTime); zero otherwise. The
	// extraction has had outages of several days: compare it with now.
	Generated time.Time
}

// Index is an immutable in-memory copy of the extraction. Every lookup is
// safe for concurrent use. Build it with LoadIndex or LoadIndexFile. A nil
// *Index (Directory.Current before the first load) is empty.
//
// Addresses are unique: when several lines carry the same address (compared
// case-insensitively) they are merged into one mailbox; each field keeps the
// first non-empty value in file order, and a warning names the conflicting
// fields.
type Index struct {
	recs     []record
	byAddr   map[string]uint32
	persons  chains
	structs  chains
	domains  chains
	names    nameIndex
	stats    LoadStats
	findings finding.List
}

// chains maps a key to the records that share it, in file order: ends
// holds the first and last record of each key, next[i] the record after i,
// all as index+1 (0 ends a chain).
type chains struct {
	ends map[string][2]uint32
	next []uint32
}

func newChains(keys, recs int) chains {
	return chains{ends: make(map[string][2]uint32, keys), next: make([]uint32, 0, recs)}
}

// add appends record i to the chain of key k.
func (c *chains) add(k string, i int) {
	if k == "" {
		return
	}
	for len(c.next) <= i {
		c.next = append(c.next, 0)
	}
	id := uint32(i + 1)
	e, ok := c.ends[k]
	if ok {
		c.next[e[1]-1] = id
		e[1] = id
	} else {
		e = [2]uint32{id, id}
	}
	c.ends[k] = e
}

func (c *chains) each(k string, fn func(i uint32) bool) {
	for i := c.ends[k][0]; i != 0; i = c.next[i-1] {
		if !fn(i - 1) {
			return
		}
	}
}

// maxSizeHintLines bounds the lines LoadIndex reserves room for from
// LoadOptions.SizeHint; a larger file grows its tables as it goes.
const maxSizeHintLines = 1 << 20

// LoadIndexFile loads an extraction file, text or ZIP (see OpenExtraction).
func LoadIndexFile(ctx context.Context, path string, opts *LoadOptions) (*Index, error) {
	rc, size, err := OpenExtraction(path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var o LoadOptions
	if opts != nil {
		o = *opts
	}
	if o.SizeHint == 0 {
		o.SizeHint = size
	}
	idx, err := LoadIndex(ctx, rc, &o)
	if err == nil {
		idx.stats.Generated, _ = ExtractionTime(path)
	}
	return idx, err
}

// LoadIndex reads a whole extraction text and indexes it. Bad lines are
// skipped and reported in Findings; only I/O errors, a bad header and ctx
// cancellation fail the load.
func LoadIndex(ctx context.Context, r io.Reader, opts *LoadOptions) (*Index, error) {
	// batch is a run of parsed records handed from the parsing goroutine to
	// the indexing one.
	type batch struct {
		recs  []record
		err   error
		bytes int64
		lines int
	}

	start := time.Now()
	var o LoadOptions
	if opts != nil {
		o = *opts
	}
	er, err := NewExtractionReader(r, &o.ReaderOptions)
	if err != nil {
		return nil, err
	}
	// A line is about 180 bytes. The hint only sizes the first allocations:
	// it is bounded so that a ZIP header claiming a huge entry cannot make
	// the load reserve gigabytes up front (the real file has about 550,000 lines).
	hint := int(min(max(o.SizeHint/150, 1024), maxSizeHintLines))
	idx := &Index{
		byAddr:  make(map[string]uint32, hint),
		recs:    make([]record, 0, hint),
		persons: newChains(hint, hint),
		structs: newChains(hint/4, hint),
		domains: newChains(1024, hint),
	}

	// One goroutine parses, this one indexes by address.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan batch, 8)
	go func() {
		defer close(batches)
		ar := new(arena)
		for {
			b := batch{recs: make([]record, 0, 4096)}
			for len(b.recs) < cap(b.recs) {
				rec, err := er.next(ar)
				if err != nil {
					if err != io.EOF {
						b.err = err
					}
					break
				}
				b.recs = append(b.recs, rec)
			}
			b.bytes, b.lines = er.stats.Bytes, er.stats.Lines
			done := b.err != nil || len(b.recs) < cap(b.recs)
			select {
			case batches <- b:
			case <-ctx.Done():
				return
			}
			if done {
				return
			}
		}
	}()
	// A third goroutine builds the name index and the domain chains from
	// the same batches.
	nb := newNameBuilder(hint)
	type nameWork struct {
		recs []record
		idxs []int32 // index of each record in idx.recs, -1 for a duplicate
	}
	namesCh := make(chan nameWork, 8)
	namesDone := make(chan struct{})
	go func() {
		defer close(namesDone)
		for w := range namesCh {
			for k := range w.recs {
				if i := w.idxs[k]; i >= 0 {
					nb.add(int(i), &w.recs[k], false)
					idx.domains.add(recDomain(&w.recs[k]), int(i))
				}
			}
		}
	}()
	namesOpen := true
	stopNames := func() {
		if namesOpen {
			namesOpen = false
			close(namesCh)
			<-namesDone
		}
	}
	defer stopNames()
	var dups finding.List
	var merged []uint32
	for b := range batches {
		if b.err != nil {
			return nil, b.err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		idxs := make([]int32, len(b.recs))
		for k := range b.recs {
			rec := &b.recs[k]
			if first, dup := idx.byAddr[rec.key]; dup {
				idx.stats.Duplicates++
				idxs[k] = -1
				if idx.merge(&dups, first, rec) {
					merged = append(merged, first)
				}
				continue
			}
			// The secondary keys are indexed here, while the other
			// goroutine parses.
			i := len(idx.recs)
			idxs[k] = int32(i)
			idx.byAddr[rec.key] = uint32(i)
			idx.recs = append(idx.recs, *rec)
			idx.persons.add(rec.field(colPersonID), i)
			idx.structs.add(rec.field(colStructureID), i)
		}
		namesCh <- nameWork{b.recs, idxs}
		if o.Progress != nil {
			o.Progress(b.bytes, b.lines)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	stopNames()
	for _, i := range merged {
		nb.add(int(i), &idx.recs[i], true)
	}
	idx.names = nb.finish()
	idx.build()
	idx.stats.ReadStats = er.stats
	idx.findings = er.findings
	if limit := er.opts.MaxFindings; limit >= 0 { // MaxFindings with its default
		for _, f := range dups {
			if len(idx.findings) >= limit {
				break
			}
			idx.findings = append(idx.findings, f)
		}
	}
	idx.stats.Warnings += len(dups)
	idx.stats.Distinct = len(idx.recs)
	idx.stats.Persons = len(idx.persons.ends)
	idx.stats.Domains = len(idx.domains.ends)
	idx.stats.Loaded = time.Now()
	idx.stats.Duration = time.Since(start)
	return idx, nil
}

// merge folds a duplicate line into record i: empty fields are filled,
// conflicting ones keep the first value and are reported.
func (idx *Index) merge(dups *finding.List, i uint32, dup *record) (changed bool) {
	first := &idx.recs[i]
	if first.s == dup.s {
		return false
	}
	var conflicts []string
	var fields [numCols]string
	for c := 0; c < numCols; c++ {
		a, b := first.field(c), dup.field(c)
		fields[c] = a
		switch {
		case a == b || b == "":
		case a == "":
			fields[c] = b
			changed = true
		case c == colAddress:
			// same address in another case: keep the first spelling
		default:
			conflicts = append(conflicts, ExtractionHeader[c])
		}
	}
	if len(conflicts) > 0 {
		dups.Add(finding.Warning, "ANN-EXT-DUPLICATE", "line "+itoa(int(dup.line)), specExtraction,
			"address %s already on line %d with other %s: the first values are kept", first.field(colAddress), first.line, strings.Join(conflicts, ", "))
	}
	if !changed {
		return false
	}
	var n int
	var off [numCols + 1]uint16
	for c := range fields {
		off[c] = uint16(n)
		n += len(fields[c])
	}
	if n > maxRecordBytes {
		dups.Add(finding.Warning, "ANN-EXT-DUPLICATE", "line "+itoa(int(dup.line)), specExtraction,
			"address %s already on line %d: the values of this line are dropped, the merged line would exceed %d bytes", first.field(colAddress), first.line, maxRecordBytes)
		return false
	}
	off[numCols] = uint16(n)
	hadPerson, hadStruct := first.field(colPersonID) != "", first.field(colStructureID) != ""
	first.s = strings.Join(fields[:], "")
	first.off = off
	// The address keeps its first spelling, so first.key stays valid.
	if !hadPerson {
		idx.persons.add(first.field(colPersonID), int(i))
	}
	if !hadStruct {
		idx.structs.add(first.field(colStructureID), int(i))
	}
	return true
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	if n == 0 {
		return "0"
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

func recDomain(r *record) string {
	_, d, _ := splitAddress(r.key)
	return d
}

// build sizes the chains to the records.
func (idx *Index) build() {
	for _, c := range []*chains{&idx.persons, &idx.structs, &idx.domains} {
		for len(c.next) < len(idx.recs) {
			c.next = append(c.next, 0)
		}
	}
}

// emptyIndex stands for a nil *Index: every lookup finds nothing.
var emptyIndex = &Index{}

// orEmpty returns idx, or an empty index for nil, so that the methods of a
// nil *Index (Directory.Current before the first load) answer "nothing".
func (idx *Index) orEmpty() *Index {
	if idx == nil {
		return emptyIndex
	}
	return idx
}

// Stats describes the load.
func (idx *Index) Stats() LoadStats { return idx.orEmpty().stats }

// Findings returns the findings of the load: skipped lines, warnings on
// values and duplicates (at most ReaderOptions.MaxFindings).
func (idx *Index) Findings() finding.List { return idx.orEmpty().findings }

// Len returns the number of mailboxes (distinct addresses).
func (idx *Index) Len() int { return len(idx.orEmpty().recs) }

// Lookup finds a mailbox by address. The comparison ignores case (the
// index keys are lower-cased addresses). It does not allocate.
func (idx *Index) Lookup(address string) (Mailbox, bool) {
	idx = idx.orEmpty()
	i, ok := idx.lookup(address)
	if !ok {
		return Mailbox{}, false
	}
	return idx.recs[i].mailbox(), true
}

func (idx *Index) lookup(address string) (uint32, bool) {
	if !hasUpper(address) {
		i, ok := idx.byAddr[address]
		return i, ok
	}
	var buf [256]byte
	if len(address) > len(buf) {
		i, ok := idx.byAddr[strings.ToLower(address)]
		return i, ok
	}
	b := buf[:0]
	for i := 0; i < len(address); i++ {
		c := address[i]
		if c >= 0x80 {
			i, ok := idx.byAddr[strings.ToLower(address)]
			return i, ok
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	i, ok := idx.byAddr[string(b)]
	return i, ok
}

// ByPerson returns every mailbox of a person, in file order, with its type
// and structure so that the caller can choose. id is an RPPS, an ADELI
// number, or a national identifier ("8"+RPPS, "0"+ADELI).
func (idx *Index) ByPerson(id string) []Mailbox {
	idx = idx.orEmpty()
	id = strings.TrimSpace(id)
	out := idx.collect(&idx.persons, id)
	if len(out) == 0 && (len(id) == 12 && id[0] == '8' || len(id) == 10 && id[0] == '0') {
		out = idx.collect(&idx.persons, id[1:])
	}
	return out
}

// ByStructure returns the mailboxes attached to a structure, by the value
// of the "Identification Structure" column. When nothing matches and id looks
// like a national structure id ("1"+FINESS...), it is tried without its
// prefix, and the other way round.
func (idx *Index) ByStructure(id string) []Mailbox {
	idx = idx.orEmpty()
	id = strings.TrimSpace(id)
	out := idx.collect(&idx.structs, id)
	if len(out) > 0 {
		return out
	}
	if n, err := idnat.ParseStructure(id); err == nil && n.Internal == "" {
		out = idx.collect(&idx.structs, n.ID)
	}
	for _, p := range "1234" {
		if len(out) > 0 {
			break
		}
		out = idx.collect(&idx.structs, string(p)+id)
	}
	return out
}

// ByDomain returns the mailboxes of a domain (case-insensitive).
func (idx *Index) ByDomain(domain string) []Mailbox {
	idx = idx.orEmpty()
	return idx.collect(&idx.domains, normDomain(domain))
}

// DomainCount returns the number of mailboxes of a domain (compared like
// ByDomain).
func (idx *Index) DomainCount(domain string) int {
	idx = idx.orEmpty()
	n := 0
	idx.domains.each(normDomain(domain), func(uint32) bool { n++; return true })
	return n
}

func (idx *Index) collect(c *chains, key string) []Mailbox {
	if key == "" {
		return nil
	}
	var out []Mailbox
	c.each(key, func(i uint32) bool {
		out = append(out, idx.recs[i].mailbox())
		return true
	})
	return out
}

// All calls fn for every mailbox in file order until fn returns false.
func (idx *Index) All(fn func(Mailbox) bool) {
	idx = idx.orEmpty()
	for i := range idx.recs {
		if !fn(idx.recs[i].mailbox()) {
			return
		}
	}
}

// SearchOptions refines a name search. nil or the zero value is usable.
type SearchOptions struct {
	// Departement keeps only mailboxes whose structure is in this
	// département ("75", "2A", "971"); empty keeps all.
	Departement string
	// Limit bounds the results; 0 means 50, negative means no limit.
	Limit int
	// Types keeps only these mailbox types; empty keeps all.
	Types []MailboxType
}

// Search finds mailboxes by name: every word of query must be the prefix of
// a word of the last name, first name, structure name or trade name,
// ignoring case and accents ("hel dup" finds "Hélène DUPONT"). Results come
// in the alphabetical order of the matched word, then in file order.
func (idx *Index) Search(query string, o *SearchOptions) []Mailbox {
	idx = idx.orEmpty()
	var opts SearchOptions
	if o != nil {
		opts = *o
	}
	limit := opts.Limit
	if limit == 0 {
		limit = 50
	}
	if len(idx.names.start) == 0 {
		return nil
	}
	var qbuf [128]byte
	q := foldAppend(qbuf[:0], query)
	var terms [][]byte
	words(q, func(w []byte) { terms = append(terms, w) })
	if len(terms) == 0 {
		return nil
	}
	// Drive the search with the term whose words have the fewest
	// postings; check the others on the folded names of each candidate.
	d, best := 0, -1
	var rbuf [8][2]int
	ranges := rbuf[:0]
	for i, t := range terms {
		lo, hi := idx.names.prefixRange(t)
		ranges = append(ranges, [2]int{lo, hi})
		if n := int(idx.names.start[hi] - idx.names.start[lo]); best < 0 || n < best {
			d, best = i, n
		}
	}
	if best == 0 {
		return nil
	}
	others := append(terms[:d:d], terms[d+1:]...)
	capacity := min(best, 1024)
	if limit >= 0 {
		capacity = min(limit, best)
	}
	out := make([]Mailbox, 0, capacity)
	var seen map[uint32]struct{}
	lo, hi := ranges[d][0], ranges[d][1]
	var need uint64
	for _, t := range others {
		need |= termMask(t)
	}
	wantDept := uint64(0)
	if opts.Departement != "" {
		wantDept = deptCode(opts.Departement)
	}
	for w := lo; w < hi && (limit < 0 || len(out) < limit); w++ {
		base := idx.names.start[w]
		for k, ri := range idx.names.postings(w) {
			meta := idx.names.meta[int(base)+k]
			if meta&need != need {
				continue
			}
			rec := &idx.recs[ri]
			if opts.Departement != "" {
				if wantDept != 0 {
					if meta>>metaDeptShift != wantDept {
						continue
					}
				} else if !strings.EqualFold(rec.field(colDepartement), opts.Departement) {
					continue
				}
			}
			if len(opts.Types) > 0 && !hasType(opts.Types, MailboxType(rec.field(colType))) {
				continue
			}
			if len(others) > 0 && !allPrefixes(idx.names.folded[ri], others) {
				continue
			}
			if hi-lo > 1 {
				// A record may hold several words of the range.
				if seen == nil {
					seen = make(map[uint32]struct{})
				}
				if _, dup := seen[ri]; dup {
					continue
				}
				seen[ri] = struct{}{}
			}
			out = append(out, rec.mailbox())
			if limit >= 0 && len(out) >= limit {
				break
			}
		}
	}
	return out
}

func hasType(ts []MailboxType, t MailboxType) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

// nameCols are the columns the name search looks at.
var nameCols = [...]int{colLastName, colFirstName, colStructureName, colTradeName}

func recNames(dst []byte, r *record) []byte {
	for _, c := range nameCols {
		dst = foldAppend(dst, r.field(c))
		dst = append(dst, ' ')
	}
	return dst
}

// allPrefixes reports whether every term starts a word of names (folded,
// space-separated).
func allPrefixes(names string, terms [][]byte) bool {
	for _, t := range terms {
		found := false
		for i := 0; i < len(names) && !found; {
			j := strings.IndexByte(names[i:], ' ')
			if j < 0 {
				j = len(names) - i
			}
			if j >= len(t) && names[i:i+len(t)] == string(t) {
				found = true
			}
			i += j + 1
		}
		if !found {
			return false
		}
	}
	return true
}

// nameIndex is a sorted list of the folded words of the names, each with
// the records it occurs in (postings, in file order).
type nameIndex struct {
	words  []string
	start  []uint32 // postings of words[i] are post[start[i]:start[i+1]]
	post   []uint32
	meta   []uint64 // per posting: the record's word signature and département (see recMeta)
	folded []string // per record: its folded name words, space-separated
}

// The meta word of a posting lets the search discard most candidates
// without touching the record: bits 0-26 hold the first letters of the
// record's name words (a-z, 26 for any other), bits 27-47 a hash of their
// first two letters, bits 48-63 the département code (deptCode).
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

// termMask is what a record's signature must contain for term to start
// one of its words.
func termMask(term []byte) uint64 {
	m := firstBit(term[0])
	if len(term) > 1 {
		m |= pairBit(term[0], term[1])
	}
	return m
}

// wordSig is the signature bits of one word.
func wordSig(w []byte) uint64 {
	m := firstBit(w[0])
	if len(w) > 1 {
		m |= pairBit(w[0], w[1])
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

// nameBuilder collects the words of the records as they come, in record
// order, and makes the nameIndex at the end.
type nameBuilder struct {
	ids    map[string]uint32
	list   []string // words by id
	pairs  []namePair
	folded []string
	meta   []uint64 // per record
	late   bool     // pairs added out of record order (merged duplicates)
	ar     arena
	buf    []byte
	packed []byte
}

type namePair struct{ word, rec uint32 }

func newNameBuilder(hint int) *nameBuilder {
	return &nameBuilder{
		ids:    make(map[string]uint32, hint/4),
		pairs:  make([]namePair, 0, hint*4),
		folded: make([]string, 0, hint),
		meta:   make([]uint64, 0, hint),
	}
}

// add indexes the names of record i; records come in order, except merged
// duplicates given again with update.
func (nb *nameBuilder) add(i int, r *record, update bool) {
	nb.buf = recNames(nb.buf[:0], r)
	nb.packed = nb.packed[:0]
	first := len(nb.pairs)
	var old string
	if update {
		old = nb.folded[i]
	}
	meta := deptCode(r.field(colDepartement)) << metaDeptShift
	words(nb.buf, func(w []byte) {
		meta |= wordSig(w)
		if len(nb.packed) > 0 {
			nb.packed = append(nb.packed, ' ')
		}
		nb.packed = append(nb.packed, w...)
		if update && hasWord(old, w) {
			return
		}
		id, ok := nb.ids[string(w)]
		if !ok {
			id = uint32(len(nb.list))
			s := string(w)
			nb.ids[s] = id
			nb.list = append(nb.list, s)
		}
		for _, q := range nb.pairs[first:] {
			if q.word == id {
				return // the same word twice in one record
			}
		}
		nb.pairs = append(nb.pairs, namePair{id, uint32(i)})
	})
	f := nb.ar.string(nb.packed)
	if update {
		nb.folded[i] = f
		nb.meta[i] = meta
		nb.late = nb.late || len(nb.pairs) > first
		return
	}
	nb.folded = append(nb.folded, f)
	nb.meta = append(nb.meta, meta)
}

func hasWord(folded string, w []byte) bool {
	for _, x := range strings.Fields(folded) {
		if x == string(w) {
			return true
		}
	}
	return false
}

// finish sorts the words and lays out the postings.
func (nb *nameBuilder) finish() nameIndex {
	var n nameIndex
	n.folded = nb.folded
	order := make([]uint32, len(nb.list))
	for i := range order {
		order[i] = uint32(i)
	}
	sort.Slice(order, func(a, b int) bool { return nb.list[order[a]] < nb.list[order[b]] })
	rank := make([]uint32, len(nb.list))
	n.words = make([]string, len(nb.list))
	for r, id := range order {
		rank[id] = uint32(r)
		n.words[r] = nb.list[id]
	}
	// Counting sort of the postings by word rank (pairs hold each word
	// once per record, in record order but for the late ones).
	n.start = make([]uint32, len(nb.list)+1)
	for _, p := range nb.pairs {
		n.start[rank[p.word]+1]++
	}
	for i := 1; i < len(n.start); i++ {
		n.start[i] += n.start[i-1]
	}
	n.post = make([]uint32, len(nb.pairs))
	fill := make([]uint32, len(nb.list))
	copy(fill, n.start[:len(nb.list)])
	for _, p := range nb.pairs {
		r := rank[p.word]
		n.post[fill[r]] = p.rec
		fill[r]++
	}
	if nb.late {
		for w := range n.words {
			p := n.postings(w)
			if !sort.SliceIsSorted(p, func(a, b int) bool { return p[a] < p[b] }) {
				sort.Slice(p, func(a, b int) bool { return p[a] < p[b] })
			}
		}
	}
	n.meta = make([]uint64, len(n.post))
	for k, ri := range n.post {
		n.meta[k] = nb.meta[ri]
	}
	return n
}

// prefixRange returns the range of words that start with prefix.
func (n *nameIndex) prefixRange(prefix []byte) (lo, hi int) {
	p := string(prefix)
	lo = sort.SearchStrings(n.words, p)
	rest := n.words[lo:]
	return lo, lo + sort.Search(len(rest), func(i int) bool { return !strings.HasPrefix(rest[i], p) })
}

func (n *nameIndex) postings(w int) []uint32 { return n.post[n.start[w]:n.start[w+1]] }

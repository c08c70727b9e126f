package annuaire

import (
	"encoding/binary"
	"strings"
	"time"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/idnat"
)

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
//
// The mailboxes are kept compactly (about 200 bytes a row with the
// indexes, see index_store.go): the strings of a returned Mailbox share
// the index's memory and keep a part of it alive.
type Index struct {
	st       store
	seed     uint64
	refs     []uint32 // per record: its blob
	lines    lineMap  // the line of each record in the file
	byAddr   addrTable
	persons  chains
	structs  chains
	domains  chains
	names    nameIndex
	stats    LoadStats
	findings finding.List
}

// lineMap gives the line of each record without a number per record:
// line - record only grows (by the blank, bad and duplicate lines before),
// so it is kept where it changes: from record from[k] on, line = record +
// delta[k].
type lineMap struct {
	from, delta []uint32
}

func (m *lineMap) add(rec, line uint32) {
	if d := line - rec; len(m.delta) == 0 || m.delta[len(m.delta)-1] != d {
		m.from, m.delta = append(m.from, rec), append(m.delta, d)
	}
}

func (m *lineMap) line(rec uint32) int {
	lo, hi := 0, len(m.from) // the last from <= rec is at lo-1
	for lo < hi {
		if mid := int(uint(lo+hi) >> 1); m.from[mid] <= rec {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == 0 {
		return 0
	}
	return int(rec + m.delta[lo-1])
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
func (idx *Index) Len() int { return len(idx.orEmpty().refs) }

func (idx *Index) mailbox(i uint32) Mailbox {
	var f [numCols]string
	idx.st.fields(idx.refs[i], &f)
	return mailboxOf(&f, idx.lines.line(i))
}

// Lookup finds a mailbox by address. The comparison ignores case (the
// index keys are lower-cased addresses). It does not allocate.
func (idx *Index) Lookup(address string) (Mailbox, bool) {
	idx = idx.orEmpty()
	i, ok := idx.lookup(address)
	if !ok {
		return Mailbox{}, false
	}
	return idx.mailbox(i), true
}

func (idx *Index) lookup(address string) (uint32, bool) {
	if len(idx.byAddr.slots) == 0 {
		return 0, false
	}
	if !hasUpper(address) {
		return idx.lookupKey(address)
	}
	var buf [256]byte
	if len(address) > len(buf) {
		return idx.lookupKey(strings.ToLower(address))
	}
	for i := 0; i < len(address); i++ {
		if address[i] >= 0x80 {
			return idx.lookupKey(strings.ToLower(address))
		}
	}
	return idx.lookupKey(bstr(lowerKey(buf[:0], []byte(address))))
}

// lookupKey finds a record by its lower-case address.
func (idx *Index) lookupKey(key string) (uint32, bool) {
	if len(idx.byAddr.slots) == 0 {
		return 0, false
	}
	i, _, ok := idx.byAddr.find(&idx.st, idx.refs, hashString(idx.seed, key), key)
	return i, ok
}

// The keys of the chains.
func (idx *Index) personOf(i uint32) string { return idx.st.field(idx.refs[i], colPersonID) }
func (idx *Index) structOf(i uint32) string { return idx.st.field(idx.refs[i], colStructureID) }
func (idx *Index) domainOf(i uint32) string {
	_, d, _ := splitAddress(idx.st.key(idx.refs[i]))
	return d
}

// ByPerson returns every mailbox of a person, in file order, with its type
// and structure so that the caller can choose. id is an RPPS, an ADELI
// number, or a national identifier ("8"+RPPS, "0"+ADELI).
func (idx *Index) ByPerson(id string) []Mailbox {
	idx = idx.orEmpty()
	id = strings.TrimSpace(id)
	out := idx.collect(&idx.persons, id, idx.personOf)
	if len(out) == 0 && (len(id) == 12 && id[0] == '8' || len(id) == 10 && id[0] == '0') {
		out = idx.collect(&idx.persons, id[1:], idx.personOf)
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
	out := idx.collect(&idx.structs, id, idx.structOf)
	if len(out) > 0 {
		return out
	}
	if n, err := idnat.ParseStructure(id); err == nil && n.Internal == "" {
		out = idx.collect(&idx.structs, n.ID, idx.structOf)
	}
	for _, p := range "1234" {
		if len(out) > 0 {
			break
		}
		out = idx.collect(&idx.structs, string(p)+id, idx.structOf)
	}
	return out
}

// ByDomain returns the mailboxes of a domain (case-insensitive).
func (idx *Index) ByDomain(domain string) []Mailbox {
	idx = idx.orEmpty()
	return idx.collect(&idx.domains, normDomain(domain), idx.domainOf)
}

// DomainCount returns the number of mailboxes of a domain (compared like
// ByDomain).
func (idx *Index) DomainCount(domain string) int {
	idx = idx.orEmpty()
	n := 0
	for i := idx.domains.head(idx.seed, normDomain(domain), idx.domainOf); i != 0; i = idx.domains.next[i-1] {
		n++
	}
	return n
}

func (idx *Index) collect(c *chains, key string, keyOf func(uint32) string) []Mailbox {
	var out []Mailbox
	for i := c.head(idx.seed, key, keyOf); i != 0; i = c.next[i-1] {
		out = append(out, idx.mailbox(i-1))
	}
	return out
}

// All calls fn for every mailbox in file order until fn returns false.
func (idx *Index) All(fn func(Mailbox) bool) {
	idx = idx.orEmpty()
	for i := range idx.refs {
		if !fn(idx.mailbox(uint32(i))) {
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
	var opts SearchOptions
	if o != nil {
		opts = *o
	}
	idx = idx.orEmpty()
	ni := &idx.names
	limit := opts.Limit
	if limit == 0 {
		limit = 50
	}
	if len(ni.words) == 0 {
		return nil
	}
	var qbuf [128]byte
	q := foldAppend(qbuf[:0], query)
	var tbuf [8][]byte
	terms := tbuf[:0]
	words(q, func(w []byte) { terms = append(terms, w) })
	if len(terms) == 0 {
		return nil
	}
	// Drive the search with the term whose words have the fewest
	// postings; check the others on the words of each candidate.
	d, best := 0, -1
	var rbuf [8][2]int
	ranges := rbuf[:0]
	for i, t := range terms {
		lo, hi := ni.prefixRange(t)
		ranges = append(ranges, [2]int{lo, hi})
		if n := int(ni.cnt[hi] - ni.cnt[lo]); best < 0 || n < best {
			d, best = i, n
		}
	}
	if best == 0 {
		return nil
	}
	var need uint64
	for i, t := range terms {
		if i != d {
			need |= termMask(t)
		}
	}
	others := append(ranges[:d:d], ranges[d+1:]...)
	capacity := min(best, 1024)
	if limit >= 0 {
		capacity = min(limit, best)
	}
	out := make([]Mailbox, 0, capacity)
	var seen map[uint32]struct{}
	lo, hi := ranges[d][0], ranges[d][1]
	wantDept := uint64(0)
	if opts.Departement != "" {
		wantDept = deptCode(opts.Departement)
	}
	var wbuf [32]uint32
	for w := lo; w < hi && (limit < 0 || len(out) < limit); w++ {
		post := ni.post[ni.off[w]:ni.off[w+1]]
		var rec uint32 // record + 1
		for p := 0; p+8 < len(post); {
			if d := post[p]; d < 0x80 {
				rec += uint32(d)
				p++
			} else {
				d, n := binary.Uvarint(post[p:])
				rec += uint32(d)
				p += n
			}
			meta := binary.LittleEndian.Uint64(post[p:])
			p += 8
			ri := rec - 1
			if meta&need != need {
				continue
			}
			if opts.Departement != "" {
				if wantDept != 0 {
					if meta>>metaDeptShift != wantDept {
						continue
					}
				} else if !strings.EqualFold(idx.st.field(idx.refs[ri], colDepartement), opts.Departement) {
					continue
				}
			}
			if len(opts.Types) > 0 && !hasType(opts.Types, MailboxType(idx.st.field(idx.refs[ri], colType))) {
				continue
			}
			if len(others) > 0 {
				if !allIn(ni.ranks(idx, ri, wbuf[:0]), others) {
					continue
				}
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
			out = append(out, idx.mailbox(ri))
			if limit >= 0 && len(out) >= limit {
				break
			}
		}
	}
	return out
}

// allIn reports whether each range holds one of ranks: every other term
// of the query starts a word of the record.
func allIn(ranks []uint32, ranges [][2]int) bool {
	for _, r := range ranges {
		found := false
		for _, x := range ranks {
			if int(x) >= r[0] && int(x) < r[1] {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func hasType(ts []MailboxType, t MailboxType) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
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

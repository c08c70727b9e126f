package annuaire

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mssante-go/sdk/finding"
)

// LoadOptions configures LoadIndex. The zero value is usable.
type LoadOptions struct {
	ReaderOptions
	// Progress, if set, is called after each block of about 1 MiB of text
	// and at the end, with the bytes and lines read so far, from the
	// goroutine that called LoadIndex.
	Progress func(bytesRead int64, lines int)
	// SizeHint is the expected size of the text in bytes, used to size the
	// first allocations (LoadIndexFile sets it from the file).
	SizeHint int64
	// MaxBytes is the budget of text read (after decompression): a load
	// that reads more fails with a *limit.Error. Zero means DefaultMaxBytes;
	// negative, no budget.
	MaxBytes int64
	// MaxRows is the budget of rows accepted (good lines, duplicates
	// included): past it the load fails with a *limit.Error. Zero means
	// DefaultMaxRows; negative, no budget.
	MaxRows int
	// Workers is the number of goroutines that parse the text; zero means
	// runtime.GOMAXPROCS(0).
	Workers int
}

// LoadIndexFile loads an extraction file, text or ZIP (see OpenExtraction).
// A file, or a ZIP entry, that claims more than the MaxBytes budget is
// refused before anything is read.
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
	if max := budget(o.MaxBytes, DefaultMaxBytes); max >= 0 && size > max {
		return nil, bytesLimit(max)
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

// chunkSize is the block of text a parsing goroutine takes at a time. It
// must be more than the longest line MaxLineBytes allows.
const chunkSize = 1 << 20

// maxSizeHintLines bounds the lines LoadIndex reserves room for from
// LoadOptions.SizeHint; a larger file grows its tables as it goes.
const maxSizeHintLines = 4 << 20

// chunk is a block of whole lines.
type chunk struct {
	seq  int
	buf  []byte // from the pool, given back by the worker
	data []byte
	line int   // number of the first line
	long bool  // one line longer than the buffer, skipped (data is empty)
	end  int64 // bytes consumed at the end of the chunk, header included
	err  error // a read error: the load stops there
}

// row is a good line of a chunk, with the hashes of its keys (computed by
// the worker, while the line is at hand; 0 for no key).
type row struct {
	ref     uint32 // the record
	line    uint32
	hash    uint64 // of its lower-case address
	domain  uint32 // position of the domain in the lower-case address
	person  uint64 // of "Identifiant PP"
	structu uint64 // of "Identification Structure"
}

// keyHash hashes a chain key; 0 stands for no key.
func keyHash(seed uint64, k []byte) uint64 {
	if len(k) == 0 {
		return 0
	}
	return hashBytes(seed, k) | 1<<63 // the slot comes from the low bits
}

// chunkResult is what a worker made of a chunk.
type chunkResult struct {
	seq      int
	err      error
	end      int64
	lines    int
	rows     []row
	findings finding.List
	warnings int
	badLines int
	bad      []*LineError // for OnBadLine
}

// loader is one run of LoadIndex.
type loader struct {
	ctx      context.Context
	opts     LoadOptions // with the defaults of ReaderOptions
	p        lineParser
	st       *store
	seed     uint64
	maxRows  int
	workers  int
	free     chan []byte
	nbufs    int
	stop     chan struct{}
	stopOnce sync.Once

	// Gathered in file order by the collector: the records, each address
	// once, and the duplicate lines, merged at the end (a merge reads
	// dictionaries that their workers may still be growing).
	idx      *Index
	stats    ReadStats
	findings finding.List
	nrows    int
	dups     []dupRow
	// Per record, for the chains built at the end.
	personHash, structHash []uint64
	// The domain chains are built as the records come: few keys.
	domains map[string][2]uint32 // first and last record + 1
}

// dupRow is a line whose address an earlier record has.
type dupRow struct {
	first uint32
	row   row
}

// LoadIndex reads a whole extraction text and indexes it. Bad lines are
// skipped and reported in Findings; only I/O errors, a bad header, a budget
// exceeded (*limit.Error) and ctx cancellation fail the load.
//
// The text is cut into blocks of whole lines that Workers goroutines parse
// at the same time, each into records of its own; the blocks are then
// taken in file order (line numbers, findings, duplicates), and the
// indexes are built once the number of records is known.
func LoadIndex(ctx context.Context, r io.Reader, opts *LoadOptions) (*Index, error) {
	start := time.Now()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var o LoadOptions
	if opts != nil {
		o = *opts
	}
	maxBytes := budget(o.MaxBytes, DefaultMaxBytes)
	if maxBytes < 0 {
		maxBytes = math.MaxInt64
	}
	er, err := NewExtractionReader(&budgetReader{r: r, max: maxBytes, err: bytesLimit(maxBytes)}, &o.ReaderOptions)
	if err != nil {
		return nil, err
	}
	o.ReaderOptions = er.opts
	ld := &loader{
		ctx:     ctx,
		opts:    o,
		p:       er.p,
		st:      newStore(),
		seed:    rand.Uint64(),
		maxRows: budget(o.MaxRows, DefaultMaxRows),
		workers: o.Workers,
		stop:    make(chan struct{}),
	}
	if ld.workers <= 0 {
		ld.workers = runtime.GOMAXPROCS(0)
	}
	ld.nbufs = ld.workers + 2
	ld.free = make(chan []byte, ld.nbufs)
	ld.stats = er.Stats()
	ld.findings = er.log.findings
	// A line is about 170 bytes. The hint only sizes the first allocations:
	// it is bounded so that a ZIP header claiming a huge entry cannot make
	// the load reserve much up front.
	hint := int(min(max(o.SizeHint/150, 1024), maxSizeHintLines))
	if ld.maxRows >= 0 {
		hint = min(hint, ld.maxRows+1)
	}
	ld.idx = &Index{seed: ld.seed}
	ld.idx.refs = make([]uint32, 0, hint)
	ld.idx.byAddr.slots = make([]uint64, tableSize(hint))
	ld.idx.domains.next = make([]uint32, 0, hint)
	ld.personHash = make([]uint64, 0, hint)
	ld.structHash = make([]uint64, 0, hint)
	ld.domains = make(map[string][2]uint32)

	if err := ld.run(er.br, er.lineNo+1, ld.stats.Bytes); err != nil {
		return nil, err
	}
	if o.Progress != nil {
		o.Progress(ld.stats.Bytes, ld.stats.Lines)
	}
	idx, err := ld.finish()
	if err != nil {
		return nil, err
	}
	idx.stats.Loaded = time.Now()
	idx.stats.Duration = time.Since(start)
	return idx, nil
}

func (ld *loader) halt() { ld.stopOnce.Do(func() { close(ld.stop) }) }

// run reads, parses and collects the chunks.
func (ld *loader) run(src *bufio.Reader, firstLine int, pos int64) error {
	chunks := make(chan *chunk, ld.workers)
	results := make(chan *chunkResult, ld.workers)
	go ld.cut(src, firstLine, pos, chunks)
	var wg sync.WaitGroup
	for range ld.workers {
		w := newWriter(ld.st, ld.seed, true)
		wg.Go(func() {
			defer w.release()
			var lf lineFields
			var kbuf []byte
			for c := range chunks {
				results <- ld.parse(c, w, &lf, &kbuf)
				if c.buf != nil {
					ld.free <- c.buf
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	// Collect in file order; on failure, stop the others and drain.
	var failed error
	pending := map[int]*chunkResult{}
	next := 0
	for res := range results {
		if failed != nil {
			continue
		}
		pending[res.seq] = res
		for r, ok := pending[next]; ok; r, ok = pending[next] {
			delete(pending, next)
			next++
			if err := ld.take(r); err != nil {
				failed = err
				ld.halt()
				break
			}
		}
	}
	ld.halt()
	return failed
}

// take adds the result of a chunk, in file order.
func (ld *loader) take(r *chunkResult) error {
	if r.err != nil {
		return r.err
	}
	if err := ld.ctx.Err(); err != nil {
		return err
	}
	ld.stats.Lines += r.lines
	ld.stats.Mailboxes += len(r.rows)
	ld.stats.BadLines += r.badLines
	ld.stats.Warnings += r.warnings
	ld.stats.Bytes = r.end
	if limit := ld.opts.MaxFindings; limit >= 0 {
		for _, f := range r.findings {
			if len(ld.findings) >= limit {
				break
			}
			ld.findings = append(ld.findings, f)
		}
	}
	if on := ld.opts.OnBadLine; on != nil {
		for _, e := range r.bad {
			on(e)
		}
	}
	ld.nrows += len(r.rows)
	if ld.maxRows >= 0 && ld.nrows > ld.maxRows {
		return loadLimit(limitRows, "MaxRows", int64(ld.maxRows))
	}
	idx := ld.idx
	for _, r := range r.rows {
		if t := &idx.byAddr; 4*len(idx.refs)+4 > 3*len(t.slots) {
			t.resize(ld.st, idx.refs, ld.seed, tableSize(2*len(idx.refs)))
		}
		key := ld.st.key(r.ref)
		i, at, dup := idx.byAddr.find(ld.st, idx.refs, r.hash, key)
		if dup {
			ld.dups = append(ld.dups, dupRow{i, r})
			continue
		}
		n := uint32(len(idx.refs))
		idx.byAddr.set(at, r.hash, n)
		idx.refs = append(idx.refs, r.ref)
		idx.lines.add(n, r.line)
		ld.personHash = append(ld.personHash, r.person)
		ld.structHash = append(ld.structHash, r.structu)
		idx.domains.next = append(idx.domains.next, 0)
		d := key[r.domain:]
		if e, ok := ld.domains[d]; ok {
			idx.domains.next[e[1]-1] = n + 1
			ld.domains[d] = [2]uint32{e[0], n + 1}
		} else {
			ld.domains[d] = [2]uint32{n + 1, n + 1}
		}
	}
	if ld.opts.Progress != nil {
		ld.opts.Progress(ld.stats.Bytes, ld.stats.Lines)
	}
	return nil
}

// buffer returns a chunk buffer, or nil when the load stops.
func (ld *loader) buffer() []byte {
	select {
	case b := <-ld.free:
		return b
	default:
	}
	if ld.nbufs > 0 {
		ld.nbufs--
		return make([]byte, chunkSize)
	}
	select {
	case b := <-ld.free:
		return b
	case <-ld.stop:
		return nil
	}
}

// cut reads src into chunks of whole lines.
func (ld *loader) cut(src *bufio.Reader, line int, pos int64, out chan<- *chunk) {
	defer close(out)
	seq := 0
	send := func(c *chunk) bool {
		c.seq = seq
		seq++
		select {
		case out <- c:
			return true
		case <-ld.stop:
			return false
		}
	}
	var carry []byte // the start of a line cut by the end of a block
	for {
		if err := ld.ctx.Err(); err != nil {
			send(&chunk{err: err})
			return
		}
		buf := ld.buffer()
		if buf == nil {
			return
		}
		n := copy(buf, carry)
		m, err := io.ReadFull(src, buf[n:])
		n += m
		eof := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !eof {
			send(&chunk{err: err})
			return
		}
		data := buf[:n]
		carry = carry[:0]
		if !eof {
			i := bytes.LastIndexByte(data, '\n')
			if i < 0 {
				// One line fills the buffer: skip it to its end.
				ld.free <- buf
				skipped, err := skipLine(src)
				pos += int64(n) + skipped
				if err != nil && err != io.EOF {
					send(&chunk{err: err})
					return
				}
				if !send(&chunk{long: true, line: line, end: pos}) || err == io.EOF {
					return
				}
				line++
				continue
			}
			carry = append(carry, data[i+1:]...)
			data = data[:i+1]
		}
		lines := bytes.Count(data, []byte{'\n'})
		if eof && len(data) > 0 && data[len(data)-1] != '\n' {
			lines++
		}
		if line+lines > math.MaxUint32 {
			send(&chunk{err: loadLimit(limitLines, "MaxBytes", math.MaxUint32)})
			return
		}
		pos += int64(len(data))
		if !send(&chunk{buf: buf, data: data, line: line, end: pos}) || eof {
			return
		}
		line += lines
	}
}

// skipLine consumes src up to the end of the current line.
func skipLine(src *bufio.Reader) (int64, error) {
	var n int64
	for {
		b, err := src.ReadSlice('\n')
		n += int64(len(b))
		if err != bufio.ErrBufferFull {
			return n, err
		}
	}
}

// parse turns a chunk into records (in w's segments) and findings.
func (ld *loader) parse(c *chunk, w *writer, lf *lineFields, kbuf *[]byte) *chunkResult {
	res := &chunkResult{seq: c.seq, err: c.err, end: c.end}
	if c.err != nil {
		return res
	}
	log := lineLog{maxFindings: ld.opts.MaxFindings}
	if ld.opts.OnBadLine != nil {
		log.onBad = func(e *LineError) { res.bad = append(res.bad, e) }
	}
	defer func() {
		res.findings, res.warnings, res.badLines = log.findings, log.warnings, log.badLines
	}()
	maxLine := ld.p.maxLine
	if c.long {
		res.lines++
		log.bad(c.line, "line longer than %d bytes", maxLine)
		return res
	}
	res.rows = make([]row, 0, len(c.data)/150)
	data := c.data
	lineNo := c.line - 1
	for len(data) > 0 {
		var line []byte
		raw := len(data)
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, raw, data = data[:i], i+1, data[i+1:]
		} else {
			line, data = data, nil
		}
		lineNo++
		if raw > maxLine+2 {
			res.lines++
			log.bad(lineNo, "line longer than %d bytes", maxLine)
			continue
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue // blank lines, e.g. at the end of the file
		}
		res.lines++
		if !ld.p.parse(line, lineNo, &log, lf) {
			continue
		}
		f := &lf.f
		addr := f[colAddress]
		var key []byte
		if hasUpper(addr) {
			*kbuf = lowerKey(*kbuf, addr)
			if !bytes.Equal(*kbuf, addr) {
				key = *kbuf
			}
		}
		h := hashBytes(ld.seed, addr)
		if key != nil {
			h = hashBytes(ld.seed, key)
		}
		ref, err := w.write(f, key)
		if err != nil {
			res.err = err
			return res
		}
		if key == nil {
			key = addr
		}
		res.rows = append(res.rows, row{
			ref: ref, line: uint32(lineNo), hash: h,
			domain:  uint32(bytes.LastIndexByte(key, '@') + 1),
			person:  keyHash(ld.seed, f[colPersonID]),
			structu: keyHash(ld.seed, f[colStructureID]),
		})
	}
	return res
}

// finish merges the duplicates, in file order, and builds the other
// indexes, now that the number of records is known.
func (ld *loader) finish() (*Index, error) {
	idx := ld.idx
	idx.st = *ld.st
	var dups finding.List
	if len(ld.dups) > 0 {
		mw := newWriter(&idx.st, idx.seed, false)
		for _, d := range ld.dups {
			if err := idx.merge(&dups, d.first, d.row, mw); err != nil {
				return nil, err
			}
			// A merge may fill the keys of the chains.
			i, ref := d.first, idx.refs[d.first]
			ld.personHash[i] = keyHash(idx.seed, []byte(idx.st.field(ref, colPersonID)))
			ld.structHash[i] = keyHash(idx.seed, []byte(idx.st.field(ref, colStructureID)))
		}
	}
	idx.stats.Duplicates = len(ld.dups)
	ld.dups = nil
	idx.st.freeze()
	n := len(idx.refs)
	if cap(idx.refs) > n+n/8 {
		// The size hint was too generous: keep what is used.
		idx.refs = slices.Clone(idx.refs)
		idx.domains.next = slices.Clone(idx.domains.next)
	}
	if m := tableSize(n); len(idx.byAddr.slots) > m+m/2 {
		idx.byAddr.resize(&idx.st, idx.refs, idx.seed, m)
	}

	var wg sync.WaitGroup
	wg.Go(func() { idx.names = buildNames(idx) })
	wg.Go(func() { idx.persons = buildChains(ld.personHash, idx.personOf) })
	wg.Go(func() { idx.structs = buildChains(ld.structHash, idx.structOf) })
	idx.domains.slots, idx.domains.tags = headTable(idx.seed, ld.domains)
	idx.domains.keys = len(ld.domains)
	ld.domains = nil
	wg.Wait()
	ld.personHash, ld.structHash = nil, nil

	idx.stats.ReadStats = ld.stats
	idx.findings = ld.findings
	if limit := ld.opts.MaxFindings; limit >= 0 {
		for _, f := range dups {
			if len(idx.findings) >= limit {
				break
			}
			idx.findings = append(idx.findings, f)
		}
	}
	idx.stats.Warnings += len(dups)
	idx.stats.Distinct = n
	idx.stats.Persons = idx.persons.keys
	idx.stats.Domains = idx.domains.keys
	return idx, nil
}

// merge folds a duplicate line into record i: empty fields are filled,
// conflicting ones keep the first value and are reported. A changed record
// is written again (its old blob may hold values other records use).
func (idx *Index) merge(dups *finding.List, i uint32, dup row, mw *writer) error {
	var a, b [numCols]string
	idx.st.fields(idx.refs[i], &a)
	idx.st.fields(dup.ref, &b)
	var conflicts []string
	changed := false
	n := 0
	for c := range numCols {
		switch x, y := a[c], b[c]; {
		case x == y || y == "":
		case x == "":
			a[c] = y
			changed = true
		case c == colAddress:
			// same address in another case: keep the first spelling
		default:
			conflicts = append(conflicts, ExtractionHeader[c])
		}
		n += len(a[c])
	}
	line := "line " + itoa(int(dup.line))
	if len(conflicts) > 0 {
		dups.Add(finding.Warning, "ANN-EXT-DUPLICATE", line, specExtraction,
			"address %s already on line %d with other %s: the first values are kept", a[colAddress], idx.lines.line(i), strings.Join(conflicts, ", "))
	}
	if !changed {
		return nil
	}
	if n > maxRecordBytes {
		dups.Add(finding.Warning, "ANN-EXT-DUPLICATE", line, specExtraction,
			"address %s already on line %d: the values of this line are dropped, the merged line would exceed %d bytes", a[colAddress], idx.lines.line(i), maxRecordBytes)
		return nil
	}
	var f [numCols][]byte
	for c := range a {
		f[c] = []byte(a[c])
	}
	var key []byte
	if k := idx.st.key(idx.refs[i]); k != a[colAddress] {
		key = []byte(k)
	}
	ref, err := mw.write(&f, key)
	if err != nil {
		return err
	}
	idx.refs[i] = ref
	return nil
}

package xdm

import (
	"compress/flate"
	"time"

	"github.com/mssante-go/sdk/limit"
)

// WriteOptions tunes Write. The zero value (or nil) gives the defaults.
type WriteOptions struct {
	// NewUUID returns a fresh UUID in canonical form (without "urn:uuid:").
	// Default: random version 4 UUIDs from crypto/rand.
	NewUUID func() string
	// Now is the clock for submissionTime and the zip entries' times.
	// Default: time.Now.
	Now func() time.Time
	// CompressionLevel is the deflate level (flate.BestSpeed...BestCompression,
	// or flate.DefaultCompression). Default (0): flate.BestSpeed. Health
	// documents are mostly base64 payloads (PDF, images) on which higher
	// levels gain under 1% (6% on the IPS-FR example) for 3 to 10 times
	// the CPU. flate.NoCompression is 0 and so means the default: use
	// flate.HuffmanOnly for the cheapest compression. A value outside -2..9
	// makes Write fail with ErrInvalidOption.
	CompressionLevel int
}

func (o *WriteOptions) now() time.Time {
	if o != nil && o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o *WriteOptions) level() int {
	if o == nil || o.CompressionLevel == 0 {
		return flate.BestSpeed
	}
	return o.CompressionLevel
}

// Default limits of ReadOptions.
const (
	DefaultMaxEntries          = 1000
	DefaultMaxTotalSize        = limit.DefaultArchiveBudget // 512 MiB inflated, every listing counted
	DefaultMaxMetadataSize     = 8 << 20                    // 8 MiB per METADATA.XML (parsed as a tree: about 10 times that in memory)
	DefaultMaxCompressionRatio = 200
	DefaultMaxXMLDepth         = 64

	// ratioFloor: entries smaller than this are not checked for their
	// compression ratio (a few kilobytes of spaces compress very well and
	// are harmless).
	ratioFloor = 1 << 20
)

// ReadOptions sets the limits of Read. The zero value (or nil) gives safe
// defaults (Default* constants); a negative value disables a limit.
type ReadOptions struct {
	MaxEntries int // entries in the zip, directories included
	// MaxTotalSize is the archive budget (limit.ArchiveBudget): the bytes
	// Read, Verify and Content inflate from the archive, METADATA.XML
	// included, counted while they are read (never taken from the sizes
	// the zip declares) and once per listing: a document that METADATA.XML
	// lists N times counts N times, although its entry is inflated once.
	// Read refuses beforehand an archive whose listed documents would not
	// fit. Default DefaultMaxTotalSize (limit.DefaultArchiveBudget).
	MaxTotalSize        int64
	MaxMetadataSize     int64 // one METADATA.XML
	MaxCompressionRatio int   // uncompressed/compressed, for entries of 1 MiB or more
	MaxXMLDepth         int   // element nesting in METADATA.XML

	// Within is the budget of the unit the archive belongs to (mssante.Read
	// passes the one of its message): every byte charged to the archive
	// budget is charged to it too, and a *limit.Error names whichever runs
	// out first. Nil: the archive budget alone.
	Within *limit.Budget
	// KeepContent makes Verify keep the bytes of each document it reads,
	// for ArchiveDocument.Content, so that each entry is inflated once for
	// both (mssante.Read sets it). The bytes kept are those the budget
	// counts.
	KeepContent bool

	// StrictINSKey makes a patientId under an INS authority whose matricule
	// is not valid (length, characters, key) an error. By default it is a
	// warning: the official examples carry wrong keys, some under the
	// production OID (ins.md §8.2), and the archive stays readable.
	StrictINSKey bool

	// Progress, if set, is called while Archive.Verify reads the documents
	// (the long part of verifying a large archive): done is the number of
	// uncompressed bytes read so far, total the sum of the documents'
	// uncompressed sizes in the zip directory. It is called about every
	// 1 MiB and once at the end of each document, from the goroutine that
	// called Verify. A command-line tool plugs a progress bar there.
	Progress func(done, total int64)
}

func orDefault[T int | int64](v, def T) T {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0 // no limit
	}
	return v
}

func (o *ReadOptions) get() ReadOptions {
	var r ReadOptions
	if o != nil {
		r = *o
	}
	r.MaxEntries = orDefault(r.MaxEntries, DefaultMaxEntries)
	r.MaxTotalSize = orDefault(r.MaxTotalSize, DefaultMaxTotalSize)
	r.MaxMetadataSize = orDefault(r.MaxMetadataSize, DefaultMaxMetadataSize)
	r.MaxCompressionRatio = orDefault(r.MaxCompressionRatio, DefaultMaxCompressionRatio)
	r.MaxXMLDepth = orDefault(r.MaxXMLDepth, DefaultMaxXMLDepth)
	return r
}

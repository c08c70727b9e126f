package annuaire

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
)

// Resolver answers directory questions. *Index and *Directory answer from
// the extraction, *FHIRClient from the Annuaire Santé API, Chain from the
// first of several that knows. A resolver returns ErrNotFound (wrapped or
// not) when it knows nothing, never an empty success.
type Resolver interface {
	// ResolveAddress returns the mailbox of an address (case-insensitive).
	ResolveAddress(ctx context.Context, address string) (Mailbox, error)
	// ResolvePerson returns every mailbox of a person: id is an RPPS, an
	// ADELI number or a national identifier ("8"+RPPS).
	ResolvePerson(ctx context.Context, id string) ([]Mailbox, error)
	// ResolveStructure returns the mailboxes of a structure (FINESS, SIRET or
	// national structure identifier).
	ResolveStructure(ctx context.Context, id string) ([]Mailbox, error)
}

// ResolveAddress implements Resolver.
func (idx *Index) ResolveAddress(_ context.Context, address string) (Mailbox, error) {
	if m, ok := idx.Lookup(strings.TrimSpace(address)); ok {
		return m, nil
	}
	return Mailbox{}, ErrNotFound
}

// ResolvePerson implements Resolver.
func (idx *Index) ResolvePerson(_ context.Context, id string) ([]Mailbox, error) {
	return notFoundIfEmpty(idx.ByPerson(id))
}

// ResolveStructure implements Resolver.
func (idx *Index) ResolveStructure(_ context.Context, id string) ([]Mailbox, error) {
	return notFoundIfEmpty(idx.ByStructure(id))
}

func notFoundIfEmpty(m []Mailbox) ([]Mailbox, error) {
	if len(m) == 0 {
		return nil, ErrNotFound
	}
	return m, nil
}

// Chain asks each resolver in turn and returns the first answer. A resolver
// that fails (ErrNotFound or another error) passes the question on; when all
// fail, the result is ErrNotFound if every one said so, otherwise the
// other errors joined.
type Chain []Resolver

// ResolveAddress implements Resolver.
func (c Chain) ResolveAddress(ctx context.Context, address string) (Mailbox, error) {
	var errs []error
	for _, r := range c {
		m, err := r.ResolveAddress(ctx, address)
		if err == nil {
			return m, nil
		}
		errs = append(errs, err)
	}
	return Mailbox{}, chainErr(errs)
}

// ResolvePerson implements Resolver.
func (c Chain) ResolvePerson(ctx context.Context, id string) ([]Mailbox, error) {
	return chainMany(c, func(r Resolver) ([]Mailbox, error) { return r.ResolvePerson(ctx, id) })
}

// ResolveStructure implements Resolver.
func (c Chain) ResolveStructure(ctx context.Context, id string) ([]Mailbox, error) {
	return chainMany(c, func(r Resolver) ([]Mailbox, error) { return r.ResolveStructure(ctx, id) })
}

func chainMany(c Chain, ask func(Resolver) ([]Mailbox, error)) ([]Mailbox, error) {
	var errs []error
	for _, r := range c {
		m, err := ask(r)
		if err == nil && len(m) > 0 {
			return m, nil
		}
		if err == nil {
			err = ErrNotFound
		}
		errs = append(errs, err)
	}
	return nil, chainErr(errs)
}

// chainErr is ErrNotFound when every resolver said so, else the other
// errors joined (so that errors.Is(err, ErrNotFound) is not true when an
// unavailable resolver might have known).
func chainErr(errs []error) error {
	var other []error
	for _, e := range errs {
		if !errors.Is(e, ErrNotFound) {
			other = append(other, e)
		}
	}
	if len(other) == 0 {
		return ErrNotFound
	}
	return errors.Join(other...)
}

// Directory holds the current Index and swaps it atomically when the daily
// extraction is reloaded; readers never see a half-built index. Its zero
// value is empty (every lookup answers ErrNotFound). It implements Resolver.
type Directory struct {
	cur atomic.Pointer[Index]
}

// Current returns the current index, or nil before the first load.
func (d *Directory) Current() *Index { return d.cur.Load() }

// Swap installs idx and returns the previous index.
func (d *Directory) Swap(idx *Index) *Index { return d.cur.Swap(idx) }

// Reload loads an extraction file and installs it. On failure the current
// index stays. The result gives the previous and new indexes; its Diff
// method tells what changed.
func (d *Directory) Reload(ctx context.Context, path string, opts *LoadOptions) (*Reload, error) {
	idx, err := LoadIndexFile(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	return &Reload{Previous: d.Swap(idx), Current: idx}, nil
}

// Reload is the outcome of Directory.Reload.
type Reload struct {
	Previous *Index // nil on the first load
	Current  *Index
}

// Diff compares the previous snapshot with the new one (everything is
// "added" on the first load).
func (r *Reload) Diff() *Diff { return DiffIndexes(r.Previous, r.Current) }

func (d *Directory) idx() *Index {
	if d == nil {
		return emptyIndex
	}
	return d.cur.Load().orEmpty()
}

// ResolveAddress implements Resolver.
func (d *Directory) ResolveAddress(ctx context.Context, address string) (Mailbox, error) {
	return d.idx().ResolveAddress(ctx, address)
}

// ResolvePerson implements Resolver.
func (d *Directory) ResolvePerson(ctx context.Context, id string) ([]Mailbox, error) {
	return d.idx().ResolvePerson(ctx, id)
}

// ResolveStructure implements Resolver.
func (d *Directory) ResolveStructure(ctx context.Context, id string) ([]Mailbox, error) {
	return d.idx().ResolveStructure(ctx, id)
}

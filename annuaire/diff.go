package annuaire

// Diff is what changed between two snapshots of the extraction, keyed on
// the address (the only stable key: the file has no mailbox id).
type Diff struct {
	Added    []Mailbox      `json:"added"`
	Removed  []Mailbox      `json:"removed"`
	Modified []Modification `json:"modified"`
}

// Modification is a mailbox present in both snapshots with other values.
type Modification struct {
	Before Mailbox  `json:"before"`
	After  Mailbox  `json:"after"`
	Fields []string `json:"fields"` // extraction column names that changed
}

// Empty reports whether nothing changed.
func (d *Diff) Empty() bool { return len(d.Added)+len(d.Removed)+len(d.Modified) == 0 }

// DiffIndexes compares two indexes; old may be nil. Added and Modified come
// in the new file's order, Removed in the old one's.
func DiffIndexes(old, new *Index) *Diff {
	old, new = old.orEmpty(), new.orEmpty()
	d := &Diff{Added: []Mailbox{}, Removed: []Mailbox{}, Modified: []Modification{}}
	for i := range new.recs {
		r := &new.recs[i]
		j, ok := old.byAddr[r.key]
		if !ok {
			d.Added = append(d.Added, r.mailbox())
			continue
		}
		o := &old.recs[j]
		if o.s == r.s {
			continue
		}
		var fields []string
		for c := 0; c < numCols; c++ {
			if o.field(c) != r.field(c) {
				fields = append(fields, ExtractionHeader[c])
			}
		}
		d.Modified = append(d.Modified, Modification{Before: o.mailbox(), After: r.mailbox(), Fields: fields})
	}
	for i := range old.recs {
		if _, ok := new.byAddr[old.recs[i].key]; !ok {
			d.Removed = append(d.Removed, old.recs[i].mailbox())
		}
	}
	return d
}

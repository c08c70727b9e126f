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
	var a, b [numCols]string
	for i, ref := range new.refs {
		j, ok := old.lookupKey(new.st.key(ref))
		if !ok {
			d.Added = append(d.Added, new.mailbox(uint32(i)))
			continue
		}
		old.st.fields(old.refs[j], &a)
		new.st.fields(ref, &b)
		if a == b {
			continue
		}
		var fields []string
		for c := range numCols {
			if a[c] != b[c] {
				fields = append(fields, ExtractionHeader[c])
			}
		}
		d.Modified = append(d.Modified, Modification{Before: old.mailbox(j), After: new.mailbox(uint32(i)), Fields: fields})
	}
	for i, ref := range old.refs {
		if _, ok := new.lookupKey(old.st.key(ref)); !ok {
			d.Removed = append(d.Removed, old.mailbox(uint32(i)))
		}
	}
	return d
}

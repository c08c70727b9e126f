package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mssante-go/sdk/annuaire"
)

func runAnnuaire(env *cmdEnv, args []string) int {
	return subcommands(env, "annuaire", args, map[string]func(*cmdEnv, []string) int{
		"lookup":    runAnnuaireLookup,
		"whitelist": runAnnuaireWhitelist,
		"diff":      runAnnuaireDiff,
	})
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// loadExtraction loads an extraction file, showing progress when stderr is
// a terminal.
func loadExtraction(env *cmdEnv, path string) (*annuaire.Index, error) {
	rc, size, err := annuaire.OpenExtraction(path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	opts := &annuaire.LoadOptions{SizeHint: size}
	tty := isTerminal(env.stderr)
	if tty {
		last := time.Time{}
		opts.Progress = func(n int64, lines int) {
			if now := time.Now(); now.Sub(last) > 100*time.Millisecond {
				last = now
				pct := 0
				if size > 0 {
					pct = int(n * 100 / size)
				}
				fmt.Fprintf(env.stderr, "\rloading %s: %3d%% (%d lines)", path, pct, lines)
			}
		}
	}
	idx, err := annuaire.LoadIndex(context.Background(), rc, opts)
	if tty {
		fmt.Fprint(env.stderr, "\r\033[K")
	}
	if err != nil {
		return nil, err
	}
	if st := idx.Stats(); st.BadLines > 0 && tty {
		fmt.Fprintf(env.stderr, "%s: %d lines skipped (first: %v)\n", path, st.BadLines, idx.Findings().Errors()[0])
	}
	return idx, nil
}

func runAnnuaireLookup(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "annuaire lookup")
	file := fs.String("extraction", "", "extraction file (Extraction_Correspondance_MSSante .txt or .zip)")
	asJSON := fs.Bool("json", false, "print the mailboxes as JSON")
	dept := fs.String("departement", "", "name search: keep this département only")
	limit := fs.Int("limit", 50, "name search: maximum results (-1: all)")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: mss annuaire lookup --extraction FILE [--json] QUERY\n\n"+
			"QUERY is an address, an RPPS or ADELI number, a national id (8+RPPS, 0+ADELI),\n"+
			"a structure id (FINESS, SIRET, 1+FINESS...), domain:DOMAIN or name:TEXT\n"+
			"(prefixes of names, first names or structure names; accents and case ignored).\n"+
			"Exits 0 when something is found, 1 when not.")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) == 0 || *file == "" {
		fs.Usage()
		return 2
	}
	query := strings.Join(pos, " ")
	idx, err := loadExtraction(env, *file)
	if err != nil {
		fmt.Fprintf(env.stderr, "mss annuaire lookup: %v\n", err)
		return 1
	}
	found := lookupQuery(idx, query, annuaire.SearchOptions{Departement: *dept, Limit: *limit})
	if *asJSON {
		if found == nil {
			found = []annuaire.Mailbox{}
		}
		if err := writeJSON(env.stdout, found); err != nil {
			return 2
		}
	} else {
		for _, m := range found {
			printMailbox(env.stdout, m)
		}
	}
	if len(found) == 0 {
		fmt.Fprintf(env.stderr, "mss annuaire lookup: %q not found in %s (%d mailboxes); an address may be valid and red-listed\n", query, *file, idx.Len())
		return 1
	}
	return 0
}

// lookupQuery tells the kind of a query and runs it.
func lookupQuery(idx *annuaire.Index, q string, opts annuaire.SearchOptions) []annuaire.Mailbox {
	q = strings.TrimSpace(q)
	if t, ok := strings.CutPrefix(q, "name:"); ok {
		return idx.Search(t, &opts)
	}
	if d, ok := strings.CutPrefix(q, "domain:"); ok {
		return idx.ByDomain(d)
	}
	if s, ok := strings.CutPrefix(q, "structure:"); ok {
		return idx.ByStructure(s)
	}
	if strings.Contains(q, "@") {
		if m, ok := idx.Lookup(q); ok {
			return []annuaire.Mailbox{m}
		}
		return nil
	}
	if m := idx.ByPerson(q); len(m) > 0 {
		return m
	}
	return idx.ByStructure(q)
}

func printMailbox(w io.Writer, m annuaire.Mailbox) {
	name := strings.TrimSpace(strings.Join([]string{m.Person.Civility, m.Person.FirstName, m.Person.LastName}, " "))
	var parts []string
	if name != "" {
		parts = append(parts, name)
	}
	if m.Person.ID != "" {
		parts = append(parts, "PP "+m.Person.ID)
	}
	if m.Person.ProfessionLabel != "" {
		parts = append(parts, m.Person.ProfessionLabel)
	}
	if s := m.Structure; s.Name != "" || s.ID != "" {
		st := strings.TrimSpace(s.Name + " [" + s.ID + "]")
		if s.Service != "" {
			st += " / " + s.Service
		}
		if s.Address.Departement != "" {
			st += " (" + s.Address.Departement + ")"
		}
		parts = append(parts, st)
	}
	fmt.Fprintf(w, "%s\t%s\t%s\n", m.Address, m.Type, strings.Join(parts, "; "))
}

func runAnnuaireWhitelist(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "annuaire whitelist")
	file := fs.String("file", "", "liste blanche XML (listeblanchemssante.xml)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: mss annuaire whitelist --file FILE [--json] ADDRESS\n\n"+
			"Exits 0 when the address's domain is on the liste blanche, 1 when not (with the reason).")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 || *file == "" {
		fs.Usage()
		return 2
	}
	f, err := os.Open(*file)
	if err != nil {
		fmt.Fprintf(env.stderr, "mss annuaire whitelist: %v\n", err)
		return 1
	}
	defer f.Close()
	wl, _, err := annuaire.ParseWhitelist(f, nil)
	if err != nil {
		fmt.Fprintf(env.stderr, "mss annuaire whitelist: %s: %v\n", *file, err)
		return 1
	}
	addr := pos[0]
	checkErr := wl.CheckAddress(addr)
	_, domain, _ := strings.Cut(addr, "@")
	d, _ := wl.Lookup(domain)
	if *asJSON {
		out := struct {
			Address   string              `json:"address"`
			Listed    bool                `json:"listed"`
			Reason    string              `json:"reason,omitempty"`
			Operators []annuaire.Operator `json:"operators,omitempty"`
			Generated time.Time           `json:"generated,omitzero"`
		}{Address: addr, Listed: checkErr == nil, Operators: d.Operators, Generated: wl.Generated}
		if checkErr != nil {
			out.Reason = checkErr.Error()
		}
		if err := writeJSON(env.stdout, out); err != nil {
			return 2
		}
	} else if checkErr == nil {
		fmt.Fprintf(env.stdout, "%s: domain %s is on the liste blanche\n", addr, d.Name)
		for _, o := range d.Operators {
			fmt.Fprintf(env.stdout, "  operator %s: %s\n", o.Organization(), o.DN)
		}
	}
	if checkErr != nil {
		fmt.Fprintf(env.stderr, "mss annuaire whitelist: %v\n", checkErr)
		return 1
	}
	return 0
}

func runAnnuaireDiff(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "annuaire diff")
	asJSON := fs.Bool("json", false, "print the changes as JSON")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: mss annuaire diff [--json] OLD NEW\n\n"+
			"Compares two extraction files by address: + added, - removed, ~ modified\n"+
			"(with the columns that changed). Exits 0 when they hold the same mailboxes,\n"+
			"1 when they differ, 2 on trouble (like diff).")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 2 {
		fs.Usage()
		return 2
	}
	var idx [2]*annuaire.Index
	for i, p := range pos {
		if idx[i], err = loadExtraction(env, p); err != nil {
			fmt.Fprintf(env.stderr, "mss annuaire diff: %v\n", err)
			return 2
		}
	}
	d := annuaire.DiffIndexes(idx[0], idx[1])
	if *asJSON {
		if err := writeJSON(env.stdout, d); err != nil {
			return 2
		}
	} else {
		for _, m := range d.Added {
			fmt.Fprintf(env.stdout, "+ %s\n", m.Address)
		}
		for _, m := range d.Removed {
			fmt.Fprintf(env.stdout, "- %s\n", m.Address)
		}
		for _, m := range d.Modified {
			fmt.Fprintf(env.stdout, "~ %s (%s)\n", m.After.Address, strings.Join(m.Fields, ", "))
		}
		fmt.Fprintf(env.stdout, "%d added, %d removed, %d modified (%d -> %d mailboxes)\n",
			len(d.Added), len(d.Removed), len(d.Modified), idx[0].Len(), idx[1].Len())
	}
	if d.Empty() {
		return 0
	}
	return 1
}

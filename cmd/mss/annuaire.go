package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/mssante/tlsauth"
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

// whitelistFlags are the flags shared by "annuaire whitelist" and
// "annuaire whitelist verify".
type whitelistFlags struct {
	file, roots, crl string
	asJSON           bool
	allowUnsigned    bool
	allowUnclosed    bool
}

func (w *whitelistFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&w.file, "file", "", "liste blanche XML (listeblanchemssante.xml)")
	fs.StringVar(&w.roots, "roots", "", "PEM file of the IGC Santé roots that the signer must chain to")
	fs.StringVar(&w.crl, "crl", "", "CRL file (DER or PEM) to check the signer's certificate against")
	fs.BoolVar(&w.asJSON, "json", false, "print the result as JSON")
}

// load parses the file, checking its signature with the roots and CRLs
// given.
func (w *whitelistFlags) load() (*annuaire.Whitelist, finding.List, error) {
	var opts annuaire.WhitelistOptions
	if w.roots != "" {
		pemData, err := os.ReadFile(w.roots)
		if err != nil {
			return nil, nil, err
		}
		if opts.Roots, err = tlsauth.LoadRoots(pemData); err != nil {
			return nil, nil, err
		}
	}
	if w.crl != "" {
		data, err := os.ReadFile(w.crl)
		if err != nil {
			return nil, nil, err
		}
		crls, err := tlsauth.ParseCRLs(data)
		if err != nil {
			return nil, nil, err
		}
		opts.Revocation = tlsauth.StaticCRLs(crls...)
	}
	f, err := os.Open(w.file)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	wl, fs, err := annuaire.ParseWhitelist(f, &opts)
	if err != nil {
		return nil, fs, fmt.Errorf("%s: %w", w.file, err)
	}
	return wl, fs, nil
}

// whitelistReport is what "annuaire whitelist --json" prints beside the
// answer: what the file is, and what a refresher would do with it.
type whitelistReport struct {
	File      string                    `json:"file"`
	Generated time.Time                 `json:"generated,omitzero"`
	Domains   int                       `json:"domains"`
	Complete  bool                      `json:"complete"`
	Truncated bool                      `json:"truncated"`
	SHA256    string                    `json:"sha256"`
	Signature annuaire.SignatureVerdict `json:"signature"`
	Findings  finding.List              `json:"findings"` // warnings and errors
	Status    annuaire.RefreshStatus    `json:"status"`   // of a refresher offered the file
	Refused   *annuaire.Refusal         `json:"refused,omitempty"`
}

// report describes wl and offers it to a refresher with the default policy
// (relaxed by --allow-unsigned and --allow-unclosed), printing on stderr the
// generation date, the signature verdict, the warnings and any refusal.
func (w *whitelistFlags) report(stderr io.Writer, wl *annuaire.Whitelist, fs finding.List) whitelistReport {
	r := whitelistReport{File: w.file, Generated: wl.Generated, Domains: wl.Len(), Complete: wl.Complete, Truncated: wl.Truncated,
		SHA256: wl.SHA256, Signature: wl.Signature, Findings: finding.List{}}
	for _, f := range fs {
		if f.Level >= finding.Warning {
			r.Findings = append(r.Findings, f)
		}
	}
	ref := &annuaire.WhitelistRefresher{AllowUnsigned: w.allowUnsigned, AllowUnclosed: w.allowUnclosed}
	ref.Offer(wl, fs)
	r.Status = ref.Status()
	r.Refused = r.Status.LastRefusal

	generated := "no DateDeGeneration"
	if !wl.Generated.IsZero() {
		generated = "generated " + wl.Generated.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(stderr, "mss annuaire whitelist: %s: %s, %d domains; signature: %s\n", w.file, generated, wl.Len(), describeSignature(wl.Signature))
	for _, f := range r.Findings {
		if !strings.Contains(f.Rule, "SIGN") { // said on the line above
			fmt.Fprintf(stderr, "mss annuaire whitelist: %s: %s\n", w.file, f)
		}
	}
	if r.Refused != nil {
		fmt.Fprintf(stderr, "mss annuaire whitelist: %s: a WhitelistRefresher would refuse this list (%s): %s\n", w.file, r.Refused.Kind, strings.ReplaceAll(r.Refused.Reason, "\n", "; "))
	} else if r.Status.Warning != "" {
		fmt.Fprintf(stderr, "mss annuaire whitelist: %s: %s\n", w.file, r.Status.Warning)
	}
	return r
}

func describeSignature(v annuaire.SignatureVerdict) string {
	s := string(v.Status)
	if v.Signer != nil {
		s += fmt.Sprintf(" (signer %s, issuer %s)", v.Signer.Subject, v.Signer.Issuer)
	}
	if v.Reason != "" {
		s += ": " + v.Reason
	}
	return s
}

func runAnnuaireWhitelist(env *cmdEnv, args []string) int {
	if len(args) > 0 && args[0] == "verify" {
		return runAnnuaireWhitelistVerify(env, args[1:])
	}
	fs := newFlagSet(env, "annuaire whitelist")
	var w whitelistFlags
	w.register(fs)
	fs.BoolVar(&w.allowUnsigned, "allow-unsigned", false, "judge the list as a refresher with AllowUnsigned would (a mirror)")
	fs.BoolVar(&w.allowUnclosed, "allow-unclosed", false, "judge the list as a refresher with AllowUnclosed would (the GitHub mirror has no closing root tag)")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: mss annuaire whitelist --file FILE [--roots PEM] [--crl CRL] [--json] ADDRESS\n"+
			"       mss annuaire whitelist verify --file FILE [--roots PEM] [--crl CRL] [--json]\n\n"+
			"Tells whether the address's domain is on the liste blanche: exits 0 when it is, 1 when not\n"+
			"(with the reason). Standard error tells the list's generation date, its signature verdict\n"+
			"(checked against the --roots given), its warnings (truncation...) and whether a\n"+
			"WhitelistRefresher would accept it; --json carries all of it.\n"+
			"verify prints the signature verdict and the signer, and exits 1 unless signed-and-trusted.")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 || w.file == "" {
		fs.Usage()
		return 2
	}
	wl, findings, err := w.load()
	if err != nil {
		fmt.Fprintf(env.stderr, "mss annuaire whitelist: %v\n", err)
		return 1
	}
	rep := w.report(env.stderr, wl, findings)
	addr := pos[0]
	checkErr := wl.CheckAddress(addr)
	_, domain, _ := strings.Cut(addr, "@")
	d, _ := wl.Lookup(domain)
	if w.asJSON {
		out := struct {
			Address   string              `json:"address"`
			Listed    bool                `json:"listed"`
			Reason    string              `json:"reason,omitempty"`
			Operators []annuaire.Operator `json:"operators,omitempty"`
			whitelistReport
		}{Address: addr, Listed: checkErr == nil, Operators: d.Operators, whitelistReport: rep}
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

func runAnnuaireWhitelistVerify(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "annuaire whitelist verify")
	var w whitelistFlags
	w.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: mss annuaire whitelist verify --file FILE [--roots PEM] [--crl CRL] [--json]\n\n"+
			"Checks the XML signature of a liste blanche and its signer's certificate against the\n"+
			"IGC Santé roots given (--roots), at the list's generation time. Prints the verdict\n"+
			"(signed-and-trusted, signed-by-unknown-issuer, signed-by-invalid-certificate,\n"+
			"bad-signature, unsigned) and the signer; exits 0 when signed-and-trusted, 1 otherwise.")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 0 || w.file == "" {
		fs.Usage()
		return 2
	}
	wl, findings, err := w.load()
	if err != nil {
		fmt.Fprintf(env.stderr, "mss annuaire whitelist verify: %v\n", err)
		return 1
	}
	v := wl.Signature
	if w.asJSON {
		rep := w.report(io.Discard, wl, findings)
		if err := writeJSON(env.stdout, rep); err != nil {
			return 2
		}
	} else {
		fmt.Fprintln(env.stdout, v.Status)
		if v.Reason != "" {
			fmt.Fprintf(env.stdout, "reason:    %s\n", v.Reason)
		}
		if s := v.Signer; s != nil {
			fmt.Fprintf(env.stdout, "signer:    %s\nissuer:    %s\nserial:    %s\nvalid:     %s to %s\n", s.Subject, s.Issuer, s.Serial,
				s.NotBefore.UTC().Format(time.RFC3339), s.NotAfter.UTC().Format(time.RFC3339))
			for i, c := range s.Chain {
				fmt.Fprintf(env.stdout, "chain %d:   %s\n", i, c)
			}
		}
		if v.Method != "" {
			fmt.Fprintf(env.stdout, "algorithm: %s, digest %s\n", v.Method, v.Digest)
		}
		if !wl.Generated.IsZero() {
			fmt.Fprintf(env.stdout, "generated: %s\n", wl.Generated.UTC().Format(time.RFC3339))
		}
		fmt.Fprintf(env.stdout, "domains:   %d\n", wl.Len())
	}
	if !v.Trusted() {
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

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

func annuaireCommand() *command {
	return &command{
		name:    "annuaire",
		summary: "find MSSanté addresses in the national directory, check the liste blanche",
		examples: []example{
			{"mss annuaire lookup --extraction Extraction_Correspondance_MSSante.zip name:martin", "search the directory extraction by name"},
		},
		subs: []*command{
			{
				name:    "lookup",
				summary: "find mailboxes in the directory extraction (open data file of the ANS)",
				usage:   "--extraction FILE [flags] QUERY",
				about: "QUERY is an address, an RPPS or ADELI number, a national id (8+RPPS, 0+ADELI),\n" +
					"a structure id (FINESS, SIRET, 1+FINESS...), domain:DOMAIN or name:TEXT\n" +
					"(prefixes of names, first names or structure names; accents and case ignored).\n" +
					"Prints one line per mailbox: address, type, who. A progress bar is shown on\n" +
					"standard error while a large file loads, when it is a terminal.",
				examples: []example{
					{"mss annuaire lookup --extraction Extraction_Correspondance_MSSante.zip 10001234565", "the mailboxes of an RPPS number"},
					{"mss annuaire lookup --extraction extraction.txt --departement 51 --json name:martin", "name search in the Marne, as JSON"},
				},
				exits: exitCodes("something was found", "nothing was found (an address may be valid and red-listed), or the file cannot be read"),
				run:   runAnnuaireLookup,
			},
			{
				name:    "whitelist",
				summary: "tell whether an address's domain is on the liste blanche of the MSSanté trust space",
				usage:   "--file FILE [--roots PEM] [--crl CRL] [--json] ADDRESS",
				about: "Standard error tells the list's generation date, its signature verdict (checked\n" +
					"against the --roots given), its warnings (truncation...) and whether a\n" +
					"WhitelistRefresher would accept it; --json carries all of it. The subcommand verify\n" +
					"checks the list's signature alone.",
				examples: []example{
					{"mss annuaire whitelist --file listeblanchemssante.xml dr.martin@medecin-test.mssante.fr", "listed, with its operators, or not and why"},
					{"mss annuaire whitelist --file listeblanchemssante.xml --roots igc-sante.pem --json x@medecin.mssante.fr", "with the signature checked against the IGC Santé roots, as JSON"},
				},
				exits: exitCodes("the domain is on the liste blanche", "it is not (the reason on standard error), or the file cannot be read"),
				run:   runAnnuaireWhitelist,
				subs: []*command{{
					name:    "verify",
					summary: "check the XML signature of a liste blanche and its signer",
					usage:   "--file FILE [--roots PEM] [--crl CRL] [--json]",
					about: "Checks the signer's certificate against the IGC Santé roots given (--roots), at the\n" +
						"list's generation time. Prints the verdict (signed-and-trusted,\n" +
						"signed-by-unknown-issuer, signed-by-invalid-certificate, bad-signature, unsigned)\n" +
						"and the signer.",
					examples: []example{
						{"mss annuaire whitelist verify --file listeblanchemssante.xml --roots igc-sante.pem", "the signature verdict and the signer"},
					},
					exits: exitCodes("signed-and-trusted", "any other verdict, or the file cannot be read"),
					run:   runAnnuaireWhitelistVerify,
				}},
			},
			{
				name:    "diff",
				summary: "compare two directory extractions by address",
				usage:   "[--json] OLD NEW",
				about: "Prints + added, - removed, ~ modified (with the columns that changed), then the\n" +
					"counts. Exit codes as diff's.",
				examples: []example{
					{"mss annuaire diff extraction-2025-05-01.zip extraction-2025-05-02.zip", "what changed from one day to the next"},
				},
				exits: []string{"0  the files hold the same mailboxes", "1  they differ", "2  usage error, or a file cannot be read"},
				run:   runAnnuaireDiff,
			},
		},
	}
}

// loadExtraction loads an extraction file, showing a progress bar when
// standard error is a terminal (unless quiet).
func loadExtraction(env *cmdEnv, path string, quiet bool) (*annuaire.Index, error) {
	rc, size, err := annuaire.OpenExtraction(path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	opts := &annuaire.LoadOptions{SizeHint: size}
	bar := newProgress(env, quiet, "loading "+path, size, true)
	if bar != nil {
		opts.Progress = func(n int64, _ int) { bar.Set(n) }
	}
	idx, err := annuaire.LoadIndex(context.Background(), rc, opts)
	bar.Done()
	if err != nil {
		return nil, err
	}
	if st := idx.Stats(); st.BadLines > 0 {
		env.errorf("%s: %d lines skipped (first: %v)", path, st.BadLines, idx.Findings().Errors()[0])
	}
	return idx, nil
}

func runAnnuaireLookup(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "annuaire lookup")
	file := fs.String("extraction", "", "extraction `FILE` (Extraction_Correspondance_MSSante .txt or .zip)")
	asJSON := fs.Bool("json", false, "print the mailboxes as JSON")
	dept := fs.String("departement", "", "name search: keep this `DEPARTEMENT` only")
	limit := fs.Int("limit", 50, "name search: maximum `COUNT` of results (-1: all)")
	quiet := quietFlag(fs)
	pos, err := parseArgs(env, fs, args)
	if err != nil {
		return usageExit(err)
	}
	switch {
	case *file == "":
		return env.usageError("no --extraction FILE")
	case len(pos) == 0:
		return env.usageError("no QUERY")
	}
	query := strings.Join(pos, " ")
	idx, err := loadExtraction(env, *file, *quiet)
	if err != nil {
		return env.failFile(1, *file, err)
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
		env.errorf("%q not found in %s (%d mailboxes); an address may be valid and red-listed", query, *file, idx.Len())
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
	fs.StringVar(&w.file, "file", "", "liste blanche XML `FILE` (listeblanchemssante.xml)")
	fs.StringVar(&w.roots, "roots", "", "`PEM` file of the IGC Santé roots that the signer must chain to")
	fs.StringVar(&w.crl, "crl", "", "`CRL` file (DER or PEM) to check the signer's certificate against")
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
	fs := newFlagSet(env, "annuaire whitelist")
	var w whitelistFlags
	w.register(fs)
	fs.BoolVar(&w.allowUnsigned, "allow-unsigned", false, "judge the list as a refresher with AllowUnsigned would (a mirror)")
	fs.BoolVar(&w.allowUnclosed, "allow-unclosed", false, "judge the list as a refresher with AllowUnclosed would (the GitHub mirror has no closing root tag)")
	pos, err := parseArgs(env, fs, args)
	if err != nil {
		return usageExit(err)
	}
	switch {
	case w.file == "":
		return env.usageError("no --file FILE")
	case len(pos) != 1:
		return env.usageError("want one ADDRESS, got %d", len(pos))
	}
	wl, findings, err := w.load()
	if err != nil {
		return env.fail(1, err)
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
		return env.fail(1, checkErr)
	}
	return 0
}

func runAnnuaireWhitelistVerify(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "annuaire whitelist verify")
	var w whitelistFlags
	w.register(fs)
	pos, err := parseArgs(env, fs, args)
	if err != nil {
		return usageExit(err)
	}
	switch {
	case w.file == "":
		return env.usageError("no --file FILE")
	case len(pos) != 0:
		return env.usageError("unexpected argument %q", pos[0])
	}
	wl, findings, err := w.load()
	if err != nil {
		return env.fail(1, err)
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
	quiet := quietFlag(fs)
	pos, err := parseArgs(env, fs, args)
	if err != nil {
		return usageExit(err)
	}
	if len(pos) != 2 {
		return env.usageError("want OLD and NEW, got %d file(s)", len(pos))
	}
	var idx [2]*annuaire.Index
	for i, p := range pos {
		if idx[i], err = loadExtraction(env, p, *quiet); err != nil {
			return env.failFile(2, p, err)
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

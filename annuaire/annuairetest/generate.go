package annuairetest

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/idnat"
)

// Options shapes a generated extraction. The zero value (or nil) writes the
// ANS header alone, in order, LF line ends and a trailing '|' on every line.
type Options struct {
	Rows int    // data lines
	Seed uint64 // same seed, same file
	// CRLF ends lines with "\r\n".
	CRLF bool
	// NoTrailingSeparator drops the '|' at the end of lines.
	NoTrailingSeparator bool
	// Columns reorders (or drops) columns: names from
	// annuaire.ExtractionHeader, plus any unknown name for an extra column
	// (filled with "x"). Empty means the ANS order.
	Columns []string
	// DuplicateEvery repeats the address of an earlier line about every N
	// lines (0 means 3,200, about the real rate; negative means never).
	DuplicateEvery int
}

// Generate writes a synthetic extraction shaped by opts to w: opts.Rows data
// lines from opts.Seed. opts nil writes the header alone.
func Generate(w io.Writer, o *Options) error {
	var opts Options
	if o != nil {
		opts = *o
	}
	g := newGen(opts.Seed)
	cols := opts.Columns
	if len(cols) == 0 {
		cols = annuaire.ExtractionHeader[:]
	}
	index := map[string]int{}
	for i, h := range annuaire.ExtractionHeader {
		index[h] = i
	}
	eol := "|\n"
	if opts.NoTrailingSeparator {
		eol = "\n"
	}
	if opts.CRLF {
		eol = strings.Replace(eol, "\n", "\r\n", 1)
	}
	dupEvery := opts.DuplicateEvery
	if dupEvery == 0 {
		dupEvery = 3200
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString(strings.Join(cols, "|"))
	bw.WriteString(eol)
	var row [len(annuaire.ExtractionHeader)]string
	var lastPER [len(annuaire.ExtractionHeader)]string
	for i := 0; i < opts.Rows; i++ {
		switch {
		case dupEvery > 0 && i > 0 && g.r.IntN(dupEvery) == 0 && lastPER[1] != "":
			// The same address again, attached to another structure.
			row = lastPER
			g.structure(&row)
		case g.r.IntN(100) < 15:
			g.org(&row)
		default:
			g.per(&row)
			lastPER = row
		}
		for j, c := range cols {
			if j > 0 {
				bw.WriteByte('|')
			}
			if k, ok := index[c]; ok {
				bw.WriteString(row[k])
			} else {
				bw.WriteString("x")
			}
		}
		bw.WriteString(eol)
	}
	return bw.Flush()
}

type gen struct {
	r       *rand.Rand
	domains []string // structure domains
	towns   []string
	person  int
	prev    [31]string // the last person, for their second mailbox
	used    map[string]bool
}

// unique makes local@domain unused by appending a number to local.
func (g *gen) unique(local, domain string) string {
	a := local + "@" + domain
	for n := 2; g.used[a]; n++ {
		a = fmt.Sprintf("%s%d@%s", local, n, domain)
	}
	g.used[a] = true
	return a
}

func newGen(seed uint64) *gen {
	g := &gen{r: rand.New(rand.NewPCG(seed, 0x6d7373616e7465)), used: map[string]bool{}}
	for i := 0; i < 1200; i++ {
		g.towns = append(g.towns, g.word(2+g.r.IntN(2)))
	}
	prefixes := []string{"ch-", "chu-", "clinique-", "ehpad-", "cds-", "msp-", "labo-", "ght-", ""}
	for i := 0; i < 5000; i++ {
		d := prefixes[g.r.IntN(len(prefixes))] + strings.ToLower(g.towns[g.r.IntN(len(g.towns))])
		if g.r.IntN(3) == 0 {
			d += fmt.Sprint(g.r.IntN(95) + 1)
		}
		g.domains = append(g.domains, d+".mssante.fr")
	}
	g.domains = append(g.domains, "interop-mssante.apicrypt.org")
	return g
}

var syllables = []string{"BA", "BER", "BOU", "CHA", "DA", "DE", "DU", "FA", "FON", "GA", "GRE", "JO", "LA", "LAN", "LE", "LOU", "MA", "MAR", "MO", "NA", "NE", "PA", "PE", "RA", "RI", "RO", "SA", "SE", "TA", "TI", "VA", "VER", "VI", "ZO", "QUE", "TIN", "RET", "CAR", "NOU", "VEL"}

// word builds a fictitious upper-case word from syllables.
func (g *gen) word(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(syllables[g.r.IntN(len(syllables))])
	}
	return b.String()
}

var firstNames = []string{"Hélène", "Jérôme", "François", "Zoé", "Chloé", "Anaïs", "Noël", "Gaëlle", "Loïc", "Cécile", "Benoît", "Agnès", "Camille", "Jean", "Marie", "Pierre", "Sophie", "Nicolas", "Julie", "Thomas", "Léa", "Émilie", "Éric", "Inès", "Maël", "Jean-Noël", "Anne-Sophie", "Lucas", "Manon", "Paul"}

type profession struct{ code, label, spec, specLabel, domain string }

var professions = []profession{
	{"10", "Médecin", "SM54", "Médecine générale", "medecin.mssante.fr"},
	{"10", "Médecin", "SM04", "Cardiologie et maladies vasculaires", "medecin.mssante.fr"},
	{"10", "Médecin", "SM26", "Psychiatrie", "medecin.mssante.fr"},
	{"21", "Pharmacien", "", "", "pharmacien.mssante.fr"},
	{"40", "Chirurgien-Dentiste", "", "", "chirurgien-dentiste.mssante.fr"},
	{"50", "Sage-Femme", "", "", "sagefemme.mssante.fr"},
	{"60", "Infirmier", "", "", "infirmier.mssante.fr"},
	{"70", "Masseur-Kinésithérapeute", "", "", "masseur-kinesitherapeute.mssante.fr"},
}

var services = []string{"Cardiologie", "Urgences", "Secrétariat médical", "Radiologie", "Pédiatrie", "Laboratoire", "Direction", "Gériatrie"}

// luhnKey appends the Luhn check digit to a string of digits.
func luhnKey(digits string) string {
	for k := byte('0'); k <= '9'; k++ {
		if idnat.Luhn(digits + string(k)) {
			return digits + string(k)
		}
	}
	return digits + "0"
}

func (g *gen) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.r.IntN(10))
	}
	return string(b)
}

func (g *gen) dept() string {
	switch n := g.r.IntN(100); {
	case n == 0:
		return "2A"
	case n == 1:
		return "971"
	default:
		return fmt.Sprintf("%02d", 1+g.r.IntN(95))
	}
}

func ascii(s string) string {
	return strings.NewReplacer("é", "e", "è", "e", "ë", "e", "ç", "c", "ï", "i", "î", "i", "É", "e", "ô", "o").Replace(strings.ToLower(s))
}

// structure fills the structure columns (6, 7, 8, 19-31).
func (g *gen) structure(row *[31]string) {
	dept := g.dept()
	town := g.towns[g.r.IntN(len(g.towns))]
	if g.r.IntN(4) == 0 {
		row[5], row[6] = "3", "3"+luhnKey(luhnKey(g.digits(8))+g.digits(4))
	} else {
		fdept := dept
		if len(fdept) == 3 {
			fdept = "97"
		}
		if fdept == "2A" {
			fdept = "20"
		}
		row[5], row[6] = "1", "1"+luhnKey(fdept+g.digits(6))
	}
	kinds := []string{"CENTRE HOSPITALIER", "CLINIQUE", "EHPAD", "CENTRE DE SANTE", "MAISON DE SANTE", "CABINET"}
	row[7] = ""
	if g.r.IntN(3) == 0 {
		row[7] = services[g.r.IntN(len(services))]
	}
	row[18] = kinds[g.r.IntN(len(kinds))] + " " + town
	row[19] = ""
	if g.r.IntN(5) == 0 {
		row[19] = "CLINIQUE " + g.word(2)
	}
	row[20], row[21] = "", ""
	if g.r.IntN(6) == 0 {
		row[20] = "BATIMENT " + string(rune('A'+g.r.IntN(6)))
	}
	if g.r.IntN(8) == 0 {
		row[21] = "BP " + g.digits(3)
	}
	row[22] = fmt.Sprint(1 + g.r.IntN(180))
	row[23] = ""
	if g.r.IntN(15) == 0 {
		row[23] = "B"
	}
	row[24] = []string{"R", "AV", "BD", "PL", "CHE", "ALL"}[g.r.IntN(6)]
	row[25] = "DE LA " + g.word(2)
	row[26] = ""
	pc := dept
	if len(pc) == 2 {
		pc = strings.NewReplacer("2A", "20").Replace(pc) + g.digits(3)
	} else {
		pc += g.digits(2)
	}
	row[27] = pc + " " + town
	row[28] = pc
	row[29] = dept
	row[30] = "FR"
}

func (g *gen) per(row *[31]string) {
	p := professions[g.r.IntN(len(professions))]
	last := g.word(2 + g.r.IntN(2))
	first := firstNames[g.r.IntN(len(firstNames))]
	second := g.person > 0 && g.r.IntN(7) == 0
	g.person++
	if second {
		// A second mailbox of the previous person, on a structure's domain.
		*row = g.prev
		last, first = row[9], row[10]
		row[1] = g.unique(ascii(strings.ReplaceAll(first, " ", "-"))+"."+strings.ToLower(last), g.domains[g.r.IntN(len(g.domains))])
		g.structure(row)
		return
	}
	if g.r.IntN(20) == 0 {
		row[2], row[3] = "0", luhnKey(g.digits(8))
		row[4] = "0" + row[3]
	} else {
		row[2], row[3] = "8", luhnKey("10"+g.digits(8))
		row[4] = "8" + row[3]
	}
	row[0] = "PER"
	local := ascii(strings.ReplaceAll(first, " ", "-")) + "." + strings.ToLower(last)
	domain := p.domain
	if g.r.IntN(3) == 0 {
		domain = g.domains[g.r.IntN(len(g.domains))]
	}
	if g.r.IntN(4) == 0 {
		local += fmt.Sprint(g.r.IntN(100))
	}
	row[1] = g.unique(local, domain)
	row[8] = ""
	if p.code == "10" {
		row[8] = "DR"
	}
	row[9], row[10] = last, first
	row[11], row[12] = "C", "Civil"
	row[13], row[14] = p.code, p.label
	row[15], row[16] = p.spec, p.specLabel
	row[17] = []string{"O", "N", ""}[g.r.IntN(3)]
	defer func() { g.prev = *row }()
	if domain == p.domain && g.r.IntN(3) != 0 {
		// A mailbox of the generic domain, with no structure.
		for i := 5; i < 31; i++ {
			if i < 8 || i > 17 {
				row[i] = ""
			}
		}
		return
	}
	g.structure(row)
}

func (g *gen) org(row *[31]string) {
	*row = [31]string{}
	row[0] = "ORG"
	g.structure(row)
	domain := g.domains[g.r.IntN(len(g.domains))]
	svc := row[7]
	if svc == "" {
		svc = services[g.r.IntN(len(services))]
	}
	row[1] = g.unique(strings.ReplaceAll(ascii(svc), " ", "-"), domain)
	row[17] = "O"
}

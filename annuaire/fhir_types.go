package annuaire

import (
	"encoding/json"
	"strings"

	"github.com/mssante-go/sdk/idnat"
	"github.com/mssante-go/sdk/internal/check"
)

// The subset of FHIR R4 the client reads (annuaire.md §3). Unknown fields
// and sub-extensions (e.g. "digitization") are ignored.

type fhirBundle struct {
	ResourceType string `json:"resourceType"`
	Link         []struct {
		Relation string `json:"relation"`
		URL      string `json:"url"`
	} `json:"link"`
	Entry []struct {
		Resource fhirResource `json:"resource"`
	} `json:"entry"`
}

// fhirResource holds the fields of Practitioner, PractitionerRole and
// Organization that the client uses, told apart by ResourceType.
type fhirResource struct {
	ResourceType string           `json:"resourceType"`
	ID           string           `json:"id"`
	Active       *bool            `json:"active"`
	Identifier   []fhirIdentifier `json:"identifier"`
	Telecom      fhirTelecoms     `json:"telecom"`
	// Practitioner
	Name nameField `json:"name"`
	// PractitionerRole
	Practitioner fhirReference `json:"practitioner"`
	Organization fhirReference `json:"organization"`
	Code         []fhirConcept `json:"code"`
	Specialty    []fhirConcept `json:"specialty"`
	Address      []fhirAddress `json:"address"`
	Alias        []string      `json:"alias"`
}

// nameField is Practitioner.name (a list of HumanName) or Organization.name
// (a string): both are named "name".
type nameField struct {
	Human []fhirHumanName
	Text  string
}

func (n *nameField) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if strings.HasPrefix(s, "[") {
		return json.Unmarshal(b, &n.Human)
	}
	if strings.HasPrefix(s, "\"") {
		return json.Unmarshal(b, &n.Text)
	}
	return nil
}

type fhirHumanName struct {
	Use    string   `json:"use"`
	Family string   `json:"family"`
	Given  []string `json:"given"`
	Prefix []string `json:"prefix"`
	Suffix []string `json:"suffix"`
}

type fhirIdentifier struct {
	System string      `json:"system"`
	Value  string      `json:"value"`
	Type   fhirConcept `json:"type"`
}

type fhirReference struct {
	Reference string `json:"reference"`
}

type fhirCoding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display"`
}

type fhirConcept struct {
	Coding []fhirCoding `json:"coding"`
	Text   string       `json:"text"`
}

func (c fhirConcept) code(systemPart string) (code, display string) {
	for _, cd := range c.Coding {
		if systemPart == "" || strings.Contains(cd.System, systemPart) {
			return cd.Code, cd.Display
		}
	}
	return "", ""
}

type fhirAddress struct {
	Line       []string `json:"line"`
	City       string   `json:"city"`
	PostalCode string   `json:"postalCode"`
	Country    string   `json:"country"`
	District   string   `json:"district"`
}

type fhirExtension struct {
	URL                  string          `json:"url"`
	ValueCoding          *fhirCoding     `json:"valueCoding"`
	ValueCodeableConcept *fhirConcept    `json:"valueCodeableConcept"`
	ValueString          string          `json:"valueString"`
	ValueBoolean         *bool           `json:"valueBoolean"`
	Extension            []fhirExtension `json:"extension"`
}

func (e *fhirExtension) codeValue() string {
	if e.ValueCoding != nil {
		return e.ValueCoding.Code
	}
	if e.ValueCodeableConcept != nil {
		c, _ := e.ValueCodeableConcept.code("")
		return c
	}
	return ""
}

type fhirContactPoint struct {
	System    string          `json:"system"`
	Value     string          `json:"value"`
	Extension []fhirExtension `json:"extension"`
}

type fhirTelecoms []fhirContactPoint

// mssInfo tells whether a contact point is an MSSanté mailbox, with the
// metadata it carries.
type mssInfo struct {
	address, typ, service string
}

// mss returns the MSSanté mailboxes among the telecoms: e-mail contact
// points typed MSSANTE, or (on Practitioner/PractitionerRole, whose
// profile only holds mailboxes) carrying the mailbox metadata extension.
func (t fhirTelecoms) mss() []mssInfo {
	var out []mssInfo
	for _, cp := range t {
		info := mssInfo{address: strings.TrimSpace(cp.Value)}
		if cp.System != "email" || info.address == "" {
			continue
		}
		hasType, isMSS, meta := false, false, false
		for _, e := range cp.Extension {
			switch {
			case strings.HasSuffix(e.URL, extEmailType):
				hasType = true
				isMSS = strings.EqualFold(e.codeValue(), emailTypeMSSante)
			case strings.HasSuffix(e.URL, extMailboxMetadata):
				meta = true
				for _, s := range e.Extension {
					switch s.URL {
					case "type":
						info.typ = s.codeValue()
					case "service":
						info.service = s.ValueString
					}
				}
			}
		}
		if isMSS || (!hasType && meta) {
			out = append(out, info)
		}
	}
	return out
}

// mailboxes converts the MSSanté telecoms of a resource; person, role and
// org give the context (any may be nil).
func (t fhirTelecoms) mailboxes(person, role, org *fhirResource) []Mailbox {
	var out []Mailbox
	for _, info := range t.mss() {
		m := Mailbox{Address: info.address, Source: SourceFHIR, Type: MailboxType(info.typ)}
		if person != nil {
			m.Person = person.person()
		}
		if role != nil {
			m.Person.ProfessionCode, m.Person.ProfessionLabel = conceptsCode(role.Code, "TRE_G15")
			m.Person.SpecialtyCode, m.Person.SpecialtyLabel = conceptsCode(role.Specialty, "TRE_R38")
		}
		if org != nil {
			m.Structure = org.structure()
		}
		m.Structure.Service = info.service
		if m.Type == "" {
			// A role's mailbox is a person's even when the bundle left
			// out the Practitioner.
			if person != nil || role != nil {
				m.Type = TypePersonal
			} else {
				m.Type = TypeOrganisational
			}
		}
		out = append(out, m)
	}
	return out
}

func conceptsCode(cs []fhirConcept, system string) (string, string) {
	for _, c := range cs {
		if code, d := c.code(system); code != "" {
			return code, d
		}
	}
	return "", ""
}

// Identifier type codes and systems (annuaire.md §3.4): matched on the type
// code, and on the known systems when the type is absent.
var (
	rppsSystems  = []string{"http://rpps.fr", "https://rpps.esante.gouv.fr"}
	idnpsSystem  = "urn:oid:1.2.250.1.71.4.2.1"
	idnstSystem  = "urn:oid:1.2.250.1.71.4.2.2"
	finessSystem = "https://finess.esante.gouv.fr"
)

func (p *fhirResource) identifier(typeCode string, systems ...string) string {
	for _, id := range p.Identifier {
		if c, _ := id.Type.code(""); strings.EqualFold(c, typeCode) && id.Value != "" {
			return id.Value
		}
	}
	for _, id := range p.Identifier {
		for _, s := range systems {
			if id.System == s && id.Value != "" {
				return id.Value
			}
		}
	}
	return ""
}

func (p *fhirResource) person() Person {
	out := Person{
		ID:         p.identifier("RPPS", rppsSystems...),
		NationalID: p.identifier("IDNPS", idnpsSystem),
	}
	if out.ID == "" {
		if n, err := idnat.ParsePerson(out.NationalID); err == nil && n.Internal == "" {
			out.ID = n.ID
			out.IDType = n.Prefix
		}
	} else {
		out.IDType = "8"
	}
	if out.NationalID == "" && out.IDType == "8" {
		out.NationalID = "8" + out.ID
	}
	var hn *fhirHumanName
	for i := range p.Name.Human {
		if hn == nil || p.Name.Human[i].Use == "official" || p.Name.Human[i].Use == "usual" {
			hn = &p.Name.Human[i]
		}
	}
	if hn != nil {
		out.LastName = hn.Family
		out.FirstName = strings.Join(hn.Given, " ")
		if len(hn.Prefix) > 0 {
			out.Civility = hn.Prefix[0]
		}
	}
	return out
}

func (p *fhirResource) structure() Structure {
	s := Structure{Name: p.Name.Text}
	if v := p.identifier("IDNST", idnstSystem); v != "" {
		s.ID, s.IDType = v, "IDNST"
	} else if v := p.identifier("FINEG", finessSystem); v != "" {
		s.ID, s.IDType = v, "FINEG"
	} else if len(p.Identifier) > 0 {
		s.ID = p.Identifier[0].Value
		s.IDType, _ = p.Identifier[0].Type.code("")
	}
	if len(p.Alias) > 0 {
		s.TradeName = p.Alias[0]
	}
	if len(p.Address) > 0 {
		a := p.Address[0]
		s.Address.Street = strings.Join(a.Line, ", ")
		s.Address.PostalCode = a.PostalCode
		s.Address.Line6 = strings.TrimSpace(a.PostalCode + " " + strings.ToUpper(a.City))
		s.Address.Country = a.Country
		s.Address.Departement = departementOf(a.PostalCode)
	}
	return s
}

// departementOf guesses the département from a postcode (97x/98x overseas,
// 20xxx Corsica as 2A/2B).
func departementOf(pc string) string {
	if len(pc) != 5 || !check.Digits(pc) {
		return ""
	}
	switch {
	case pc[:2] == "97" || pc[:2] == "98":
		return pc[:3]
	case pc[:2] == "20":
		if pc < "20200" {
			return "2A"
		}
		return "2B"
	}
	return pc[:2]
}

// bundleSet indexes the resources of a search by reference.
type bundleSet struct {
	practitioners, roles, orgs []*fhirResource
	byRef                      map[string]*fhirResource
}

func newBundleSet(res []fhirResource) *bundleSet {
	b := &bundleSet{byRef: map[string]*fhirResource{}}
	b.add(res)
	return b
}

func (b *bundleSet) add(res []fhirResource) {
	for i := range res {
		r := &res[i]
		if r.Active != nil && !*r.Active {
			continue // deleted or inactive (annuaire.md §3.5)
		}
		ref := r.ResourceType + "/" + r.ID
		if _, dup := b.byRef[ref]; dup && r.ID != "" {
			continue
		}
		b.byRef[ref] = r
		switch r.ResourceType {
		case "Practitioner":
			b.practitioners = append(b.practitioners, r)
		case "PractitionerRole":
			b.roles = append(b.roles, r)
		case "Organization":
			b.orgs = append(b.orgs, r)
		}
	}
}

func (b *bundleSet) lookup(ref string) *fhirResource {
	if ref == "" {
		return nil
	}
	if r, ok := b.byRef[ref]; ok {
		return r
	}
	// Absolute references: keep the last two segments.
	parts := strings.Split(strings.TrimSuffix(ref, "/"), "/")
	if len(parts) >= 2 {
		return b.byRef[parts[len(parts)-2]+"/"+parts[len(parts)-1]]
	}
	return nil
}

// mailboxes returns the MSSanté mailboxes of the practitioners, of the
// roles (labelled with their practitioner and organisation) and, when orgs
// is true, of the organisations.
func (b *bundleSet) mailboxes(orgs bool) []Mailbox {
	var out []Mailbox
	for _, p := range b.practitioners {
		out = append(out, p.Telecom.mailboxes(p, nil, nil)...)
	}
	for _, r := range b.roles {
		out = append(out, r.Telecom.mailboxes(b.lookup(r.Practitioner.Reference), r, b.lookup(r.Organization.Reference))...)
	}
	if orgs {
		for _, o := range b.orgs {
			out = append(out, o.Telecom.mailboxes(nil, nil, o)...)
		}
	}
	return out
}

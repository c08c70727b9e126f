package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/ins"
)

// INSCheckRequest is the body of POST /v1/ins/check.
type INSCheckRequest struct {
	// Matricule is the INS (15 characters; spaces between groups allowed).
	Matricule string `json:"matricule"`
	// OID is the assigning authority, optional (.8 NIR, .9 NIA, .10 test).
	OID string `json:"oid,omitempty"`
	// The traits, optional: compared with the matricule (ins.Coherence).
	BirthDate  string `json:"birth_date,omitempty"` // YYYY-MM-DD
	Sex        string `json:"sex,omitempty"`
	BirthPlace string `json:"birth_place,omitempty"`
}

// INSCheckResult is the answer of POST /v1/ins/check.
type INSCheckResult struct {
	Matricule string `json:"matricule"`
	Valid     bool   `json:"valid"`
	// Kind (NIR, NIA) and Test come from the OID when one is given.
	Kind string `json:"kind,omitempty"`
	Test bool   `json:"test"`
	// Reason is length, character, key or oid when the INS is not valid;
	// ExpectedKey the right key when the key is wrong.
	Reason      string `json:"reason,omitempty"`
	ExpectedKey string `json:"expected_key,omitempty"`
	// PatientAddress is the Mon Espace Santé address of the INS.
	PatientAddress string            `json:"patient_address,omitempty"`
	Findings       []finding.Finding `json:"findings"`
}

// decodeJSON reads a JSON request body, unknown keys refused; it answers
// 400 and returns false on error.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			writeProblem(w, r, http.StatusRequestEntityTooLarge, ProblemTooLarge, "the body is over the limit of %d bytes", mb.Limit)
			return false
		}
		writeProblem(w, r, http.StatusBadRequest, ProblemBadRequest, "JSON body: %v", err)
		return false
	}
	return true
}

// insCheck is POST /v1/ins/check: the matricule's form and key, its
// authority, and its coherence with the traits given.
func (s *Server) insCheck(w http.ResponseWriter, r *http.Request) {
	var req INSCheckRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	res := INSCheckResult{Matricule: req.Matricule, Findings: []finding.Finding{}}
	var fs finding.List
	m, err := ins.Parse(req.Matricule)
	if err != nil {
		res.Reason = map[string]string{"INS-LENGTH": "length", "INS-KEY": "key", "INS-FORMAT": "character"}[insRule(err)]
		var pe *ins.ParseError
		if errors.As(err, &pe) && errors.Is(err, ins.ErrChecksum) {
			res.ExpectedKey = ins.FormatKey(pe.Want)
		}
		fs.Add(finding.Error, insRule(err), "matricule", "ins.md §2", "%v", err)
	} else {
		res.Matricule, res.Valid = string(m), true
		if req.OID != "" {
			oid, err := ins.ParseOID(req.OID)
			if err != nil {
				res.Valid, res.Reason = false, "oid"
				fs.Add(finding.Error, "INS-OID", "oid", "ins.md §5", "%v", err)
			} else {
				res.Kind, res.Test = string(oid.Kind()), oid.IsTest()
				if err := s.opts.Environment.Allows(oid); err != nil {
					res.Valid, res.Reason = false, "oid"
					fs.Add(finding.Error, "INS-ENV", "oid", "ins.md §8", "%v", err)
				}
			}
		}
		if res.Valid {
			res.PatientAddress = m.MSCAddress()
			t := &ins.Traits{Sex: ins.Sex(req.Sex), BirthPlace: req.BirthPlace}
			if req.BirthDate != "" {
				if t.BirthDate, err = parseDate(req.BirthDate); err != nil {
					fs.Add(finding.Error, "INS-TRAITS", "birth_date", "ins.md §3", "birth_date %q: want YYYY-MM-DD", req.BirthDate)
				}
			}
			fs = append(fs, ins.Coherence(m, t)...)
		}
	}
	if fs != nil {
		res.Findings = fs
	}
	writeJSON(w, http.StatusOK, res)
}

// ValidationResult is the answer of POST /v1/cda/validate.
type ValidationResult struct {
	// Valid: no finding is an error.
	Valid    bool              `json:"valid"`
	Errors   int               `json:"errors"`
	Warnings int               `json:"warnings"`
	Findings []finding.Finding `json:"findings"`
}

// cdaValidate is POST /v1/cda/validate: the CI-SIS rules of cda.Validate
// on the document in the body (text/xml, application/xml or
// application/hl7-cda+xml).
func (s *Server) cdaValidate(w http.ResponseWriter, r *http.Request) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "text/xml", "application/xml", "application/hl7-cda+xml":
	default:
		writeProblem(w, r, http.StatusUnsupportedMediaType, ProblemUnsupportedType, "want a CDA document as text/xml, application/xml or application/hl7-cda+xml")
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.bodyError(w, r, err)
		return
	}
	fs, err := cda.Validate(bytes.NewReader(body), &cda.ValidateOptions{Environment: s.opts.Environment})
	if err != nil {
		fs.Add(finding.Error, "CDA-READ", "/", "cda.md", "%v", err)
	}
	res := ValidationResult{Valid: !fs.HasErrors(), Errors: fs.Count(finding.Error), Warnings: fs.Count(finding.Warning), Findings: fs}
	if res.Findings == nil {
		res.Findings = []finding.Finding{}
	}
	writeJSON(w, http.StatusOK, res)
}

// Searcher is the name search a directory may offer (*annuaire.Index).
type Searcher interface {
	Search(query string, o *annuaire.SearchOptions) []annuaire.Mailbox
}

// DirectoryResult is the answer of GET /v1/directory.
type DirectoryResult struct {
	Mailboxes []annuaire.Mailbox `json:"mailboxes"`
}

// directory is GET /v1/directory?address= | person= | structure= | q=.
func (s *Server) directory(w http.ResponseWriter, r *http.Request) {
	if s.opts.Directory == nil {
		writeProblem(w, r, http.StatusNotImplemented, ProblemNotConfigured, "no directory on this instance (\"directory\" in the configuration: the extraction file of the Annuaire Santé)")
		return
	}
	q := r.URL.Query()
	var out []annuaire.Mailbox
	var err error
	switch {
	case q.Get("address") != "":
		var mb annuaire.Mailbox
		if mb, err = s.opts.Directory.ResolveAddress(r.Context(), q.Get("address")); err == nil {
			out = []annuaire.Mailbox{mb}
		}
	case q.Get("person") != "":
		out, err = s.opts.Directory.ResolvePerson(r.Context(), q.Get("person"))
	case q.Get("structure") != "":
		out, err = s.opts.Directory.ResolveStructure(r.Context(), q.Get("structure"))
	case q.Get("q") != "":
		sr, ok := s.opts.Directory.(Searcher)
		if !ok {
			writeProblem(w, r, http.StatusNotImplemented, ProblemNotConfigured, "this directory has no name search")
			return
		}
		limit, ok := intParam(w, r, "limit", 50)
		if !ok {
			return
		}
		out = sr.Search(q.Get("q"), &annuaire.SearchOptions{Limit: limit, Departement: q.Get("departement")})
	default:
		writeProblem(w, r, http.StatusBadRequest, ProblemBadRequest, "give address, person, structure or q")
		return
	}
	switch {
	case errors.Is(err, annuaire.ErrNotFound):
		writeProblem(w, r, http.StatusNotFound, ProblemNotFound, "not in the directory")
		return
	case err != nil:
		writeProblem(w, r, http.StatusServiceUnavailable, ProblemUnavailable, "the directory could not be asked: %v", err)
		return
	}
	if out == nil {
		out = []annuaire.Mailbox{}
	}
	writeJSON(w, http.StatusOK, DirectoryResult{Mailboxes: out})
}

// TrustRequest is the body of POST /v1/trust-space/check.
type TrustRequest struct {
	Addresses []string `json:"addresses"`
}

// TrustResult is one address of the answer of POST /v1/trust-space/check.
type TrustResult struct {
	Address string `json:"address"`
	Trusted bool   `json:"trusted"`
	Reason  string `json:"reason,omitempty"`
}

// TrustResults is the answer of POST /v1/trust-space/check.
type TrustResults struct {
	Results []TrustResult `json:"results"`
}

// trustCheck is POST /v1/trust-space/check: each address against the
// trust space, as POST /v1/messages checks its recipients.
func (s *Server) trustCheck(w http.ResponseWriter, r *http.Request) {
	if s.opts.RecipientChecker == nil {
		writeProblem(w, r, http.StatusNotImplemented, ProblemNotConfigured, "no trust space on this instance (InsecureSkipRecipientCheck)")
		return
	}
	var req TrustRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if len(req.Addresses) > s.opts.Limits.MaxRecipients {
		var fs finding.List
		fs.Add(finding.Error, "SERVE-RECIPIENTS-MAX", "addresses", "docs/serve.md", "%d addresses, over the limit of %d", len(req.Addresses), s.opts.Limits.MaxRecipients)
		invalid(w, r, fs, "too many addresses")
		return
	}
	out := TrustResults{Results: []TrustResult{}}
	for _, a := range req.Addresses {
		res := TrustResult{Address: a, Trusted: true}
		if err := s.opts.RecipientChecker.CheckRecipient(r.Context(), strings.TrimSpace(a)); err != nil {
			res.Trusted, res.Reason = false, err.Error()
		}
		out.Results = append(out.Results, res)
	}
	writeJSON(w, http.StatusOK, out)
}

// openAPI is GET /openapi.json, the contract (no API key needed).
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(openAPIDocument)))
	w.Write(openAPIDocument)
}

func parseDate(s string) (time.Time, error) { return time.Parse(time.DateOnly, s) }

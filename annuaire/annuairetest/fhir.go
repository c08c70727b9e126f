package annuairetest

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"
)

// Fictitious identities served by FHIRServer.
const (
	FHIRRPPS           = "10001234565" // a practitioner with three mailboxes over two pages
	FHIRStructureID    = "1754567860"  // IDNST of the test hospital (the IG's fictitious FINESS)
	FHIRRoleAddress    = "h.testmedecin@ch-exemple.mssante.fr"
	FHIRPersonAddress  = "helene.testmedecin@medecin.mssante.fr"
	FHIROrgAddress     = "secretariat.cardio@ch-exemple.mssante.fr"
	FHIRAPIKey         = "test-api-key"
	FHIRBadIdentifier  = "bad"
	FHIRInternetEmail  = "contact@ch-exemple.fr"
	FHIRAppAddress     = "dmp-robot@ch-exemple.mssante.fr"
	FHIRCabinetAddress = "helene.testmedecin@cabinet-exemple.mssante.fr"
)

// FHIRServer is a local HTTPS server answering like the Annuaire Santé
// FHIR API v2 for a few fictitious resources written from the
// specification (annuaire.md §3): Practitioner, PractitionerRole and
// Organization searches by identifier, _id and mailbox-mss:exact, with
// _revinclude/_include, opaque "next" paging, OperationOutcome errors, and
// injectable 429/503 answers and a slow page. Its base URL is URL+"/fhir/v2".
type FHIRServer struct {
	*httptest.Server
	// SlowPage delays the second page of the practitioner search.
	SlowPage time.Duration
	// Fail429 and Fail503 make the next requests fail with that status
	// (Retry-After: 0), decremented on each.
	Fail429, Fail503 atomic.Int32
	// Requests counts the requests received.
	Requests atomic.Int64
}

// NewFHIRServer starts a server; Close it when done. The API key it
// expects is FHIRAPIKey; trust it with Server.Client() or Certificate().
func NewFHIRServer() *FHIRServer {
	s := &FHIRServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.Server.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected in tests
	s.Server.StartTLS()
	return s
}

// BaseURL is the FHIR base of the server.
func (s *FHIRServer) BaseURL() string { return s.URL + "/fhir/v2" }

const (
	extEmailType = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-contact-point-email-type"
	extMetadata  = "https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-ext-mailbox-mss-metadata"
)

// mailbox is a ContactPoint of profile as-mailbox-mss.
func mailbox(addr, typ, service string) map[string]any {
	sub := []any{
		map[string]any{"url": "type", "valueCodeableConcept": map[string]any{"coding": []any{map[string]any{
			"system": "https://mos.esante.gouv.fr/NOS/TRE_R257-TypeBAL/FHIR/TRE-R257-TypeBAL", "code": typ}}}},
		map[string]any{"url": "digitization", "valueBoolean": true}, // removed from the IG; must be ignored
	}
	if service != "" {
		sub = append(sub, map[string]any{"url": "service", "valueString": service})
	}
	return map[string]any{
		"system": "email", "value": addr,
		"extension": []any{
			map[string]any{"url": extEmailType, "valueCoding": map[string]any{
				"system": "https://mos.esante.gouv.fr/NOS/TRE_R256-TypeMessagerie/FHIR/TRE-R256-TypeMessagerie", "code": "MSSANTE"}},
			map[string]any{"url": extMetadata, "extension": sub},
		},
	}
}

func ident(typeCode, system, value string) map[string]any {
	return map[string]any{
		"use":    "official",
		"type":   map[string]any{"coding": []any{map[string]any{"system": "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203", "code": typeCode}}},
		"system": system, "value": value,
	}
}

var resources = map[string]map[string]any{
	"Practitioner/pr-001": {
		"resourceType": "Practitioner", "id": "pr-001",
		"meta":   map[string]any{"profile": []any{"https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-dp-practitioner"}},
		"active": true,
		"identifier": []any{
			ident("IDNPS", "urn:oid:1.2.250.1.71.4.2.1", "8"+FHIRRPPS),
			// The documentation's RPPS system (the IG uses https://rpps.esante.gouv.fr).
			map[string]any{"type": map[string]any{"coding": []any{map[string]any{"system": "http://interopsante.org/CodeSystem/v2-0203", "code": "RPPS"}}}, "system": "http://rpps.fr", "value": FHIRRPPS},
		},
		"name":    []any{map[string]any{"use": "usual", "family": "TESTMEDECIN", "given": []any{"Hélène"}, "prefix": []any{"DR"}}},
		"telecom": []any{mailbox(FHIRPersonAddress, "PER", "")},
	},
	"PractitionerRole/prr-001": {
		"resourceType": "PractitionerRole", "id": "prr-001", "active": true,
		"practitioner": map[string]any{"reference": "Practitioner/pr-001"},
		"organization": map[string]any{"reference": "Organization/org-001"},
		"code":         []any{map[string]any{"coding": []any{map[string]any{"system": "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante", "code": "10", "display": "Médecin"}}}},
		"specialty":    []any{map[string]any{"coding": []any{map[string]any{"system": "https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale", "code": "SM04", "display": "Cardiologie et maladies vasculaires"}}}},
		"telecom":      []any{mailbox(FHIRRoleAddress, "PER", "Cardiologie")},
	},
	"PractitionerRole/prr-002": {
		"resourceType": "PractitionerRole", "id": "prr-002", "active": true,
		"practitioner": map[string]any{"reference": "Practitioner/pr-001"},
		"organization": map[string]any{"reference": "Organization/org-002"},
		"telecom":      []any{mailbox(FHIRCabinetAddress, "PER", "")},
	},
	"PractitionerRole/prr-003": {
		// A role without a mailbox, and a deleted one.
		"resourceType": "PractitionerRole", "id": "prr-003", "active": true,
		"practitioner": map[string]any{"reference": "Practitioner/pr-001"},
		"organization": map[string]any{"reference": "Organization/org-003"},
	},
	"PractitionerRole/prr-004": {"resourceType": "PractitionerRole", "id": "prr-004", "active": false},
	"Organization/org-001": {
		"resourceType": "Organization", "id": "org-001", "active": true,
		"identifier": []any{
			ident("IDNST", "urn:oid:1.2.250.1.71.4.2.2", FHIRStructureID),
			ident("FINEG", "https://finess.esante.gouv.fr", FHIRStructureID[1:]),
		},
		"name":    "CENTRE HOSPITALIER D'EXEMPLE",
		"address": []any{map[string]any{"line": []any{"12 RUE DE L'EXEMPLE"}, "postalCode": "75012", "city": "Paris", "country": "FR"}},
		"telecom": []any{
			mailbox(FHIROrgAddress, "ORG", "Cardiologie"),
			mailbox(FHIRAppAddress, "APP", ""),
			// An ordinary e-mail address, typed INTERNET: not an MSSanté mailbox.
			map[string]any{"system": "email", "value": FHIRInternetEmail, "extension": []any{map[string]any{"url": extEmailType, "valueCoding": map[string]any{"code": "INTERNET"}}}},
			map[string]any{"system": "phone", "value": "0100000000"},
		},
	},
	"Organization/org-002": {
		"resourceType": "Organization", "id": "org-002", "active": true,
		"identifier": []any{ident("IDNST", "urn:oid:1.2.250.1.71.4.2.2", "410001234565001")},
		"name":       "CABINET DU DR TESTMEDECIN",
		"address":    []any{map[string]any{"line": []any{"3 AVENUE DU TEST"}, "postalCode": "20000", "city": "Ajaccio"}},
	},
}

func entry(ref, mode string) map[string]any {
	return map[string]any{"fullUrl": "https://gateway.api.esante.gouv.fr/fhir/v2/" + ref, "resource": resources[ref], "search": map[string]any{"mode": mode}}
}

func (s *FHIRServer) bundle(entries []any, next string) map[string]any {
	b := map[string]any{
		"resourceType": "Bundle", "id": "b-" + fmt.Sprint(s.Requests.Load()), "type": "searchset",
		"meta":  map[string]any{"lastUpdated": "2026-08-26T03:00:00.000+02:00"},
		"link":  []any{map[string]any{"relation": "self", "url": s.BaseURL() + "/..."}},
		"entry": entries,
	}
	if next != "" {
		b["link"] = append(b["link"].([]any), map[string]any{"relation": "next", "url": next})
	}
	return b
}

func outcome(w http.ResponseWriter, status int, code, diag string) {
	w.Header().Set("Content-Type", "application/fhir+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"resourceType": "OperationOutcome", "issue": []any{
		map[string]any{"severity": "error", "code": code, "diagnostics": diag}}})
}

func (s *FHIRServer) serve(w http.ResponseWriter, r *http.Request) {
	s.Requests.Add(1)
	if r.Header.Get("ESANTE-API-KEY") != FHIRAPIKey {
		outcome(w, http.StatusUnauthorized, "security", "missing or invalid ESANTE-API-KEY")
		return
	}
	if s.Fail429.Load() > 0 {
		s.Fail429.Add(-1)
		w.Header().Set("Retry-After", "0")
		outcome(w, http.StatusTooManyRequests, "throttled", "17 calls per second exceeded")
		return
	}
	if s.Fail503.Load() > 0 {
		s.Fail503.Add(-1)
		w.Header().Set("Retry-After", "0")
		outcome(w, http.StatusServiceUnavailable, "transient", "service unavailable")
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/fhir/v2")
	q := r.URL.Query()
	var entries []any
	next := ""
	switch {
	case path == "/_page" && q.Get("id") == "pr-001-p2":
		if s.SlowPage > 0 {
			select {
			case <-time.After(s.SlowPage):
			case <-r.Context().Done():
				return
			}
		}
		entries = []any{entry("PractitionerRole/prr-002", "include"), entry("PractitionerRole/prr-003", "include"), entry("PractitionerRole/prr-004", "include")}
	case path == "/_page":
		outcome(w, http.StatusGone, "not-found", "page expired")
		return
	case path == "/Practitioner" && q.Get("identifier") != "":
		switch q.Get("identifier") {
		case FHIRRPPS, "8" + FHIRRPPS:
			entries = []any{entry("Practitioner/pr-001", "match")}
			if q.Get("_revinclude") == "PractitionerRole:practitioner" {
				entries = append(entries, entry("PractitionerRole/prr-001", "include"))
				next = s.BaseURL() + "/_page?id=pr-001-p2"
			}
		case FHIRBadIdentifier:
			outcome(w, http.StatusBadRequest, "invalid", "invalid identifier")
			return
		}
	case path == "/Organization" && q.Get("_id") != "":
		for _, id := range strings.Split(q.Get("_id"), ",") {
			if _, ok := resources["Organization/"+id]; ok {
				entries = append(entries, entry("Organization/"+id, "match"))
			}
		}
	case path == "/Organization" && q.Get("identifier") == FHIRStructureID:
		entries = []any{entry("Organization/org-001", "match")}
	case q.Get("mailbox-mss:exact") != "":
		a := strings.ToLower(q.Get("mailbox-mss:exact"))
		switch {
		case path == "/PractitionerRole" && a == FHIRRoleAddress:
			entries = []any{entry("PractitionerRole/prr-001", "match")}
			for _, inc := range q["_include"] {
				switch inc {
				case "PractitionerRole:practitioner":
					entries = append(entries, entry("Practitioner/pr-001", "include"))
				case "PractitionerRole:organization":
					entries = append(entries, entry("Organization/org-001", "include"))
				}
			}
		case path == "/Practitioner" && a == FHIRPersonAddress:
			entries = []any{entry("Practitioner/pr-001", "match")}
		case path == "/Organization" && (a == FHIROrgAddress || a == FHIRAppAddress):
			entries = []any{entry("Organization/org-001", "match")}
		}
	case path == "/Practitioner" || path == "/PractitionerRole" || path == "/Organization":
	default:
		outcome(w, http.StatusNotFound, "not-supported", "unknown resource "+path)
		return
	}
	w.Header().Set("Content-Type", "application/fhir+json;charset=UTF-8")
	json.NewEncoder(w).Encode(s.bundle(entries, next))
}

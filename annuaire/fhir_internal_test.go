package annuaire

import (
	"encoding/json"
	"testing"
)

// FuzzFHIRBundle feeds arbitrary JSON to the bundle decoding and the
// mailbox extraction: nothing may panic.
func TestRoleMailboxWithoutPractitioner(t *testing.T) {
	var b fhirBundle
	doc := `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"PractitionerRole","id":"1","practitioner":{"reference":"Practitioner/absent"},"telecom":[{"system":"email","value":"a@b.mssante.fr","extension":[{"url":"x/fr-core-contact-point-email-type","valueCoding":{"code":"MSSANTE"}}]}]}}]}`
	if err := json.Unmarshal([]byte(doc), &b); err != nil {
		t.Fatal(err)
	}
	ms := newBundleSet([]fhirResource{b.Entry[0].Resource}).mailboxes(true)
	if len(ms) != 1 || ms[0].Type != TypePersonal {
		t.Errorf("role mailbox without its practitioner: %+v", ms)
	}
}

func FuzzFHIRBundle(f *testing.F) {
	f.Add(`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"PractitionerRole","id":"1","practitioner":{"reference":"Practitioner/2"},"organization":{"reference":"https://x/Organization/3"},"telecom":[{"system":"email","value":"a@b.fr","extension":[{"url":"x/fr-core-contact-point-email-type","valueCoding":{"code":"MSSANTE"}},{"url":"x/as-ext-mailbox-mss-metadata","extension":[{"url":"type","valueCodeableConcept":{"coding":[{"code":"PER"}]}}]}]}]}},{"resource":{"resourceType":"Practitioner","id":"2","name":[{"family":"X","given":["Y"]}],"identifier":[{"type":{"coding":[{"code":"IDNPS"}]},"value":"8123"}]}},{"resource":{"resourceType":"Organization","id":"3","name":"Z","address":[{"postalCode":"20100"}]}}]}`)
	f.Add(`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Organization","name":["x"],"active":false}}]}`)
	f.Add(`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Organization","telecom":[{"system":"email","value":" ","extension":[{"url":"fr-core-contact-point-email-type","valueCoding":{"code":"MSSANTE"}}]}]}}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		var b fhirBundle
		if json.Unmarshal([]byte(s), &b) != nil {
			return
		}
		var res []fhirResource
		for _, e := range b.Entry {
			res = append(res, e.Resource)
		}
		set := newBundleSet(res)
		for _, m := range set.mailboxes(true) {
			if m.Address == "" || m.Source != SourceFHIR || m.Type == "" {
				t.Errorf("mailbox %+v", m)
			}
		}
	})
}

package annuaire

import (
	"encoding/json"
	"testing"
)

// FuzzFHIRBundle feeds arbitrary JSON to the bundle decoding and the
// mailbox extraction: nothing may panic.
func FuzzFHIRBundle(f *testing.F) {
	f.Add(`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"PractitionerRole","id":"1","practitioner":{"reference":"Practitioner/2"},"organization":{"reference":"https://x/Organization/3"},"telecom":[{"system":"email","value":"a@b.fr","extension":[{"url":"x/fr-core-contact-point-email-type","valueCoding":{"code":"MSSANTE"}},{"url":"x/as-ext-mailbox-mss-metadata","extension":[{"url":"type","valueCodeableConcept":{"coding":[{"code":"PER"}]}}]}]}]}},{"resource":{"resourceType":"Practitioner","id":"2","name":[{"family":"X","given":["Y"]}],"identifier":[{"type":{"coding":[{"code":"IDNPS"}]},"value":"8123"}]}},{"resource":{"resourceType":"Organization","id":"3","name":"Z","address":[{"postalCode":"20100"}]}}]}`)
	f.Add(`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Organization","name":["x"],"active":false}}]}`)
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
		for _, p := range set.practitioners {
			p.mailboxes(nil, nil)
		}
		for _, r := range set.roles {
			r.Telecom.mailboxes(set.practitioner(r.Practitioner.Reference), r, set.organization(r.Organization.Reference))
		}
		for _, o := range set.orgs {
			o.Telecom.mailboxes(nil, nil, o)
		}
	})
}

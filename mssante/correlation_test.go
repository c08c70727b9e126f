package mssante

import (
	"slices"
	"strings"
	"testing"
)

func TestNormalizeMessageID(t *testing.T) {
	for in, want := range map[string]string{
		"<199509192301.23456 >":                        "199509192301.23456", // the LPS-MSS guide's MDN
		"<9501051053.aa04167@IETF.CNR I.Reston.VA.US>": "9501051053.aa04167@IETF.CNRI.Reston.VA.US",
		" <a@b>  (comment)":                            "a@b",
		"a@b":                                          "a@b",
		"a@b (comment)":                                "a@b",
		"<a@\r\n b>":                                   "a@b",
		"0c796d0e-4c76-43e8-be40-2cd5e30c1005":         "0c796d0e-4c76-43e8-be40-2cd5e30c1005",
		"<unclosed@x":                                  "unclosed@x",
		"":                                             "",
		"<>":                                           "",
		"<CaseKept@Example.ORG>":                       "CaseKept@Example.ORG",
		"<c8a0389fd14c40c185956ff9108bab07@Direct.S.com>": "c8a0389fd14c40c185956ff9108bab07@Direct.S.com",
	} {
		if got := NormalizeMessageID(in); got != want {
			t.Errorf("NormalizeMessageID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMessageIDs(t *testing.T) {
	for in, want := range map[string][]string{
		"<a@x> <b@y>":              {"a@x", "b@y"},
		"<a@x>\r\n\t<b @y>":        {"a@x", "b@y"},
		"a@x b@y":                  {"a@x", "b@y"},
		"word a@x (c@d comment)":   {"a@x"},
		"":                         nil,
		"<>":                       nil,
		"<9501051053.aa04167@IETF": {"9501051053.aa04167@IETF"},
	} {
		if got := MessageIDs(in); !slices.Equal(got, want) {
			t.Errorf("MessageIDs(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalizeAddress(t *testing.T) {
	for in, want := range map[string]string{
		"rfc822; user@Example.ORG":                         "user@example.org",
		`rfc822; "Name" <User@Example.ORG>`:                "User@example.org",
		"ExternalUser <externUser1@starugh-stateline.com>": "externUser1@starugh-stateline.com",
		"rfc822;serviceY_auto@chb.mssante.fr ":             "serviceY_auto@chb.mssante.fr",
		"<a@b.fr>":                                         "a@b.fr",
		"a@b.fr (comment)":                                 "a@b.fr",
		"mailto:a@B.fr":                                    "a@b.fr",
		`rfc822; "neko....nyaan...."@libsisimai.org`:       `"neko....nyaan...."@libsisimai.org`,
		"279035121518989@PATIENT.MSSANTE.FR":               "279035121518989@patient.mssante.fr",
		"x400; /G=jean/S=dupont/":                          "/G=jean/S=dupont/",
		"":                                                 "",
	} {
		if got := NormalizeAddress(in); got != want {
			t.Errorf("NormalizeAddress(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEnhancedCodes(t *testing.T) {
	for in, want := range map[string][]string{
		"550 5.1.1 User unknown":                                     {"5.1.1"},
		"550-5.7.1 [192.0.2.22 18] low reputation 550-5.7.1 blocked": {"5.7.1"},
		"550 #5.1.0 Address rejected.":                               {"5.1.0"},
		"host [10.5.1.1] said 554 5.6.0 spam":                        {"5.6.0"},
		"version 5.1.1.2 of the filter":                              nil,
		"5.1.351 Remote server returned unknown":                     {"5.1.351"},
		"451 4.3.0 later; 550 5.1.1":                                 {"4.3.0", "5.1.1"},
		"a2.0.0b":                                                    nil,
		"":                                                           nil,
	} {
		if got := EnhancedCodes(in); !slices.Equal(got, want) {
			t.Errorf("EnhancedCodes(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDSNRecipientOutcomeAndStatus(t *testing.T) {
	tests := []struct {
		rc      DSNRecipient
		outcome DSNAction
		status  string
	}{
		// Action: failed is a failure whatever the class (the MTA gave up).
		{DSNRecipient{Action: ActionFailed, Status: "4.4.1"}, ActionFailed, "4.4.1"},
		{DSNRecipient{Action: ActionDelayed, Status: "4.4.1"}, ActionDelayed, "4.4.1"},
		{DSNRecipient{Action: ActionFailed, Status: "5.0.0", DiagnosticCode: "554 5.6.0 spam"}, ActionFailed, "5.6.0"},
		{DSNRecipient{Action: ActionFailed, Status: "5.0.0", DiagnosticCode: "550 #5.1.0 Address rejected."}, ActionFailed, "5.1.0"},
		{DSNRecipient{Action: ActionFailed, Status: "4.0.0", DiagnosticCode: "554 5.7.1 blocked"}, ActionFailed, "4.0.0"}, // other class: kept
		{DSNRecipient{Action: ActionFailed, Status: "5.0.0", DiagnosticCode: "550 Denied by policy"}, ActionFailed, "5.0.0"},
		{DSNRecipient{DiagnosticCode: "550 error - no such recipient"}, ActionFailed, "5.0.0"},
		{DSNRecipient{Status: "2.0.0"}, ActionDelivered, "2.0.0"},
		{DSNRecipient{Status: "4.2.2"}, ActionDelayed, "4.2.2"},
		{DSNRecipient{Action: "bogus", Status: "bogus"}, "", ""},
	}
	for _, tt := range tests {
		if got := tt.rc.Outcome(); got != tt.outcome {
			t.Errorf("%+v: Outcome %q, want %q", tt.rc, got, tt.outcome)
		}
		if got := tt.rc.DetailedStatus(); got != tt.status {
			t.Errorf("%+v: DetailedStatus %q, want %q", tt.rc, got, tt.status)
		}
	}
	// Report.Failed agrees with Outcome.
	rep := &Report{Kind: ReportDSN, Recipients: []DSNRecipient{{Action: ActionFailed, Status: "4.4.7"}}}
	if !rep.Failed() {
		t.Error("failed 4.4.7: Failed() false")
	}
	rep.Recipients[0].Action = ActionDelayed
	if rep.Failed() {
		t.Error("delayed: Failed() true")
	}
}

func TestInlineDSNFields(t *testing.T) {
	text := "I'm sorry...\n\nReporting-MTA: dns; relay\nX-Postfix-Queue-ID: 1\n\nFinal-Recipient: rfc822; a@b\nAction: failed\nStatus: 4.0.0\nDiagnostic-Code: X-Postfix; refused\n    to talk\n\n--boundary\nX-Original-To: nobody\n"
	got := inlineDSNFields(text)
	want := "Reporting-MTA: dns; relay\nX-Postfix-Queue-ID: 1\n\nFinal-Recipient: rfc822; a@b\nAction: failed\nStatus: 4.0.0\nDiagnostic-Code: X-Postfix; refused\n    to talk\n\n"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if got := inlineDSNFields("Status: sent\nAction: none\n"); got != "" {
		t.Errorf("no recipient: %q", got)
	}
	if !strings.Contains(inlineDSNFields("Final-Recipient: a@b\nStatus: 5.0.0\n"), "a@b") {
		t.Error("minimal block refused")
	}
}

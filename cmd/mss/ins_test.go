package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runCmd runs the mss command in-process and returns its exit code and output.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(&cmdEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}, args)
	return code, out.String(), errb.String()
}

// Every vector of ins.md §8.
func TestINSCheckVectors(t *testing.T) {
	tests := []struct {
		in, oid  string
		code     int
		reason   string
		expected string
		kind     string
		test     bool
	}{
		{in: "279035121518989", oid: "1.2.250.1.213.1.4.10", code: 0, kind: "NIR", test: true},
		{in: "2 95 10 99 126 111 93", code: 0},
		{in: "295109912611193", oid: "1.2.250.1.213.1.4.8", code: 0, kind: "NIR"},
		{in: "253072B07300470", code: 0},
		{in: "253072A07300443", oid: "1.2.250.1.213.1.4.9", code: 0, kind: "NIA"},
		{in: "277076322082910", oid: "1.2.250.1.213.1.4.8", code: 0, kind: "NIR"},
		{in: "295109912611199", code: 1, reason: "key", expected: "93"},
		{in: "253072C07300443", code: 1, reason: "character"},
		{in: "6546546546546703", code: 1, reason: "length"},
		{in: "221042545611404", oid: "1.2.250.1.213.1.4.8", code: 1, reason: "key", expected: "83"},
		{in: "223042545611404", code: 1, reason: "key", expected: "82"},
		{in: "224027511583555", oid: "1.2.250.1.213.1.4.10", code: 1, reason: "key", expected: "12"},
		{in: "123456789012244", code: 1, reason: "key", expected: "12"},
		{in: "288091234567823", code: 1, reason: "key", expected: "94"},
		{in: "279035121518989", oid: "1.2.250.1.213.1.4.2", code: 1, reason: "oid"},
	}
	for _, tt := range tests {
		t.Run(tt.in+"/"+tt.oid, func(t *testing.T) {
			args := []string{"ins", "check", tt.in}
			if tt.oid != "" {
				args = append(args, "--oid", tt.oid)
			}
			code, out, _ := runCmd(t, append(args, "--json")...)
			assert.Equal(t, tt.code, code)
			var res map[string]any
			require.NoError(t, json.Unmarshal([]byte(out), &res), out)
			for _, k := range []string{"matricule", "valid", "kind", "test", "error"} {
				assert.Contains(t, res, k)
			}
			assert.Equal(t, tt.code == 0, res["valid"])
			assert.Equal(t, tt.kind, res["kind"])
			assert.Equal(t, tt.test, res["test"])
			if tt.code != 0 {
				assert.Equal(t, tt.reason, res["reason"])
				assert.NotEmpty(t, res["error"])
			} else {
				assert.Equal(t, "", res["error"])
			}
			if tt.expected != "" {
				assert.Equal(t, tt.expected, res["expected_key"])
				assert.Contains(t, res["error"], "expected "+tt.expected)
			}

			// The text form says the same thing.
			code, out, _ = runCmd(t, args...)
			assert.Equal(t, tt.code, code)
			if tt.code == 0 {
				assert.Contains(t, out, "valid")
			} else {
				assert.Contains(t, out, "invalid")
			}
		})
	}
}

func TestINSCheckText(t *testing.T) {
	code, out, _ := runCmd(t, "ins", "check", "--oid", "1.2.250.1.213.1.4.10", "2", "79", "03", "51", "215", "189", "89")
	assert.Equal(t, 0, code)
	assert.Equal(t, "279035121518989: valid (NIR, INS-NIR de test)\n", out)
	code, out, _ = runCmd(t, "ins", "check", "295109912611199")
	assert.Equal(t, 1, code)
	assert.Equal(t, "295109912611199: invalid: ins: control key 99 does not match, expected 93\n", out)
}

func TestINSUsage(t *testing.T) {
	code, _, _ := runCmd(t, "ins", "check")
	assert.Equal(t, 2, code)
	code, _, _ = runCmd(t, "ins")
	assert.Equal(t, 2, code)
	code, _, _ = runCmd(t, "ins", "nope")
	assert.Equal(t, 2, code)
	code, _, _ = runCmd(t, "nope")
	assert.Equal(t, 2, code)
	code, out, _ := runCmd(t, "help")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "ins")
}

// TestINSCheckWarnings: a first digit other than 1 or 2 and month digits
// outside 01-12 are warnings (ins.md §9), printed without traits, in text
// and JSON; the matricule stays valid.
func TestINSCheckWarnings(t *testing.T) {
	code, out, _ := runCmd(t, "ins", "check", "379995121518923")
	assert.Equal(t, 0, code)
	assert.Equal(t, "379995121518923: valid\n"+
		"warning INS-COH-SEX at matricule[1]: first digit 3 is not 1 or 2 (sex): a special number? [ins.md §2, §9]\n"+
		"warning INS-COH-MONTH at matricule[4-5]: month digits 99 are outside 01-12: an unknown or special month? [ins.md §2, §9]\n", out)
	code, out, _ = runCmd(t, "ins", "check", "--json", "279135121518955")
	assert.Equal(t, 0, code)
	var res struct {
		Valid    bool `json:"valid"`
		Warnings []struct {
			Level, Rule, Location, Message string
		} `json:"warnings"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	assert.True(t, res.Valid)
	require.Len(t, res.Warnings, 1, out)
	assert.Equal(t, "warning", res.Warnings[0].Level)
	assert.Equal(t, "INS-COH-MONTH", res.Warnings[0].Rule)
	// A wrong key with 15 characters: invalid, the warnings still said.
	code, out, _ = runCmd(t, "ins", "check", "379995121518924")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "invalid")
	assert.Contains(t, out, "warning INS-COH-SEX")
	// The public test matricule has none: an empty list in JSON.
	_, out, _ = runCmd(t, "ins", "check", "--json", "279035121518989")
	assert.Contains(t, out, `"warnings": []`)
}

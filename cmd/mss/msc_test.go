package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestMSCAddress(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		out    string
		reason string
	}{
		{[]string{"msc", "address", "279035121518989"}, 0, "279035121518989@patient.mssante.fr\n", ""},
		{[]string{"msc", "address", "279035121518989", "--oid", "1.2.250.1.213.1.4.10"}, 0, "279035121518989@patient.mssante.fr\n", ""},
		{[]string{"msc", "address", "2", "79", "03", "51", "215", "189", "89"}, 0, "279035121518989@patient.mssante.fr\n", ""},
		{[]string{"msc", "address", "253072a07300443"}, 0, "253072A07300443@patient.mssante.fr\n", ""},
		{[]string{"msc", "address", "288091234567823"}, 1, "", "expected 94"},
		{[]string{"msc", "address", "2790351215189"}, 1, "", "key is missing"},
		{[]string{"msc", "address", "253072C07300443"}, 1, "", "position 7"},
		{[]string{"msc", "address", "279035121518989", "--oid", "1.2.250.1.213.1.4.2"}, 1, "", "INS-C"},
		{[]string{"msc", "address"}, 2, "", "usage"},
		{[]string{"msc", "address", "--nope"}, 2, "", ""},
		{[]string{"msc"}, 2, "", "usage"},
	}
	for _, tt := range tests {
		code, out, errOut := runCmd(t, tt.args...)
		if code != tt.code || out != tt.out || !strings.Contains(errOut, tt.reason) {
			t.Errorf("%v: code %d, out %q, err %q; want %d, %q, error containing %q", tt.args, code, out, errOut, tt.code, tt.out, tt.reason)
		}
	}
}

func TestMSCClosing(t *testing.T) {
	in := func(s string) *cmdEnv {
		return &cmdEnv{stdin: strings.NewReader(s), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	}
	for _, tt := range []struct {
		msg  string
		code int
		out  string
		warn string
	}{
		{"Subject: [FIN]\r\n\r\n", 0, "closes the exchange (subject [FIN])\n", ""},
		{"Subject: Bilan\r\nX-MSS-MES: FIN\r\n\r\n", 0, "closes the exchange (X-MSS-MES: FIN)\n", ""},
		{"Subject: RE: [FIN]\r\n\r\n", 1, "MSC-FIN-SUBJECT", ""},
		{"Subject: [fin]\r\n\r\n", 1, "exactly", ""},
		{"no header", 1, "", "mss msc closing: standard input: msc:"},
	} {
		env := in(tt.msg)
		code := run(env, []string{"msc", "closing", "-"})
		out, errOut := env.stdout.(*bytes.Buffer).String(), env.stderr.(*bytes.Buffer).String()
		// Near misses are findings, printed with the result on stdout.
		if code != tt.code || !strings.Contains(out, tt.out) || (tt.out == "") != (out == "") || !strings.Contains(errOut, tt.warn) {
			t.Errorf("%q: code %d, out %q, err %q", tt.msg, code, out, errOut)
		}
	}
	if code, _, errOut := runCmd(t, "msc", "closing", "/nonexistent.eml"); code != 1 || errOut == "" {
		t.Errorf("missing file: %d %q", code, errOut)
	}
	if code, _, _ := runCmd(t, "msc", "closing"); code != 2 {
		t.Errorf("no file: %d", code)
	}
}

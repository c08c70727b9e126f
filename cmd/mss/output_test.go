package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTermSafe(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text, accents: é à ü, tabs\tand\nnewlines", "plain text, accents: é à ü, tabs\tand\nnewlines"},
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"bell\a nul\x00 del\x7f cr\r", `bell\a nul\x00 del\x7f cr\r`},
		{"bad \xff\xfe utf-8, cut \xc3", `bad \xff\xfe utf-8, cut \xc3`},
		{"8-bit CSI \u009b2J", `8-bit CSI \u009b2J`},
		{"bidi \u202egnp.exe", `bidi \u202egnp.exe`},
		{`backslash \x1b stays`, `backslash \x1b stays`},
	} {
		if got := termSafe(tc.in); got != tc.want {
			t.Errorf("termSafe(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestOutputTerminalSafe: what comes from a file (header fields, text,
// parser errors naming bytes) never reaches the terminal raw; header fields
// are printed decoded, From like To.
func TestOutputTerminalSafe(t *testing.T) {
	eml := writeFile(t, "esc.eml", "From: =?utf-8?q?Dr_Ren=C3=A9_Dupont?= <a@x.mssante.fr>\r\n"+
		"To: =?utf-8?q?J=C3=A9r=C3=B4me_Martin?= <b@y.mssante.fr>\r\n"+
		"Subject: hi \x1b]0;pwned\x07 there\r\nMessage-ID: <1@x>\r\n\r\nbody \x1b[2J line\xff\r\nsecond\r\n")
	code, out, errs := runCmd(t, "message", "inspect", eml)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"From:        Dr René Dupont <a@x.mssante.fr>",
		"To:          Jérôme Martin <b@y.mssante.fr>",
		`Subject:     hi \x1b]0;pwned\a there`,
		"body \\x1b[2J line\\xff\nsecond\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect lacks %q:\n%s", want, out)
		}
	}
	bin := writeFile(t, "bin.xml", "<\xff\x1b[2J\x00")
	code, out, errs = runCmd(t, "cda", "inspect", bin)
	if code != 1 || out != "" || !strings.HasPrefix(errs, "mss cda inspect: "+bin+": ") {
		t.Fatalf("binary file: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if strings.ContainsAny(out+errs, "\x1b\x00\xff") {
		t.Errorf("raw bytes printed: %q", errs)
	}
}

// TestMissingFileNamed: the error of a missing file names the command and
// the file, on stderr.
func TestMissingFileNamed(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "absent.xml")
	for _, args := range [][]string{
		{"cda", "validate", missing},
		{"cda", "inspect", missing},
		{"xdm", "verify", missing},
		{"xdm", "inspect", missing},
		{"message", "lint", missing},
		{"receipt", "parse", missing},
		{"bounce", "classify", missing},
		{"msc", "closing", missing},
	} {
		code, out, errs := runCmd(t, args...)
		want := "mss " + strings.Join(args[:2], " ") + ": " + missing + ": no such file or directory\n"
		if code != 1 || out != "" || errs != want {
			t.Errorf("mss %v: exit %d, stdout %q, stderr %q, want %q", args, code, out, errs, want)
		}
	}
}

// TestJSONEverywhere: the commands that print a result print it as JSON
// with --json.
func TestJSONEverywhere(t *testing.T) {
	for _, args := range [][]string{
		{"ins", "check", "279035121518989", "--json"},
		{"msc", "address", "279035121518989", "--json"},
		{"msc", "closing", "--json", writeFile(t, "fin.eml", "Subject: [FIN]\r\n\r\n")},
	} {
		code, out, errs := runCmd(t, args...)
		if code != 0 || !strings.HasPrefix(out, "{\n") {
			t.Errorf("mss %v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
}

// TestProgressBar: with standard error a terminal, a long load shows a
// bar with its rate, cleared at the end; --quiet or a pipe shows nothing.
func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	env := &cmdEnv{rawStderr: &buf, stderrTTY: true, progressDelay: -1}
	p := newProgress(env, false, "loading x.txt", 10<<20, true)
	for i := range int64(10) {
		p.Set(i << 20)
		time.Sleep(110 * time.Millisecond) // past the bar's throttle
	}
	p.Update(10<<20, 10<<20)
	p.Done()
	s := buf.String()
	if !strings.Contains(s, "loading x.txt") || !strings.Contains(s, "MB/s") || !strings.Contains(s, "%") {
		t.Errorf("no bar with a rate: %q", s)
	}
	if newProgress(env, true, "x", 1, true) != nil {
		t.Error("--quiet shows progress")
	}
	if newProgress(&cmdEnv{}, false, "x", 1, true) != nil {
		t.Error("progress shown on a pipe")
	}
	var nilp *progress
	nilp.Set(1) // a nil progress is valid
	nilp.Update(1, 2)
	nilp.Done()
}

// TestJSONTerminalSafe: JSON output is terminal-safe and stays valid JSON
// with the same values.
func TestJSONTerminalSafe(t *testing.T) {
	in := map[string]string{"subject": "a\x1b[2J\x7f\u009b\u202eb\xff"}
	var out bytes.Buffer
	if err := writeJSON(&safeWriter{w: &out}, in); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(out.String(), "\x1b\x7f\u009b\u202e") {
		t.Fatalf("raw control characters: %q", out.String())
	}
	var back map[string]string
	if err := json.Unmarshal(out.Bytes(), &back); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if want := "a\x1b[2J\x7f\u009b\u202eb\ufffd"; back["subject"] != want {
		t.Fatalf("round trip %q, want %q", back["subject"], want)
	}
}

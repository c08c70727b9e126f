package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/help.golden")

// walk calls f for every node of the command tree, with its words.
func walk(c *command, words []string, f func(c *command, words []string)) {
	f(c, words)
	for _, s := range c.subs {
		walk(s, append(append([]string(nil), words...), s.name), f)
	}
}

// TestHelpGolden: every command and group answers --help, -h and
// "mss help ..." with the same text on stdout, nothing on stderr, exit 0;
// each text has a summary, a usage line and an example, each leaf its
// exit codes; all texts are in testdata/help.golden (go test ./cmd/mss
// -update rewrites it).
func TestHelpGolden(t *testing.T) {
	var golden bytes.Buffer
	walk(rootCommand(), nil, func(c *command, words []string) {
		name := strings.Join(append([]string{"mss"}, words...), " ")
		var texts []string
		for _, args := range [][]string{
			append(append([]string(nil), words...), "--help"),
			append(append([]string(nil), words...), "-h"),
			append([]string{"help"}, words...),
		} {
			code, out, errs := xdmRun(args...)
			if code != 0 || errs != "" || out == "" {
				t.Errorf("mss %s: exit %d, stderr %q, stdout %d bytes", strings.Join(args, " "), code, errs, len(out))
			}
			texts = append(texts, out)
		}
		if texts[0] != texts[1] || texts[0] != texts[2] {
			t.Errorf("%s: --help, -h and help differ", name)
		}
		out := texts[0]
		if !strings.HasPrefix(out, name+": ") || strings.Contains(out[:strings.Index(out, "\n")], "\n") {
			t.Errorf("%s: no one-line summary first:\n%s", name, out)
		}
		for _, want := range []string{"\nUsage:\n  " + name + " ", "\nExamples:\n  # ", "\n  mss "} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: help lacks %q:\n%s", name, want, out)
			}
		}
		if c.run != nil {
			for _, want := range []string{"\nExit status:\n  0  ", "\n  2  "} {
				if !strings.Contains(out, want) {
					t.Errorf("%s: help lacks %q:\n%s", name, want, out)
				}
			}
		} else if !strings.Contains(out, "\nCommands:\n") {
			t.Errorf("%s: group help lists no command:\n%s", name, out)
		}
		golden.WriteString("==== " + name + " --help\n" + out + "\n")
	})
	path := filepath.Join("testdata", "help.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, golden.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/mss -update writes it)", err)
	}
	if got := golden.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("help texts differ from %s at line %d:\n got: %s\nwant: %s\n(go test ./cmd/mss -update rewrites it)", path, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("help texts differ from %s in length (go test ./cmd/mss -update rewrites it)", path)
	}
}

// TestFlagsThatApply: send lists no IMAP flag, fetch no SMTP flag.
func TestFlagsThatApply(t *testing.T) {
	_, out, _ := xdmRun("send", "--help")
	if strings.Contains(out, "--imap") || !strings.Contains(out, "--smtp") {
		t.Errorf("send help:\n%s", out)
	}
	_, out, _ = xdmRun("fetch", "--help")
	if strings.Contains(out, "--smtp") || !strings.Contains(out, "--imap") {
		t.Errorf("fetch help:\n%s", out)
	}
	// --help is answered before the configuration file is read.
	if code, out, _ := xdmRun("send", "--config", "/nonexistent.json", "--help"); code != 0 || !strings.Contains(out, "Usage:") {
		t.Errorf("send --config missing --help: %d", code)
	}
}

// TestUsageErrors: usage errors go to stderr with exit 2, naming the
// command, and point to its help.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "usage: mss COMMAND"},
		{[]string{"nope"}, `mss: unknown command "nope"`},
		{[]string{"cda"}, "usage: mss cda COMMAND"},
		{[]string{"cda", "nope"}, `mss cda: unknown command "nope"`},
		{[]string{"cda", "validate"}, "mss cda validate: no FILE\nusage: mss cda validate [flags] FILE...\nRun 'mss help cda validate' for details."},
		{[]string{"cda", "validate", "--nope", "x.xml"}, "flag provided but not defined: -nope\nusage: mss cda validate"},
		{[]string{"help", "cda", "nope"}, `mss help: unknown command "mss cda nope"`},
	} {
		code, out, errs := xdmRun(tc.args...)
		if code != 2 || out != "" || !strings.Contains(errs, tc.want) {
			t.Errorf("mss %v: exit %d, stdout %q, stderr %q, want %q", tc.args, code, out, errs, tc.want)
		}
	}
}

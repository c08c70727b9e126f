package main

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/testenv"
)

// TestMessageBuildStreams: mss message build writes, to a file and to
// standard output, byte for byte what the message's WriteDraft gives in
// memory (the output before it was streamed), its multipart boundaries
// aside (random at each write).
func TestMessageBuildStreams(t *testing.T) {
	dir := t.TempDir()
	att := filepath.Join(dir, "scan.pdf")
	data := make([]byte, 300_000)
	rand.Read(data)
	if err := os.WriteFile(att, append([]byte("%PDF-1.4\n"), data...), 0o600); err != nil {
		t.Fatal(err)
	}
	spec := &messageSpec{To: []string{"anne.confrere@hopital-test.mssante.fr"}, Bcc: []string{"b@hopital-test.mssante.fr"},
		Text: "Bonjour,\nci-joint le compte rendu.", Attachments: []string{att},
		Documents: []documentSpec{{CDA: filepath.Join(testenv.Shared(t, "cda", "examples"), "BIO-CR-BIO_2021.01_CDA-R2-Niveau-1.xml")}},
		Structure: structureSpec{Name: "Clinique de Test", ID: "1750000002"}}
	spec.From.Address, spec.From.Type, spec.From.Entity, spec.From.NIL = "dpi@clinique-test.mssante.fr", "APP", "DPI", "DEV000001"
	m, err := buildFromSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	m.Date = time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	var want bytes.Buffer
	if _, err := m.WriteDraft(&want); err != nil {
		t.Fatal(err)
	}
	boundary := regexp.MustCompile(`=_mss_[0-9a-f]{32}`)
	norm := func(b []byte) string {
		seen := map[string]string{}
		return boundary.ReplaceAllStringFunc(string(b), func(s string) string {
			if seen[s] == "" {
				seen[s] = strings.Repeat("B", len(seen)+1)
			}
			return seen[s]
		})
	}
	var stdout bytes.Buffer
	if code := writeMessage(&cmdEnv{rawStdout: &stdout}, "-", m); code != 0 {
		t.Fatalf("to standard output: exit %d", code)
	}
	out := filepath.Join(dir, "m.eml")
	if code := writeMessage(&cmdEnv{}, out, m); code != 0 {
		t.Fatalf("to a file: exit %d", code)
	}
	file, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if norm(stdout.Bytes()) != norm(want.Bytes()) || norm(file) != norm(want.Bytes()) {
		t.Fatalf("streamed output differs from WriteDraft's (%d, %d and %d bytes)", stdout.Len(), len(file), want.Len())
	}
	if !bytes.Contains(file, []byte("\r\nBcc: b@hopital-test.mssante.fr\r\n")) && !bytes.HasPrefix(file, []byte("Bcc: ")) {
		t.Error("the draft lost its Bcc field")
	}
}

// TestMessageBuildFailureLeavesNoFile: when the message cannot be written
// to the end (an attachment that cannot be read), no output file is left,
// nor a temporary one, and an existing output file is left as it was.
func TestMessageBuildFailureLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	unreadable := filepath.Join(dir, "dossier.pdf")
	if err := os.Mkdir(unreadable, 0o700); err != nil { // opens, but reading fails
		t.Fatal(err)
	}
	args := func(out string) []string {
		return []string{"message", "build", "--from", "dpi@clinique-test.mssante.fr", "--type", "APP", "--entity", "DPI",
			"--nil", "DEV000001", "--to", "anne.confrere@hopital-test.mssante.fr", "--text", "Bonjour",
			"--attach", filepath.Join(dir, "ok.txt"), "--attach", unreadable, "-o", out}
	}
	if err := os.WriteFile(filepath.Join(dir, "ok.txt"), bytes.Repeat([]byte("ligne\n"), 20_000), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "m.eml")
	if code, _, stderr := runCmd(t, args(out)...); code != 1 || !strings.Contains(stderr, "dossier.pdf") {
		t.Fatalf("exit %d, %s", code, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("output file left after a failure: %v", err)
	}
	if err := os.WriteFile(out, []byte("previous"), 0o640); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := runCmd(t, args(out)...); code != 1 {
		t.Fatalf("exit %d", code)
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != "previous" {
		t.Fatalf("existing output changed after a failure: %q %v", b, err)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
	// Without the bad attachment the same command replaces the file, and
	// keeps its permissions.
	a := args(out)
	a = append(a[:len(a)-4], a[len(a)-2:]...)
	if code, _, stderr := runCmd(t, a...); code != 0 {
		t.Fatalf("exit %d, %s", code, stderr)
	}
	if st, err := os.Stat(out); err != nil || st.Size() < 100_000 || st.Mode().Perm() != 0o640 {
		t.Fatalf("output: %v %v", st, err)
	}
}

// TestMessageBuildThroughSymlink: an output named by a symbolic link stays
// a link; the file it points to receives the message (written under a
// temporary name beside it and renamed), as os.WriteFile wrote through it.
func TestMessageBuildThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "archive", "m.eml")
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, []byte("previous"), 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "latest.eml")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCmd(t, "message", "build", "--from", "dpi@clinique-test.mssante.fr", "--type", "APP", "--entity", "DPI",
		"--nil", "DEV000001", "--to", "anne.confrere@hopital-test.mssante.fr", "--text", "Bonjour", "-o", link)
	if code != 0 {
		t.Fatalf("exit %d, %s", code, stderr)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", st, err)
	}
	b, err := os.ReadFile(target)
	if err != nil || !bytes.Contains(b, []byte("Subject:")) && !bytes.Contains(b, []byte("From:")) {
		t.Fatalf("the target did not receive the message: %q %v", b, err)
	}
	if st, _ := os.Stat(target); st.Mode().Perm() != 0o640 {
		t.Errorf("target permissions %v, want 0640", st.Mode().Perm())
	}
}

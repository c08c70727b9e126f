package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mssante-go/sdk/limit"
)

// writeJSON prints v as indented JSON followed by a newline. encoding/json
// escapes the C0 controls and replaces invalid UTF-8; the characters it
// leaves that termSafe escapes (DEL, the C1 controls, the bidirectional
// overrides) are written as JSON escapes (\u007f...), so that the output
// stays valid JSON, with the same values, and terminal-safe.
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := io.WriteString(w, jsonSafe(buf.String()))
	return err
}

// jsonSafe writes the runes of JSON text s that termSafe would escape as
// JSON escapes.
func jsonSafe(s string) string {
	if !strings.ContainsFunc(s, jsonUnsafe) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if jsonUnsafe(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// jsonUnsafe reports the runes termSafe escapes that encoding/json leaves.
func jsonUnsafe(r rune) bool { return r == 0x7f || unsafeRune(r) }

// openInput opens the named file, or standard input for "-".
func openInput(env *cmdEnv, name string) (io.ReadCloser, error) {
	if name == "-" {
		return io.NopCloser(env.stdin), nil
	}
	return os.Open(name)
}

// readInput reads the named file, or standard input for "-", refusing
// while reading (a *limit.Error) what is larger than limit.DefaultInputSize.
func readInput(env *cmdEnv, name string) ([]byte, error) {
	r, err := openInput(env, name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return limit.ReadAll(r, name, limit.DefaultInputSize)
}

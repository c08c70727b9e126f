package main

import (
	"encoding/json"
	"io"
	"os"
)

// writeJSON prints v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// openInput opens the named file, or standard input for "-".
func openInput(env *cmdEnv, name string) (io.ReadCloser, error) {
	if name == "-" {
		return io.NopCloser(env.stdin), nil
	}
	return os.Open(name)
}

// readInput reads the named file, or standard input for "-".
func readInput(env *cmdEnv, name string) ([]byte, error) {
	r, err := openInput(env, name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
)

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(env *cmdEnv, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("mss "+name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	return fs
}

// parseInterspersed parses flags that may come before or after positional
// arguments (mss ins check 2790... --json), and returns the positionals.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// writeJSON prints v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// subcommands dispatches "mss TOPIC SUB ..." to a table of subcommands.
func subcommands(env *cmdEnv, topic string, args []string, subs map[string]func(*cmdEnv, []string) int) int {
	if len(args) == 0 {
		fmt.Fprintf(env.stderr, "usage: mss %s {%s} ...\n", topic, strings.Join(sortedKeys(subs), "|"))
		return 2
	}
	f, ok := subs[args[0]]
	if !ok {
		fmt.Fprintf(env.stderr, "mss %s: unknown subcommand %q (want one of %s)\n", topic, args[0], strings.Join(sortedKeys(subs), ", "))
		return 2
	}
	return f(env, args[1:])
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
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

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// command is a node of the command tree: a group (subs) or a leaf (run).
// Every node has a summary and at least one example; a leaf also has its
// usage line and exit codes, and lists its flags from its flag set.
type command struct {
	name    string
	summary string // one line, lower case, no final period
	// usage is what follows "mss PATH" on the usage line of a leaf, e.g.
	// "[flags] FILE...".
	usage string
	// about says more: what the arguments are, what is printed (optional).
	about string
	// examples are command lines, each with what it does.
	examples []example
	// exits are the exit codes of a leaf, one line each: "0  ...".
	exits []string
	run   func(env *cmdEnv, args []string) int // leaf
	subs  []*command                           // group
}

// example is one worked example of a help text.
type example struct {
	cmd  string // the command line, from "mss"
	what string // what it does
}

// exitCodes returns the usual three exit codes: ok for 0, no for 1.
func exitCodes(ok, no string) []string {
	return []string{"0  " + ok, "1  " + no, "2  usage error (unknown flag, missing or extra argument)"}
}

// rootCommand returns the whole tree.
func rootCommand() *command {
	return &command{
		name:    "mss",
		summary: "the command-line tool of the MSSanté Go SDK",
		about: "Results go to standard output (--json for JSON with snake_case keys), errors and notes to\n" +
			"standard error prefixed with the command. Control characters and invalid bytes in what\n" +
			"is printed are escaped (\\x1b, \\xff...): a hostile message cannot drive the terminal.\n" +
			"Under `go run` every non-zero exit status becomes 1: use `go install` (README) or\n" +
			"`go build` to get the exit codes each command documents.",
		examples: []example{
			{"mss ins check 279035121518989", "check an INS matricule and its key"},
			{"mss message lint message.eml", "lint a message against the MSSanté rules"},
			{"mss help xdm verify", "show the help of a command (same as mss xdm verify --help)"},
		},
		subs: commandTable(),
	}
}

// find returns the subcommand called name.
func (c *command) find(name string) *command {
	for _, s := range c.subs {
		if s.name == name {
			return s
		}
	}
	return nil
}

func isHelpFlag(a string) bool { return a == "-h" || a == "--help" || a == "-help" }

// dispatch runs c with args: a group hands over to the subcommand named
// by args[0] or prints its help, a leaf runs. A leaf may have subcommands
// too (mss annuaire whitelist ADDRESS, mss annuaire whitelist verify):
// args[0] naming one of them selects it.
func (c *command) dispatch(env *cmdEnv, args []string) int {
	if c.run != nil {
		if len(args) > 0 {
			if sub := c.find(args[0]); sub != nil {
				return sub.dispatch(env.enter(sub), args[1:])
			}
		}
		return c.run(env, args)
	}
	prefix := "mss"
	if env.path != "" {
		prefix += " " + env.path
	}
	if len(args) == 0 {
		c.printUsage(env.stderr, env.path)
		return 2
	}
	if isHelpFlag(args[0]) {
		c.printHelp(env.stdout, env.path, nil)
		return 0
	}
	sub := c.find(args[0])
	if sub == nil {
		fmt.Fprintf(env.stderr, "%s: unknown command %q\n", prefix, args[0])
		c.printUsage(env.stderr, env.path)
		return 2
	}
	return sub.dispatch(env.enter(sub), args[1:])
}

// enter returns the environment of the subcommand sub of the running one.
func (env *cmdEnv) enter(sub *command) *cmdEnv {
	e := *env
	e.cmd = sub
	e.path = strings.TrimSpace(env.path + " " + sub.name)
	return &e
}

// lookup walks the tree along words; it returns the node and its path.
func (c *command) lookup(words []string) (*command, string, error) {
	node, path := c, ""
	for _, w := range words {
		next := node.find(w)
		if next == nil {
			return nil, "", fmt.Errorf("unknown command %q", strings.TrimSpace("mss "+path+" "+w))
		}
		node, path = next, strings.TrimSpace(path+" "+w)
	}
	return node, path, nil
}

// printUsage prints the short usage of c, for a usage error.
func (c *command) printUsage(w io.Writer, path string) {
	full := strings.TrimSpace("mss " + path)
	if c.run != nil {
		fmt.Fprintf(w, "usage: %s %s\n", full, c.usage)
	} else {
		fmt.Fprintf(w, "usage: %s COMMAND [ARGS...]\n", full)
		fmt.Fprintf(w, "commands: %s\n", strings.Join(c.names(), ", "))
	}
	fmt.Fprintf(w, "Run 'mss help %s' for details.\n", path)
}

func (c *command) names() []string {
	var n []string
	for _, s := range c.subs {
		n = append(n, s.name)
	}
	return n
}

// printHelp prints the full help of c; fs is the flag set of a leaf (nil
// for a group).
func (c *command) printHelp(w io.Writer, path string, fs *flag.FlagSet) {
	full := strings.TrimSpace("mss " + path)
	fmt.Fprintf(w, "%s: %s\n\nUsage:\n", full, c.summary)
	if c.run != nil {
		fmt.Fprintf(w, "  %s %s\n", full, c.usage)
	} else {
		fmt.Fprintf(w, "  %s COMMAND [ARGS...]\n", full)
	}
	if c.about != "" {
		fmt.Fprintf(w, "\n%s\n", indent(c.about, "  "))
	}
	if len(c.subs) > 0 {
		fmt.Fprintln(w, "\nCommands:")
		width := 0
		for _, s := range c.subs {
			width = max(width, len(s.name))
		}
		for _, s := range c.subs {
			fmt.Fprintf(w, "  %-*s  %s\n", width, s.name, s.summary)
		}
	}
	if fs != nil {
		printFlags(w, fs)
	}
	if len(c.examples) > 0 {
		fmt.Fprintln(w, "\nExamples:")
		for i, ex := range c.examples {
			if i > 0 {
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "  # %s\n  %s\n", ex.what, ex.cmd)
		}
	}
	if len(c.exits) > 0 {
		fmt.Fprintln(w, "\nExit status:")
		for _, l := range c.exits {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	if len(c.subs) > 0 {
		sub := "COMMAND"
		if path == "" {
			sub = "COMMAND [SUBCOMMAND]"
		}
		fmt.Fprintf(w, "\nRun 'mss help %s' (or '%s %s --help') for its flags and examples.\n",
			strings.TrimSpace(path+" "+sub), full, sub)
	}
}

// indent prefixes every non-empty line of s.
func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}

// printFlags lists the flags of fs, "--name ARG" then what it does.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	var rows [][2]string
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		name := "-" + f.Name
		if len(f.Name) > 1 {
			name = "--" + f.Name
		}
		if arg != "" {
			name += " " + arg
		}
		if d := f.DefValue; d != "" && d != "false" && d != "0" && d != "[]" && d != "0s" {
			usage += fmt.Sprintf(" (default %s)", d)
		}
		rows = append(rows, [2]string{name, usage})
	})
	if len(rows) == 0 {
		return
	}
	fmt.Fprintln(w, "\nFlags:")
	const col = 24
	for _, r := range rows {
		if len(r[0]) <= col {
			fmt.Fprintf(w, "  %-*s  %s\n", col, r[0], r[1])
		} else {
			fmt.Fprintf(w, "  %s\n  %-*s  %s\n", r[0], col, "", r[1])
		}
	}
}

// errHelp is returned by parseArgs when the help was asked for and printed.
var errHelp = errors.New("help printed")

// newFlagSet returns the flag set of the running leaf: flag errors are
// reported on standard error followed by the short usage.
func newFlagSet(env *cmdEnv, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("mss "+name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		if env.cmd != nil {
			env.cmd.printUsage(env.stderr, env.path)
		}
	}
	return fs
}

// parseArgs parses the flags of a leaf, which may come before or after
// the positional arguments (mss ins check 2790... --json), and returns the
// positionals. -h, -help and --help print the full help on standard output
// and return errHelp. The error is for usageExit.
func parseArgs(env *cmdEnv, fs *flag.FlagSet, args []string) ([]string, error) {
	// The help is looked for first: the flag package would print the short
	// usage on standard error before returning flag.ErrHelp.
	for _, a := range args {
		if a == "--" {
			break
		}
		if isHelpFlag(a) {
			if env.cmd != nil {
				env.cmd.printHelp(env.stdout, env.path, fs)
			}
			return nil, errHelp
		}
	}
	return parseInterspersed(fs, args)
}

// usageExit is the exit code after parseArgs failed: 0 after the help, 2
// after a flag error.
func usageExit(err error) int {
	if errors.Is(err, errHelp) {
		return 0
	}
	return 2
}

// parseInterspersed parses flags that may come before or after positional
// arguments, and returns the positionals. "--" ends the flags.
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

// usageError reports a usage error (wrong arguments) and returns 2.
func (env *cmdEnv) usageError(format string, a ...any) int {
	env.errorf(format, a...)
	if env.cmd != nil {
		env.cmd.printUsage(env.stderr, env.path)
	}
	return 2
}

// errorf prints "mss PATH: message" on standard error.
func (env *cmdEnv) errorf(format string, a ...any) {
	fmt.Fprintf(env.stderr, "%s: %s\n", strings.TrimSpace("mss "+env.path), fmt.Sprintf(format, a...))
}

// fail prints err prefixed with the command and returns code. A file error
// names its file first ("x.xml: no such file or directory").
func (env *cmdEnv) fail(code int, err error) int {
	if pe, ok := err.(*fs.PathError); ok {
		return env.failFile(code, pe.Path, pe.Err)
	}
	env.errorf("%v", err)
	return code
}

// failFile prints "mss PATH: FILE: err" and returns code.
func (env *cmdEnv) failFile(code int, file string, err error) int {
	env.errorf("%s", fileError(file, err))
	return code
}

// fileError says what went wrong with a file, naming it once: "x.xml: no
// such file or directory" rather than "open x.xml: no such file...".
func fileError(file string, err error) string {
	if file == "-" {
		file = "standard input"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == file {
		err = pe.Err
	}
	msg := err.Error()
	if strings.HasPrefix(msg, file+": ") {
		return msg
	}
	return file + ": " + msg
}

func helpCommand() *command {
	return &command{
		name:    "help",
		summary: "show the help of mss, of a group or of a command",
		usage:   "[COMMAND [SUBCOMMAND]]",
		about:   "Prints on standard output what `mss COMMAND --help` prints.",
		examples: []example{
			{"mss help", "list the commands"},
			{"mss help cda validate", "the flags, examples and exit codes of mss cda validate"},
		},
		exits: []string{"0  the help was printed", "2  unknown command"},
		run:   runHelp,
	}
}

func runHelp(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "help")
	words, err := parseArgs(env, fs, args)
	if err != nil {
		return usageExit(err)
	}
	node, path, err := env.root.lookup(words)
	if err != nil {
		return env.usageError("%v", err)
	}
	if node.run != nil {
		// A leaf lists its flags: run it with --help, into standard output.
		e := *env
		e.cmd, e.path = node, path
		return node.run(&e, []string{"--help"})
	}
	node.printHelp(env.stdout, path, nil)
	return 0
}

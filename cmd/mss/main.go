// Command mss is the command-line tool of the MSSanté Go SDK.
//
// Each topic lives in its own file, which describes its group and
// subcommands (help, examples, exit codes); the table in commandTable names
// them all:
//
//	mss ins check MATRICULE [--oid OID] [--json]
//	mss cda validate|inspect|pdf ...
//	mss xdm verify|inspect|build ...
//	mss message build|inspect|lint ...
//	mss receipt mdn|parse ...
//	mss annuaire lookup|whitelist|diff ...
//	mss msc address|closing ...
//	mss bounce classify ...
//	mss send / mss fetch / mss operator
//	mss delivery enqueue|run|status ...
//	mss serve --config FILE [--listen ADDR]
//	mss help [COMMAND...]
//
// Conventions, like go and git: "mss help CMD", "mss CMD --help" and
// "mss CMD -h" print the help of any command or group on standard output
// and exit 0. Results go to standard output (--json for a JSON document
// with snake_case keys), errors to standard error prefixed with the command
// and the file concerned. Text printed is terminal-safe: control characters
// and invalid bytes are escaped (see termSafe).
//
// Exit status: 0 on success, 1 when the command ran and its answer is "no"
// (invalid, not found, error-level findings) or it failed, 2 on a usage
// error. Each command's help gives its own.
package main

import (
	"io"
	"os"
	"time"

	"golang.org/x/term"
)

// commandTable lists the top-level commands and groups, one topic file
// each (the file defines the group, its subcommands and their help). It is
// a function, not a variable, so that the commands may refer to the tree
// (help) without an initialisation cycle.
func commandTable() []*command {
	return []*command{
		annuaireCommand(),
		bounceCommand(),
		cdaCommand(),
		deliveryCommand(),
		fetchCommand(),
		helpCommand(),
		insCommand(),
		messageCommand(),
		mscCommand(),
		operatorCommand(),
		receiptCommand(),
		sendCommand(),
		serveCommand(),
		xdmCommand(),
	}
}

// cmdEnv carries the process streams so that commands can be tested
// in-process, and the command being run.
type cmdEnv struct {
	stdin  io.Reader
	stdout io.Writer // results; made terminal-safe by run
	stderr io.Writer // errors, notes; made terminal-safe by run

	// rawStdout receives binary results (a PDF, a message written with
	// -o -); rawStderr the progress bar. Default: stdout and stderr.
	rawStdout, rawStderr io.Writer
	// stderrTTY tells that standard error is a terminal: progress is shown
	// for work that lasts longer than progressDelay (default half a second;
	// negative: at once).
	stderrTTY     bool
	progressDelay time.Duration

	root *command // the whole tree, for help
	cmd  *command // the command running
	path string   // its name after "mss", e.g. "cda validate"
}

func main() {
	os.Exit(run(&cmdEnv{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		stderrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}, os.Args[1:]))
}

// run runs the command line args (without the program name) and returns
// the exit code.
func run(env *cmdEnv, args []string) int {
	e := *env
	if e.rawStdout == nil {
		e.rawStdout = e.stdout
	}
	if e.rawStderr == nil {
		e.rawStderr = e.stderr
	}
	e.stdout = &safeWriter{w: e.rawStdout}
	e.stderr = &safeWriter{w: e.rawStderr}
	e.root = rootCommand()
	return e.root.dispatch(&e, args)
}

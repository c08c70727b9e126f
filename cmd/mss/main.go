// Command mss is the command-line tool of the MSSanté Go SDK.
//
// Each topic lives in its own file; the table commands in main.go names them
// all:
//
//	mss ins check MATRICULE [--oid OID] [--json]
//	mss cda validate|inspect|pdf ...
//	mss xdm verify|inspect|build ...
//	mss message build|inspect|lint ...
//	mss receipt mdn|parse ...
//	mss annuaire lookup|whitelist|diff ...
//	mss msc address ...
//	mss bounce classify ...
//	mss send / mss fetch / mss operator
//
// Exit status: 0 on success, 1 when the command ran and its answer is "no"
// (invalid, not found, error-level findings), 2 on a usage error.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// command is one top-level subcommand. run gets the arguments after its name
// and returns the process exit code.
type command struct {
	summary string
	run     func(env *cmdEnv, args []string) int
}

// cmdEnv carries the process streams so that commands can be tested in-process.
type cmdEnv struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// commands is the table of the top-level commands, one topic file each.
var commands = map[string]command{
	"annuaire": {"find MSSanté addresses, check the liste blanche (annuaire lookup|whitelist|diff)", runAnnuaire},
	"bounce":   {"classify returned messages (bounce classify FILE.eml [--json])", runBounce},
	"cda":      {"validate, inspect CDA documents and extract their PDF (cda validate|inspect|pdf)", runCDA},
	"fetch":    {"store new messages from the operator's IMAP server as .eml files (fetch --config FILE --out DIR)", runFetch},
	"ins":      {"check INS matricules (ins check MATRICULE [--oid OID] [--json])", runINS},
	"message":  {"compose, inspect and lint MSSanté messages (message build|inspect|lint)", runMessage},
	"msc":      {"Mon Espace Santé patient addresses and closing (msc address MATRICULE [--oid OID], msc closing FILE.eml)", runMSC},
	"operator": {"run the embedded test MSSanté operator (SMTP, IMAP, test PKI) until interrupted", runOperator},
	"receipt":  {"parse DSN/MDN reports and answer messages with an MDN (receipt parse|mdn)", runReceipt},
	"send":     {"submit a message to the operator over SMTP (send --config FILE MESSAGE.eml)", runSend},
	"xdm":      {"IHE_XDM.ZIP archives (xdm verify FILE... | inspect FILE | build --cda DOC.xml -o IHE_XDM.ZIP)", runXDM},
}

// errUsage marks a usage error (exit code 2).
var errUsage = errors.New("usage")

func main() {
	os.Exit(run(&cmdEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:]))
}

func run(env *cmdEnv, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.stderr, "mss: unknown command %q\n\n", args[0])
		usage(env.stderr)
		return 2
	}
	return c.run(env, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: mss COMMAND [ARGS...]\n\ncommands:")
	for _, n := range sortedKeys(commands) {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
}

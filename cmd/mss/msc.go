package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/msc"
)

func runMSC(env *cmdEnv, args []string) int {
	return subcommands(env, "msc", args, map[string]func(*cmdEnv, []string) int{
		"address": runMSCAddress,
		"closing": runMSCClosing,
	})
}

func runMSCAddress(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "msc address")
	oid := fs.String("oid", "", "assigning authority OID of the matricule (1.2.250.1.213.1.4.8 NIR, .9 NIA, .10 test, .11 demo)")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: mss msc address MATRICULE [--oid OID]\n\n"+
			"Prints the Mon Espace Santé address of a matricule (with its key). Exits 1 when\n"+
			"the matricule or the OID is not valid. The identity must be qualified (QUAL):\n"+
			"this command cannot check that.")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) == 0 {
		fs.Usage()
		return 2
	}
	input := strings.Join(pos, " ") // a grouped matricule: "2 79 03 51 215 189 89"
	if *oid != "" {
		if _, err := ins.ParseOID(*oid); err != nil {
			fmt.Fprintf(env.stderr, "mss msc address: %v\n", err)
			return 1
		}
	}
	m, err := ins.Parse(input)
	if err != nil {
		fmt.Fprintf(env.stderr, "mss msc address: %s\n", mscAddressReason(input, err))
		return 1
	}
	fmt.Fprintln(env.stdout, m.MSCAddress())
	return 0
}

// mscAddressReason explains why a matricule gives no address.
func mscAddressReason(input string, err error) string {
	var pe *ins.ParseError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(err, ins.ErrChecksum):
			return fmt.Sprintf("%q: invalid key %s, expected %s (a wrong key bounces as \"adresse invalide\")", input, ins.FormatKey(pe.Got), ins.FormatKey(pe.Want))
		case errors.Is(err, ins.ErrLength) && pe.Length == 13:
			return fmt.Sprintf("%q: 13 characters: the 2-digit key is missing (the address needs all 15)", input)
		}
		return fmt.Sprintf("%q: %v", input, pe)
	}
	return err.Error()
}

func runMSCClosing(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "msc closing")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: mss msc closing FILE.eml\n\n"+
			"Tells whether a message ends the exchange with the patient (X-MSS-MES: FIN, or a\n"+
			"subject of exactly [FIN]) and warns about near misses. Exits 0 when it closes, 1\n"+
			"when it does not. FILE - reads standard input.")
		fs.PrintDefaults()
	}
	r, done, code := mscFileArg(env, fs, args)
	if done == nil {
		return code
	}
	defer done()
	h, err := msc.ReadHeader(r)
	if err != nil {
		fmt.Fprintf(env.stderr, "mss msc closing: %v\n", err)
		return 1
	}
	for _, f := range msc.ClosingFindings(h) {
		fmt.Fprintln(env.stderr, f)
	}
	form := msc.Closing(h)
	if form == msc.NotClosing {
		fmt.Fprintln(env.stdout, "does not close the exchange")
		return 1
	}
	fmt.Fprintf(env.stdout, "closes the exchange (%v)\n", form)
	return 0
}

// mscFileArg parses the flags and the single FILE argument of a command
// ("-" is standard input) and opens it. On failure done is nil and code is
// the exit code (2 usage, 1 unreadable file), the message already printed.
func mscFileArg(env *cmdEnv, fs *flag.FlagSet, args []string) (r io.Reader, done func(), code int) {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, nil, 2
	}
	if len(pos) != 1 {
		fs.Usage()
		return nil, nil, 2
	}
	if pos[0] == "-" {
		return env.stdin, func() {}, 0
	}
	f, err := os.Open(pos[0])
	if err != nil {
		fmt.Fprintf(env.stderr, "%s: %v\n", fs.Name(), err)
		return nil, nil, 1
	}
	return f, func() { f.Close() }, 0
}

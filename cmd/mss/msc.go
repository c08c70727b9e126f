package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/msc"
)

func mscCommand() *command {
	return &command{
		name:    "msc",
		summary: "Mon Espace Santé: patient addresses, messages that close the exchange",
		examples: []example{
			{"mss msc address 279035121518989", "the patient's Mon Espace Santé address"},
		},
		subs: []*command{
			{
				name:    "address",
				summary: "print the Mon Espace Santé address of an INS matricule",
				usage:   "[--oid OID] [--json] MATRICULE",
				about: "The address is MATRICULE@patient.mssante.fr, with the matricule's key. The identity\n" +
					"must be qualified (QUAL): this command cannot check that.",
				examples: []example{
					{"mss msc address 279035121518989", "the address of the public test patient"},
					{"mss msc address --json 2 79 03 51 215 189 89", "a grouped matricule, as JSON"},
				},
				exits: exitCodes("the address was printed", "the matricule or the OID is not valid (a wrong key bounces as \"adresse invalide\")"),
				run:   runMSCAddress,
			},
			{
				name:    "closing",
				summary: "tell whether a message ends the exchange with the patient ([FIN], X-MSS-MES: FIN)",
				usage:   "[--json] FILE.eml",
				about: "FILE.eml - reads standard input. A message closes the exchange with X-MSS-MES: FIN or\n" +
					"a subject of exactly [FIN]; near misses ([FIN ], fin...) are reported as findings.",
				examples: []example{
					{"mss msc closing message.eml", "closes the exchange, or not, with the near misses"},
				},
				exits: exitCodes("the message closes the exchange", "it does not, or the file cannot be read"),
				run:   runMSCClosing,
			},
		},
	}
}

func runMSCAddress(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "msc address")
	oid := fs.String("oid", "", "assigning authority `OID` of the matricule (1.2.250.1.213.1.4.8 NIR, .9 NIA, .10 test, .11 demo)")
	asJSON := fs.Bool("json", false, `print the result as JSON: {"matricule","address"}`)
	pos, err := parseArgs(env, fs, args)
	if err != nil {
		return usageExit(err)
	}
	if len(pos) == 0 {
		return env.usageError("no MATRICULE")
	}
	input := strings.Join(pos, " ") // a grouped matricule: "2 79 03 51 215 189 89"
	if *oid != "" {
		if _, err := ins.ParseOID(*oid); err != nil {
			return env.fail(1, err)
		}
	}
	m, err := ins.Parse(input)
	if err != nil {
		env.errorf("%s", mscAddressReason(input, err))
		return 1
	}
	if *asJSON {
		if err := writeJSON(env.stdout, mscAddressResult{Matricule: string(m), Address: m.MSCAddress()}); err != nil {
			return 1
		}
		return 0
	}
	fmt.Fprintln(env.stdout, m.MSCAddress())
	return 0
}

// mscAddressResult is the --json output of `mss msc address`.
type mscAddressResult struct {
	Matricule string `json:"matricule"`
	Address   string `json:"address"`
}

// mscClosingResult is the --json output of `mss msc closing`.
type mscClosingResult struct {
	File     string       `json:"file"`
	Closes   bool         `json:"closes"`
	Form     string       `json:"form,omitempty"`
	Findings finding.List `json:"findings"`
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
	asJSON := fs.Bool("json", false, `print the result as JSON: {"file","closes","form","findings"}`)
	name, r, done, code := msgInput(env, fs, args)
	if done == nil {
		return code
	}
	defer done()
	h, err := msc.ReadHeader(r)
	if err != nil {
		return env.failFile(1, name, err)
	}
	res := mscClosingResult{File: name, Findings: msc.ClosingFindings(h)}
	if res.Findings == nil {
		res.Findings = finding.List{}
	}
	form := msc.Closing(h)
	res.Closes = form != msc.NotClosing
	if res.Closes {
		res.Form = form.String()
	}
	if *asJSON {
		if err := writeJSON(env.stdout, res); err != nil {
			return 1
		}
	} else {
		for _, f := range res.Findings {
			fmt.Fprintln(env.stdout, f)
		}
		if res.Closes {
			fmt.Fprintf(env.stdout, "closes the exchange (%v)\n", form)
		} else {
			fmt.Fprintln(env.stdout, "does not close the exchange")
		}
	}
	if !res.Closes {
		return 1
	}
	return 0
}

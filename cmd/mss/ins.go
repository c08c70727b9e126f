package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/ins"
)

func insCommand() *command {
	return &command{
		name:    "ins",
		summary: "check INS matricules (Identité Nationale de Santé)",
		examples: []example{
			{"mss ins check 279035121518989", "check the public test matricule"},
		},
		subs: []*command{{
			name:    "check",
			summary: "check an INS matricule (NIR or NIA) and its key",
			usage:   "[--oid OID] [--json] MATRICULE",
			about: "MATRICULE is the 15 characters of an NIR or NIA (13 + the 2-digit key; Corsica's 2A/2B\n" +
				"accepted); spaces are ignored, so a grouped matricule may come as several arguments.\n" +
				"With --oid, the assigning authority is checked and named too. An invalid matricule\n" +
				"prints why (length, character, key: with the expected key). A first digit other than\n" +
				"1 or 2, or month digits outside 01-12, are printed as warnings (a special number?):\n" +
				"they do not make the matricule invalid.",
			examples: []example{
				{"mss ins check 279035121518989", "check the public test matricule of the ANS"},
				{"mss ins check --json 2 79 03 51 215 189 89 --oid 1.2.250.1.213.1.4.10", "a grouped matricule under the test NIR authority, as JSON"},
			},
			exits: exitCodes("the matricule (and the OID) is valid", "it is not"),
			run:   runINSCheck,
		}},
	}
}

// insCheckResult is the --json output of `mss ins check`.
type insCheckResult struct {
	Matricule   string `json:"matricule"`
	Valid       bool   `json:"valid"`
	Kind        string `json:"kind"`
	Test        bool   `json:"test"`
	OID         string `json:"oid,omitempty"`
	OIDName     string `json:"oid_name,omitempty"`
	Reason      string `json:"reason,omitempty"` // length, character, key, oid
	ExpectedKey string `json:"expected_key,omitempty"`
	Error       string `json:"error"`
	// Warnings are those of the matricule alone (ins.md §9).
	Warnings finding.List `json:"warnings"`
}

func runINSCheck(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "ins check")
	oid := fs.String("oid", "", "assigning authority `OID` (1.2.250.1.213.1.4.8 NIR, .9 NIA, .10 NIR test, .11 NIR demo)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	pos, err := parseArgs(env, fs, args)
	if err != nil {
		return usageExit(err)
	}
	if len(pos) == 0 {
		return env.usageError("no MATRICULE")
	}
	// A grouped matricule may come as several arguments: "2 79 03 ...".
	input := pos[0]
	for _, p := range pos[1:] {
		input += " " + p
	}
	res := checkMatricule(input, *oid)
	if *asJSON {
		if err := writeJSON(env.stdout, res); err != nil {
			return 2
		}
	} else {
		if res.Valid {
			fmt.Fprintf(env.stdout, "%s: valid", res.Matricule)
			if res.OID != "" {
				fmt.Fprintf(env.stdout, " (%s, %s)", res.Kind, res.OIDName)
			}
			fmt.Fprintln(env.stdout)
		} else {
			fmt.Fprintf(env.stdout, "%s: invalid: %s\n", res.Matricule, res.Error)
		}
		for _, w := range res.Warnings {
			fmt.Fprintln(env.stdout, w.String())
		}
	}
	if !res.Valid {
		return 1
	}
	return 0
}

func checkMatricule(input, oid string) insCheckResult {
	res := insCheckResult{Matricule: input, Warnings: finding.List{}}
	m, err := ins.Parse(input)
	if err == nil {
		res.Matricule = string(m)
	}
	// The warnings need 15 characters, not a valid key.
	if compact := strings.ReplaceAll(input, " ", ""); len(compact) == 15 {
		res.Warnings = ins.Matricule(compact).Warnings()
		if res.Warnings == nil {
			res.Warnings = finding.List{}
		}
	}
	if err == nil && oid != "" {
		var o ins.OID
		o, err = ins.ParseOID(oid)
		if err == nil {
			res.OID, res.OIDName, res.Kind, res.Test = string(o), o.Name(), string(o.Kind()), o.IsTest()
		} else {
			res.Reason = "oid"
		}
	}
	if err == nil {
		res.Valid = true
		return res
	}
	res.Error = err.Error()
	var pe *ins.ParseError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(err, ins.ErrLength):
			res.Reason = "length"
		case errors.Is(err, ins.ErrFormat):
			res.Reason = "character"
		case errors.Is(err, ins.ErrChecksum):
			res.Reason = "key"
			res.ExpectedKey = ins.FormatKey(pe.Want)
		}
	}
	return res
}

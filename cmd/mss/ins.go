package main

import (
	"errors"
	"fmt"

	"github.com/mssante-go/sdk/ins"
)

func runINS(env *cmdEnv, args []string) int {
	return subcommands(env, "ins", args, map[string]func(*cmdEnv, []string) int{
		"check": runINSCheck,
	})
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
}

func runINSCheck(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "ins check")
	oid := fs.String("oid", "", "assigning authority OID (1.2.250.1.213.1.4.8 NIR, .9 NIA, .10 NIR test, .11 NIR demo)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: mss ins check MATRICULE [--oid OID] [--json]\n\nExits 0 when the matricule is valid, 1 when it is not.")
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
	} else if res.Valid {
		fmt.Fprintf(env.stdout, "%s: valid", res.Matricule)
		if res.OID != "" {
			fmt.Fprintf(env.stdout, " (%s, %s)", res.Kind, res.OIDName)
		}
		fmt.Fprintln(env.stdout)
	} else {
		fmt.Fprintf(env.stdout, "%s: invalid: %s\n", res.Matricule, res.Error)
	}
	if !res.Valid {
		return 1
	}
	return 0
}

func checkMatricule(input, oid string) insCheckResult {
	res := insCheckResult{Matricule: input}
	m, err := ins.Parse(input)
	if err == nil {
		res.Matricule = string(m)
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

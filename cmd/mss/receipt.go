package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/emersion/go-message/mail"

	"github.com/mssante-go/sdk/mssante"
)

func runReceipt(env *cmdEnv, args []string) int {
	return subcommands(env, "receipt", args, map[string]func(*cmdEnv, []string) int{
		"parse": runReceiptParse,
		"mdn":   runReceiptMDN,
	})
}

func runReceiptParse(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "receipt parse")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: mss receipt parse FILE.eml|- [--json]\n\nExits 0 for a report, 1 when the message is not a DSN or MDN.")
		fs.PrintDefaults()
	}
	_, r, done, code := msgInput(env, fs, args)
	if code != 0 {
		return code
	}
	defer done()
	rep, err := mssante.ParseReport(r, nil)
	if err != nil {
		fmt.Fprintln(env.stderr, "mss receipt parse:", err)
		return 1
	}
	if *asJSON {
		if err := writeJSON(env.stdout, rep); err != nil {
			return 2
		}
		return 0
	}
	w := env.stdout
	status := "success"
	if rep.Failed() {
		status = "failure"
	}
	fmt.Fprintf(w, "Kind:              %s (%s)\n", strings.ToUpper(rep.Kind.String()), status)
	fmt.Fprintf(w, "From:              %s\n", rep.From)
	fmt.Fprintf(w, "Original-Message:  %s\n", orDash(rep.OriginalMessageID))
	if rep.OriginalSubject != "" {
		fmt.Fprintf(w, "Original subject:  %s\n", rep.OriginalSubject)
	}
	if rep.Kind == mssante.ReportDSN {
		fmt.Fprintf(w, "Reporting-MTA:     %s\n", orDash(rep.ReportingMTA))
		if !rep.ArrivalDate.IsZero() {
			fmt.Fprintf(w, "Arrival-Date:      %s\n", rep.ArrivalDate.Format("2006-01-02 15:04:05 -0700"))
		}
		for _, rc := range rep.Recipients {
			fmt.Fprintf(w, "Recipient:         %s: %s %s", rc.FinalRecipient, rc.Action, rc.Status)
			if rc.DiagnosticCode != "" {
				fmt.Fprintf(w, " (%s)", rc.DiagnosticCode)
			}
			fmt.Fprintln(w)
		}
	} else if m := rep.MDN; m != nil {
		fmt.Fprintf(w, "Final-Recipient:   %s\n", orDash(m.FinalRecipient))
		fmt.Fprintf(w, "Disposition:       %s\n", m.Disposition)
		if m.ErrorCode != 0 {
			label := m.ErrorLabel
			if l := m.ErrorCode.Label(); l != "" {
				label = l
			}
			fmt.Fprintf(w, "Error:             %d %s\n", int(m.ErrorCode), label)
		}
		for _, e := range m.Errors {
			fmt.Fprintf(w, "Error field:       %s\n", e)
		}
	}
	for _, f := range rep.Warnings {
		fmt.Fprintln(w, f.String())
	}
	return 0
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runReceiptMDN(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "receipt mdn")
	code := fs.Int("error", 0, "French error code 900-906 (default: success)")
	from := fs.String("from", "", "answering mailbox (default: the first To address of the message)")
	nilRef := fs.String("nil", "", "X-MSS-NIL product reference")
	legacy := fs.Bool("legacy", false, "write the error in the Disposition field (pre-1.1.3 form)")
	force := fs.Bool("force", false, "answer even when no MDN is requested or Return-Path differs")
	typ := fs.String("type", "", "disposition type (default processed)")
	out := fs.String("o", "-", "output file")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: mss receipt mdn FILE.eml|- [--error CODE] [--from ADDR] [--nil REF] [-o OUT.eml]")
		fs.PrintDefaults()
	}
	_, r, done, rc := msgInput(env, fs, args)
	if rc != 0 {
		return rc
	}
	defer done()
	ec := mssante.ErrorCode(*code)
	if ec != 0 && !ec.Valid() {
		fmt.Fprintf(env.stderr, "mss receipt mdn: unknown error code %d (want 900-906)\n", *code)
		return 2
	}
	original, err := io.ReadAll(r)
	if err != nil {
		fmt.Fprintln(env.stderr, "mss receipt mdn:", err)
		return 1
	}
	var answering *mail.Address
	if *from != "" {
		if answering, err = mail.ParseAddress(*from); err != nil {
			fmt.Fprintln(env.stderr, "mss receipt mdn:", err)
			return 2
		}
	}
	var to string
	if answering == nil || *force {
		in, err := mssante.Read(bytes.NewReader(original), &mssante.ReadOptions{SkipXDM: true})
		if err != nil {
			fmt.Fprintln(env.stderr, "mss receipt mdn:", err)
			return 1
		}
		if answering == nil && len(in.To) > 0 {
			answering = in.To[0]
		}
		if *force && in.MDNRequestedTo == "" && in.From != nil {
			to = in.From.Address
		}
	}
	if answering == nil {
		fmt.Fprintln(env.stderr, "mss receipt mdn: no answering address: use --from")
		return 2
	}
	var buf bytes.Buffer
	err = mssante.WriteMDN(&buf, bytes.NewReader(original), &mssante.MDNOptions{
		From: answering, Error: ec, NIL: *nilRef, LegacyForm: *legacy,
		IgnoreReturnPath: *force, To: to, Type: *typ,
	})
	if err != nil {
		fmt.Fprintln(env.stderr, "mss receipt mdn:", err)
		return 1
	}
	return msgOutput(env, fs, *out, buf.Bytes())
}

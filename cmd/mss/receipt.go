package main

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/emersion/go-message/mail"

	"github.com/mssante-go/sdk/limit"
	"github.com/mssante-go/sdk/msc"
	"github.com/mssante-go/sdk/mssante"
)

func receiptCommand() *command {
	return &command{
		name:    "receipt",
		summary: "read delivery and read receipts (DSN, MDN), answer a message with an MDN",
		examples: []example{
			{"mss receipt parse retour.eml", "what a DSN or an MDN says"},
		},
		subs: []*command{
			{
				name:    "parse",
				summary: "read a DSN (delivery status) or an MDN (read receipt) and say what it reports",
				usage:   "[--json] FILE.eml",
				about: "FILE.eml - reads standard input. The original Message-ID (from Original-Message-ID,\n" +
					"the returned message, In-Reply-To or References, said which) and, per recipient, its\n" +
					"outcome, bounce kind and status; --json adds them as \"outcomes\". The French MDN\n" +
					"profile's error codes (900-906) are named.",
				examples: []example{
					{"mss receipt parse retour.eml", "kind, original message, recipients with outcome, kind and status"},
					{"mss receipt parse --json retour.eml", "the same as JSON"},
				},
				exits: exitCodes("the file is a DSN or an MDN", "it is not, or cannot be read"),
				run:   runReceiptParse,
			},
			{
				name:    "mdn",
				summary: "answer a received message with an MDN in the French profile",
				usage:   "[flags] [-o OUT.eml] FILE.eml",
				about: "Writes the MDN (processed, or with --error the French error code 900-906) that answers\n" +
					"FILE.eml (- for standard input). Without --force, a message that asks for no MDN, or\n" +
					"whose Return-Path differs from Disposition-Notification-To, gets none (RFC 8098 §2.1).",
				examples: []example{
					{"mss receipt mdn --nil DEV000000 -o mdn.eml message.eml", "a \"processed\" MDN from the first To address"},
					{"mss receipt mdn --error 902 --from dpi@hopital-test.mssante.fr message.eml", "error 902: patient unknown to the receiving software"},
				},
				exits: exitCodes("the MDN was written", "no MDN is due (without --force), or a file cannot be read or written"),
				run:   runReceiptMDN,
			},
		},
	}
}

// receiptResult is the --json output of `mss receipt parse`: the report,
// and one outcome per recipient with the original message id on each.
type receiptResult struct {
	*mssante.Report
	Outcomes []receiptOutcome `json:"outcomes"`
}

// receiptOutcome is what a receipt says of one recipient. Outcome is the
// DSN action (Outcome: delivered, relayed, expanded, delayed, failed) or
// the MDN disposition type ("failed" when it carries an error); Kind is the
// bounce kind of a failed or delayed DSN recipient (msc.Classifier), Status
// its most specific status code, or the French error code of a failed MDN.
type receiptOutcome struct {
	Recipient         string `json:"recipient"`
	Outcome           string `json:"outcome"`
	Kind              string `json:"kind,omitempty"`
	Status            string `json:"status,omitempty"`
	OriginalMessageID string `json:"original_message_id"`
}

// receiptOutcomes lists the outcome of each recipient of a report; raw is
// the report's message, classified for the kinds of failed recipients.
func receiptOutcomes(rep *mssante.Report, raw []byte) []receiptOutcome {
	out := []receiptOutcome{}
	if rep.Kind == mssante.ReportMDN && rep.MDN != nil {
		o := receiptOutcome{Recipient: rep.MDN.FinalRecipient, Outcome: rep.MDN.Disposition.Type, OriginalMessageID: rep.OriginalMessageID}
		if o.Recipient == "" {
			o.Recipient = rep.MDN.OriginalRecipient
		}
		if rep.MDN.Failed() {
			o.Outcome = "failed"
		}
		if rep.MDN.ErrorCode != 0 {
			o.Status = rep.MDN.ErrorCode.String()
		}
		return append(out, o)
	}
	var b *msc.Bounce
	if rep.Failed() || slices.ContainsFunc(rep.Recipients, func(r mssante.DSNRecipient) bool { return r.Outcome() == mssante.ActionDelayed }) {
		b, _ = (&msc.Classifier{}).ClassifyBytes(raw)
	}
	for i := range rep.Recipients {
		rc := &rep.Recipients[i]
		o := receiptOutcome{Recipient: rc.FinalRecipient, Outcome: string(rc.Outcome()), Status: rc.DetailedStatus(), OriginalMessageID: rep.OriginalMessageID}
		if b != nil {
			if rb, ok := b.Recipient(rc.FinalRecipient); ok {
				o.Kind = string(rb.Kind)
			}
		}
		out = append(out, o)
	}
	return out
}

func runReceiptParse(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "receipt parse")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	name, r, done, code := msgInput(env, fs, args)
	if done == nil {
		return code
	}
	defer done()
	raw, err := io.ReadAll(r)
	if err != nil {
		return env.failFile(1, name, err)
	}
	rep, err := mssante.ParseReport(bytes.NewReader(raw), nil)
	if err != nil {
		return env.failFile(1, name, err)
	}
	outcomes := receiptOutcomes(rep, raw)
	if *asJSON {
		if err := writeJSON(env.stdout, receiptResult{Report: rep, Outcomes: outcomes}); err != nil {
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
	orig := orDash(rep.OriginalMessageID)
	if rep.OriginalIDSource != "" {
		orig += " (" + string(rep.OriginalIDSource) + ")"
	}
	fmt.Fprintf(w, "Original-Message:  %s\n", orig)
	if rep.OriginalSubject != "" {
		fmt.Fprintf(w, "Original subject:  %s\n", rep.OriginalSubject)
	}
	if rep.Kind == mssante.ReportDSN {
		fmt.Fprintf(w, "Reporting-MTA:     %s\n", orDash(rep.ReportingMTA))
		if !rep.ArrivalDate.IsZero() {
			fmt.Fprintf(w, "Arrival-Date:      %s\n", rep.ArrivalDate.Format("2006-01-02 15:04:05 -0700"))
		}
		for i, rc := range rep.Recipients {
			fmt.Fprintf(w, "Recipient:         %s: %s %s", rc.FinalRecipient, outcomes[i].Outcome, orDash(outcomes[i].Status))
			if outcomes[i].Kind != "" {
				fmt.Fprintf(w, " [%s]", outcomes[i].Kind)
			}
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
	code := fs.Int("error", 0, "French error `CODE` 900-906 (default: success)")
	from := fs.String("from", "", "answering mailbox `ADDRESS` (default: the first To address of the message)")
	nilRef := fs.String("nil", "", "X-MSS-NIL product `REFERENCE`")
	legacy := fs.Bool("legacy", false, "write the error in the Disposition field (pre-1.1.3 form)")
	force := fs.Bool("force", false, "answer even when no MDN is requested or Return-Path differs")
	typ := fs.String("type", "", "disposition `TYPE` (default processed)")
	out := fs.String("o", "-", "output `FILE` (- for standard output)")
	name, r, done, rc := msgInput(env, fs, args)
	if done == nil {
		return rc
	}
	defer done()
	ec := mssante.ErrorCode(*code)
	if ec != 0 && !ec.Valid() {
		return env.usageError("unknown error code %d (want 900-906)", *code)
	}
	// Bounded while reading: a message larger than a reader accepts is
	// refused after DefaultMaxReadSize bytes, not once held whole.
	original, err := limit.ReadAll(r, "message", mssante.DefaultMaxReadSize)
	if err != nil {
		return env.failFile(1, name, err)
	}
	var answering *mail.Address
	if *from != "" {
		if answering, err = mail.ParseAddress(*from); err != nil {
			return env.usageError("--from: %v", err)
		}
	}
	var to string
	if answering == nil || *force {
		in, err := mssante.Read(bytes.NewReader(original), &mssante.ReadOptions{SkipXDM: true})
		if err != nil {
			return env.failFile(1, name, err)
		}
		if answering == nil && len(in.To) > 0 {
			answering = in.To[0]
		}
		if *force && in.MDNRequestedTo == "" && in.From != nil {
			to = in.From.Address
		}
	}
	if answering == nil {
		return env.usageError("%s: no To address to answer from: use --from", name)
	}
	var buf bytes.Buffer
	err = mssante.WriteMDN(&buf, bytes.NewReader(original), &mssante.MDNOptions{
		From: answering, Error: ec, NIL: *nilRef, LegacyForm: *legacy,
		IgnoreReturnPath: *force, To: to, Type: *typ,
	})
	if err != nil {
		return env.failFile(1, name, err)
	}
	return msgOutput(env, *out, buf.Bytes())
}

package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/mssante-go/sdk/msc"
)

func bounceCommand() *command {
	return &command{
		name:    "bounce",
		summary: "classify returned messages (bounces)",
		examples: []example{
			{"mss bounce classify retour.eml", "why a message came back"},
		},
		subs: []*command{{
			name:    "classify",
			summary: "tell why a message came back, per recipient",
			usage:   "[--json] FILE.eml",
			about: "FILE.eml - reads standard input. One line per failed or delayed recipient, each\n" +
				"from its own evidence: kind, action (failed, or delayed: the only outcome that may\n" +
				"still be delivered), status and the evidence that decided. The kinds:\n" +
				"msc-unknown-address (no Mon Espace Santé profile), msc-closed, msc-invalid-address,\n" +
				"message-too-large, mailbox-unknown, mailbox-full, mailbox-disabled, host-unknown,\n" +
				"expired, policy, temporary, other.",
			examples: []example{
				{"mss bounce classify retour.eml", "original Message-ID, then kind, action, status per recipient"},
				{"mss bounce classify --json - < retour.eml", "from standard input, as JSON"},
			},
			exits: exitCodes("the file is a bounce", "it is not a bounce, or cannot be read"),
			run:   runBounceClassify,
		}},
	}
}

func runBounceClassify(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "bounce classify")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	name, r, done, code := msgInput(env, fs, args)
	if done == nil {
		return code
	}
	defer done()
	var c msc.Classifier
	b, err := c.Classify(context.Background(), r)
	if err != nil {
		if *asJSON && errors.Is(err, msc.ErrNotBounce) {
			writeJSON(env.stdout, map[string]any{"recipients": []msc.RecipientBounce{}, "error": err.Error()})
		}
		return env.failFile(1, name, err)
	}
	if *asJSON {
		if err := writeJSON(env.stdout, b); err != nil {
			return 2
		}
		return 0
	}
	w := env.stdout
	id := bounceOrNone(b.OriginalMessageID)
	if b.OriginalIDSource != "" {
		id += " (" + string(b.OriginalIDSource) + ")"
	}
	fmt.Fprintf(w, "original message-id: %s\nsource: %s\n", id, b.Source)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RECIPIENT\tKIND\tACTION\tSTATUS\tEVIDENCE")
	for _, rb := range b.Recipients {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", bounceOrNone(rb.Recipient), rb.Kind, rb.Action, bounceOrNone(rb.Status), rb.Evidence)
	}
	tw.Flush()
	for _, f := range b.Warnings.Warnings() {
		fmt.Fprintln(w, f.String())
	}
	return 0
}

func bounceOrNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

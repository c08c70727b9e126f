package main

import (
	"context"
	"errors"
	"fmt"

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
			about: "FILE.eml - reads standard input. The kinds: msc-unknown-address (no Mon Espace Santé\n" +
				"profile), msc-closed, msc-invalid-address, message-too-large, mailbox-unknown,\n" +
				"temporary, other. The first permanent failure is printed, then the other recipients.",
			examples: []example{
				{"mss bounce classify retour.eml", "kind, recipient, status, original Message-ID"},
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
			writeJSON(env.stdout, map[string]string{"kind": "", "error": err.Error()})
		}
		return env.failFile(1, name, err)
	}
	if *asJSON {
		if err := writeJSON(env.stdout, b); err != nil {
			return 2
		}
		return 0
	}
	fmt.Fprintf(env.stdout, "kind: %s\nrecipient: %s\nstatus: %s\noriginal message-id: %s\nsource: %s\n",
		b.Kind, bounceOrNone(b.Recipient), bounceOrNone(b.Status), bounceOrNone(b.OriginalMessageID), b.Source)
	// b describes the first permanent failure, which need not be
	// Recipients[0] (a delayed recipient may come first): list the others.
	shown := false
	for _, rb := range b.Recipients {
		if !shown && rb.Kind == b.Kind && rb.Recipient == b.Recipient && rb.Status == b.Status {
			shown = true
			continue
		}
		fmt.Fprintf(env.stdout, "also: %s %s %s\n", rb.Kind, rb.Recipient, bounceOrNone(rb.Status))
	}
	return 0
}

func bounceOrNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

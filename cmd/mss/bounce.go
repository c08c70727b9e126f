package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/mssante-go/sdk/msc"
)

func runBounce(env *cmdEnv, args []string) int {
	return subcommands(env, "bounce", args, map[string]func(*cmdEnv, []string) int{
		"classify": runBounceClassify,
	})
}

func runBounceClassify(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "bounce classify")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: mss bounce classify FILE.eml [--json]\n\n"+
			"Tells why a message came back: msc-unknown-address, msc-closed,\n"+
			"msc-invalid-address, message-too-large, mailbox-unknown, temporary or other.\n"+
			"Exits 1 when the file is not a bounce (or cannot be read). FILE - reads\n"+
			"standard input.")
		fs.PrintDefaults()
	}
	r, done, code := mscFileArg(env, fs, args)
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
		fmt.Fprintf(env.stderr, "mss bounce classify: %v\n", err)
		return 1
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

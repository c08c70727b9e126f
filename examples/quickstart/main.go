// Command quickstart shows the whole SDK at work, in one process, against the
// embedded test operator (package mssante/mssantetest):
//
//  1. a hospital DPI builds a CDA R2 level 1 document around a PDF for the
//     public test patient (package cda);
//  2. it sends the document, in an IHE_XDM.ZIP archive with its PDF, from its
//     applicative mailbox (client certificate) to a doctor (packages mssante,
//     mssante/xdm, mssante/smtpclient);
//  3. the doctor's software receives it over IMAP, verifies the archive, files
//     the document for the right patient and answers with a read receipt
//     (MDN) (mssante/imapclient, mssante);
//  4. the hospital reads the MDN, then writes to the patient's Mon Espace Santé
//     mailbox with "X-MSS-MES: FIN" (no reply wanted), and to a patient whose
//     mailbox is closed, whose bounce it classifies (package msc).
//
// Run it with:
//
//	go run ./examples/quickstart            # prints a short report
//	go run ./examples/quickstart -out DIR   # also writes every artifact to DIR
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	out := flag.String("out", "", "directory where every artifact is written (message, IHE_XDM.ZIP, CDA, PDF, MDN, bounce)")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, *out); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run plays the scenario and prints the report to w.
func run(ctx context.Context, w io.Writer, outDir string) error {
	s, err := newScenario(ctx, w, outDir)
	if err != nil {
		return err
	}
	defer s.close()
	for _, step := range []func(context.Context) error{
		s.buildDocument,
		s.sendToDoctor,
		s.doctorReceives,
		s.hospitalReadsMDN,
		s.writeToPatient,
		s.bounceFromClosedMailbox,
	} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	s.report.done()
	return nil
}

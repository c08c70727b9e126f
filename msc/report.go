package msc

import (
	"bytes"
	"errors"

	"github.com/mssante-go/sdk/mssante"
)

// report is what the classifier needs from an RFC 3464 delivery status
// notification, filled from mssante.ParseReport. Keeping the classifier on
// this small struct keeps it independent of the parser's evolutions.
type report struct {
	kind              string // "dsn", "mdn" or "" when the message is no report
	recipients        []reportRecipient
	originalMessageID string
}

type reportRecipient struct {
	recipient  string // Final-Recipient address (Original-Recipient when missing)
	action     string // lower case
	status     string // "5.1.1"
	diagnostic string // Diagnostic-Code text after its type
}

// readReport parses raw as a delivery or disposition report. A message that
// is no report, or whose report cannot be parsed, gives an empty report: the
// classifier then reads its text. Only a reader limit is an error.
func readReport(raw []byte, maxBytes int64) (*report, error) {
	rep, err := mssante.ParseReportOptions(bytes.NewReader(raw), &mssante.ReadOptions{Limits: mssante.ReadLimits{MaxSize: maxBytes}})
	if err != nil {
		if errors.Is(err, mssante.ErrLimit) {
			return nil, err
		}
		return &report{}, nil
	}
	r := &report{originalMessageID: rep.OriginalMessageID}
	switch rep.Kind {
	case mssante.ReportDSN:
		r.kind = "dsn"
	case mssante.ReportMDN:
		r.kind = "mdn"
		return r, nil
	}
	for _, rc := range rep.Recipients {
		r.recipients = append(r.recipients, reportRecipient{
			recipient:  rc.FinalRecipient,
			action:     string(rc.Action),
			status:     rc.Status,
			diagnostic: rc.DiagnosticCode,
		})
	}
	return r, nil
}

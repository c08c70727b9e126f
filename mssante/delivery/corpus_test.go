package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/testenv"
)

// decoy is a second recipient of every sent message of the corpus tests, so
// that a receipt is matched by its recipient fields, not because the message
// had only one recipient.
const decoy = "decoy@hopital-test.mssante.fr"

// sentMessage puts in the outbox a message already submitted to the given
// recipients, with the receipts asked for, as the receipt's sender saw it.
func sentMessage(t *testing.T, o *Outbox, messageID string, dsn, mdn bool, to ...string) {
	t.Helper()
	ctx := context.Background()
	var extra []string
	if mdn {
		extra = append(extra, "Disposition-Notification-To: dpi@hopital-test.mssante.fr")
	}
	if dsn {
		extra = append(extra, "Return-Receipt-To: dpi@hopital-test.mssante.fr")
	}
	raw := testMessage(messageID, "dpi@hopital-test.mssante.fr", []string{"undisclosed-recipients:;"}, extra...)
	if _, err := o.Enqueue(ctx, strings.NewReader(raw), &EnqueueOptions{To: to}); err != nil {
		t.Fatal(err)
	}
	// As a worker would have recorded it.
	if _, err := o.db.exec(ctx, `UPDATE mss_recipient SET status = 'submitted', submitted_at = $1
		WHERE message = (SELECT id FROM mss_message WHERE message_id = $2)`, micros(o.now()), messageID); err != nil {
		t.Fatal(err)
	}
}

// Receipts from other implementations, with their quirks: a UTF-8 byte
// order mark, the original named only in In-Reply-To, a space inside the
// Original-Message-ID, a display name in Final-Recipient, no Action nor
// Status, the French error MDN. Each is matched to the message and the
// recipient it is about, on a message sent to that recipient and a decoy.
func TestReceiptCorpus(t *testing.T) {
	testenv.Shared(t, "mail")
	for _, tc := range []struct {
		file      string
		messageID string // as we sent it
		rcpt      string // as we sent it (case may differ from the receipt)
		matchedBy string
		status    Status
		decoy     bool // also send to the decoy
	}{
		{"receipts/direct_BadContext_MDN.eml", "c8a0389fd14c40c185956ff9108bab07@Direct.Surescripts.com", "jean@opsstation.lab", "original-message-id", StatusProcessed, true},
		{"receipts/direct_DsnTestMessages_DSNMessageNoActionOrStatus.txt", "9501051053.aa04167@IETF.CNRI.Reston.VA.US", "carol@ivory.edu", "original-message-id", StatusFailed, true},
		{"receipts/direct_DsnTestMessages_DSNMessageOrigInReplyTo.txt", "9501051053.aa04167@IETF.CNRI.Reston.VA.US", "Carol@Ivory.EDU", "in-reply-to", StatusFailed, true},
		{"receipts/direct_messages_MDNDispatchedTimeAndReliableLowerCaseOption.txt", "9501051053.aa04167@IETF.CNRI.Reston.VA.US", "externUser1@starugh-stateline.com", "in-reply-to", StatusProcessed, true},
		{"receipts/direct_messages_MDNMessage.txt", "9501051053.aa04167@IETF.CNRI.Reston.VA.US", "externuser1@starugh-stateline.com", "original-message-id", StatusProcessed, true},
		{"receipts/direct_messages_MDNMessageFriendlyNameFinalRecip.txt", "9501051053.aa04167@IETF.CNRI.Reston.VA.US", "externUser1@starugh-stateline.com", "original-message-id", StatusProcessed, true},
		{"receipts/direct_messages_MDNMessageOrigInReplyTo.txt", "9501051053.aa04167@IETF.CNRI.Reston.VA.US", "externUser1@starugh-stateline.com", "in-reply-to", StatusProcessed, true},
		{"receipts/direct_stagent_MDNMessageNonCanonicalized.txt", "9501051053.aa04167@IETF.CNRI.Reston.VA.US", "llindsey@messaging.cernerdemos.com", "original-message-id", StatusProcessed, true},
		{"receipts/cpython_msg_16.eml", "002001c144a6$8752e060$56104586@oxy.edu", "jangel1@cougar.noc.ucla.edu", "returned-message", StatusFailed, true},
		{"receipts/cpython_msg_43.eml", "edab.7804f5cb8070@python.org", "xxxxxxx@dot.ca.gov", "returned-message", StatusFailed, true},
		// A bounce without a readable report nor a recipient: matched on
		// the returned message, and on the only recipient.
		{"receipts/cpython_msg_25.eml", "01040616033903.00962@server", "scoffman@wellpartner.com", "returned-message", StatusFailed, false},
		// The pre-1.1.3 guide's MDN: no blank line after its header nor after
		// its part headers (read with mssante's repair), a space inside
		// Original-Message-ID, the error inside Disposition.
		{"lps-mss/mdn-ko-902.eml", "199509192301.23456", "serviceY_auto@chb.mssante.fr", "original-message-id", StatusFailed, true},
		// The French integration error of the LPS-MSS guide (v1.1.3).
		{"lps-mss/mdn-ko-902-v1.1.3.eml", "20240219230100.23456@chb.mssante.fr", "serviceY_auto@chb.mssante.fr", "original-message-id", StatusFailed, true},
	} {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			raw, err := os.ReadFile(testenv.Shared(t, "mail", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			o := mustOpen(t, "sqlite:"+filepath.Join(t.TempDir(), "o.db"), nil)
			to := []string{tc.rcpt}
			if tc.decoy {
				to = append(to, decoy)
			}
			sentMessage(t, o, tc.messageID, true, true, to...)
			in, err := o.Receive(context.Background(), "dpi@hopital-test.mssante.fr", bytes.NewReader(raw), "")
			if err != nil {
				t.Fatal(err)
			}
			if in.MessageID != tc.messageID || in.MatchedBy != tc.matchedBy {
				t.Fatalf("matched %q by %q, want %q by %q", in.MessageID, in.MatchedBy, tc.messageID, tc.matchedBy)
			}
			m, _ := o.Status(context.Background(), tc.messageID)
			if r := recipientOf(t, m, tc.rcpt); r.Status != tc.status {
				t.Errorf("%s: %s, want %s (%+v)", tc.rcpt, r.Status, tc.status, r.History)
			}
			if tc.decoy {
				if r := recipientOf(t, m, decoy); r.Status != StatusSubmitted || len(r.History) != 1 {
					t.Errorf("the decoy moved: %s %v", r.Status, timeline(r))
				}
			}
			// Received again (after a crash before the mailbox was
			// updated): recognised, nothing recorded twice.
			again, err := o.Receive(context.Background(), "dpi@hopital-test.mssante.fr", bytes.NewReader(raw), "")
			if err != nil || !again.Duplicate || len(again.Events) != 0 {
				t.Errorf("second receive: %+v, %v", again, err)
			}
		})
	}
	if t.Failed() {
		return
	}
	// The French error MDN carries the code and label as evidence.
	o := mustOpen(t, "sqlite:"+filepath.Join(t.TempDir(), "o.db"), nil)
	sentMessage(t, o, "20240219230100.23456@chb.mssante.fr", false, true, "serviceY_auto@chb.mssante.fr")
	raw, _ := os.ReadFile(testenv.Shared(t, "mail", "lps-mss/mdn-ko-902-v1.1.3.eml"))
	in, err := o.Receive(context.Background(), "", bytes.NewReader(raw), "imap/INBOX/1/7")
	if err != nil || in.ID != "imap/INBOX/1/7" || len(in.Events) != 1 {
		t.Fatalf("%+v %v", in, err)
	}
	if e := in.Events[0].Evidence; e.ErrorCode != 902 || !strings.Contains(e.ErrorLabel, "patient inconnu") || !in.Events[0].Final {
		t.Errorf("evidence %+v", e)
	}
}

// What the corpus holds that the outbox cannot match, and why: stored,
// never guessed.
func TestReceiptCorpusUnmatched(t *testing.T) {
	testenv.Shared(t, "mail")
	shared := testenv.NewSharedFiles(t)
	for _, tc := range []struct{ file, kind, why string }{
		// The original id is only in a vendor field (X-CERN-Original-Message-Id).
		{"receipts/direct_stagent_DSNMessage.txt", KindDSN, "original id only in a vendor-specific field"},
		// A report without a status part and a returned message without id:
		// not a bounce for msc either.
		{"receipts/cpython_msg_05.eml", KindMessage, "no original id"},
		// The guide's "courriel standard" answer: the original is a placeholder.
		{"lps-mss/courriel-standard-ko-902.eml", KindMessage, "not a report; the attached original is a placeholder"},
	} {
		p := shared.Path("mail", tc.file)
		if p == "" {
			continue
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		o := mustOpen(t, "sqlite:"+filepath.Join(t.TempDir(), "o.db"), nil)
		sentMessage(t, o, "9501051053.aa04167@IETF.CNRI.Reston.VA.US", true, true, "carol@ivory.edu")
		in, err := o.Receive(context.Background(), "", bytes.NewReader(raw), "")
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if in.Kind != tc.kind || in.MessageID != "" || len(in.Events) != 0 {
			t.Errorf("%s (%s): %+v", tc.file, tc.why, in)
		}
	}
	shared.Done()
}

// The sisimai corpus: real bounces from many MTAs, with sisimai's verdict
// per failed recipient. Each bounce that names its original is matched to
// it, and each recipient it reports as failed becomes failed, 4.x.x
// "expired" included (the MTA gave up): the count of failed recipients
// agrees with sisimai's on every bounce that names its original. Without
// expected.json (only ../shared/testdata holds it) there is nothing to check.
func TestReceiptCorpusSisimai(t *testing.T) {
	dir := testenv.Shared(t, "mail", "bounces", "sisimai")
	var expected map[string][][]string
	data, err := os.ReadFile(testenv.Shared(t, "mail", "bounces", "sisimai", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &expected); err != nil {
		t.Fatal(err)
	}
	o := &Outbox{opts: (&Options{}).withDefaults()}
	names := make([]string, 0, len(expected))
	for f := range expected {
		names = append(names, f)
	}
	slices.Sort(names)
	matched, agree, noID := 0, 0, 0
	for _, f := range names {
		raw, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		a := o.analyse(raw)
		if len(a.ids) == 0 {
			noID++
			t.Logf("%s: no original id in the bounce", f)
			continue
		}
		var to []string
		if a.report != nil {
			for _, r := range a.report.Recipients {
				if n := normAddress(r.FinalRecipient); n != "" && !slices.Contains(to, n) {
					to = append(to, n)
				}
			}
		} else if a.bounce != nil {
			for _, r := range a.bounce.Recipients {
				if n := normAddress(r.Recipient); n != "" && !slices.Contains(to, n) {
					to = append(to, n)
				}
			}
		}
		if len(to) == 0 {
			to = []string{"someone@example.org"} // matched as the only recipient
		}
		ob := mustOpen(t, "sqlite:"+filepath.Join(t.TempDir(), "o.db"), nil)
		id := normMessageID(a.ids[0].id)
		sentMessage(t, ob, id, false, false, to...)
		in, err := ob.Receive(context.Background(), "", bytes.NewReader(raw), "")
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if in.MessageID != id {
			t.Errorf("%s: not matched to %s (%+v)", f, id, in)
			continue
		}
		matched++
		m, _ := ob.Status(context.Background(), id)
		failed := 0
		for _, r := range m.Recipients {
			switch r.Status {
			case StatusFailed:
				failed++
			case StatusSubmitted:
			default:
				t.Errorf("%s: %s became %s", f, r.Address, r.Status)
			}
		}
		if failed == len(expected[f]) {
			agree++
		} else {
			t.Errorf("%s: %d recipients failed, sisimai reports %d", f, failed, len(expected[f]))
		}
	}
	t.Logf("%d bounces: %d matched to their message, %d with sisimai's count of failed recipients, %d without an original id",
		len(names), matched, agree, noID)
	if matched < len(names)-noID {
		t.Errorf("%d bounces naming their original were not matched", len(names)-noID-matched)
	}
}

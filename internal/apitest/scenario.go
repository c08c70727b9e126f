package apitest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/internal/samplepdf"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/serve"
)

// The test identities: the public ANS test patient (ins.md §8.1) under the
// test NIR authority, fictitious professional and structure numbers.
const (
	TestINS    = "279035121518989"
	TestINSOID = "1.2.250.1.213.1.4.10"
	TestRPPS   = "10001234565"
	TestFINESS = "750000002"
	// DocumentIDRoot is a placeholder OID (1.2.250.1.999 is not registered).
	DocumentIDRoot = "1.2.250.1.999.1.1.1"
)

// Request returns the metadata of a laboratory report sent from one
// mailbox to others, for the public test patient, asking for a read
// receipt.
func Request(from string, to ...string) *serve.SendRequest {
	start := time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC)
	return &serve.SendRequest{
		Sender:      serve.SenderInfo{Address: from, Type: "APP", Entity: "Laboratoire Test", NIL: "DEV000000"},
		To:          to,
		Text:        "Bonjour,\n\nVeuillez trouver le compte rendu d'examens biologiques.\n\nLaboratoire Test",
		ReadReceipt: true,
		Patient: serve.PatientInfo{INS: TestINS, OID: TestINSOID, Status: "QUAL", BirthName: "PAT-TROIS",
			BirthGivenNames: "DOMINIQUE MARIE-LOUISE", BirthDate: "1979-03-28", Sex: "F", BirthPlace: "51215"},
		Document: serve.DocumentInfo{
			Type:            cda.Code{Code: "11502-2", CodeSystem: cda.OIDLOINC, DisplayName: "CR d'examens biologiques"},
			Title:           "Compte rendu d'examens biologiques",
			ServiceStart:    start,
			PracticeSetting: cda.Code{Code: "ETABLISSEMENT", CodeSystem: "1.2.250.1.213.1.1.4.9"},
			FacilityType:    cda.Code{Code: "SA01", CodeSystem: "1.2.250.1.71.4.2.4", DisplayName: "Etablissement public de santé"},
			Author: serve.Author{RPPS: TestRPPS, Civility: "MME", Title: "DR", Given: "Marie", Family: "MARTIN",
				Specialty: cda.Code{Code: "G15_10/SM26", CodeSystem: "1.2.250.1.213.1.1.4.5"}},
			Organization: serve.Org{FINESS: TestFINESS, Name: "Laboratoire Test"},
		},
	}
}

// PDF is a small valid PDF/A-1b identified report.
func PDF() []byte {
	return samplepdf.New("Compte rendu d'examens biologiques", []string{"Patient fictif PAT-TROIS Dominique", "Glycémie : 0,95 g/l"}, 0)
}

// Send posts a document and returns the status, headers and body.
func (c *Client) Send(req *serve.SendRequest, pdf []byte, headers ...string) (int, http.Header, []byte) {
	c.T.Helper()
	body, ct := Multipart(c.T, req, pdf, "cr-biologie.pdf")
	return c.Do(http.MethodPost, "/v1/messages", ct, body, headers...)
}

// Accepted posts a document and fails unless it is accepted.
func (c *Client) Accepted(req *serve.SendRequest, pdf []byte, headers ...string) *serve.Accepted {
	c.T.Helper()
	status, h, b := c.Send(req, pdf, headers...)
	if status != http.StatusAccepted {
		c.T.Fatalf("POST /v1/messages: %d: %s", status, b)
	}
	var a serve.Accepted
	if err := json.Unmarshal(b, &a); err != nil {
		c.T.Fatal(err)
	}
	if h.Get("Location") != "/v1/messages/"+url.PathEscape(a.ID) && h.Get("Location") != "/v1/messages/"+a.ID {
		c.T.Errorf("Location %q for id %q", h.Get("Location"), a.ID)
	}
	return &a
}

// Status returns a message's status.
func (c *Client) Status(id string) *serve.Message {
	c.T.Helper()
	var m serve.Message
	c.JSON(http.MethodGet, "/v1/messages/"+url.PathEscape(id), nil, http.StatusOK, &m)
	return &m
}

// WaitStatus polls a message until its recipient has status want.
func (c *Client) WaitStatus(id, recipient string, want delivery.Status, timeout time.Duration) *serve.Message {
	c.T.Helper()
	deadline := time.Now().Add(timeout)
	for {
		m := c.Status(id)
		for _, r := range m.Recipients {
			if r.Address == recipient && r.Status == want {
				return m
			}
		}
		if time.Now().After(deadline) {
			js, _ := json.MarshalIndent(m, "", " ")
			c.T.Fatalf("%s to %s: not %s after %v:\n%s", id, recipient, want, timeout, js)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Count returns the number of messages in the outbox.
func (c *Client) Count() int {
	c.T.Helper()
	var l serve.MessageList
	c.JSON(http.MethodGet, "/v1/messages", nil, http.StatusOK, &l)
	return len(l.Messages)
}

// SSE is one event of a stream.
type SSE struct {
	ID    int64
	Event delivery.Event
}

// Events reads GET /v1/events?follow=false (with query and headers).
func (c *Client) Events(query string, headers ...string) []SSE {
	c.T.Helper()
	status, h, b := c.Do(http.MethodGet, "/v1/events?follow=false&"+query, "", nil, headers...)
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/event-stream") {
		c.T.Fatalf("GET /v1/events: %d %s: %s", status, h.Get("Content-Type"), b)
	}
	return ParseSSE(c.T, b)
}

// ParseSSE parses a Server-Sent Events stream of the service.
func ParseSSE(t testing.TB, b []byte) []SSE {
	t.Helper()
	var out []SSE
	var cur SSE
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.ID != 0 {
				out = append(out, cur)
			}
			cur = SSE{}
		case strings.HasPrefix(line, "id: "):
			cur.ID, _ = strconv.ParseInt(line[4:], 10, 64)
		case strings.HasPrefix(line, "data: "):
			if err := json.Unmarshal([]byte(line[6:]), &cur.Event); err != nil {
				t.Fatalf("SSE data %q: %v", line, err)
			}
		}
	}
	return out
}

// Types lists the event types of a stream.
func Types(evs []SSE) string {
	var out []string
	for _, e := range evs {
		out = append(out, string(e.Event.Type))
	}
	return strings.Join(out, " ")
}

// Loop runs the whole loop against a running service whose sender and
// recipient are mailboxes of the embedded operator, the recipient
// answering "processed" MDNs: send → delivered → processed, the events
// resumed by id, the recipient's inbox with the verified archive and its
// documents, and the ack with its MDN. It returns the message id.
func (c *Client) Loop(from, to string) string {
	c.T.Helper()
	before := c.Count()
	req := Request(from, to)
	a := c.Accepted(req, PDF(), "Idempotency-Key", "loop-1")
	if a.Existing || len(a.Recipients) != 1 || a.Recipients[0].Address != to {
		c.T.Fatalf("accepted %+v", a)
	}
	// A retried POST with the same key gets the first message back.
	again := c.Accepted(req, PDF(), "Idempotency-Key", "loop-1")
	if !again.Existing || again.ID != a.ID {
		c.T.Errorf("replayed POST: %+v, want the first message %s", again, a.ID)
	}
	if n := c.Count(); n != before+1 {
		c.T.Errorf("%d messages after the replay, want %d", n, before+1)
	}
	m := c.WaitStatus(a.ID, to, delivery.StatusProcessed, 2*time.Minute)
	r := m.Recipients[0]
	if !r.Final || !m.Final {
		c.T.Errorf("processed but not final: %+v", m)
	}
	// The DSN "delivered" and the MDN "processed" may come in either
	// order: a DSN after the MDN is recorded as late (status unchanged).
	var types []string
	dsn := false
	for _, e := range r.History {
		types = append(types, string(e.Type))
		dsn = dsn || e.Evidence.DSNAction == "delivered"
	}
	if got := strings.Join(types, " "); !strings.HasPrefix(got, "queued sending submitted ") || !strings.Contains(got, "processed") {
		c.T.Errorf("history %q", got)
	}
	if !dsn {
		// Wait for the DSN, a moment behind the MDN.
		deadline := time.Now().Add(time.Minute)
		for !dsn && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
			for _, e := range c.Status(a.ID).Recipients[0].History {
				dsn = dsn || e.Evidence.DSNAction == "delivered"
			}
		}
		if !dsn {
			c.T.Errorf("no DSN delivered recorded: %q", strings.Join(types, " "))
		}
	}

	// The events of the message, then resumed after the second one.
	evs := c.Events("message=" + url.QueryEscape(a.ID))
	if got := Types(evs); !strings.HasPrefix(got, "queued sending submitted ") || !strings.Contains(got, " processed") {
		c.T.Errorf("events %q", got)
	}
	for i, e := range evs {
		if e.ID != e.Event.ID || (i > 0 && e.ID <= evs[i-1].ID) || e.Event.MessageID != a.ID {
			c.T.Errorf("event %d: %+v", i, e)
		}
	}
	if len(evs) >= 3 {
		rest := c.Events("message="+url.QueryEscape(a.ID), "Last-Event-ID", strconv.FormatInt(evs[1].ID, 10))
		if len(rest) != len(evs)-2 || rest[0].ID != evs[2].ID {
			c.T.Errorf("resumed after %d: %s, want %s", evs[1].ID, Types(rest), Types(evs[2:]))
		}
	}

	// The recipient's inbox: the message, its patient, its documents.
	var box serve.InboxList
	var in *serve.InboxMessage
	deadline := time.Now().Add(time.Minute)
	for in == nil {
		c.JSON(http.MethodGet, "/v1/inbox?mailbox="+url.QueryEscape(to), nil, http.StatusOK, &box)
		for _, x := range box.Messages {
			if x.MessageID == a.ID {
				in = x
			}
		}
		if in == nil {
			if time.Now().After(deadline) {
				all := c.JSON(http.MethodGet, "/v1/inbox?acked=true&receipts=true", nil, http.StatusOK, nil)
				c.T.Fatalf("the message never reached the inbox of %s: %+v; all: %.3000s", to, box, all)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	if in.Archive == nil || !in.Archive.Verified || in.PatientINS == nil || string(in.PatientINS.Matricule) != TestINS ||
		in.From != from || in.MDNRequestedTo != from || len(in.Documents) != 2 {
		js, _ := json.MarshalIndent(in, "", " ")
		c.T.Fatalf("inbox message:\n%s", js)
	}
	for _, d := range in.Documents {
		status, h, b := c.Do(http.MethodGet, d.URL, "", nil)
		switch {
		case status != http.StatusOK || len(b) != d.Size:
			c.T.Errorf("%s: %d, %d bytes, want %d", d.URL, status, len(b), d.Size)
		case d.Source == "archive" && (!bytes.Contains(b, []byte("<ClinicalDocument")) || d.Metadata == nil || d.Metadata.TypeCode.Code != "11502-2"):
			c.T.Errorf("%s (%s): not the CDA: %.200s", d.URL, h.Get("Content-Type"), b)
		case d.Source == "attachment" && !bytes.HasPrefix(b, []byte("%PDF-")):
			c.T.Errorf("%s: not the PDF", d.URL)
		}
	}
	var ack serve.AckResult
	c.JSON(http.MethodPost, fmt.Sprintf("/v1/inbox/%d/ack", in.ID), serve.AckRequest{MDN: "processed"}, http.StatusOK, &ack)
	if ack.MDN == "" || ack.Ack == nil || ack.Ack.Disposition != "processed" {
		c.T.Fatalf("ack %+v", ack)
	}
	// The same ack again is answered the same; another is a conflict.
	var again2 serve.AckResult
	c.JSON(http.MethodPost, fmt.Sprintf("/v1/inbox/%d/ack", in.ID), serve.AckRequest{MDN: "processed"}, http.StatusOK, &again2)
	if again2.MDN != ack.MDN {
		c.T.Errorf("second ack %+v, want %+v", again2, ack)
	}
	c.JSON(http.MethodPost, fmt.Sprintf("/v1/inbox/%d/ack", in.ID), serve.AckRequest{MDN: "error", ErrorCode: 902}, http.StatusConflict, nil)
	c.WaitStatus(ack.MDN, from, delivery.StatusSubmitted, time.Minute)
	c.JSON(http.MethodGet, "/v1/inbox?mailbox="+url.QueryEscape(to), nil, http.StatusOK, &box)
	for _, x := range box.Messages {
		if x.ID == in.ID {
			c.T.Errorf("acknowledged message %d still in the inbox", in.ID)
		}
	}
	return a.ID
}

// Refusals posts what must be refused with 422 and nothing enqueued: a
// recipient outside the trust space, a bad INS key, a malformed PDF.
func (c *Client) Refusals(from, to string) {
	c.T.Helper()
	before := c.Count()
	cases := []struct {
		name, rule string
		req        func() *serve.SendRequest
		pdf        []byte
	}{
		{"recipient outside the trust space", "MSS-TRUST-SPACE", func() *serve.SendRequest { return Request(from, to, "someone@gmail.com") }, PDF()},
		{"bad INS key", "INS-KEY", func() *serve.SendRequest {
			r := Request(from, to)
			r.Patient.INS = "279035121518988"
			return r
		}, PDF()},
		{"malformed PDF", "SERVE-PDF", func() *serve.SendRequest { return Request(from, to) }, []byte("%PDF-1.4\n1 0 obj << /Type /Catalog")},
	}
	for _, tc := range cases {
		status, h, b := c.Send(tc.req(), tc.pdf)
		if status != http.StatusUnprocessableEntity || h.Get("Content-Type") != "application/problem+json" {
			c.T.Errorf("%s: %d %s: %s", tc.name, status, h.Get("Content-Type"), b)
			continue
		}
		if p := Problem(c.T, b); !HasRule(p, tc.rule) || p.Status != 422 {
			c.T.Errorf("%s: no %s finding: %s", tc.name, tc.rule, b)
		}
	}
	if n := c.Count(); n != before {
		c.T.Errorf("%d messages after the refusals, want %d: something was enqueued", n, before)
	}
}

package msc

import (
	"regexp"
	"strings"

	"github.com/mssante-go/sdk/mssante"
)

// This file reads bounces that carry no report: the recipients and their
// status from the text, and the text tied to each recipient.

var (
	// A Postfix recipient paragraph: "<addr>: host ... said: ...", or
	// "<addr> (expanded from <alias>): ...".
	postfixRcpt = regexp.MustCompile(`(?m)^<([^<>\s@]+@[^<>\s@]+)>`)
	// A line that starts with an address (Exim's indented list, qmail,
	// Office 365's "addr (addr)"), alone or followed by a comment,
	// "...", ":" or ",".
	lineRcpt = regexp.MustCompile(`(?m)^[ \t]*<?([A-Za-z0-9._%+'=-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)>?[ \t\r]*(?:$|\(|\.\.\.|:|,)`)
	// An address named as the failed recipient in a sentence.
	phraseRcpt  = regexp.MustCompile(`(?i)(?:recipients?|destinataires?|delivered to|is full|adresse)\s*:?\s*<?"?([A-Za-z0-9._%+'=-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)`)
	patientRcpt = regexp.MustCompile(`(?i)[a-z0-9._+-]+@patient\.mssante\.fr\b`)
	quotedMsgID = regexp.MustCompile(`(?im)^\s*Message-ID:\s*(<[^<>]+>)`)
	smtpReply   = regexp.MustCompile(`(?:^|[\s:\[(])([45])\d\d[ -]`)
)

// returnedMarkers start the copy of the returned message that some mail
// systems write in the text itself (Exim, sendmail, qmail).
var returnedMarkers = []string{
	"this is a copy of the message", "message text follows", "original message follows",
	"below this line is a copy of the message", "----- original message -----",
	"------ this is a copy", "unsent message below", "the original message was",
}

// ownText cuts a bounce text where the returned message starts.
func ownText(text string) string {
	l := strings.ToLower(text)
	cut := len(text)
	for _, m := range returnedMarkers {
		if i := strings.Index(l, m); i >= 0 && i < cut {
			cut = i
		}
	}
	return text[:cut]
}

// delayWords say that a plain bounce is a delay notice, not a failure.
var delayWords = []string{
	"has not yet been delivered", "not yet been delivered", "will continue", "still being retried",
	"delivery delayed", "message delayed", "delayed mail", "temporarily deferred", "remise différée", "retardé",
}

// textEvidence finds the recipients of a bounce without a report: the
// addresses its text names as failed (Postfix, Exim, Office 365, Mon
// Espace Santé...), each with the status of its own paragraph. A text that
// names no recipient but is a bounce (mail system sender or bounce subject)
// with a known text or a status gives one recipient without an address.
func textEvidence(m []textMatcher, bm *bounceMail, norm normMemo) []evidence {
	subject := norm.get(bm.subject)
	if isSuccessSubject(subject) || !looksLikeBounce(bm) && !matchesAny(m, norm.get(bm.text)) {
		return nil
	}
	text := ownText(bm.text)
	// Something must say that delivery failed or is delayed: the subject,
	// a failure status, or a known text.
	if !looksLikeBounceSubject(subject) && textStatus(text) == "" && !matchesAny(m, norm.get(text)) {
		return nil
	}
	exclude := map[string]bool{strings.ToLower(bm.from): true}
	for _, a := range bm.to {
		exclude[a] = true
	}
	var addrs []string
	seen := map[string]bool{}
	add := func(a string) {
		a = mssante.NormalizeAddress(a)
		k := strings.ToLower(a)
		local, _, _ := strings.Cut(k, "@")
		if a == "" || seen[k] || exclude[k] || local == "postmaster" || local == "mailer-daemon" {
			return
		}
		seen[k] = true
		addrs = append(addrs, a)
	}
	for _, re := range []*regexp.Regexp{postfixRcpt, lineRcpt, phraseRcpt} {
		for _, sm := range re.FindAllStringSubmatch(text, 32) {
			add(sm[1])
		}
	}
	for _, a := range patientRcpt.FindAllString(text, 32) {
		add(a)
	}
	outcome := mssante.ActionFailed
	lt := norm.get(text) + " " + subject
	for _, w := range delayWords {
		if strings.Contains(lt, norm.get(w)) {
			outcome = mssante.ActionDelayed
			break
		}
	}
	paras := paragraphs(text)
	var out []evidence
	for _, a := range addrs {
		st := textStatus(tiedText(paras, a, addrs))
		if st == "" && len(addrs) == 1 {
			st = textStatus(text)
		}
		out = append(out, evidence{recipient: a, outcome: outcome, status: st, reportedStatus: st})
	}
	if len(out) == 0 {
		// No recipient named: a bounce all the same when a known text or
		// a failure status says so, or when both its sender and its
		// subject are a mail system's (a multipart/report alone is not
		// enough: it may be any report).
		st := textStatus(text)
		if st == "" && !matchesAny(m, norm.get(text)) && !(isSystemSender(bm.from) && looksLikeBounceSubject(subject)) {
			return nil
		}
		out = append(out, evidence{outcome: outcome, status: st, reportedStatus: st})
	}
	return out
}

// textStatus returns the status a text gives: its first enhanced code of
// class 4 or 5, else the class of its first SMTP reply code ("550 ..."
// gives "5.0.0"), else "".
func textStatus(text string) string {
	for _, c := range mssante.EnhancedCodes(text) {
		if c[0] == '4' || c[0] == '5' {
			return c
		}
	}
	if sm := smtpReply.FindStringSubmatch(text); sm != nil {
		return sm[1] + ".0.0"
	}
	return ""
}

// matchesAny reports whether a normalised text holds a text of the table.
func matchesAny(m []textMatcher, body string) bool {
	for i := range m {
		if _, ok := m[i].match(body); ok {
			return true
		}
	}
	return false
}

// paragraphs splits a text on blank lines.
func paragraphs(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var out []string
	for _, p := range strings.Split(text, "\n\n") {
		if strings.TrimSpace(p) != "" {
			out = append(out, p)
		}
	}
	return out
}

// tiedText returns the paragraphs that name rcpt and no other of the
// recipients: the text that can be tied to that recipient.
func tiedText(paras []string, rcpt string, all []string) string {
	var b strings.Builder
	lr := strings.ToLower(rcpt)
	for _, p := range paras {
		lp := strings.ToLower(p)
		if !strings.Contains(lp, lr) {
			continue
		}
		other := false
		for _, a := range all {
			if la := strings.ToLower(a); la != lr && la != "" && strings.Contains(lp, la) {
				other = true
				break
			}
		}
		if !other {
			b.WriteString(p)
			b.WriteString("\n\n")
		}
	}
	return b.String()
}

// bounceSubjects are (normalised) subjects of returned messages.
var bounceSubjects = []string{
	"undelivered mail", "undeliverable", "delivery status notification", "delivery failure",
	"mail delivery failed", "returned mail", "failure notice", "non distribue", "non remis",
	"echec de la remise", "message non delivre", "delivery notification", "mail failed",
	"delivery has failed", "could not be delivered",
}

// successSubjects mark a report of success ("Delivery Status Notification
// (Success)", "Delivery Notification (success)"), never a bounce.
var successSubjects = []string{"success", "succes", "relayed", "expanded", "displayed"}

func isSuccessSubject(s string) bool {
	for _, p := range successSubjects {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

func looksLikeBounceSubject(s string) bool {
	if isSuccessSubject(s) {
		return false
	}
	for _, p := range bounceSubjects {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// looksLikeBounce reports whether a message without a report is still a
// bounce: sent by a mail system, in a multipart/report, or with a bounce
// subject.
func looksLikeBounce(bm *bounceMail) bool {
	if strings.EqualFold(bm.contentType, "multipart/report") {
		return true
	}
	return isSystemSender(bm.from) || looksLikeBounceSubject(normalizeText(bm.subject))
}

// isSystemSender reports whether a bounce's From is a mail system's
// (MAILER-DAEMON, postmaster) or missing.
func isSystemSender(from string) bool {
	from = strings.ToLower(from)
	return from == "" || strings.Contains(from, "mailer-daemon") || strings.Contains(from, "postmaster")
}

func quotedMessageID(text string) string {
	if sm := quotedMsgID.FindStringSubmatch(text); sm != nil {
		return mssante.NormalizeMessageID(sm[1])
	}
	return ""
}

package smtpclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mssante-go/sdk/mailaddr"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

// Send submits msg to every recipient of env and reports the outcome per
// recipient (see mssante.Transport). Each address is sent in its wire form,
// mailaddr.Normalize's (domain in lower-case ASCII): the sender's must be
// valid (ErrInvalidEnvelope), a recipient's that is not, or that the
// RecipientChecker refuses (it is given the wire form), is reported as a
// permanent failure without being sent to the server. The error is nil when every recipient accepted the message, a
// *mssante.PartialError when some did not (with the result listing all of
// them), and another error, with a nil result, when the envelope is invalid
// or the server could not be reached or refused the session (*tlsauth.ConnError).
//
// When the session fails after it was opened, what is known decides the
// status of the recipients the server had accepted at RCPT: a failure
// before the final dot of DATA was written (the message is incomplete, the
// server discards it) makes them mssante.StatusTemporaryFailure with a
// *tlsauth.ConnError, safe to send again; a failure from the moment the
// final dot is written until the server's reply (connection lost, reply
// timeout, context ended) makes them mssante.StatusUnknown with an
// *mssante.UnknownOutcomeError wrapping the *tlsauth.ConnError: the message
// may have been delivered.
//
// A session from the pool is reused when one is idle; a pooled session that
// turns out to be closed by the server is replaced once, transparently,
// before any byte of the message was read.
func (c *Client) Send(ctx context.Context, env *mssante.Envelope, msg io.Reader) (*mssante.SendResult, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	w, err := wireEnvelope(env)
	if err != nil {
		return nil, err
	}
	env = w.Envelope
	res := &mssante.SendResult{Recipients: make([]mssante.RecipientResult, len(env.To))}
	var pending []int
	for i, rcpt := range env.To {
		res.Recipients[i].Recipient = w.given[i]
		if rcpt == "" { // not a valid address
			res.Recipients[i].Status, res.Recipients[i].Err = mssante.StatusPermanentFailure, w.invalid[i]
			continue
		}
		if c.opt.RecipientChecker != nil {
			if err := c.opt.RecipientChecker.CheckRecipient(ctx, rcpt); err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				res.Recipients[i].Status = mssante.StatusPermanentFailure
				res.Recipients[i].Err = err
				continue
			}
		}
		pending = append(pending, i)
	}
	if len(pending) == 0 {
		return res, res.Err()
	}
	if err := c.pool.acquire(ctx); err != nil {
		return nil, err
	}
	defer c.pool.release()
	r := c.newRetrier(ctx, msg)
	for attempt := 0; ; attempt++ {
		cn, reused := c.pool.take(c.opt.IdleTimeout), true
		if cn == nil {
			var err error
			if cn, err = c.dial(ctx); err != nil {
				if r.again(err, false) {
					continue
				}
				return nil, err
			}
			reused = false
		}
		ph, err := c.transact(ctx, cn, env, pending, res, msg)
		if err == nil && !cn.broken && !c.closed.Load() &&
			(c.opt.MaxMessagesPerConn <= 0 || cn.messages < c.opt.MaxMessagesPerConn) {
			c.pool.put(cn)
		} else if err == nil {
			cn.quit()
		} else {
			cn.close()
		}
		if err == nil {
			return res, res.Err()
		}
		if ph == phaseEnvelope && reused && attempt == 0 && ctx.Err() == nil {
			continue // the server closed the idle session: open a new one
		}
		var readErr *readError
		if errors.As(err, &readErr) {
			return nil, readErr.err
		}
		err = c.contextError(ctx, err)
		// The session was open: a failure before the final dot is network
		// trouble, safe to retry (the server discards an incomplete
		// message); from the final dot on, the outcome is unknown.
		ce := c.connError("send", err)
		ce.Retry = true
		if ph != phaseFinalDot && r.again(ce, ph == phaseContent) {
			continue // the server discards an incomplete message: safe to send again
		}
		status, rerr := mssante.StatusTemporaryFailure, error(ce)
		if ph == phaseFinalDot {
			status, rerr = mssante.StatusUnknown, &mssante.UnknownOutcomeError{Err: ce}
		}
		for _, i := range pending {
			if rr := &res.Recipients[i]; rr.Err == nil && rr.Status == mssante.StatusAccepted {
				rr.Status, rr.Err = status, rerr
			}
		}
		return res, res.Err()
	}
}

// retrier decides whether Send tries again after a failure of the
// connection (Options.Retry), and waits the backoff.
type retrier struct {
	c       *Client
	ctx     context.Context
	b       *tlsauth.Backoff
	retries int
	msg     io.Reader
	start   int64 // offset of msg at the start, -1 when it cannot be read again
}

func (c *Client) newRetrier(ctx context.Context, msg io.Reader) *retrier {
	r := &retrier{c: c, ctx: ctx, b: c.opt.Retry.Backoff(), msg: msg, start: -1}
	if s, ok := msg.(io.Seeker); ok {
		if pos, err := s.Seek(0, io.SeekCurrent); err == nil {
			r.start = pos
		}
	}
	return r
}

// again reports whether to try again after err (a *tlsauth.ConnError),
// having waited the backoff: the failure is the connection's, attempts
// are left, and the server has not received part of the message, or the
// message can be read again from its start (written tells whether DATA
// had begun).
func (r *retrier) again(err error, written bool) bool {
	ce, ok := errors.AsType[*tlsauth.ConnError](err)
	if !ok || !ce.Retry || r.retries >= r.c.opt.Retry.Attempts || r.ctx.Err() != nil {
		return false
	}
	if written {
		s, ok := r.msg.(io.Seeker)
		if !ok || r.start < 0 {
			return false
		}
		if _, err := s.Seek(r.start, io.SeekStart); err != nil {
			return false
		}
	}
	r.retries++
	r.c.ep.Logger.LogAttrs(r.ctx, slog.LevelWarn, "smtp session failed, retrying",
		slog.Int("retry", r.retries), slog.String("error", ce.Error()))
	return r.b.Wait(r.ctx)
}

// contextError returns ctx's error when it ended the session, also when
// the connection deadline derived from ctx fired a moment before ctx did.
func (c *Client) contextError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	if dl, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) && time.Until(dl) < c.opt.CommandTimeout {
		return fmt.Errorf("%w (%v)", context.DeadlineExceeded, err)
	}
	return err
}

// phase is how far a transaction went when its session failed.
type phase int

const (
	// phaseEnvelope: MAIL, RCPT or the DATA command; no byte of the
	// message was sent.
	phaseEnvelope phase = iota
	// phaseContent: the message was being written, without its final dot:
	// the server discards an incomplete message.
	phaseContent
	// phaseFinalDot: the final dot was being written or had been written,
	// and no reply came back: the server may have accepted the message.
	phaseFinalDot
)

// transact runs MAIL, RCPT and DATA on cn. It fills res for the pending
// recipients when the server replied; it returns an error when the session
// failed (I/O, timeout), with the phase it failed in.
func (c *Client) transact(ctx context.Context, cn *conn, env *mssante.Envelope, pending []int, res *mssante.SendResult, msg io.Reader) (ph phase, err error) {
	stop := context.AfterFunc(ctx, func() { cn.raw.Close() })
	defer func() {
		if !stop() {
			// ctx ended and the connection is (being) closed. When every
			// command already had its reply, res holds the server's real
			// verdict (a message accepted is delivered): keep it, and only
			// drop the session.
			cn.broken = true
		}
	}()
	c.setTimeouts(ctx, cn.sc)
	for _, i := range pending {
		res.Recipients[i].Status, res.Recipients[i].Err = mssante.StatusAccepted, nil
	}
	failAll := func(idx []int, err error) {
		for _, i := range idx {
			res.Recipients[i].Status, res.Recipients[i].Err = statusOf(err), err
		}
	}
	if err := cn.sc.Mail(env.From, mailOptions(env, msg)); err != nil {
		if err = convertError(err); !isReply(err) {
			return phaseEnvelope, err
		}
		failAll(pending, err)
		return phaseEnvelope, c.endTransaction(cn, err)
	}
	var accepted []int
	for _, i := range pending {
		if err := cn.sc.Rcpt(env.To[i], rcptOptions(env, env.To[i])); err != nil {
			if err = convertError(err); !isReply(err) {
				return phaseEnvelope, err
			}
			failAll([]int{i}, err)
			if isClosing(err) {
				// The server ends the session: nobody gets the message,
				// including the recipients it accepted so far.
				cn.broken = true
				failAll(pending, err)
				return phaseEnvelope, nil
			}
			continue
		}
		accepted = append(accepted, i)
	}
	if len(accepted) == 0 {
		return phaseEnvelope, c.endTransaction(cn, nil)
	}
	w, err := cn.sc.Data()
	if err != nil {
		if err = convertError(err); !isReply(err) {
			return phaseEnvelope, err
		}
		failAll(accepted, err)
		return phaseEnvelope, c.endTransaction(cn, err)
	}
	if _, err := io.Copy(w, &readerOf{r: msg}); err != nil {
		cn.broken = true
		return phaseContent, err
	}
	// Close writes the final dot, flushes and reads the reply: from here on
	// a failure leaves the outcome unknown. (When the whole message fits in
	// the write buffer, a dead connection also fails here, before any byte
	// left: unknown is then pessimistic, never wrong.)
	if err := w.Close(); err != nil {
		if err = convertError(err); !isReply(err) {
			cn.broken = true
			return phaseFinalDot, err
		}
		failAll(accepted, err)
		if isClosing(err) {
			cn.broken = true
		}
		return phaseFinalDot, nil
	}
	cn.messages++
	c.sent.Add(1)
	return phaseFinalDot, nil
}

// endTransaction resets the session after a refused transaction, so that it
// can carry the next message; a 421 reply means the server is closing it.
func (c *Client) endTransaction(cn *conn, reply error) error {
	if isClosing(reply) {
		cn.broken = true
		return nil
	}
	if err := cn.sc.Reset(); err != nil {
		cn.broken = true
	}
	return nil
}

func isClosing(err error) bool {
	var se *mssante.SMTPError
	return errors.As(err, &se) && se.Code == 421
}

func statusOf(err error) mssante.RecipientStatus {
	if mssante.IsTemporary(err) {
		return mssante.StatusTemporaryFailure
	}
	return mssante.StatusPermanentFailure
}

// readError marks a failure to read the caller's message (not the server's
// fault): it is returned as is.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }

type readerOf struct{ r io.Reader }

func (r *readerOf) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		err = &readError{fmt.Errorf("smtpclient: reading the message: %w", err)}
	}
	return n, err
}

func mailOptions(env *mssante.Envelope, msg io.Reader) *smtp.MailOptions {
	opts := &smtp.MailOptions{}
	if l, ok := msg.(interface{ Len() int }); ok {
		opts.Size = int64(l.Len())
	}
	if !isASCII(env.From) || slices.ContainsFunc(env.To, func(s string) bool { return !isASCII(s) }) {
		opts.UTF8 = true
	}
	if d := env.DSN; d != nil {
		opts.Return = smtp.DSNReturn(strings.ToUpper(d.Return))
		opts.EnvelopeID = d.EnvelopeID
	}
	return opts
}

func rcptOptions(env *mssante.Envelope, rcpt string) *smtp.RcptOptions {
	d := env.DSN
	if d == nil {
		return nil
	}
	opts := &smtp.RcptOptions{}
	for _, n := range d.Notify {
		opts.Notify = append(opts.Notify, smtp.DSNNotify(strings.ToUpper(n)))
	}
	if d.OriginalRecipient {
		opts.OriginalRecipientType = smtp.DSNAddressTypeRFC822
		if !isASCII(rcpt) {
			opts.OriginalRecipientType = smtp.DSNAddressTypeUTF8
		}
		opts.OriginalRecipient = rcpt
	}
	return opts
}

// wire is an envelope in its wire form: To[i] is the normalised form of
// given[i], "" when invalid[i] says why it has none.
type wire struct {
	*mssante.Envelope
	given   []string
	invalid []error
}

// wireEnvelope checks env and returns it in its wire form (mailaddr.Normalize),
// refusing what go-smtp would send broken or refuse late. The caller's
// envelope is not modified.
func wireEnvelope(env *mssante.Envelope) (*wire, error) {
	if env == nil {
		return nil, fmt.Errorf("%w: nil envelope", ErrInvalidEnvelope)
	}
	from, err := mailaddr.Normalize(env.From)
	if err != nil {
		return nil, fmt.Errorf("%w: sender: %w", ErrInvalidEnvelope, err)
	}
	if len(env.To) == 0 {
		return nil, fmt.Errorf("%w: no recipient", ErrInvalidEnvelope)
	}
	if err := checkDSN(env.DSN); err != nil {
		return nil, err
	}
	w := &wire{Envelope: &mssante.Envelope{From: from, To: make([]string, len(env.To)), DSN: env.DSN},
		given: env.To, invalid: make([]error, len(env.To))}
	for i, to := range env.To {
		w.To[i], w.invalid[i] = mailaddr.Normalize(to)
	}
	return w, nil
}

// checkDSN refuses a DSN request go-smtp would send broken.
func checkDSN(d *mssante.DSNRequest) error {
	if d != nil {
		switch strings.ToUpper(d.Return) {
		case "", "FULL", "HDRS":
		default:
			return fmt.Errorf("%w: DSN RET=%q (want FULL or HDRS)", ErrInvalidEnvelope, d.Return)
		}
		never := false
		for _, n := range d.Notify {
			switch strings.ToUpper(n) {
			case "SUCCESS", "FAILURE", "DELAY":
			case "NEVER":
				never = true
			default:
				return fmt.Errorf("%w: DSN NOTIFY=%q", ErrInvalidEnvelope, n)
			}
		}
		if never && len(d.Notify) > 1 {
			return fmt.Errorf("%w: DSN NOTIFY=NEVER must be alone", ErrInvalidEnvelope)
		}
		for _, r := range d.EnvelopeID {
			if r < 0x21 || r > 0x7e {
				return fmt.Errorf("%w: DSN ENVID must be printable ASCII", ErrInvalidEnvelope)
			}
		}
		if len(d.EnvelopeID) > 100 {
			return fmt.Errorf("%w: DSN ENVID longer than 100 characters (RFC 3461)", ErrInvalidEnvelope)
		}
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

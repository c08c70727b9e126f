package imapclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
	goimapclient "github.com/emersion/go-imap/v2/imapclient"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

// Receive hands every new message of the mailbox to h, oldest first, and
// marks it \Seen (or moves it to Options.MoveTo) once h returned nil. It
// returns when the messages that were new when it started are all handled,
// with the number handled, or at the first error: a *HandlerError when h
// failed (that message and the next ones stay new) or a *tlsauth.ConnError. The
// message body given to h is valid only until h returns.
func (c *Client) Receive(ctx context.Context, h func(ctx context.Context, m *mssante.Received) error) error {
	_, err := c.ReceiveCount(ctx, h)
	return err
}

// ReceiveCount is Receive, also returning how many messages h accepted.
func (c *Client) ReceiveCount(ctx context.Context, h func(ctx context.Context, m *mssante.Received) error) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.closed:
		return 0, ErrClosed
	default:
	}
	n, err := c.receive(ctx, h)
	var ce *tlsauth.ConnError
	if errors.As(err, &ce) || ctx.Err() != nil {
		// The session may be in any state: start afresh next time.
		c.drop(false)
	}
	return n, err
}

func (c *Client) receive(ctx context.Context, h func(ctx context.Context, m *mssante.Received) error) (int, error) {
	ic, err := c.session(ctx)
	if err != nil {
		return 0, err
	}
	uids, err := c.newUIDs(ctx, ic)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, uid := range uids {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		found, err := c.handleOne(ctx, ic, uid, h)
		if err != nil {
			return n, err
		}
		if !found {
			continue // expunged meanwhile
		}
		if err := c.markDone(ctx, ic, uid); err != nil {
			return n, err
		}
		if c.opt.Cursor != nil {
			if err := c.opt.Cursor.Save(ctx, c.opt.Mailbox, c.validity, uint32(uid)); err != nil {
				return n, fmt.Errorf("imapclient: saving the cursor: %w", err)
			}
		}
		n++
	}
	return n, nil
}

// newUIDs lists the messages to hand over: unseen ones, or all of them
// (but deleted ones) when messages are moved away once handled.
func (c *Client) newUIDs(ctx context.Context, ic *goimapclient.Client) ([]imap.UID, error) {
	criteria := &imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagDeleted}}
	var after imap.UID
	if c.opt.Cursor != nil {
		validity, last, err := c.opt.Cursor.Load(ctx, c.opt.Mailbox)
		if err != nil {
			return nil, fmt.Errorf("imapclient: loading the cursor: %w", err)
		}
		if validity == c.validity {
			after = imap.UID(last)
		}
		// A new UIDVALIDITY renumbered the mailbox: start from the
		// beginning (the new ids differ, so the caller sees new messages).
		var set imap.UIDSet
		set.AddRange(after+1, 0)
		criteria.UID = []imap.UIDSet{set}
	} else if c.opt.MoveTo == "" {
		criteria.NotFlag = append(criteria.NotFlag, imap.FlagSeen)
	}
	data, err := command(c, ctx, ic, func() (*imap.SearchData, error) { return ic.UIDSearch(criteria, nil).Wait() })
	if err != nil {
		return nil, c.connError("search", err)
	}
	// "UID n:*" always matches the last message, even below n.
	uids := slices.DeleteFunc(data.AllUIDs(), func(u imap.UID) bool { return u <= after })
	slices.Sort(uids)
	return uids, nil
}

// handleOne fetches one message and gives it to h, streaming the body.
func (c *Client) handleOne(ctx context.Context, ic *goimapclient.Client, uid imap.UID, h func(ctx context.Context, m *mssante.Received) error) (found bool, err error) {
	id := fmt.Sprintf("%s/%d/%d", c.opt.Mailbox, c.validity, uid)
	section := &imap.FetchItemBodySection{Peek: true}
	stop := context.AfterFunc(ctx, func() { ic.Close() })
	defer func() {
		if !stop() && err == nil {
			err = ctx.Err()
		}
	}()
	cmd := ic.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{
		UID: true, RFC822Size: true, InternalDate: true,
		BodySection: []*imap.FetchItemBodySection{section},
	})
	var handlerErr error
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		m := &mssante.Received{ID: id}
		var gotUID imap.UID
		for item := msg.Next(); item != nil; item = msg.Next() {
			switch it := item.(type) {
			case goimapclient.FetchItemDataUID:
				gotUID = it.UID
			case goimapclient.FetchItemDataRFC822Size:
				m.Size = it.Size
			case goimapclient.FetchItemDataInternalDate:
				m.Date = it.Time
			case goimapclient.FetchItemDataBodySection:
				// Items come in the server's order; the body is last with
				// Dovecot and go-imap's server. Hand it over now, streamed.
				if found || (gotUID != 0 && gotUID != uid) {
					continue
				}
				m.Body = it.Literal
				found = true
				handlerErr = h(ctx, m)
			}
		}
	}
	cmdErr := cmd.Close()
	broken := false
	select {
	case <-ic.Closed():
		broken = true
	default:
	}
	if handlerErr != nil && (broken || cmdErr != nil && !isIMAPError(cmdErr)) {
		// The session broke while the handler read the body (a network cut
		// mid-FETCH): the handler failed because of it, not on its own.
		if cmdErr == nil {
			cmdErr = handlerErr
		}
		return false, c.connError("fetch", cmdErr)
	}
	if handlerErr != nil {
		return false, &HandlerError{ID: id, Err: handlerErr}
	}
	if cmdErr != nil {
		return false, c.connError("fetch", cmdErr)
	}
	return found, nil
}

func isIMAPError(err error) bool {
	var ie *imap.Error
	return errors.As(err, &ie)
}

// markDone flags the message \Seen, or moves it, once the caller stored it.
func (c *Client) markDone(ctx context.Context, ic *goimapclient.Client, uid imap.UID) error {
	set := imap.UIDSetNum(uid)
	var err error
	if c.opt.MoveTo != "" {
		_, err = command(c, ctx, ic, func() (*goimapclient.MoveData, error) { return ic.Move(set, c.opt.MoveTo).Wait() })
	} else {
		_, err = command(c, ctx, ic, func() (struct{}, error) {
			return struct{}{}, ic.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close()
		})
	}
	if err != nil {
		return c.connError("store", err)
	}
	return nil
}

// command runs f bounded by ctx and the command timeout.
func command[T any](c *Client, ctx context.Context, ic *goimapclient.Client, f func() (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opt.CommandTimeout)
	defer cancel()
	return wait(ctx, ic, f)
}

// Watch calls Receive, then waits for new mail — with IDLE when the server
// supports it, polling every PollInterval otherwise — and calls Receive
// again, until ctx ends or Receive fails for good. Every failure of the
// connection (a temporary *tlsauth.ConnError: the greeting cut, a TLS
// reset, EOF or a timeout in the middle of a command, a cut in the middle
// of a FETCH) is retried on a new session after a capped backoff
// (Options.Retry); a message whose \Seen flag was not set is handed again,
// with the same ID. Refused credentials and certificates, a mailbox that
// does not exist, and a handler's error that is not temporary end Watch
// with that error.
func (c *Client) Watch(ctx context.Context, h func(ctx context.Context, m *mssante.Received) error) error {
	b := c.opt.Retry.Backoff()
	failures := 0
	for {
		_, err := c.ReceiveCount(ctx, h)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, ErrClosed) {
			return err
		}
		if err != nil {
			failures++
			if !mssante.IsTemporary(err) || (c.opt.Retry.Attempts > 0 && failures > c.opt.Retry.Attempts) {
				return err
			}
			logRetry(ctx, c.ep.Logger, err)
			if !c.backoff(ctx, b) {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return ErrClosed
			}
			continue
		}
		b.Reset()
		failures = 0
		if err := c.waitForMail(ctx); err != nil && ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// backoff waits the next wait of b, or until ctx ends or Close is called:
// it reports whether the wait went to its end.
func (c *Client) backoff(ctx context.Context, b *tlsauth.Backoff) bool {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-c.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	return b.Wait(ctx)
}

// waitForMail returns when the server announces new messages (IDLE), after
// PollInterval without IDLE, or when ctx ends.
func (c *Client) waitForMail(ctx context.Context) error {
	c.mu.Lock()
	ic := c.ic
	c.mu.Unlock()
	if ic == nil || !ic.Caps().Has(imap.CapIdle) {
		select {
		case <-time.After(c.opt.PollInterval):
		case <-ctx.Done():
		case <-c.closed:
		}
		return ctx.Err()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// IDLE waits for the server for as long as it takes: no read timeout
	// until it ends.
	conn := c.conn
	conn.SetReadTimeout(0)
	defer conn.SetReadTimeout(c.opt.CommandTimeout)
	idle, err := ic.Idle()
	if err != nil {
		c.drop(false)
		return err
	}
	restart := time.NewTimer(c.idleRestart)
	defer restart.Stop()
	select {
	case <-c.newMail:
	case <-ctx.Done():
	case <-ic.Closed():
	case <-c.closed:
	case <-restart.C:
	}
	// Ending IDLE is bounded by CommandTimeout, also once ctx ended: a
	// server that does not answer DONE is dropped instead of hanging Watch.
	_, err = command(c, context.WithoutCancel(ctx), ic, func() (struct{}, error) {
		if err := idle.Close(); err != nil {
			return struct{}{}, err
		}
		return struct{}{}, idle.Wait()
	})
	if err != nil {
		c.drop(false)
		return err
	}
	return ctx.Err()
}

// logRetry logs a temporary failure Watch recovers from. The text of a
// handler's error is the caller's and may quote the message (a patient's
// name, a subject): only the message's ID is logged for it.
func logRetry(ctx context.Context, log *slog.Logger, err error) {
	if he, ok := errors.AsType[*HandlerError](err); ok {
		log.LogAttrs(ctx, slog.LevelWarn, "imap handler failed, retrying", slog.String("id", he.ID))
		return
	}
	log.LogAttrs(ctx, slog.LevelWarn, "imap session failed, retrying", slog.String("error", err.Error()))
}

package serve

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
)

// StreamPoll is how often an event stream reads the history when nothing
// woke it (Notify): it brings the events of other processes.
const StreamPoll = time.Second

// streamKeepAlive is the interval of the comment lines that keep an idle
// stream open through proxies.
const streamKeepAlive = 15 * time.Second

// events is GET /v1/events: the history of every recipient as a
// Server-Sent Events stream (WHATWG HTML §9.2), one event per line of the
// history, its id the event's id: a client that reconnects with
// Last-Event-ID (or ?after=ID) gets every later event, none twice.
// ?message=ID follows one message; ?follow=false ends the stream after the
// events already recorded.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from := r.Header.Get("Last-Event-ID")
	if v := q.Get("after"); v != "" {
		from = v
	}
	var after int64
	if from != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(from), 10, 64)
		if err != nil || n < 0 {
			writeProblem(w, r, http.StatusBadRequest, ProblemBadRequest, "event id %q: want a non-negative integer", from)
			return
		}
		after = n
	}
	only := ""
	if v := q.Get("message"); v != "" {
		only = mssante.NormalizeMessageID(v)
	}
	follow := q.Get("follow") != "false"
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: 2000\n\n")
	poll := time.NewTicker(StreamPoll)
	defer poll.Stop()
	idle := time.NewTimer(streamKeepAlive)
	defer idle.Stop()
	ctx := r.Context()
	for {
		wake := s.wakeup() // before the read: a commit after it wakes the loop
		evs, err := s.o.Events(ctx, after, delivery.DefaultEventsLimit)
		if err != nil {
			if ctx.Err() == nil {
				s.logError(r, "events", err)
			}
			return
		}
		for _, ev := range evs {
			after = ev.ID
			if only != "" && ev.MessageID != only {
				continue
			}
			b, _ := json.Marshal(ev)
			fmt.Fprintf(w, "id: %d\ndata: %s\n\n", ev.ID, b)
		}
		if len(evs) == delivery.DefaultEventsLimit {
			continue
		}
		if err := rc.Flush(); err != nil {
			return
		}
		if !follow {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-s.stopping:
			return
		case <-wake:
		case <-poll.C:
		case <-idle.C:
			fmt.Fprintf(w, ": keep-alive\n\n")
			idle.Reset(streamKeepAlive)
		}
	}
}

// WebhookOptions configure a webhook.
type WebhookOptions struct {
	// URL receives a POST per event (http or https).
	URL string
	// Secret signs the requests: raw bytes, or "whsec_" and their base64
	// (the Standard Webhooks form); at least 16 bytes.
	Secret string
	// Client sends the requests (default: 30 s timeout, no redirects).
	Client *http.Client
	// Now gives the time of the signatures (default time.Now).
	Now func() time.Time
}

// Webhook returns the delivery.Hook that posts each event of the history to
// a URL (give it to delivery.Options.Hooks): one POST per event, its body
// the event's JSON (as in GET /v1/events), signed as Standard Webhooks
// signs (headers webhook-id: the event id, webhook-timestamp: Unix
// seconds, webhook-signature: "v1," and the base64 HMAC-SHA256 of
// "ID.TIMESTAMP.BODY" with the secret). A 2xx answer moves on; anything
// else is retried by River with the same event id (see delivery.Hook):
// receivers drop an id they have seen.
func Webhook(opts *WebhookOptions) (delivery.Hook, error) {
	if opts == nil {
		return delivery.Hook{}, errors.New("serve: webhook: no options")
	}
	o := *opts
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return delivery.Hook{}, fmt.Errorf("serve: webhook URL %q: want http(s)://host/path", o.URL)
	}
	secret := []byte(o.Secret)
	if s, ok := strings.CutPrefix(o.Secret, "whsec_"); ok {
		if secret, err = base64.StdEncoding.DecodeString(s); err != nil {
			return delivery.Hook{}, fmt.Errorf("serve: webhook secret: whsec_ then base64: %v", err)
		}
	}
	if len(secret) < 16 {
		return delivery.Hook{}, errors.New("serve: webhook secret: at least 16 bytes")
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return delivery.Hook{
		Name:  "webhook " + u.Redacted(),
		Batch: 1,
		Deliver: func(ctx context.Context, evs []delivery.Event) error {
			for _, ev := range evs {
				if err := o.post(ctx, secret, ev); err != nil {
					return err
				}
			}
			return nil
		},
	}, nil
}

func (o *WebhookOptions) post(ctx context.Context, secret []byte, ev delivery.Event) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	id := strconv.FormatInt(ev.ID, 10)
	ts := strconv.FormatInt(o.Now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", ts)
	req.Header.Set("webhook-signature", "v1,"+SignWebhook(secret, id, ts, body))
	resp, err := o.Client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

// SignWebhook returns the base64 HMAC-SHA256 of "id.timestamp.body" with
// the secret: the signature a webhook receiver recomputes and compares (in
// constant time, hmac.Equal) with the one after "v1," in webhook-signature.
func SignWebhook(secret []byte, id, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(id + "." + timestamp + "."))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

package tlsauth

import (
	"context"
	"math/rand/v2"
	"time"
)

// Default waits of RetryOptions.
const (
	DefaultRetryMin = time.Second
	DefaultRetryMax = time.Minute
)

// RetryOptions say how a transport retries a failure of the connection
// (a *ConnError whose Retry is set: see Retryable): it waits Min before the
// first retry, twice as long before each next one, never more than Max,
// each wait drawn between its half and its whole (jitter, so that clients
// cut off together do not come back together). The zero value selects the
// defaults; each transport documents how many attempts it makes.
type RetryOptions struct {
	// Attempts bounds the retries of one operation where the transport
	// bounds them (smtpclient.Client.Send); 0 selects the transport's
	// default, a negative value disables retrying.
	Attempts int
	// Min is the first wait (default DefaultRetryMin), Max the longest
	// (default DefaultRetryMax).
	Min, Max time.Duration
}

// Backoff is the sequence of waits of RetryOptions. Its zero value is not
// usable: call RetryOptions.Backoff.
type Backoff struct {
	min, max, next time.Duration
}

// Backoff returns the waits of o, from the first.
func (o RetryOptions) Backoff() *Backoff {
	b := &Backoff{min: o.Min, max: o.Max}
	if b.min <= 0 {
		b.min = DefaultRetryMin
	}
	if b.max <= 0 {
		b.max = DefaultRetryMax
	}
	b.max = max(b.max, b.min)
	b.Reset()
	return b
}

// Reset starts again from the first wait (after a success).
func (b *Backoff) Reset() { b.next = b.min }

// Next returns the next wait and doubles the one after, up to the cap.
func (b *Backoff) Next() time.Duration {
	d := b.next
	b.next = min(2*b.next, b.max)
	return d/2 + rand.N(d/2+1)
}

// Wait sleeps the next wait, or until ctx ends: it reports whether the
// wait went to its end.
func (b *Backoff) Wait(ctx context.Context) bool {
	t := time.NewTimer(b.Next())
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

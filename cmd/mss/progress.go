package main

import (
	"flag"
	"time"

	"github.com/schollz/progressbar/v3"
)

// defaultProgressDelay is how long work runs before its bar appears: what
// ends sooner prints nothing (cmdEnv.progressDelay changes it in tests).
const defaultProgressDelay = 500 * time.Millisecond

// progress shows the advance of long work on standard error: a bar with
// the percentage, the rate and the time left (package
// github.com/schollz/progressbar/v3). It shows nothing when standard error
// is not a terminal, with --quiet, or for work done within half a second.
// A nil *progress is valid and shows nothing, so callers need no test.
//
// The library packages know nothing of it: they take a callback
// (annuaire.LoadOptions.Progress, xdm.ReadOptions.Progress) that the
// command plugs into Set. A long-running command (mss delivery run) does
// the same:
//
//	p := newProgress(env, *quiet, "sending", int64(len(queued)), false)
//	defer p.Done()
//	... p.Set(sent) after each message ...
type progress struct {
	env   *cmdEnv
	label string
	total int64
	bytes bool
	start time.Time
	delay time.Duration
	bar   *progressbar.ProgressBar
}

// quietFlag registers --quiet on a command that shows progress.
func quietFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("quiet", false, "show no progress bar (shown only when standard error is a terminal)")
}

// newProgress returns the progress of work of total units (bytes when
// bytes is true, else items; total 0 when unknown), or nil when nothing is
// to be shown.
func newProgress(env *cmdEnv, quiet bool, label string, total int64, bytes bool) *progress {
	if quiet || !env.stderrTTY {
		return nil
	}
	delay := env.progressDelay
	if delay == 0 {
		delay = defaultProgressDelay
	}
	return &progress{env: env, label: label, total: total, bytes: bytes, start: time.Now(), delay: delay}
}

// Set records that n units are done.
func (p *progress) Set(n int64) {
	if p == nil {
		return
	}
	if p.bar == nil {
		if time.Since(p.start) < p.delay {
			return
		}
		max := p.total
		if max <= 0 {
			max = -1 // unknown: a spinner with the count and rate
		}
		opts := []progressbar.Option{
			progressbar.OptionSetWriter(p.env.rawStderr),
			progressbar.OptionSetDescription(termSafe(p.label)),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100 * time.Millisecond),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionUseANSICodes(true),
		}
		if p.bytes {
			opts = append(opts, progressbar.OptionShowBytes(true))
		} else {
			opts = append(opts, progressbar.OptionShowIts())
		}
		p.bar = progressbar.NewOptions64(max, opts...)
	}
	_ = p.bar.Set64(n)
}

// Update records that done units out of total are done, the form of the
// library callbacks (xdm.ReadOptions.Progress).
func (p *progress) Update(done, total int64) {
	if p == nil {
		return
	}
	if total != p.total {
		p.total = total
		if p.bar != nil && total > 0 {
			p.bar.ChangeMax64(total)
		}
	}
	p.Set(done)
}

// Done removes the bar, if one was shown.
func (p *progress) Done() {
	if p == nil || p.bar == nil {
		return
	}
	_ = p.bar.Finish() // cleared on finish
	_ = p.bar.Clear()
}

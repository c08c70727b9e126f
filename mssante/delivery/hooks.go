package delivery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// DefaultHookInterval is how often the hooks are given the events that
// came since their last call.
const DefaultHookInterval = 2 * time.Second

// DefaultHookBatch bounds the events of one Hook.Deliver call.
const DefaultHookBatch = 100

// Hook is a durable reader of the event history: the outbox hands it every
// event, in the order of the ids, at least once, across crashes and
// restarts. Its position (the id of the last event it took) is kept in the
// database under its name. Webhooks are hooks (package mssante/serve).
//
// Deliver runs in a River job (kind mss_delivery_hook), every
// Options.HookInterval while events are waiting: when it returns nil the
// position moves past the events it was given; when it fails they are
// given again on the job's next attempt, after River's backoff (1 s, 16 s,
// 81 s... attempt⁴ seconds), and again on the next tick once the attempts
// are spent. A crash between a delivery and the record of the new position
// gives those events again: receivers tell them apart by Event.ID.
type Hook struct {
	// Name identifies the hook and its position; required, unique.
	Name string
	// Deliver receives the next events (with MessageID and Recipient set).
	Deliver func(ctx context.Context, events []Event) error
	// Batch bounds the events per call (default DefaultHookBatch).
	Batch int
}

// hookArgs is the River job that feeds one hook.
type hookArgs struct {
	Name string `json:"name" river:"unique"`
}

func (hookArgs) Kind() string { return "mss_delivery_hook" }

type hookWorker struct {
	river.WorkerDefaults[hookArgs]
	o *Outbox
}

func (w *hookWorker) Work(ctx context.Context, job *river.Job[hookArgs]) error {
	return w.o.runHook(ctx, job.Args.Name)
}

// hookJobOpts: one live job per hook; River's default backoff between the
// attempts, 25 of them (about three weeks), after which the next periodic
// tick starts again.
func hookJobOpts() *river.InsertOpts {
	return &river.InsertOpts{Queue: queueName, MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: liveStates}}
}

// hookJobID names a hook's periodic job: River accepts few characters in
// an id, a hook's name may hold any.
func hookJobID(name string) string {
	sum := sha256.Sum256([]byte(name))
	return "mss_delivery_hook_" + hex.EncodeToString(sum[:8])
}

// checkHooks refuses hooks without a name or Deliver, and duplicates.
func checkHooks(hooks []Hook) error {
	seen := map[string]bool{}
	for i, h := range hooks {
		switch {
		case h.Name == "":
			return fmt.Errorf("delivery: Hooks[%d]: no name", i)
		case h.Deliver == nil:
			return fmt.Errorf("delivery: hook %q: no Deliver", h.Name)
		case seen[h.Name]:
			return fmt.Errorf("delivery: hook %q given twice", h.Name)
		}
		seen[h.Name] = true
	}
	return nil
}

// registerHooks records the position of hooks seen for the first time: the
// last event of the history, so that a new hook starts with what happens
// from now on.
func (o *Outbox) registerHooks(ctx context.Context) error {
	for _, h := range o.opts.Hooks {
		if _, err := o.db.exec(ctx, `INSERT INTO mss_hook (name, position, updated_at)
			VALUES ($1, (SELECT COALESCE(MAX(id), 0) FROM mss_event), $2) ON CONFLICT DO NOTHING`, h.Name, micros(o.now())); err != nil {
			return err
		}
	}
	return nil
}

// HookPosition returns the id of the last event a hook took.
func (o *Outbox) HookPosition(ctx context.Context, name string) (int64, error) {
	var pos int64
	err := o.db.queryRow(ctx, "SELECT position FROM mss_hook WHERE name = $1", name).Scan(&pos)
	if isNoRows(err) {
		return 0, fmt.Errorf("%w: hook %q", ErrNotFound, name)
	}
	return pos, err
}

// runHook hands a hook the events after its position until none is left.
func (o *Outbox) runHook(ctx context.Context, name string) error {
	var h *Hook
	for i := range o.opts.Hooks {
		if o.opts.Hooks[i].Name == name {
			h = &o.opts.Hooks[i]
		}
	}
	if h == nil {
		return nil // a hook of another process, or removed from the configuration
	}
	batch := h.Batch
	if batch <= 0 {
		batch = DefaultHookBatch
	}
	for {
		pos, err := o.HookPosition(ctx, name)
		if err != nil {
			return err
		}
		events, err := o.Events(ctx, pos, batch)
		if err != nil || len(events) == 0 {
			return err
		}
		if err := h.Deliver(ctx, events); err != nil {
			return fmt.Errorf("delivery: hook %q: %w", name, err)
		}
		last := events[len(events)-1].ID
		if _, err := o.db.exec(ctx, "UPDATE mss_hook SET position = $1, updated_at = $2 WHERE name = $3 AND position < $1",
			last, micros(o.now()), name); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

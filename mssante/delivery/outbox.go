package delivery

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/mssante-go/sdk/msc"
)

// DefaultDatabase is the database Open uses for an empty dsn.
const DefaultDatabase = "sqlite:mss-delivery.db"

// Outbox is a durable outbox on one database. Its methods are safe for
// concurrent use; Close it when done.
type Outbox struct {
	opts    Options
	db      store
	id      string
	tracker *msc.Tracker

	mu      sync.Mutex // orders OnEvent calls
	running atomic.Bool
	closed  atomic.Bool
	now     func() time.Time
}

// Open opens (and creates or migrates) the outbox in dsn: "sqlite:PATH" (a
// file, created if needed) or a "postgres://" URL; empty means
// DefaultDatabase. opts may be nil.
func Open(ctx context.Context, dsn string, opts *Options) (*Outbox, error) {
	if dsn == "" {
		dsn = DefaultDatabase
	}
	o := &Outbox{opts: opts.withDefaults(), now: func() time.Time { return time.Now().UTC() }}
	o.id = o.opts.ID
	if o.id == "" {
		host, _ := os.Hostname()
		var b [3]byte
		rand.Read(b[:])
		o.id = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	if err := checkHooks(o.opts.Hooks); err != nil {
		return nil, err
	}
	db, err := openStore(ctx, dsn)
	if err != nil {
		return nil, err
	}
	o.db = db
	if err := migrate(ctx, db); err != nil {
		db.close()
		return nil, fmt.Errorf("%w: migrating %s: %v", ErrDatabase, redactDSN(dsn), err)
	}
	if err := o.registerHooks(ctx); err != nil {
		db.close()
		return nil, fmt.Errorf("%w: hooks: %v", ErrDatabase, err)
	}
	if err := db.newClient(o.riverConfig()); err != nil {
		db.close()
		return nil, fmt.Errorf("delivery: river: %w", err)
	}
	o.tracker = &msc.Tracker{Store: &conversationStore{o: o}, IsPharmacy: o.opts.IsPharmacy, Now: o.now}
	return o, nil
}

// Close closes the database. Stop Run first (cancel its context).
func (o *Outbox) Close() error {
	if o.closed.Swap(true) {
		return nil
	}
	return o.db.close()
}

func (o *Outbox) isClosed() bool { return o.closed.Load() }

// ID names this process in the events and to River.
func (o *Outbox) ID() string { return o.id }

// Tracker returns the msc.Tracker whose conversations are kept in the
// outbox's database. The outbox records in it what it sends to patients,
// their bounces and their messages; the caller may use it too.
func (o *Outbox) Tracker() *msc.Tracker { return o.tracker }

// jobTimeout is River's bound on one job: the SMTP submission, then the
// database work, and less than StuckAfter, after which River hands the job to
// another worker.
func (o *Outbox) jobTimeout() time.Duration {
	return o.opts.SendTimeout + (o.opts.StuckAfter-o.opts.SendTimeout)/2
}

func (o *Outbox) riverConfig() *river.Config {
	workers := river.NewWorkers()
	river.AddWorker(workers, &sendWorker{o: o})
	river.AddWorker(workers, &fetchWorker{o: o})
	river.AddWorker(workers, &sweepWorker{o: o})
	river.AddWorker(workers, &hookWorker{o: o})
	cfg := &river.Config{
		ID:                   o.id,
		Logger:               o.opts.Logger,
		JobTimeout:           o.jobTimeout(),
		RescueStuckJobsAfter: o.opts.StuckAfter,
		MaxAttempts:          100_000,
		Queues:               map[string]river.QueueConfig{queueName: {MaxWorkers: o.opts.Workers}},
		Workers:              workers,
		FetchCooldown:        time.Millisecond,
		FetchPollInterval:    250 * time.Millisecond,
	}
	unique := river.UniqueOpts{ByState: liveStates}
	if o.opts.FetchInterval > 0 {
		cfg.PeriodicJobs = append(cfg.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(o.opts.FetchInterval),
			func() (river.JobArgs, *river.InsertOpts) {
				return fetchArgs{}, &river.InsertOpts{Queue: queueName, MaxAttempts: 1, UniqueOpts: unique}
			}, &river.PeriodicJobOpts{ID: "mss_delivery_fetch", RunOnStart: true}))
	}
	cfg.PeriodicJobs = append(cfg.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(o.sweepInterval()),
		func() (river.JobArgs, *river.InsertOpts) {
			return sweepArgs{}, &river.InsertOpts{Queue: queueName, MaxAttempts: 1, UniqueOpts: unique}
		}, &river.PeriodicJobOpts{ID: "mss_delivery_sweep", RunOnStart: true}))
	for _, h := range o.opts.Hooks {
		args := hookArgs{Name: h.Name}
		cfg.PeriodicJobs = append(cfg.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(o.opts.HookInterval),
			func() (river.JobArgs, *river.InsertOpts) { return args, hookJobOpts() },
			&river.PeriodicJobOpts{ID: hookJobID(h.Name), RunOnStart: true}))
	}
	return cfg
}

// sweepInterval is how often the no-receipt deadline is checked: a tenth
// of the timeout, between a second and ten minutes.
func (o *Outbox) sweepInterval() time.Duration {
	return min(max(o.opts.ReceiptTimeout/10, time.Second), 10*time.Minute)
}

// withTx runs f in a transaction and commits it.
func withTx[T, U any](ctx context.Context, o *Outbox, f func(tx dbtx) (T, U, error)) (T, U, error) {
	var zt T
	var zu U
	tx, err := o.db.begin(ctx)
	if err != nil {
		return zt, zu, err
	}
	defer tx.rollback(ctx)
	t, u, err := f(tx)
	if err != nil {
		return zt, zu, err
	}
	if err := tx.commit(ctx); err != nil {
		return zt, zu, err
	}
	return t, u, nil
}

// addEvent appends an event to a recipient's history and returns its id.
func addEvent(ctx context.Context, q querier, message, recipient int64, ev Event) (int64, error) {
	ev.Final = ev.Final || ev.Status.AlwaysFinal()
	b, err := json.Marshal(ev.Evidence)
	if err != nil {
		return 0, err
	}
	var id int64
	err = q.queryRow(ctx, `INSERT INTO mss_event (message, recipient, at, type, status, final, evidence)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, message, recipient, micros(ev.At), string(ev.Type), string(ev.Status), ev.Final, string(b)).Scan(&id)
	return id, err
}

// emit hands committed events to OnEvent.
func (o *Outbox) emit(events []Event) {
	if o.opts.OnEvent == nil || len(events) == 0 {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, ev := range events {
		ev.Final = ev.Final || ev.Status.AlwaysFinal()
		o.opts.OnEvent(ev)
	}
}

func isNoRows(err error) bool {
	return errors.Is(err, sql.ErrNoRows) || errors.Is(err, pgx.ErrNoRows)
}

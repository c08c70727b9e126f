package delivery

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver, "sqlite"
)

// The outbox runs one code path on two databases. The differences stay in
// this file: how a transaction is opened, the placeholders ($1 for
// PostgreSQL, ?1 for SQLite), the River driver (its transaction type is
// pgx.Tx or *sql.Tx), and the DDL of the migrations.

type dialect int

const (
	dialectSQLite dialect = iota + 1
	dialectPostgres
)

func (d dialect) String() string {
	if d == dialectPostgres {
		return "postgres"
	}
	return "sqlite"
}

// querier runs SQL written with $1, $2... placeholders.
type querier interface {
	exec(ctx context.Context, q string, args ...any) (int64, error)
	query(ctx context.Context, q string, args ...any) (rows, error)
	queryRow(ctx context.Context, q string, args ...any) row
}

type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

type row interface {
	Scan(dest ...any) error
}

// dbtx is a transaction of the outbox's database, in which River jobs can
// be inserted and completed.
type dbtx interface {
	querier
	commit(ctx context.Context) error
	rollback(ctx context.Context)
	insertJob(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error
	completeJob(ctx context.Context, job *river.Job[sendArgs]) error
}

// store is the outbox's database and River client.
type store interface {
	querier
	dialect() dialect
	begin(ctx context.Context) (dbtx, error)
	// migrate runs River's migrations, then own(tx) in a transaction,
	// serialised between processes that start at once.
	migrate(ctx context.Context, own func(tx dbtx) error) error
	newClient(cfg *river.Config) error
	client() riverClient
	close() error
}

// riverClient is what the outbox uses of a *river.Client[TTx].
type riverClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error
	ID() string
}

type clientOf[TTx any] struct{ c *river.Client[TTx] }

func (c clientOf[TTx]) Start(ctx context.Context) error         { return c.c.Start(ctx) }
func (c clientOf[TTx]) Stop(ctx context.Context) error          { return c.c.Stop(ctx) }
func (c clientOf[TTx]) StopAndCancel(ctx context.Context) error { return c.c.StopAndCancel(ctx) }
func (c clientOf[TTx]) ID() string                              { return c.c.ID() }
func (c clientOf[TTx]) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	_, err := c.c.Insert(ctx, args, opts)
	return err
}

// openStore opens "sqlite:PATH" or a postgres:// URL.
func openStore(ctx context.Context, dsn string) (store, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		return openSQLite(strings.TrimPrefix(dsn, "sqlite:"))
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return openPostgres(ctx, dsn)
	}
	return nil, fmt.Errorf("%w: %q: want sqlite:PATH or a postgres:// URL", ErrDatabase, redactDSN(dsn))
}

// redactDSN hides a password in a URL, for errors.
func redactDSN(dsn string) string {
	return regexp.MustCompile(`://([^:/@]+):[^@/]*@`).ReplaceAllString(dsn, "://$1:***@")
}

// ---- SQLite ----

type sqliteStore struct {
	db  *sql.DB
	rc  riverClient
	cli *river.Client[*sql.Tx]
}

func openSQLite(path string) (*sqliteStore, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: sqlite: empty path", ErrDatabase)
	}
	// WAL lets readers (status, another process enqueueing) work beside the
	// worker; synchronous=FULL makes a commit durable across a power loss;
	// BEGIN IMMEDIATE takes the write lock at once, so that two processes
	// never deadlock upgrading a read lock; busy_timeout waits for it.
	q := "_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(30000)&_pragma=foreign_keys(ON)&_txlock=immediate"
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	db, err := sql.Open("sqlite", "file:"+path+sep+q)
	if err != nil {
		return nil, fmt.Errorf("%w: sqlite: %v", ErrDatabase, err)
	}
	// One connection, as riversqlite recommends: SQLite runs one writer at
	// a time, and River's concurrent maintenance queries would otherwise
	// meet SQLITE_BUSY.
	db.SetMaxOpenConns(1)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("%w: sqlite %s: %v", ErrDatabase, path, err)
	}
	return &sqliteStore{db: db}, nil
}

func (s *sqliteStore) dialect() dialect { return dialectSQLite }
func (s *sqliteStore) close() error     { return s.db.Close() }
func (s *sqliteStore) client() riverClient {
	return s.rc
}

func (s *sqliteStore) newClient(cfg *river.Config) error {
	c, err := river.NewClient(riversqlite.New(s.db), cfg)
	if err != nil {
		return err
	}
	s.cli, s.rc = c, clientOf[*sql.Tx]{c}
	return nil
}

// migrate runs everything in one transaction: BEGIN IMMEDIATE takes
// SQLite's write lock, which serialises the processes.
func (s *sqliteStore) migrate(ctx context.Context, own func(tx dbtx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	m, err := rivermigrate.New(riversqlite.New(s.db), nil)
	if err != nil {
		return err
	}
	if _, err := m.MigrateTx(ctx, tx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migration: %w", err)
	}
	if err := own(&sqliteTx{s: s, tx: tx}); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *sqliteStore) begin(ctx context.Context) (dbtx, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &sqliteTx{s: s, tx: tx}, nil
}

func (s *sqliteStore) exec(ctx context.Context, q string, args ...any) (int64, error) {
	return sqlExec(ctx, s.db, q, args)
}
func (s *sqliteStore) query(ctx context.Context, q string, args ...any) (rows, error) {
	return sqlQuery(ctx, s.db, q, args)
}
func (s *sqliteStore) queryRow(ctx context.Context, q string, args ...any) row {
	return s.db.QueryRowContext(ctx, sqliteSQL(q), args...)
}

type sqliteTx struct {
	s  *sqliteStore
	tx *sql.Tx
}

func (t *sqliteTx) exec(ctx context.Context, q string, args ...any) (int64, error) {
	return sqlExec(ctx, t.tx, q, args)
}
func (t *sqliteTx) query(ctx context.Context, q string, args ...any) (rows, error) {
	return sqlQuery(ctx, t.tx, q, args)
}
func (t *sqliteTx) queryRow(ctx context.Context, q string, args ...any) row {
	return t.tx.QueryRowContext(ctx, sqliteSQL(q), args...)
}
func (t *sqliteTx) commit(context.Context) error { return t.tx.Commit() }
func (t *sqliteTx) rollback(context.Context)     { t.tx.Rollback() }
func (t *sqliteTx) insertJob(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	_, err := t.s.cli.InsertTx(ctx, t.tx, args, opts)
	return err
}
func (t *sqliteTx) completeJob(ctx context.Context, job *river.Job[sendArgs]) error {
	_, err := river.JobCompleteTx[*riversqlite.Driver](ctx, t.tx, job)
	return err
}

type sqlRunner interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func sqlExec(ctx context.Context, r sqlRunner, q string, args []any) (int64, error) {
	res, err := r.ExecContext(ctx, sqliteSQL(q), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func sqlQuery(ctx context.Context, r sqlRunner, q string, args []any) (rows, error) {
	rs, err := r.QueryContext(ctx, sqliteSQL(q), args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rs}, nil
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }

var (
	placeholder = regexp.MustCompile(`\$(\d+)`)
	sqliteCache sync.Map // query → rewritten query
)

// sqliteSQL rewrites $N placeholders to SQLite's numbered ?N.
func sqliteSQL(q string) string {
	if v, ok := sqliteCache.Load(q); ok {
		return v.(string)
	}
	r := placeholder.ReplaceAllString(q, "?$1")
	sqliteCache.Store(q, r)
	return r
}

// ---- PostgreSQL ----

type pgStore struct {
	pool *pgxpool.Pool
	rc   riverClient
	cli  *river.Client[pgx.Tx]
}

func openPostgres(ctx context.Context, url string) (*pgStore, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("%w: postgres: %v", ErrDatabase, err)
	}
	if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: postgres: %v", ErrDatabase, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("%w: postgres %s: %v", ErrDatabase, redactDSN(url), err)
	}
	return &pgStore{pool: pool}, nil
}

func (s *pgStore) dialect() dialect { return dialectPostgres }
func (s *pgStore) close() error     { s.pool.Close(); return nil }
func (s *pgStore) client() riverClient {
	return s.rc
}

func (s *pgStore) newClient(cfg *river.Config) error {
	c, err := river.NewClient(riverpgxv5.New(s.pool), cfg)
	if err != nil {
		return err
	}
	s.cli, s.rc = c, clientOf[pgx.Tx]{c}
	return nil
}

// migrationLock is the advisory lock key that serialises the migrations
// of several processes starting at once ("mssdeli" in ASCII).
const migrationLock = 0x6d7373_64656c69

// migrate holds a session advisory lock while River migrates, one version
// per transaction (PostgreSQL refuses a new enum value in the transaction
// that added it, so River's migrations cannot share one), then runs own.
func (s *pgStore) migrate(ctx context.Context, own func(tx dbtx) error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrationLock)); err != nil {
		return err
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrationLock))
	m, err := rivermigrate.New(riverpgxv5.New(s.pool), nil)
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migration: %w", err)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := own(&pgTx{s: s, tx: tx}); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// eventOrderLock is the advisory lock that orders the outbox's write
// transactions on PostgreSQL ("mssevnt" in ASCII).
const eventOrderLock = 0x6d7373_65766e74

// begin opens a write transaction. On PostgreSQL it first takes a
// transaction-level advisory lock, so that the outbox's write transactions
// commit one after the other: the ids of mss_event (an identity column,
// drawn when a row is inserted) then grow in the order of the commits, as
// they do on SQLite, and a reader that resumes after the last event id it
// saw (Events) misses none. The lock is the first one each transaction
// takes, and River's own transactions never take it, so it cannot deadlock;
// the transactions are short (the SMTP submission runs outside them).
func (s *pgStore) begin(ctx context.Context) (dbtx, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(eventOrderLock)); err != nil {
		tx.Rollback(context.WithoutCancel(ctx))
		return nil, err
	}
	return &pgTx{s: s, tx: tx}, nil
}

func (s *pgStore) exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := s.pool.Exec(ctx, q, args...)
	return tag.RowsAffected(), err
}
func (s *pgStore) query(ctx context.Context, q string, args ...any) (rows, error) {
	r, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return pgRows{r}, nil
}
func (s *pgStore) queryRow(ctx context.Context, q string, args ...any) row {
	return s.pool.QueryRow(ctx, q, args...)
}

type pgTx struct {
	s  *pgStore
	tx pgx.Tx
}

func (t *pgTx) exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := t.tx.Exec(ctx, q, args...)
	return tag.RowsAffected(), err
}
func (t *pgTx) query(ctx context.Context, q string, args ...any) (rows, error) {
	r, err := t.tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return pgRows{r}, nil
}
func (t *pgTx) queryRow(ctx context.Context, q string, args ...any) row {
	return t.tx.QueryRow(ctx, q, args...)
}
func (t *pgTx) commit(ctx context.Context) error { return t.tx.Commit(ctx) }
func (t *pgTx) rollback(ctx context.Context)     { t.tx.Rollback(context.WithoutCancel(ctx)) }
func (t *pgTx) insertJob(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	_, err := t.s.cli.InsertTx(ctx, t.tx, args, opts)
	return err
}
func (t *pgTx) completeJob(ctx context.Context, job *river.Job[sendArgs]) error {
	_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, t.tx, job)
	return err
}

type pgRows struct{ pgx.Rows }

func (r pgRows) Close() { r.Rows.Close() }

// isUniqueViolation reports whether err is a unique constraint violation,
// in either database.
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// isFinalViolation reports whether err is the refusal of the trigger that
// keeps a final status final.
func isFinalViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "mss_delivery: final status")
}

package delivery

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationFS embed.FS

// migrate brings River's tables and the outbox's up to date, serialised
// between processes.
func migrate(ctx context.Context, s store) error {
	return s.migrate(ctx, func(tx dbtx) error { return migrateOwn(ctx, s.dialect(), tx) })
}

// migrateOwn applies the outbox's migrations not yet applied.
func migrateOwn(ctx context.Context, d dialect, tx dbtx) error {
	if _, err := tx.exec(ctx, `CREATE TABLE IF NOT EXISTS mss_delivery_migration (
		version    INTEGER PRIMARY KEY,
		applied_at BIGINT  NOT NULL)`); err != nil {
		return err
	}
	applied := map[int]bool{}
	rs, err := tx.query(ctx, "SELECT version FROM mss_delivery_migration")
	if err != nil {
		return err
	}
	for rs.Next() {
		var v int
		if err := rs.Scan(&v); err != nil {
			rs.Close()
			return err
		}
		applied[v] = true
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return err
	}
	dir := "migrations/" + d.String()
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	for _, name := range names {
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: bad name", name)
		}
		if applied[v] {
			continue
		}
		ddl, err := fs.ReadFile(migrationFS, dir+"/"+name)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, string(ddl)); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if _, err := tx.exec(ctx, "INSERT INTO mss_delivery_migration (version, applied_at) VALUES ($1, $2)", v, micros(time.Now())); err != nil {
			return err
		}
	}
	return nil
}

// micros is the form of a time in the tables; 0 for the zero time.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros reads it back, in UTC.
func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

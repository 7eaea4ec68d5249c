package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"prequal/store"
)

// migrateData is `portal migrate-data --from FILE --to URL`: it copies an
// SQLite portal's data into an empty PostgreSQL database (migrating both to
// the latest schema first), then checks the copy — every table's rows counted
// on both sides, a sample of rows compared column by column, a sample of
// sealed SSNs opened on PostgreSQL — and prints what it found. Run it with the
// portal stopped (a copy of a live file misses what is written meanwhile) and
// with the portal's PORTAL_DATA_KEY: the SSNs stay sealed under it.
func migrateData(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg := &config{}
	fs := flag.NewFlagSet("migrate-data", flag.ContinueOnError)
	cfg.flags(fs, getenv)
	from := fs.String("from", "", "the SQLite file to copy (default: portal.db in the data dir)")
	to := fs.String("to", "", "the PostgreSQL database to copy into, postgres://… (default: PORTAL_DATABASE_URL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *to == "" {
		*to = cfg.DatabaseURL
	}
	cfg.DatabaseURL = "" // the configuration's own database is not the point here
	if *to == "" {
		return errors.New("migrate-data needs --to postgres://… (or PORTAL_DATABASE_URL)")
	}
	if err := cfg.load(); err != nil {
		return err
	}
	if *from == "" {
		*from = cfg.dbPath()
	}
	if _, err := os.Stat(*from); err != nil {
		return fmt.Errorf("migrate-data --from: %w", err)
	}
	src, err := store.Open(ctx, *from, cfg.dataKey)
	if err != nil {
		return err
	}
	defer src.Close()
	if err := src.Migrate(ctx); err != nil {
		return err
	}
	dst, err := store.OpenPostgres(ctx, *to, cfg.dataKey)
	if err != nil {
		return err
	}
	defer dst.Close()
	if err := dst.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "copying %s into %s …\n", *from, redactURL(*to))
	rep, err := store.MoveData(ctx, src, dst)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "table\tSQLite rows\tPostgreSQL rows\t")
	for _, tc := range rep.Tables {
		fmt.Fprintf(tw, "%s\t%d\t%d\t\n", tc.Table, tc.Source, tc.Target)
	}
	tw.Flush()
	fmt.Fprintf(stdout, "checked: every table's row count, %d sampled rows column by column, %d sealed SSNs opened on PostgreSQL\n",
		rep.SampledRows, rep.SSNsVerified)
	fmt.Fprintln(stdout, "done: start the portal with PORTAL_DATABASE_URL set to the target and the same PORTAL_DATA_KEY")
	return nil
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"prequal/store"
)

// backup is `portal backup --to FILE`: a consistent online copy of the portal's
// database, safe to run while the portal serves.
func backup(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg := &config{}
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	cfg.flags(fs, getenv)
	to := fs.String("to", "", "file to write the copy to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *to == "" {
		return errors.New("backup needs --to FILE")
	}
	if err := cfg.load(); err != nil {
		return err
	}
	if cfg.DatabaseURL != "" {
		return store.ErrBackupWithPGDump
	}
	st, err := store.Open(ctx, cfg.dbPath(), cfg.dataKey)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Backup(ctx, *to); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup of %s written to %s (integrity check ok)\n", cfg.dbPath(), *to)
	return nil
}

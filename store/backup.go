package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrBackupWithPGDump is Backup's answer on PostgreSQL: the server's own tools
// (pg_dump, or its base backups and WAL archiving) copy a live database
// consistently, and an operator already runs them for everything else there.
var ErrBackupWithPGDump = errors.New("the portal's database is PostgreSQL: back it up with pg_dump " +
	"(pg_dump --format=custom --file=portal.dump \"$PORTAL_DATABASE_URL\"; restore with pg_restore), see README")

// Backup writes a consistent copy of the live database to dest: VACUUM INTO a
// temporary file beside dest (one read transaction, so writers carry on under
// WAL), PRAGMA integrity_check on the copy, then an atomic rename. dest is
// never left half-written. On PostgreSQL it is ErrBackupWithPGDump.
func (s *Store) Backup(ctx context.Context, dest string) error {
	if s.d.postgres {
		return fmt.Errorf("store.Backup: %w", ErrBackupWithPGDump)
	}
	dest, err := filepath.Abs(dest)
	if err != nil {
		return fmt.Errorf("store.Backup: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".backup-*.db")
	if err != nil {
		return fmt.Errorf("store.Backup: %w", err)
	}
	tmpName := tmp.Name()
	tmp.Close()
	os.Remove(tmpName) // VACUUM INTO wants to create the file itself
	defer os.Remove(tmpName)

	// A connection of its own: the reader pool is query_only, and the writer must
	// stay free for the portal's writes while the copy is taken.
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store.Backup: %w", err)
	}
	_, err = conn.ExecContext(ctx, `PRAGMA query_only(0)`)
	if err == nil {
		_, err = conn.ExecContext(ctx, `VACUUM INTO ?`, tmpName)
	}
	_, _ = conn.ExecContext(ctx, `PRAGMA query_only(1)`)
	conn.Close()
	if err != nil {
		return fmt.Errorf("store.Backup: vacuum into: %w", err)
	}
	if err := checkIntegrity(ctx, tmpName); err != nil {
		return fmt.Errorf("store.Backup: %w", err)
	}
	if err := os.Rename(tmpName, dest); err != nil {
		return fmt.Errorf("store.Backup: %w", err)
	}
	return nil
}

func checkIntegrity(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	var result string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&result); err != nil {
		return err
	}
	if result != "ok" {
		return errors.New("integrity check of the copy failed: " + result)
	}
	return nil
}

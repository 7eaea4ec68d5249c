package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestBackupUnderWriteLoadIsConsistentAndUsable(t *testing.T) {
	s, _ := openTestStore(t)
	if s.d.postgres {
		err := s.Backup(context.Background(), filepath.Join(t.TempDir(), "backup.db"))
		if !errors.Is(err, ErrBackupWithPGDump) || !strings.Contains(err.Error(), "pg_dump") {
			t.Fatalf("Backup on PostgreSQL: %v, want the advice to use pg_dump", err)
		}
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var written atomic.Int64
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				a := testApplicant(fmt.Sprintf("w%d-%d@example.com", w, i), "123456789")
				if _, _, err := s.CreateApplication(context.Background(), newApp("sess", NewID(), a)); err != nil {
					t.Error(err)
					return
				}
				written.Add(1)
			}
		}()
	}
	for written.Load() < 50 {
	}
	dest := filepath.Join(t.TempDir(), "backup.db")
	if err := s.Backup(context.Background(), dest); err != nil {
		t.Fatal(err)
	}
	atBackup := written.Load()
	for written.Load() < atBackup+20 { // writers kept going during and after the copy
	}
	cancel()
	wg.Wait()

	restored, err := Open(context.Background(), dest, testDataKey())
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if err := restored.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	var apps, consents, jobs int
	restored.r.QueryRow(`SELECT count(*) FROM applications`).Scan(&apps)
	restored.r.QueryRow(`SELECT count(*) FROM consents`).Scan(&consents)
	restored.r.QueryRow(`SELECT count(*) FROM jobs`).Scan(&jobs)
	if apps < 50 || consents != 4*apps || jobs > apps {
		t.Fatalf("restored copy: %d applications, %d consents, %d jobs — not one consistent moment", apps, consents, jobs)
	}
	if _, _, err := restored.CreateApplication(context.Background(), newApp("sess", NewID(), testApplicant("after@example.com", "123456789"))); err != nil {
		t.Fatalf("the restored copy does not take new applications: %v", err)
	}
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"prequal/lending"
)

// JobSubmit is the job that sends an application's lead to the platform.
const JobSubmit = "submit"

// ErrLeaseLost means the job's lease ran out and another worker may hold it now.
var ErrLeaseLost = errors.New("store: job lease lost")

// enqueueSubmit adds a submit job for the application, runnable now, within tx.
func (s *Store) enqueueSubmit(ctx context.Context, tx *sql.Tx, applicationID string, now time.Time) error {
	_, err := s.txExec(ctx, tx, `INSERT INTO jobs (application_id, kind, run_after_ms, created_at_ms) VALUES (?,?,?,?)`,
		applicationID, JobSubmit, ms(now), ms(now))
	return err
}

// closeOpenSubmitJobs marks every unfinished submit job of an application done,
// with why, so a superseded or pointless submission is never sent.
func closeOpenSubmitJobs(ctx context.Context, tx *sql.Tx, applicationID string, now time.Time, why string) error {
	_, err := tx.ExecContext(ctx, `UPDATE jobs SET done_at_ms = ?, lease_owner = NULL, lease_until_ms = NULL, last_error = ?
		WHERE application_id = ? AND kind = ? AND done_at_ms IS NULL`, ms(now), why, applicationID, JobSubmit)
	return err
}

// finishJob marks one job done; note says how it ended ("" for success).
func finishJob(ctx context.Context, tx *sql.Tx, jobID int64, now time.Time, note string) error {
	_, err := tx.ExecContext(ctx, `UPDATE jobs SET done_at_ms = ?, lease_owner = NULL, lease_until_ms = NULL, last_error = ?
		WHERE id = ? AND done_at_ms IS NULL`, ms(now), note, jobID)
	return err
}

// SubmitJob is a submit job a worker holds under a lease.
type SubmitJob struct {
	ID            int64
	ApplicationID string
	Tries         int // how many times the job has been claimed, this time included
	Owner         string
	LeaseUntil    time.Time
}

// ClaimSubmitJob takes the oldest runnable submit job whose lease is free or has
// run out, and leases it to owner until now+lease. A job held by a process that
// died is therefore claimable again once its lease expires. It returns
// ErrNotFound when no job is runnable.
func (s *Store) ClaimSubmitJob(ctx context.Context, owner string, lease time.Duration) (SubmitJob, error) {
	jobs, err := s.ClaimSubmitJobs(ctx, owner, lease, 1)
	if err != nil {
		return SubmitJob{}, fmt.Errorf("store.ClaimSubmitJob: %w", err)
	}
	if len(jobs) == 0 {
		return SubmitJob{}, fmt.Errorf("store.ClaimSubmitJob: %w", ErrNotFound)
	}
	return jobs[0], nil
}

// ClaimSubmitJobs is ClaimSubmitJob for up to limit jobs, oldest first, in one
// transaction: a worker with free slots fills them with one write instead of
// one write each. No runnable job is an empty result, not an error. Instances
// claiming at once never take the same job: on PostgreSQL the jobs read are
// locked and those another instance is claiming are skipped.
func (s *Store) ClaimSubmitJobs(ctx context.Context, owner string, lease time.Duration, limit int) ([]SubmitJob, error) {
	now := s.now().UTC()
	const runnable = `kind = ? AND done_at_ms IS NULL AND run_after_ms <= ?
		AND (lease_until_ms IS NULL OR lease_until_ms <= ?)`
	// A cheap read first keeps an idle worker from taking the write lock every tick.
	var found bool
	if err := s.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM jobs WHERE `+runnable+`)`,
		JobSubmit, ms(now), ms(now)).Scan(&found); err != nil {
		return nil, fmt.Errorf("store.ClaimSubmitJobs: %w", err)
	}
	if !found || limit <= 0 {
		return nil, nil
	}
	until := fromMS(ms(now.Add(lease)))
	var jobs []SubmitJob
	err := s.inTxReadCommitted(ctx, func(tx *sql.Tx) error {
		jobs = nil
		rows, err := tx.QueryContext(ctx, `SELECT id, application_id, attempts FROM jobs WHERE `+runnable+`
			ORDER BY run_after_ms, id LIMIT ?`+s.d.skipLocked, JobSubmit, ms(now), ms(now), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			job := SubmitJob{Owner: owner, LeaseUntil: until}
			if err := rows.Scan(&job.ID, &job.ApplicationID, &job.Tries); err != nil {
				rows.Close()
				return err
			}
			job.Tries++
			jobs = append(jobs, job)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, job := range jobs {
			if _, err := tx.ExecContext(ctx, `UPDATE jobs SET lease_owner = ?, lease_until_ms = ?, attempts = ? WHERE id = ?`,
				owner, ms(job.LeaseUntil), job.Tries, job.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store.ClaimSubmitJobs: %w", err)
	}
	return jobs, nil
}

// ExtendJobLease keeps a job in owner's hands until now+lease, while it is still
// being worked on. It returns ErrLeaseLost when the job is finished or held by
// someone else.
func (s *Store) ExtendJobLease(ctx context.Context, jobID int64, owner string, lease time.Duration) error {
	now := s.now().UTC()
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET lease_until_ms = ?
			WHERE id = ? AND lease_owner = ? AND done_at_ms IS NULL`, ms(now.Add(lease)), jobID, owner)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("store.ExtendJobLease: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("store.ExtendJobLease: job %d: %w", jobID, ErrLeaseLost)
	}
	return nil
}

// CloseSubmitJob finishes a job without submitting anything (the application was
// held, refused, superseded or timed out meanwhile), with an event saying why.
func (s *Store) CloseSubmitJob(ctx context.Context, job SubmitJob, why string) error {
	now := s.now().UTC()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := finishJob(ctx, tx, job.ID, now, "not submitted: "+why); err != nil {
			return err
		}
		return s.addEvent(ctx, tx, job.ApplicationID, now, lending.Event{Kind: lending.EventSubmitAttempt,
			Source: lending.SourceWorker, Detail: fmt.Sprintf("try %d: not submitted: %s", job.Tries, why)})
	})
	if err != nil {
		return fmt.Errorf("store.CloseSubmitJob: %w", err)
	}
	return nil
}

// OpenSubmitJobs counts the application's unfinished submit jobs (tests, QA).
func (s *Store) OpenSubmitJobs(ctx context.Context, applicationID string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM jobs WHERE application_id = ? AND kind = ? AND done_at_ms IS NULL`,
		applicationID, JobSubmit).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store.OpenSubmitJobs: %w", err)
	}
	return n, nil
}

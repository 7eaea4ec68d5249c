package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"prequal/lending"
)

// progressColumns are what the checking-rates poll shows and decides from: the
// journey's inputs (lead status, submit error, review status) and the progress
// and interval it draws (lead uuid, attempt, times).
const progressColumns = `id, created_at_ms, coalesce(lead_uuid, ''), lead_status, lead_attempt,
	lead_status_at_ms, submit_error, review_status`

// ApplicationProgressForSession is ApplicationForSession for the checking-rates
// poll, which every waiting borrower sends every few seconds. It fills only ID,
// CreatedAt, Lead.UUID, Lead.Status, Lead.Attempt, Lead.StatusAt,
// Lead.SubmitError and Review.Status: enough for Journey, WaitingSince and the
// progress steps, and no borrower data. Reading the whole row cost most of the
// poll's time (SQLite's per-column work for some forty columns). Another
// session gets ErrNotFound.
//
// The read is batched with the polls that arrive at the same time (see
// progressReader): it is as fresh as a read of its own, started after the call.
func (s *Store) ApplicationProgressForSession(ctx context.Context, id, sessionID string) (lending.Application, error) {
	if err := ctx.Err(); err != nil {
		return lending.Application{}, fmt.Errorf("store.ApplicationProgressForSession: %w", err)
	}
	req := progressReqPool.Get().(*progressReq)
	req.id, req.sessionID = id, sessionID
	select {
	case s.progressReqs <- req:
	case <-s.closing:
		progressReqPool.Put(req)
		return lending.Application{}, fmt.Errorf("store.ApplicationProgressForSession: %w", ErrClosed)
	}
	<-req.done // a read by key takes microseconds: it is not abandoned on ctx (see readRow)
	app, err := req.app, req.err
	req.app, req.err = lending.Application{}, nil
	progressReqPool.Put(req)
	if err != nil {
		return lending.Application{}, fmt.Errorf("store.ApplicationProgressForSession: %w", err)
	}
	return app, nil
}

// Batched progress reads. Under load, SQLite's fixed cost of a statement (the
// read transaction, its locks, database/sql's connection and statement
// handling) was most of a poll's read, and 64 polls contending for the reader
// pool cost more again in goroutine hand-offs and stack growth. progressReaders
// goroutines take the polls waiting at that moment — up to maxProgressBatch —
// and read them with one statement: id IN (…) with the list padded to one of a
// few prepared lengths. A lone poll is read at once, alone; a poll never waits
// for more than the batch already being read. Each caller gets its own row
// only if its session matches, exactly as the single-row query checked.
const (
	progressReaders  = 1
	maxProgressBatch = 64
)

// progressBatchSizes are the prepared IN-list lengths; a batch is padded to the
// next one by repeating an id. Kept few: each is a prepared statement per reader
// connection.
var progressBatchSizes = []int{1, 4, 16, maxProgressBatch}

// progressBatchSQL[i] reads progressBatchSizes[i] ids.
var progressBatchSQL = func() []string {
	out := make([]string, len(progressBatchSizes))
	for i, n := range progressBatchSizes {
		out[i] = `SELECT session_id, ` + progressColumns + ` FROM applications WHERE id IN (?` + strings.Repeat(",?", n-1) + `)`
	}
	return out
}()

// progressReq is one poll's read, handed to a progress reader; pooled.
type progressReq struct {
	id, sessionID string
	app           lending.Application
	err           error
	done          chan struct{}
}

var progressReqPool = sync.Pool{New: func() any { return &progressReq{done: make(chan struct{}, 1)} }}

// progressReader reads the polls' batches until Close.
func (s *Store) progressReader() {
	defer s.progressDone.Done()
	batch := make([]*progressReq, 0, maxProgressBatch)
	ids := make([]string, 0, maxProgressBatch)
	args := make([]any, 0, maxProgressBatch)
	var found []progressRow
	for {
		select {
		case r := <-s.progressReqs:
			batch = append(batch[:0], r)
		case <-s.closing:
			return
		}
		// Let the polls that are already running reach their read first: they
		// join this batch instead of each starting another.
		runtime.Gosched()
	fill:
		for len(batch) < maxProgressBatch {
			select {
			case r := <-s.progressReqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		found = s.readProgressBatch(batch, ids[:0], args[:0], found[:0])
		for i, r := range batch {
			r.done <- struct{}{}
			batch[i] = nil
		}
	}
}

// progressRow is one row of a batch: the application and its session.
type progressRow struct {
	sessionID string
	app       lending.Application
}

// readProgressBatch reads every request's application in one statement and
// sets each request's answer. ids, args and found are buffers to reuse. A
// request whose session is not the one the application was created in is
// checked against the sessions a resume link bound it to (boundToSession), one
// by one: that is rare, and an application no session owns is rarer still.
func (s *Store) readProgressBatch(batch []*progressReq, ids []string, args []any, found []progressRow) []progressRow {
	for _, r := range batch {
		if !containsString(ids, r.id) {
			ids = append(ids, r.id)
		}
	}
	size := 0
	for size < len(progressBatchSizes)-1 && progressBatchSizes[size] < len(ids) {
		size++
	}
	for i := range progressBatchSizes[size] {
		args = append(args, ids[min(i, len(ids)-1)])
	}
	found, err := s.queryProgress(progressBatchSQL[size], args, found)
	for _, r := range batch {
		r.err = err
		if err != nil {
			continue
		}
		r.err = ErrNotFound
		for _, row := range found {
			if row.app.ID != r.id {
				continue
			}
			bound, bindErr := row.sessionID == r.sessionID, error(nil)
			if !bound {
				bound, bindErr = s.boundByResumeLink(r.id, r.sessionID)
			}
			switch {
			case bindErr != nil:
				r.err = bindErr
			case bound:
				r.app, r.err = row.app, nil
			}
			break
		}
	}
	return found
}

// boundByResumeLink reports whether a resume link bound application id to
// the session.
func (s *Store) boundByResumeLink(id, sessionID string) (bool, error) {
	var one int
	err := s.readRow(context.Background(), `SELECT 1 FROM application_sessions WHERE application_id = ? AND session_id = ?`, id, sessionID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// queryProgress appends the rows of a batch's statement to out.
func (s *Store) queryProgress(query string, args []any, out []progressRow) ([]progressRow, error) {
	rows, err := s.readRows(context.Background(), query, args...)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			row                progressRow
			a                  = &row.app
			createdMS, stateMS int64
			leadStatus, review string
		)
		if err := rows.Scan(&row.sessionID, &a.ID, &createdMS, &a.Lead.UUID, &leadStatus, &a.Lead.Attempt, &stateMS, &a.Lead.SubmitError, &review); err != nil {
			return out, err
		}
		a.CreatedAt, a.Lead.StatusAt = fromMS(createdMS), fromMS(stateMS)
		a.Lead.Status, a.Review.Status = lending.LeadStatus(leadStatus), lending.ReviewStatus(review)
		out = append(out, row)
	}
	return out, rows.Err()
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

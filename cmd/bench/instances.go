package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"prequal/stage"
	"prequal/store"
)

// Figure 7: the status poll (its ratio to bare Echo, measured by the Go client
// side by side with a bare Echo hello handler) and form submits (figure 3's
// accepted/s) on one SQLite instance, one PostgreSQL instance and
// two PostgreSQL instances on one database, measured the same way one after
// the other. With two instances each borrower submits on one and polls on the
// other; the load generator spreads its borrowers over both. PostgreSQL is the
// server PORTAL_BENCH_DATABASE_URL (or PORTAL_TEST_DATABASE_URL) names — `make
// bench` starts a throwaway one on this machine with fsync on — each
// configuration on a fresh schema of its own.

// deployment is one of figure 7's configurations.
type deployment struct {
	name      string
	postgres  bool
	instances int
}

var deployments = []deployment{
	{"1 SQLite instance", false, 1},
	{"1 PostgreSQL instance", true, 1},
	{"2 PostgreSQL instances", true, 2},
}

// instanceFigures is figure 7.
func (b *bench) instanceFigures(ctx context.Context) error {
	dbURL := os.Getenv("PORTAL_BENCH_DATABASE_URL")
	if dbURL == "" {
		dbURL = os.Getenv("PORTAL_TEST_DATABASE_URL")
	}
	if dbURL == "" {
		b.notes = append(b.notes, "figure 7 (SQLite vs PostgreSQL, one and two instances) was not measured: "+
			"no PostgreSQL (PORTAL_BENCH_DATABASE_URL); `make bench` starts one")
		fmt.Fprintln(b.out, "figure 7 skipped: no PORTAL_BENCH_DATABASE_URL")
		return nil
	}
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return fmt.Errorf("PORTAL_BENCH_DATABASE_URL: %w", err)
	}
	admin := stdlib.OpenDB(*cfg)
	defer admin.Close()

	var polls, submits []string
	for _, d := range deployments {
		ratio, pollRate, err := b.deploymentPoll(ctx, d, admin, dbURL)
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		polls = append(polls, fmt.Sprintf("%s: %s/s = %.1f %%", d.name, thousands(pollRate), 100*ratio))
		rate, errs, err := b.deploymentSubmits(ctx, d, admin, dbURL)
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		submits = append(submits, fmt.Sprintf("%s: %s/s (%d errors)", d.name, thousands(rate), errs))
	}
	b.add(figure{num: "7a", what: fmt.Sprintf("status poll, %d connections, ratio to bare Echo: SQLite vs PostgreSQL", b.o.connections),
		value: strings.Join(polls, " · "), info: true, target: "none (information)"})
	b.add(figure{num: "7b", what: fmt.Sprintf("form submits, %d borrowers, accepted/s: SQLite vs PostgreSQL", b.o.submitters),
		value: strings.Join(submits, " · "), info: true, target: "none (information)"})
	return nil
}

// startDeployment starts d's portals (fresh data, the PostgreSQL ones on a
// fresh schema) and returns them, with a function that stops them all.
func (b *bench) startDeployment(ctx context.Context, d deployment, admin *sql.DB, dbURL, figure string) ([]*process, func(), error) {
	var env []string
	var dropSchema func()
	if d.postgres {
		schema := "bench_" + store.NewID()[:12]
		if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
			return nil, nil, err
		}
		dropSchema = func() { _, _ = admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`) }
		u, err := withSearchPath(dbURL, schema)
		if err != nil {
			dropSchema()
			return nil, nil, err
		}
		env = append(env, "PORTAL_DATABASE_URL="+u)
	}
	name := figure + ", " + d.name
	var procs []*process
	stopAll := func() {
		for _, p := range procs {
			_ = b.stopPortal(p)
		}
		if dropSchema != nil {
			dropSchema()
		}
	}
	var secrets []byte
	for i := range d.instances {
		dir, err := os.MkdirTemp(b.work, "instance-")
		if err != nil {
			stopAll()
			return nil, nil, err
		}
		if secrets != nil { // every instance shares the first one's session, data and platform secrets
			if err := os.WriteFile(filepath.Join(dir, "stage-secrets.json"), secrets, 0o600); err != nil {
				stopAll()
				return nil, nil, err
			}
		}
		fmt.Fprintf(b.out, "starting portal %d of %s…\n", i+1, name)
		p, err := startPortalIn(ctx, b.bin, dir, fmt.Sprintf("%s #%d", name, i+1), env...)
		if err != nil {
			stopAll()
			return nil, nil, err
		}
		procs = append(procs, p)
		if secrets == nil {
			if secrets, err = os.ReadFile(filepath.Join(dir, "stage-secrets.json")); err != nil {
				stopAll()
				return nil, nil, err
			}
		}
	}
	return procs, stopAll, nil
}

// deploymentPoll is figure 7a on d: borrowers apply on one instance and poll
// on the next, against the bare Echo hello handler in alternating slices.
func (b *bench) deploymentPoll(ctx context.Context, d deployment, admin *sql.DB, dbURL string) (ratio, rate float64, err error) {
	procs, stop, err := b.startDeployment(ctx, d, admin, dbURL, "7a poll")
	if err != nil {
		return 0, 0, err
	}
	defer stop()
	hello, err := startHello(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer hello.stop()
	conns := b.o.connections
	client := newClient(conns)
	brs := make([]*borrower, conns)
	ids := make([]string, conns)
	for w := range brs {
		brs[w] = &borrower{base: procs[w%len(procs)].URL, client: client}
		form, err := scenarioForm(stage.ScenarioTimeout)
		if err != nil {
			return 0, 0, err
		}
		if ids[w], err = brs[w].apply(ctx, form); err != nil {
			return 0, 0, err
		}
		brs[w].base = procs[(w+1)%len(procs)].URL // poll the other instance
	}
	helloClient := newClient(conns)
	portal, bare := sideBySide(ctx, conns, b.o.runFor, func(ctx context.Context, w int) error {
		done, _, err := brs[w].pollStatus(ctx, ids[w])
		if err == nil && done {
			err = errors.New("the lead finished: the poll no longer renders the fragment")
		}
		return err
	}, func(ctx context.Context, _ int) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, hello.URL+"/hello", nil)
		resp, err := helloClient.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil
	})
	if err := failed("status poll", portal); err != nil {
		return 0, 0, err
	}
	if portal.errors > 0 {
		return 0, 0, fmt.Errorf("status poll: %d errors; first: %s", portal.errors, portal.firstError)
	}
	return portal.rate() / bare.rate(), portal.rate(), nil
}

// deploymentSubmits is figure 7b on d (figure 3's measure): the borrowers spread over the instances.
func (b *bench) deploymentSubmits(ctx context.Context, d deployment, admin *sql.DB, dbURL string) (rate float64, errs int, err error) {
	procs, stop, err := b.startDeployment(ctx, d, admin, dbURL, "7b submit")
	if err != nil {
		return 0, 0, err
	}
	defer stop()
	conns := b.o.submitters
	client := newClient(conns)
	brs := make([]*borrower, conns)
	for w := range brs {
		brs[w] = &borrower{base: procs[w%len(procs)].URL, client: client}
	}
	s := closedLoop(ctx, conns, warmup, b.o.runFor, func(ctx context.Context, w int) error {
		form, err := scenarioForm(stage.ScenarioTimeout)
		if err != nil {
			return err
		}
		_, err = brs[w].apply(ctx, form)
		return err
	})
	if err := failed("submits", s); err != nil {
		return 0, 0, err
	}
	return s.rate(), s.errors, nil
}

// withSearchPath is u with search_path=schema.
func withSearchPath(u, schema string) (string, error) {
	parsed, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	q := parsed.Query()
	q.Set("search_path", schema)
	parsed.RawQuery = q.Encode()
	return parsed.String(), nil
}

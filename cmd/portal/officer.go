package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"prequal/lending"
	"prequal/store"
)

const officerUsage = "usage: portal officer add --email E --role officer|admin   (password: first line of stdin, or generated and printed once)"

// demoOfficerEmail is the stage demo officer; production has no such account.
const demoOfficerEmail = "officer@stage.test"

// officer is `portal officer add --email E --role officer|admin`. The password
// is the first line of stdin when stdin is piped; at a terminal (or with nothing
// piped) one is generated and printed once. The database keeps only its argon2id
// hash. There are no default accounts.
func officer(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New(officerUsage)
	}
	cfg := &config{}
	fs := flag.NewFlagSet("officer add", flag.ContinueOnError)
	cfg.flags(fs, getenv)
	email := fs.String("email", "", "the officer's email address (their sign-in name)")
	roleText := fs.String("role", "", "officer (reads and acts on applications) or admin (also manages officers)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if msg := lending.ValidateOfficerEmail(*email); msg != "" {
		return fmt.Errorf("officer add: --email: %s\n%s", msg, officerUsage)
	}
	role, err := lending.ParseOfficerRole(*roleText)
	if err != nil {
		return fmt.Errorf("officer add: --role must be officer or admin\n%s", officerUsage)
	}
	password, err := passwordFromStdin(stdin)
	if err != nil {
		return fmt.Errorf("officer add: %w", err)
	}
	generated := password == ""
	if generated {
		password = store.GeneratePassword()
	} else if msg := lending.ValidatePassword(password); msg != "" {
		return fmt.Errorf("officer add: password from stdin: %s", msg)
	}
	if err := cfg.load(); err != nil {
		return err
	}
	st, err := openMigratedStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	o, err := st.CreateOfficer(ctx, store.NewOfficer{Email: *email, Role: role, Password: password})
	if err != nil {
		return fmt.Errorf("officer add: %w", err)
	}
	fmt.Fprintf(stdout, "Officer %s created with role %s.\n", o.Email, o.Role)
	if generated {
		fmt.Fprintln(stdout, "Password (shown only now; only its hash is stored):")
		fmt.Fprintln(stdout, password)
	}
	return nil
}

// passwordFromStdin reads the first line of a piped stdin; it returns "" when
// stdin is a terminal or nothing was piped (a password is then generated).
func passwordFromStdin(stdin io.Reader) (string, error) {
	if stdin == nil {
		return "", nil
	}
	if f, ok := stdin.(*os.File); ok {
		info, err := f.Stat()
		if err != nil || info.Mode()&os.ModeCharDevice != 0 {
			return "", nil // a terminal (or /dev/null): nothing piped
		}
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// ensureDemoOfficer gives stage its demo officer, officer@stage.test (admin),
// with the password kept in the stage secrets, and prints how to sign in. It is
// never called in production.
func ensureDemoOfficer(ctx context.Context, st *store.Store, cfg *config, stdout io.Writer) error {
	if cfg.production() || cfg.demoOfficerPassword == "" {
		return nil
	}
	if _, err := st.EnsureOfficer(ctx, demoOfficerEmail, lending.RoleAdmin, cfg.demoOfficerPassword); err != nil {
		return fmt.Errorf("stage demo officer: %w", err)
	}
	fmt.Fprintf(stdout, "Officer sign-in: %s/admin — %s / %s\n", cfg.BaseURL, demoOfficerEmail, cfg.demoOfficerPassword)
	return nil
}

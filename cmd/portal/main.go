// Command portal runs Prequal Portal: the borrower portal, the officer admin, and
// (in stage) the embedded stage platform. See README.md for the subcommands.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "portal:", err)
		os.Exit(1)
	}
}

const usage = `usage: portal <command> [flags]

commands:
  serve                                run the portal (default)
  migrate                              apply database migrations and exit
  officer add --email E --role R       create an officer (role officer|admin); password from stdin or generated
  backup --to FILE                     write a consistent online copy of the database
  sandbox --addr A                     run the stage platform alone
  apikey add --tenant T [--scopes S]   create a partner's API key (scopes default: decision); prints it once
  webhook listen --addr A --secret S   a local webhook receiver: prints verified deliveries, refuses forged ones
`

// run is the whole program: it parses args (args[0] is the program name), reads
// configuration through getenv, and returns when ctx ends or the command is done.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	cmd, rest := "serve", []string{}
	if len(args) > 1 {
		cmd, rest = args[1], args[2:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, rest, getenv, stdout)
	case "migrate":
		return migrate(ctx, rest, getenv, stdout)
	case "backup":
		return backup(ctx, rest, getenv, stdout)
	case "sandbox":
		return runSandbox(ctx, rest, getenv, stdout)
	case "apikey":
		return apikey(ctx, rest, getenv, stdout)
	case "officer":
		return officer(ctx, rest, getenv, stdin, stdout)
	case "webhook":
		return webhook(ctx, rest, getenv, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

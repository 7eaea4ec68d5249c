package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"prequal/store"
)

const apikeyUsage = "usage: portal apikey add --tenant T   (prints the new Credit Decision API key once)"

// apikey is `portal apikey add --tenant T`: it creates a key for the Credit
// Decision API and prints its secret. The secret is shown only here: the
// database keeps its SHA-256, so a lost key is replaced (rotated), not recovered.
func apikey(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New(apikeyUsage)
	}
	cfg := &config{}
	fs := flag.NewFlagSet("apikey add", flag.ContinueOnError)
	cfg.flags(fs, getenv)
	tenant := fs.String("tenant", "", "tenant (partner) the key belongs to: letters, digits, '.', '_', '-'")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *tenant == "" {
		return errors.New("apikey add: --tenant is required\n" + apikeyUsage)
	}
	if err := cfg.load(); err != nil {
		return err
	}
	st, err := openMigratedStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	k, secret, err := st.CreateAPIKey(ctx, *tenant, store.AuditEntry{Note: "portal apikey add"})
	if err != nil {
		return fmt.Errorf("apikey add: %w", err)
	}
	fmt.Fprintf(stdout, "API key %s (%s…) created for tenant %s.\n", k.ID, k.Prefix, k.TenantID)
	fmt.Fprintln(stdout, "Copy it now: it is not stored and will not be shown again. Send it in the x-api-key header.")
	fmt.Fprintln(stdout, secret)
	return nil
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"prequal/lending"
	"prequal/store"
)

const apikeyUsage = "usage: portal apikey add --tenant T [--scopes 'decision journeys …']   (prints the new API key once)"

// apikey is `portal apikey add --tenant T [--scopes S]`: it creates a key for
// partner T (made, active, if it does not exist) with scopes S (default
// decision; operator allowed: this is an operator's command) and prints its
// secret. The secret is shown only here: the
// database keeps its SHA-256, so a lost key is replaced (rotated), not recovered.
func apikey(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New(apikeyUsage)
	}
	cfg := &config{}
	fs := flag.NewFlagSet("apikey add", flag.ContinueOnError)
	cfg.flags(fs, getenv)
	tenant := fs.String("tenant", "", "tenant (partner) the key belongs to: letters, digits, '.', '_', '-'")
	scopeNames := fs.String("scopes", string(lending.ScopeDecision), "the key's scopes, space- or comma-separated: "+lending.Scopes(lending.AllScopes).String())
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *tenant == "" {
		return errors.New("apikey add: --tenant is required\n" + apikeyUsage)
	}
	scopes, err := lending.NewScopes(strings.ReplaceAll(*scopeNames, ",", " "))
	if err != nil {
		return fmt.Errorf("apikey add: --scopes: %w", err)
	}
	if err := cfg.load(); err != nil {
		return err
	}
	st, err := openMigratedStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	k, secret, err := st.CreateAPIKey(ctx, store.NewAPIKey{PartnerID: *tenant, Scopes: scopes, Live: cfg.production()},
		store.AuditEntry{Note: "portal apikey add"})
	if err != nil {
		return fmt.Errorf("apikey add: %w", err)
	}
	fmt.Fprintf(stdout, "API key %s (%s…) created for tenant %s with scopes %s.\n", k.ID, k.Prefix, k.TenantID, k.Scopes)
	fmt.Fprintln(stdout, "Copy it now: it is not stored and will not be shown again. Send it as Authorization: Bearer <key> or x-api-key: <key>.")
	fmt.Fprintln(stdout, secret)
	return nil
}

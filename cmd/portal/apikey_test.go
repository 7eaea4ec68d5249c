package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"prequal/store"
)

func TestAPIKeyAddPrintsAWorkingKeyOnce(t *testing.T) {
	dir := t.TempDir()
	getenv := func(name string) string {
		if name == "PORTAL_DATA_DIR" {
			return dir
		}
		return ""
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"portal", "apikey", "add", "--tenant", "acme-bank"}, getenv, nil, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	secret := lines[len(lines)-1]
	if !strings.HasPrefix(secret, "sk_test_") { // stage
		t.Fatalf("last line %q is not the key; output:\n%s", secret, out.String())
	}
	if strings.Count(out.String(), secret) != 1 {
		t.Error("the key is printed more than once")
	}

	cfg, err := parseConfig("test", []string{"--data-dir", dir}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, "portal.db"), cfg.dataKey)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	k, err := st.APIKeyBySecret(context.Background(), secret)
	if err != nil {
		t.Fatalf("the printed key does not authenticate: %v", err)
	}
	if k.TenantID != "acme-bank" || !strings.Contains(out.String(), k.ID) || k.Scopes.String() != "decision" {
		t.Errorf("key %+v; output:\n%s", k, out.String())
	}
}

func TestAPIKeyAddRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	getenv := func(name string) string {
		if name == "PORTAL_DATA_DIR" {
			return dir
		}
		return ""
	}
	for _, args := range [][]string{
		{"portal", "apikey"},
		{"portal", "apikey", "list"},
		{"portal", "apikey", "add"},
		{"portal", "apikey", "add", "--tenant", "not ok"},
		{"portal", "apikey", "add", "--tenant", "acme", "--scopes", "decision everything"},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), args, getenv, nil, &out); err == nil {
			t.Errorf("%v: no error; output %q", args, out.String())
		}
		if strings.Contains(out.String(), "sk_test_") {
			t.Errorf("%v printed a key", args)
		}
	}
}

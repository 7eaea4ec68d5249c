package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"prequal/lending"
	"prequal/store"
)

// officerTestStore opens the data dir's database the way the commands do.
func officerTestStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	cfg, err := parseConfig("test", []string{"--data-dir", dir}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), cfg.dbPath(), cfg.dataKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func dataDirEnv(dir string) func(string) string {
	return func(name string) string {
		if name == "PORTAL_DATA_DIR" {
			return dir
		}
		return ""
	}
}

func TestOfficerAddReadsThePasswordFromStdin(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	err := run(context.Background(), []string{"portal", "officer", "add", "--email", "Ada@Bank.example", "--role", "admin"},
		dataDirEnv(dir), strings.NewReader("piped password 1\nignored second line\n"), &out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "piped password") || !strings.Contains(out.String(), "ada@bank.example") {
		t.Errorf("output:\n%s", out.String())
	}
	o, err := officerTestStore(t, dir).SignIn(context.Background(), store.SignInAttempt{Email: "ada@bank.example", Password: "piped password 1"})
	if err != nil || o.Role != lending.RoleAdmin {
		t.Fatalf("sign in with the piped password: %+v %v", o, err)
	}
}

func TestOfficerAddGeneratesAPasswordWhenNothingIsPiped(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"portal", "officer", "add", "--email", "olive@bank.example", "--role", "officer"},
		dataDirEnv(dir), strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	pw := lines[len(lines)-1]
	if len(pw) < 16 || strings.Count(out.String(), pw) != 1 {
		t.Fatalf("generated password %q; output:\n%s", pw, out.String())
	}
	if _, err := officerTestStore(t, dir).SignIn(context.Background(), store.SignInAttempt{Email: "olive@bank.example", Password: pw}); err != nil {
		t.Fatalf("the printed password does not sign in: %v", err)
	}
}

func TestOfficerAddRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	add := func(stdin string, args ...string) error {
		return run(context.Background(), append([]string{"portal", "officer"}, args...), dataDirEnv(dir), strings.NewReader(stdin), &bytes.Buffer{})
	}
	if err := add("", "add", "--email", "ada@bank.example", "--role", "officer"); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		stdin string
		args  []string
	}{
		"no subcommand":  {"", nil},
		"wrong verb":     {"", []string{"remove", "--email", "x@bank.example"}},
		"no email":       {"", []string{"add", "--role", "officer"}},
		"bad role":       {"", []string{"add", "--email", "x@bank.example", "--role", "root"}},
		"short password": {"short\n", []string{"add", "--email", "x@bank.example", "--role", "officer"}},
		"duplicate":      {"", []string{"add", "--email", "ADA@bank.example", "--role", "officer"}},
	}
	for name, c := range cases {
		if err := add(c.stdin, c.args...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := add("", "add", "--email", "ADA@bank.example", "--role", "officer"); !errors.Is(err, store.ErrOfficerExists) {
		t.Errorf("duplicate: %v", err)
	}
}

func TestStageDemoOfficer(t *testing.T) {
	dir := t.TempDir()
	cfg, err := parseConfig("test", []string{"--data-dir", dir}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, stageSecretsFile))
	if err != nil {
		t.Fatal(err)
	}
	var secrets stageSecrets
	if err := json.Unmarshal(b, &secrets); err != nil || len(secrets.DemoOfficerPassword) < 16 || secrets.DemoOfficerPassword != cfg.demoOfficerPassword {
		t.Fatalf("stage secrets lack the demo officer password: %v", err)
	}
	st := officerTestStore(t, dir)
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for range 2 { // every start: the second finds the account as it should be
		if err := ensureDemoOfficer(context.Background(), st, cfg, &out); err != nil {
			t.Fatal(err)
		}
	}
	want := "Officer sign-in: " + cfg.BaseURL + "/admin — officer@stage.test / " + cfg.demoOfficerPassword
	if !strings.Contains(out.String(), want) {
		t.Errorf("output %q, want %q", out.String(), want)
	}
	o, err := st.SignIn(context.Background(), store.SignInAttempt{Email: demoOfficerEmail, Password: cfg.demoOfficerPassword})
	if err != nil || o.Role != lending.RoleAdmin {
		t.Fatalf("demo officer: %+v %v", o, err)
	}

	// Production never creates it, whatever the configuration holds.
	prodDir := t.TempDir()
	prodStore := officerTestStore(t, prodDir)
	if err := prodStore.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	prod := &config{Env: "production", demoOfficerPassword: "a leaked demo password"}
	out.Reset()
	if err := ensureDemoOfficer(context.Background(), prodStore, prod, &out); err != nil || out.Len() != 0 {
		t.Fatalf("production: %v %q", err, out.String())
	}
	if list, _ := prodStore.Officers(context.Background()); len(list) != 0 {
		t.Errorf("production has officers: %+v", list)
	}
}

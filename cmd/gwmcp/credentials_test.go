package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/credentials"
	"github.com/gwmcp/gwmcp/internal/seal"
	"github.com/gwmcp/gwmcp/internal/secret"
)

const (
	testAccess  = "ya29.cli-test-access-token"
	testRefresh = "1//cli-test-refresh-token"
)

// seedCredentials stores two accounts in dir (FILE_ENCRYPTED) the way the server would.
func seedCredentials(t *testing.T, dir string) {
	t.Helper()
	kr, err := seal.NewKeyStore(dir, nil).Load()
	if err != nil {
		t.Fatal(err)
	}
	st, err := credentials.Open(credentials.Options{Dir: dir, Mode: credentials.FileEncrypted, Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i, email := range []string{"alice@example.com", "bob@example.com"} {
		err := st.Put(context.Background(), credentials.Credential{
			Email: email, Subject: "10" + string(rune('1'+i)),
			AccessToken: secret.New(testAccess), RefreshToken: secret.New(testRefresh),
			Expiry: time.Now().Add(time.Hour), Scopes: []string{"https://www.googleapis.com/auth/drive.readonly", "openid"},
			ClientID: "cid.apps.googleusercontent.com",
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func run(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	out, err := command(t, env, args...).CombinedOutput()
	text := string(out)
	if strings.Contains(text, testAccess) || strings.Contains(text, testRefresh) {
		t.Fatalf("%v printed a token:\n%s", args, text)
	}
	return text, err
}

func TestCredentialsListMigrateRotate(t *testing.T) {
	dir := t.TempDir()
	seedCredentials(t, dir)
	env := []string{"PATH=" + os.Getenv("PATH"), "CREDENTIALS_DIR=" + dir}

	out, err := run(t, env, "credentials", "list")
	if err != nil || !strings.Contains(out, "alice@example.com") || !strings.Contains(out, "drive.readonly") ||
		!strings.Contains(out, "FILE_ENCRYPTED") || !strings.Contains(out, "expires in") {
		t.Fatalf("list: %v\n%s", err, out)
	}

	// A corrupt file is reported, left untouched, and the other accounts still list.
	bad := filepath.Join(dir, "carol_at_example_com_credentials.enc")
	if err := os.WriteFile(bad, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, env, "credentials", "list")
	if err != nil || !strings.Contains(out, "bob@example.com") || !strings.Contains(out, "carol_at_example_com_credentials.enc") {
		t.Fatalf("list with a corrupt file: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(bad); string(b) != "garbage" {
		t.Fatal("corrupt file was changed")
	}
	os.Remove(bad)

	out, err = run(t, env, "credentials", "migrate", "--to", "FILE_PLAINTEXT")
	if err != nil || !strings.Contains(out, "Moved 2 credential(s)") {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "alice_at_example_com_credentials.json")); err != nil {
		t.Fatalf("no plaintext file after migrate: %v", err)
	}
	out, err = run(t, append(env, "CREDENTIAL_STORAGE_MODE=FILE_PLAINTEXT"), "credentials", "migrate", "--to", "FILE_ENCRYPTED")
	if err != nil || !strings.Contains(out, "Moved 2") {
		t.Fatalf("migrate back: %v\n%s", err, out)
	}

	oldKey, _ := os.ReadFile(filepath.Join(dir, seal.KeyFileName))
	out, err = run(t, env, "key", "rotate")
	if err != nil || !strings.Contains(out, "2 credential file(s) re-sealed") {
		t.Fatalf("key rotate: %v\n%s", err, out)
	}
	newKey, _ := os.ReadFile(filepath.Join(dir, seal.KeyFileName))
	if string(oldKey) == string(newKey) {
		t.Fatal("key file unchanged after rotate")
	}
	out, err = run(t, env, "credentials", "list")
	if err != nil || !strings.Contains(out, "alice@example.com") || !strings.Contains(out, "bob@example.com") {
		t.Fatalf("list after rotate: %v\n%s", err, out)
	}

	if out, err := run(t, append(env, "AUTH_ENCRYPTION_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="), "key", "rotate"); err == nil || !strings.Contains(out, "AUTH_ENCRYPTION_KEY is set") {
		t.Errorf("rotate with AUTH_ENCRYPTION_KEY: %v\n%s", err, out)
	}
	if out, err := run(t, env, "credentials", "migrate", "--to", "CLOUD"); err == nil || !strings.Contains(out, "--to") {
		t.Errorf("migrate to a bad mode: %v\n%s", err, out)
	}
}

func TestCredentialsImport(t *testing.T) {
	dir, py := t.TempDir(), t.TempDir()
	pyFile := filepath.Join(py, "dave_at_example_com_credentials.json")
	content := `{"token":"` + testAccess + `","refresh_token":"` + testRefresh + `","token_uri":"https://oauth2.googleapis.com/token",` +
		`"client_id":"cid.apps.googleusercontent.com","client_secret":"GOCSPX-python-secret","scopes":["https://www.googleapis.com/auth/gmail.readonly"],` +
		`"expiry":"2030-01-01T00:00:00","user_email":"dave@example.com"}`
	if err := os.WriteFile(pyFile, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "CREDENTIALS_DIR=" + dir}
	out, err := run(t, env, "credentials", "import", "--from", py)
	if err != nil || !strings.Contains(out, "imported dave@example.com") || strings.Contains(out, "GOCSPX-python-secret") {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(pyFile); string(b) != content {
		t.Error("import changed the source file")
	}
	enc, err := os.ReadFile(filepath.Join(dir, "dave_at_example_com_credentials.enc"))
	if err != nil || strings.Contains(string(enc), "GOCSPX") || strings.Contains(string(enc), testRefresh) {
		t.Fatalf("imported file missing or not sealed: %v", err)
	}
	out, _ = run(t, env, "credentials", "list")
	if !strings.Contains(out, "dave@example.com") || !strings.Contains(out, "gmail.readonly") {
		t.Errorf("list after import:\n%s", out)
	}
}

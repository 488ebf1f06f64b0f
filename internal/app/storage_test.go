package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/config"
	"github.com/gwmcp/gwmcp/internal/credentials"
	"github.com/gwmcp/gwmcp/internal/secret"
)

func TestCredentialMigrationAtStart(t *testing.T) {
	dir := t.TempDir()
	plain, err := credentials.Open(credentials.Options{Dir: dir, Mode: credentials.FilePlaintext})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := plain.Put(ctx, credentials.Credential{Email: "alice@example.com", Subject: "1", RefreshToken: secret.New("1//r")}); err != nil {
		t.Fatal(err)
	}
	plain.Close()

	cfg := config.Defaults()
	cfg.CredentialsDir = dir
	cfg.CredentialMigration = true
	st, err := OpenStorage(ctx, cfg, StorageOptions{KV: "memory"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := os.Stat(filepath.Join(dir, "alice_at_example_com_credentials.json")); !os.IsNotExist(err) {
		t.Errorf("plaintext file still there after migration: %v", err)
	}
	c, err := st.Credentials.Get(ctx, "alice@example.com")
	if err != nil || c.RefreshToken.Reveal() != "1//r" {
		t.Fatalf("credential after migration: %v %+v", err, c)
	}
	// The key-value store seals what it writes.
	if err := st.KV.Set(ctx, "k", []byte("plaintext-value"), 0); err != nil {
		t.Fatal(err)
	}
	raw, _ := st.kvInner.Get(ctx, "k")
	if string(raw) == "plaintext-value" {
		t.Error("key-value store wrote plaintext")
	}
}

func TestStorageRefusesBadKeyFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".auth_encryption_key"), make([]byte, 32), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.CredentialsDir = dir
	if _, err := OpenStorage(context.Background(), cfg, StorageOptions{KV: "none"}); err == nil {
		t.Fatal("world-readable key file accepted")
	}
}

func TestStoreURLPrefix(t *testing.T) {
	cfg := config.Defaults()
	cfg.StoreURL = secret.New("redis://127.0.0.1:6379/5?prefix=gwmcp-test-prefix:")
	kv, err := OpenKV(context.Background(), cfg, nil)
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("no Redis: %v", err)
		}
		t.Fatal(err)
	}
	defer kv.Close()
	ctx := context.Background()
	if err := kv.Set(ctx, "k", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	defer kv.Delete(ctx, "k")
	if p, ok := kv.(interface{ Prefix() string }); !ok || p.Prefix() != "gwmcp-test-prefix:" {
		t.Errorf("prefix not applied")
	}
}

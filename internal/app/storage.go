package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"time"

	"github.com/gwmcp/gwmcp/internal/config"
	"github.com/gwmcp/gwmcp/internal/credentials"
	"github.com/gwmcp/gwmcp/internal/seal"
	"github.com/gwmcp/gwmcp/internal/store"
	"github.com/gwmcp/gwmcp/internal/store/embedded"
	"github.com/gwmcp/gwmcp/internal/store/memory"
	"github.com/gwmcp/gwmcp/internal/store/redis"
)

// EmbeddedStoreFile is the embedded key-value store's file under CREDENTIALS_DIR.
const EmbeddedStoreFile = "gwmcp.db"

// Storage is everything gwmcp keeps: the keyring, the Google credentials and the key-value
// store of server state (sealed with the keyring).
type Storage struct {
	Keyring     *seal.Keyring
	Credentials *credentials.Store
	KV          store.Store
	kvInner     store.Store
}

// Close closes the store and the credentials.
func (s *Storage) Close() error {
	var errs []error
	if s.KV != nil {
		errs = append(errs, s.KV.Close())
	}
	if s.Credentials != nil {
		errs = append(errs, s.Credentials.Close())
	}
	return errors.Join(errs...)
}

// StorageOptions say which key-value store to open.
type StorageOptions struct {
	// KV: "auto" picks Redis when STORE_URL is set, else the embedded store; "memory" keeps
	// server state in memory (stdio, where no other process needs it and two desktop clients
	// may each start a gwmcp on the same directory); "none" opens no key-value store.
	KV     string
	Now    func() time.Time
	Logger *slog.Logger
}

// LoadKeyring returns the keyring from AUTH_ENCRYPTION_KEY or the key file (created on
// first use).
func LoadKeyring(cfg config.Config) (*seal.Keyring, error) {
	if !cfg.AuthEncryptionKey.IsZero() {
		kr, err := seal.KeyringFromBase64(cfg.AuthEncryptionKey, nil)
		if err != nil {
			return nil, fmt.Errorf("AUTH_ENCRYPTION_KEY: %w", err)
		}
		return kr, nil
	}
	kr, err := seal.NewKeyStore(cfg.CredentialsDir, nil).Load()
	if err != nil {
		return nil, fmt.Errorf("loading the encryption key: %w", err)
	}
	return kr, nil
}

// OpenStorage opens the keyring, migrates credentials when CREDENTIAL_MIGRATION asks, and
// opens the credentials and the key-value store.
func OpenStorage(ctx context.Context, cfg config.Config, o StorageOptions) (*Storage, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	mode, err := credentials.ParseMode(cfg.CredentialMode)
	if err != nil {
		return nil, fmt.Errorf("CREDENTIAL_STORAGE_MODE: %w", err)
	}
	kr, err := LoadKeyring(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.CredentialMigration && mode.Persistent() {
		if err := migrateTo(ctx, cfg.CredentialsDir, mode, kr, o.Logger); err != nil {
			return nil, err
		}
	}
	st := &Storage{Keyring: kr}
	st.Credentials, err = credentials.Open(credentials.Options{Dir: cfg.CredentialsDir, Mode: mode, Keyring: kr, Now: o.Now, Logger: o.Logger})
	if err != nil {
		return nil, fmt.Errorf("opening credentials in %s: %w", cfg.CredentialsDir, err)
	}
	if mode.IsPlaintext() {
		o.Logger.Warn("CREDENTIAL_STORAGE_MODE=FILE_PLAINTEXT: Google tokens are stored unencrypted in " +
			cfg.CredentialsDir + "; use FILE_ENCRYPTED outside development")
	}
	switch o.KV {
	case "none":
	case "memory":
		st.kvInner = memory.New(memory.Options{Now: o.Now})
	default:
		st.kvInner, err = OpenKV(ctx, cfg, o.Now)
		if err != nil {
			st.Close()
			return nil, err
		}
	}
	if st.kvInner != nil {
		st.KV = store.Sealed(st.kvInner, kr)
	}
	return st, nil
}

// OpenKV opens the configured key-value store without sealing: Redis for STORE_URL, else the
// embedded file under CREDENTIALS_DIR.
func OpenKV(ctx context.Context, cfg config.Config, now func() time.Time) (store.Store, error) {
	if raw := cfg.StoreURL.Reveal(); raw != "" {
		// A "prefix" query parameter puts gwmcp's keys under that prefix (several deployments
		// or test runs in one Redis database); it is not passed on to the Redis client.
		opts := redis.Options{}
		if u, err := url.Parse(raw); err == nil && u.Query().Has("prefix") {
			q := u.Query()
			opts.Prefix = q.Get("prefix")
			q.Del("prefix")
			u.RawQuery = q.Encode()
			raw = u.String()
		}
		kv, err := redis.Open(ctx, raw, opts)
		if err != nil {
			return nil, fmt.Errorf("STORE_URL: %w", err)
		}
		return kv, nil
	}
	kv, err := embedded.Open(filepath.Join(cfg.CredentialsDir, EmbeddedStoreFile), embedded.Options{Now: now})
	if err != nil {
		return nil, fmt.Errorf("opening the embedded store: %w", err)
	}
	return kv, nil
}

// migrateTo moves credentials kept in any other persistent mode to mode.
func migrateTo(ctx context.Context, dir string, mode credentials.Mode, kr *seal.Keyring, log *slog.Logger) error {
	for _, from := range credentials.Modes {
		if from == mode || !from.Persistent() {
			continue
		}
		res, err := credentials.Migrate(ctx, credentials.MigrateOptions{Dir: dir, From: from, To: mode, Keyring: kr, Logger: log})
		if err != nil {
			return fmt.Errorf("CREDENTIAL_MIGRATION from %s to %s: %w", from, mode, err)
		}
		if res.Moved > 0 {
			log.Info("credentials migrated", "from", string(from), "to", string(mode), "moved", res.Moved)
		}
	}
	return nil
}

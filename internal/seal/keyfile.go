package seal

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gwmcp/gwmcp/internal/secret"
)

// File and directory names under CREDENTIALS_DIR.
const (
	KeyFileName = ".auth_encryption_key"
	KeyDirName  = ".auth_encryption_keys"
	nextKeyName = "next.key"
	keySuffix   = ".key"
)

// Errors about key material. Compare with errors.Is.
var (
	ErrInsecureKeyFile = errors.New("key file is readable or writable by group or others")
	ErrInvalidKeyFile  = errors.New("key file is not a 32-byte key")
	ErrInvalidEnvKey   = errors.New("AUTH_ENCRYPTION_KEY must be the base64 encoding of exactly 32 bytes")
)

// KeyringFromBase64 builds a single-key keyring from the value of AUTH_ENCRYPTION_KEY
// (standard or URL-safe base64, padded or not). rnd nil means crypto/rand.
func KeyringFromBase64(value secret.String, rnd io.Reader) (*Keyring, error) {
	v := strings.TrimSpace(value.Reveal())
	var key []byte
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(v); err == nil {
			key = b
			break
		}
	}
	if key == nil {
		return nil, fmt.Errorf("%w: the value is not valid base64", ErrInvalidEnvKey)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("%w: it decodes to %d bytes", ErrInvalidEnvKey, len(key))
	}
	return NewKeyring(key, nil, rnd)
}

// KeyStore manages the key files in one credentials directory: the primary key and the
// keys kept during a rotation (see the package documentation).
type KeyStore struct {
	dir  string
	rand io.Reader
}

// NewKeyStore returns the key store of dir. rnd supplies new keys and nonces; nil means
// crypto/rand.
func NewKeyStore(dir string, rnd io.Reader) *KeyStore {
	if rnd == nil {
		rnd = rand.Reader
	}
	return &KeyStore{dir: dir, rand: rnd}
}

// PrimaryPath is the path of the primary key file.
func (s *KeyStore) PrimaryPath() string { return filepath.Join(s.dir, KeyFileName) }

func (s *KeyStore) keyDir() string   { return filepath.Join(s.dir, KeyDirName) }
func (s *KeyStore) nextPath() string { return filepath.Join(s.keyDir(), nextKeyName) }

// Load returns the keyring of the directory: the primary key (created with 32 random
// bytes on first use) plus any keys kept by an unfinished rotation.
func (s *KeyStore) Load() (*Keyring, error) {
	if err := EnsurePrivateDir(s.dir); err != nil {
		return nil, fmt.Errorf("load encryption key: %w", err)
	}
	primary, err := readKeyFile(s.PrimaryPath())
	if errors.Is(err, fs.ErrNotExist) {
		primary, err = s.createPrimary()
	}
	if err != nil {
		return nil, fmt.Errorf("load encryption key: %w", err)
	}
	others, err := s.otherKeys()
	if err != nil {
		return nil, fmt.Errorf("load encryption key: %w", err)
	}
	return NewKeyring(primary, others, s.rand)
}

func (s *KeyStore) createPrimary() ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := io.ReadFull(s.rand, key); err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	err := createExclusive(s.PrimaryPath(), key, 0o600)
	if errors.Is(err, fs.ErrExist) {
		// Another process created it first: use theirs.
		return readKeyFile(s.PrimaryPath())
	}
	if err != nil {
		return nil, err
	}
	return key, nil
}

// otherKeys reads next.key and every retired key, in a stable order.
func (s *KeyStore) otherKeys() ([][]byte, error) {
	names, err := s.retiredNames()
	if err != nil {
		return nil, err
	}
	if _, err := os.Lstat(s.nextPath()); err == nil {
		names = append(names, nextKeyName)
	}
	var keys [][]byte
	for _, n := range names {
		k, err := readKeyFile(filepath.Join(s.keyDir(), n))
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// retiredNames lists the retired key files (<16 hex digits>.key).
func (s *KeyStore) retiredNames() ([]string, error) {
	entries, err := os.ReadDir(s.keyDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", s.keyDir(), err)
	}
	var names []string
	for _, e := range entries {
		if isRetiredName(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

func isRetiredName(name string) bool {
	id, ok := strings.CutSuffix(name, keySuffix)
	if !ok || len(id) != 2*keyIDSize {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

// RotationPending reports whether an earlier rotation has not finished: a new key is
// waiting or retired keys are still kept.
func (s *KeyStore) RotationPending() (bool, error) {
	names, err := s.retiredNames()
	if err != nil {
		return false, err
	}
	if len(names) > 0 {
		return true, nil
	}
	_, err = os.Lstat(s.nextPath())
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, err
}

// BeginRotation makes a new primary key, keeping the old one as retired, and returns
// the resulting keyring. If an earlier rotation is unfinished it completes that one's
// promotion instead of starting another, and resumed is true. It is idempotent and safe
// to rerun after a crash at any point. The caller must hold the directory exclusively.
func (s *KeyStore) BeginRotation() (kr *Keyring, resumed bool, err error) {
	if _, err := s.Load(); err != nil { // validates files, creates the primary if missing
		return nil, false, fmt.Errorf("rotate key: %w", err)
	}
	if err := EnsurePrivateDir(s.keyDir()); err != nil {
		return nil, false, fmt.Errorf("rotate key: %w", err)
	}
	resumed, err = s.RotationPending()
	if err != nil {
		return nil, false, fmt.Errorf("rotate key: %w", err)
	}
	if !resumed {
		key := make([]byte, KeySize)
		if _, err := io.ReadFull(s.rand, key); err != nil {
			return nil, false, fmt.Errorf("rotate key: generate key: %w", err)
		}
		if err := createExclusive(s.nextPath(), key, 0o600); err != nil {
			return nil, false, fmt.Errorf("rotate key: %w", err)
		}
	}
	if err := s.promote(); err != nil {
		return nil, resumed, fmt.Errorf("rotate key: %w", err)
	}
	kr, err = s.Load()
	if err != nil {
		return nil, resumed, fmt.Errorf("rotate key: %w", err)
	}
	return kr, resumed, nil
}

// promote moves next.key into place as the primary, keeping the old primary as a
// retired key. Each step is atomic and every step is skipped once done.
func (s *KeyStore) promote() error {
	next, err := readKeyFile(s.nextPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil // nothing waiting
	}
	if err != nil {
		return err
	}
	primary, err := readKeyFile(s.PrimaryPath())
	if err != nil {
		return err
	}
	if KeyIDOf(primary) != KeyIDOf(next) {
		retired := filepath.Join(s.keyDir(), KeyIDOf(primary).String()+keySuffix)
		if err := WriteFileAtomic(retired, primary, 0o600); err != nil {
			return err
		}
		if err := WriteFileAtomic(s.PrimaryPath(), next, 0o600); err != nil {
			return err
		}
	}
	return RemoveFile(s.nextPath())
}

// FinishRotation deletes every retired key. Call it only after every record sealed with
// those keys has been re-sealed with the primary.
func (s *KeyStore) FinishRotation() error {
	names, err := s.retiredNames()
	if err != nil {
		return fmt.Errorf("finish key rotation: %w", err)
	}
	primary, err := readKeyFile(s.PrimaryPath())
	if err != nil {
		return fmt.Errorf("finish key rotation: %w", err)
	}
	keep := KeyIDOf(primary).String() + keySuffix
	for _, n := range names {
		if n == keep {
			continue
		}
		if err := os.Remove(filepath.Join(s.keyDir(), n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("finish key rotation: %w", err)
		}
	}
	if err := SyncDir(s.keyDir()); err != nil {
		return fmt.Errorf("finish key rotation: %w", err)
	}
	return nil
}

// readKeyFile reads a 32-byte key file, refusing one that others can read or write,
// that is not a regular file, or that has the wrong size.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read key file %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read key file %s: %w", path, err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("%w: %s is a directory", ErrInvalidKeyFile, path)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrInvalidKeyFile, path)
	}
	if perm := fi.Mode().Perm(); perm&0o066 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o; run chmod 600 %s", ErrInsecureKeyFile, path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return nil, fmt.Errorf("read key file %s: %w", path, err)
	}
	if len(b) != KeySize {
		hint := ""
		if looksLikeFernetKey(b) {
			hint = " (it looks like the Python server's Fernet key: point CREDENTIALS_DIR at a new directory and run `gwmcp credentials import --from` the old one)"
		}
		return nil, fmt.Errorf("%w: %s holds %d bytes, want %d%s", ErrInvalidKeyFile, path, len(b), KeySize, hint)
	}
	return b, nil
}

func looksLikeFernetKey(b []byte) bool {
	k, err := base64.URLEncoding.DecodeString(strings.TrimSpace(string(b)))
	return err == nil && len(k) == 32
}

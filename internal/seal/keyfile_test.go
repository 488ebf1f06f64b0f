package seal

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gwmcp/gwmcp/internal/secret"
)

func TestLoadCreatesPrivateKeyOnFirstUse(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "creds")
	ks := NewKeyStore(dir, nil)
	k1, err := ks.Load()
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(ks.PrimaryPath())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Size() != KeySize {
		t.Fatalf("key file mode %v size %d", fi.Mode(), fi.Size())
	}
	di, _ := os.Stat(dir)
	if di.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v, want 0700", di.Mode().Perm())
	}
	k2, err := ks.Load()
	if err != nil {
		t.Fatal(err)
	}
	if k1.Primary() != k2.Primary() {
		t.Fatal("second load made a different key")
	}
}

func TestLoadTightensLooseDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := NewKeyStore(dir, nil).Load(); err != nil {
		t.Fatal(err)
	}
	di, _ := os.Stat(dir)
	if di.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v, want 0700", di.Mode().Perm())
	}
}

func TestConcurrentFirstLoadAgreesOnOneKey(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	ids := make([]KeyID, 16)
	errs := make([]error, 16)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := NewKeyStore(dir, nil).Load()
			errs[i] = err
			if err == nil {
				ids[i] = k.Primary()
			}
		}()
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatal("concurrent first loads created different keys")
		}
	}
}

func TestLoadRefusesBadKeyFiles(t *testing.T) {
	fernet := []byte(base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{3}, 32)))
	tests := []struct {
		name    string
		setup   func(path string) error
		want    error
		mention string
	}{
		{"world readable", func(p string) error { return os.WriteFile(p, testKey(1), 0o644) }, ErrInsecureKeyFile, "chmod 600"},
		{"group writable", func(p string) error {
			if err := os.WriteFile(p, testKey(1), 0o600); err != nil {
				return err
			}
			return os.Chmod(p, 0o620)
		}, ErrInsecureKeyFile, "0620"},
		{"too short", func(p string) error { return os.WriteFile(p, testKey(1)[:31], 0o600) }, ErrInvalidKeyFile, "31 bytes"},
		{"too long", func(p string) error { return os.WriteFile(p, append(testKey(1), '\n'), 0o600) }, ErrInvalidKeyFile, "33 bytes"},
		{"empty", func(p string) error { return os.WriteFile(p, nil, 0o600) }, ErrInvalidKeyFile, "0 bytes"},
		{"python fernet key", func(p string) error { return os.WriteFile(p, fernet, 0o600) }, ErrInvalidKeyFile, "Python server"},
		{"directory", func(p string) error { return os.Mkdir(p, 0o700) }, ErrInvalidKeyFile, "is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			ks := NewKeyStore(dir, nil)
			if err := tt.setup(ks.PrimaryPath()); err != nil {
				t.Fatal(err)
			}
			before, _ := os.Lstat(ks.PrimaryPath())
			_, err := ks.Load()
			if !errors.Is(err, tt.want) {
				t.Fatalf("Load error = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), ks.PrimaryPath()) || !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("error %q does not name the file or mention %q", err, tt.mention)
			}
			after, _ := os.Lstat(ks.PrimaryPath())
			if before.Mode() != after.Mode() || before.Size() != after.Size() {
				t.Fatal("Load changed a refused key file")
			}
		})
	}
}

func TestKeyringFromBase64(t *testing.T) {
	key := testKey(5)
	tests := []struct {
		name  string
		value string
		ok    bool
	}{
		{"std", base64.StdEncoding.EncodeToString(key), true},
		{"url", base64.URLEncoding.EncodeToString(key), true},
		{"raw std", base64.RawStdEncoding.EncodeToString(key), true},
		{"spaces", "  " + base64.StdEncoding.EncodeToString(key) + "\n", true},
		{"16 bytes", base64.StdEncoding.EncodeToString(key[:16]), false},
		{"not base64", "not*base64!", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := KeyringFromBase64(secret.New(tt.value), nil)
			if tt.ok {
				if err != nil || k.Primary() != KeyIDOf(key) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidEnvKey) {
				t.Fatalf("err = %v, want ErrInvalidEnvKey", err)
			}
			if strings.Contains(err.Error(), tt.value) && tt.value != "" {
				t.Fatal("error message leaks the value")
			}
		})
	}
}

func TestRotationProtocol(t *testing.T) {
	dir := t.TempDir()
	ks := NewKeyStore(dir, nil)
	k0, err := ks.Load()
	if err != nil {
		t.Fatal(err)
	}
	env, _ := k0.Seal([]byte("secret"), []byte("r"))
	if p, _ := ks.RotationPending(); p {
		t.Fatal("fresh store reports a pending rotation")
	}
	k1, resumed, err := ks.BeginRotation()
	if err != nil || resumed {
		t.Fatalf("BeginRotation: resumed=%v err=%v", resumed, err)
	}
	if k1.Primary() == k0.Primary() || !k1.Has(k0.Primary()) {
		t.Fatal("rotation did not make a new primary while keeping the old key")
	}
	// A fresh load (another process) sees both keys.
	kl, err := ks.Load()
	if err != nil || kl.Primary() != k1.Primary() || !kl.Has(k0.Primary()) {
		t.Fatalf("load during rotation: %v", err)
	}
	if p, _ := ks.RotationPending(); !p {
		t.Fatal("rotation in progress not reported")
	}
	// Rerunning Begin resumes rather than making a third key.
	k2, resumed, err := ks.BeginRotation()
	if err != nil || !resumed || k2.Primary() != k1.Primary() {
		t.Fatalf("rerun: resumed=%v err=%v", resumed, err)
	}
	if _, err := kl.Open(env, []byte("r")); err != nil {
		t.Fatal(err)
	}
	if err := ks.FinishRotation(); err != nil {
		t.Fatal(err)
	}
	kf, err := ks.Load()
	if err != nil || kf.Primary() != k1.Primary() || kf.Has(k0.Primary()) || len(kf.IDs()) != 1 {
		t.Fatalf("after finish: ids=%v err=%v", kf.IDs(), err)
	}
	if p, _ := ks.RotationPending(); p {
		t.Fatal("finished rotation still pending")
	}
}

// TestRotationResumesFromEveryIntermediateState builds each on-disk state a crash can
// leave inside promote and checks that BeginRotation finishes it with both keys kept.
func TestRotationResumesFromEveryIntermediateState(t *testing.T) {
	oldKey, newKey := testKey(1), testKey(2)
	retiredName := KeyIDOf(oldKey).String() + ".key"
	tests := []struct {
		name  string
		state func(dir string)
	}{
		{"next written", func(dir string) {
			write(t, filepath.Join(dir, KeyDirName, "next.key"), newKey)
		}},
		{"old key retired", func(dir string) {
			write(t, filepath.Join(dir, KeyDirName, "next.key"), newKey)
			write(t, filepath.Join(dir, KeyDirName, retiredName), oldKey)
		}},
		{"primary replaced", func(dir string) {
			write(t, filepath.Join(dir, KeyDirName, "next.key"), newKey)
			write(t, filepath.Join(dir, KeyDirName, retiredName), oldKey)
			write(t, filepath.Join(dir, KeyFileName), newKey)
		}},
		{"next removed", func(dir string) {
			write(t, filepath.Join(dir, KeyDirName, retiredName), oldKey)
			write(t, filepath.Join(dir, KeyFileName), newKey)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			os.Mkdir(filepath.Join(dir, KeyDirName), 0o700)
			write(t, filepath.Join(dir, KeyFileName), oldKey)
			tt.state(dir)
			ks := NewKeyStore(dir, nil)
			// Reads work in the intermediate state.
			if k, err := ks.Load(); err != nil || !k.Has(KeyIDOf(oldKey)) {
				t.Fatalf("load in intermediate state: %v", err)
			}
			k, resumed, err := ks.BeginRotation()
			if err != nil || !resumed {
				t.Fatalf("resumed=%v err=%v", resumed, err)
			}
			if k.Primary() != KeyIDOf(newKey) || !k.Has(KeyIDOf(oldKey)) || len(k.IDs()) != 2 {
				t.Fatalf("keyring ids %v", k.IDs())
			}
			if _, err := os.Stat(filepath.Join(dir, KeyDirName, "next.key")); !os.IsNotExist(err) {
				t.Fatal("next.key left behind")
			}
		})
	}
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := WriteFileAtomic(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

package identity

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// LocalDefault keeps the desktop (stdio) user's default account in a small file under
// CREDENTIALS_DIR, so the choice survives restarts and is shared by every desktop client.
type LocalDefault struct {
	path  string
	write func(path string, data []byte, perm os.FileMode) error
	mu    sync.Mutex
}

// LocalDefaultFile is the file's name under CREDENTIALS_DIR.
const LocalDefaultFile = ".default_account"

// NewLocalDefault returns the default-account file of dir; write is an atomic file writer
// (seal.WriteFileAtomic).
func NewLocalDefault(dir string, write func(path string, data []byte, perm os.FileMode) error) *LocalDefault {
	return &LocalDefault{path: filepath.Join(dir, LocalDefaultFile), write: write}
}

// Get returns the default account, or "" when none was chosen.
func (d *LocalDefault) Get() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, err := os.ReadFile(d.path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// Set chooses the default account ("" clears it).
func (d *LocalDefault) Set(email string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if email == "" {
		if err := os.Remove(d.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("identity: clearing the default account: %w", err)
		}
		return nil
	}
	if err := d.write(d.path, []byte(strings.ToLower(email)+"\n"), 0o600); err != nil {
		return fmt.Errorf("identity: saving the default account: %w", err)
	}
	return nil
}

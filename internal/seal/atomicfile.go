package seal

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFileAtomic replaces path with data so that a crash at any instant leaves either
// the old content or the new, never a mix: it writes a temporary file in the same
// directory, syncs it, renames it over path and syncs the directory.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := writeTemp(path, data, perm)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := SyncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// createExclusive writes data to path only if path does not exist yet; it returns an
// error wrapping fs.ErrExist otherwise. The file appears complete or not at all.
func createExclusive(path string, data []byte, perm os.FileMode) error {
	tmp, err := writeTemp(path, data, perm)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("create %s: %w", path, fs.ErrExist)
		}
		// Some filesystems have no hard links: fall back to O_EXCL.
		f, ferr := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if ferr != nil {
			return fmt.Errorf("create %s: %w", path, ferr)
		}
		if _, werr := f.Write(data); werr != nil {
			f.Close()
			os.Remove(path)
			return fmt.Errorf("create %s: %w", path, werr)
		}
		if serr := f.Sync(); serr != nil {
			f.Close()
			os.Remove(path)
			return fmt.Errorf("create %s: %w", path, serr)
		}
		if cerr := f.Close(); cerr != nil {
			return fmt.Errorf("create %s: %w", path, cerr)
		}
	}
	if err := SyncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	return nil
}

func writeTemp(path string, data []byte, perm os.FileMode) (string, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	name := f.Name()
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(name)
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil {
		return fail(err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(name)
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return name, nil
}

// IsTempFile reports whether name (a base name) is a temporary file left by
// WriteFileAtomic, for example after a crash. Such files are safe to delete when no
// writer is running.
func IsTempFile(name string) bool {
	if len(name) < 2 || name[0] != '.' {
		return false
	}
	for i := len(name) - 1; i > 0; i-- {
		if name[i] == '-' {
			return i >= 6 && name[i-4:i] == ".tmp"
		}
	}
	return false
}

// RemoveFile deletes path (a missing file is not an error) and syncs its directory so
// the removal survives a crash.
func RemoveFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	if err := SyncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return nil
}

// SyncDir fsyncs a directory so renames and removals in it are durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// EnsurePrivateDir creates dir (and parents) if needed and makes sure dir itself is
// mode 0700, tightening it if it is open to group or others.
func EnsurePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create directory %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("create directory %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("create directory %s: exists and is not a directory", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("restrict directory %s to 0700: %w", dir, err)
		}
	}
	return nil
}

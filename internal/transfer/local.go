package transfer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// maxSuffix bounds the "name (n).ext" attempts of CreateLocal.
const maxSuffix = 999

// OpenLocal opens an existing regular file under the local directory for reading. name is
// relative to the directory (sub-directories are fine) or an absolute path inside it; a name
// that leads outside, lexically or through a symlink, fails with ErrOutside. Like os.Root,
// it follows relative symlinks that stay inside and refuses absolute symlinks.
func (s *Service) OpenLocal(name string) (*os.File, error) {
	rel, err := s.rel(name)
	if err != nil {
		return nil, err
	}
	f, err := s.root.Open(rel)
	if err != nil {
		return nil, classify(name, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("transfer: stat %q: %w", name, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%w: %q", ErrNotRegular, name)
	}
	return f, nil
}

// CreateLocal creates a new file under the local directory (mode 0600, creating missing
// sub-directories) and returns it with its absolute path. It never replaces anything: when
// the name is taken it tries "name (1).ext", "name (2).ext" and so on.
func (s *Service) CreateLocal(name string) (*os.File, string, error) {
	rel, err := s.rel(name)
	if err != nil {
		return nil, "", err
	}
	if rel == "." || strings.HasSuffix(name, "/") || strings.HasSuffix(name, string(filepath.Separator)) {
		return nil, "", fmt.Errorf("%w: %q", ErrBadName, name)
	}
	dir, file := filepath.Split(rel)
	if dir != "" {
		if err := s.root.MkdirAll(filepath.Clean(dir), 0o700); err != nil {
			return nil, "", classify(name, err)
		}
	}
	ext := filepath.Ext(file)
	stem := strings.TrimSuffix(file, ext)
	if stem == "" { // ".bashrc": keep the whole name as the stem
		stem, ext = file, ""
	}
	for n := 0; n <= maxSuffix; n++ {
		cand := file
		if n > 0 {
			cand = stem + " (" + strconv.Itoa(n) + ")" + ext
		}
		p := filepath.Join(dir, cand)
		f, err := s.root.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			return f, filepath.Join(s.dir, p), nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, "", classify(name, err)
		}
	}
	return nil, "", fmt.Errorf("transfer: %q and %d numbered variants already exist: %w", name, maxSuffix, fs.ErrExist)
}

// rel turns a name into a path relative to the local directory, refusing names that
// lexically leave it. Symlinks are judged by os.Root when the path is opened.
func (s *Service) rel(name string) (string, error) {
	if s.root == nil {
		return "", ErrNotLocal
	}
	if strings.TrimSpace(name) == "" || strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("%w: %q", ErrBadName, name)
	}
	p := name
	if filepath.IsAbs(p) {
		r, err := filepath.Rel(s.dir, filepath.Clean(p))
		if err != nil {
			return "", fmt.Errorf("%w: %q", ErrOutside, name)
		}
		p = r
	}
	p = filepath.Clean(p)
	if !filepath.IsLocal(p) && p != "." {
		return "", fmt.Errorf("%w: %q", ErrOutside, name)
	}
	return p, nil
}

// classify maps os.Root's refusal of a path that escapes (through "..", or a symlink
// leading out) onto ErrOutside and keeps every other error as it is.
// (os keeps that error unexported, so it is recognised by its text, which the tests pin).
func classify(name string, err error) error {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if e.Error() == "path escapes from parent" {
			return fmt.Errorf("%w: %q", ErrOutside, name)
		}
	}
	return fmt.Errorf("transfer: %q: %w", name, err)
}

package credentials

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gwmcp/gwmcp/internal/seal"
	"github.com/gwmcp/gwmcp/internal/secret"
)

const (
	recordFormat = "gwmcp-credential-v1"
	maxFileSize  = 1 << 20
	filePerm     = 0o600
	lockFileName = ".gwmcp.lock"
)

// record is the JSON form of a Credential, sealed or (FILE_PLAINTEXT) as is. Field names
// follow google-auth's authorized-user files where one exists.
type record struct {
	Format       string     `json:"format"`
	Email        string     `json:"user_email"`
	Subject      string     `json:"sub,omitempty"`
	Token        string     `json:"token,omitempty"`
	RefreshToken string     `json:"refresh_token,omitempty"`
	TokenType    string     `json:"token_type,omitempty"`
	Expiry       *time.Time `json:"expiry,omitempty"`
	Scopes       []string   `json:"scopes,omitempty"`
	ClientID     string     `json:"client_id,omitempty"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

func toRecord(c Credential) record {
	r := record{
		Format:       recordFormat,
		Email:        c.Email,
		Subject:      c.Subject,
		Token:        c.AccessToken.Reveal(),
		RefreshToken: c.RefreshToken.Reveal(),
		TokenType:    c.TokenType,
		Scopes:       c.Scopes,
		ClientID:     c.ClientID,
		UpdatedAt:    c.UpdatedAt,
	}
	if !c.Expiry.IsZero() {
		e := c.Expiry
		r.Expiry = &e
	}
	return r
}

func (r record) credential() Credential {
	c := Credential{
		Email:        r.Email,
		Subject:      r.Subject,
		AccessToken:  secret.New(r.Token),
		RefreshToken: secret.New(r.RefreshToken),
		TokenType:    r.TokenType,
		Scopes:       r.Scopes,
		ClientID:     r.ClientID,
		UpdatedAt:    utc(r.UpdatedAt),
	}
	if r.Expiry != nil {
		c.Expiry = utc(*r.Expiry)
	}
	return c
}

// aadFor is the additional data that binds a sealed file to its name.
func aadFor(safe string) []byte { return []byte("credential:" + safe) }

// encodeFile returns the bytes of the mode's file for c.
func encodeFile(c Credential, mode Mode, kr *seal.Keyring) ([]byte, error) {
	r := toRecord(c)
	if mode.NeedsKeyring() {
		js, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("encode credential for %s: %w", c.Email, err)
		}
		env, err := kr.Seal(js, aadFor(SafeName(c.Email)))
		if err != nil {
			return nil, fmt.Errorf("seal credential for %s: %w", c.Email, err)
		}
		return env, nil
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode credential for %s: %w", c.Email, err)
	}
	return append(js, '\n'), nil
}

// fileStamp identifies one version of a file, to notice changes by other processes.
type fileStamp struct {
	mod  time.Time
	size int64
}

func stampOf(fi fs.FileInfo) fileStamp { return fileStamp{mod: fi.ModTime(), size: fi.Size()} }

// readRaw reads a credential file, refusing non-files, empty files and huge files.
func readRaw(path string) ([]byte, fileStamp, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileStamp{}, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fileStamp{}, fmt.Errorf("read %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fileStamp{}, fmt.Errorf("read %s: %w", path, ErrNotRegularFile)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fileStamp{}, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) == 0 {
		return nil, fileStamp{}, fmt.Errorf("read %s: %w", path, ErrEmptyFile)
	}
	if len(data) > maxFileSize {
		return nil, fileStamp{}, fmt.Errorf("read %s: %w: larger than %d bytes", path, ErrCorrupt, maxFileSize)
	}
	return data, stampOf(fi), nil
}

// openPlain returns the JSON inside a credential file of the given mode.
func openPlain(path string, data []byte, mode Mode, kr *seal.Keyring) ([]byte, error) {
	if !mode.NeedsKeyring() {
		return data, nil
	}
	safe := safeFromPath(path, mode)
	js, err := kr.Open(data, aadFor(safe))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return js, nil
}

// decodeRecord parses the JSON of a credential and checks it belongs to the file name.
func decodeRecord(path string, js []byte, mode Mode) (Credential, error) {
	var r record
	dec := json.NewDecoder(bytes.NewReader(js))
	if err := dec.Decode(&r); err != nil {
		return Credential{}, fmt.Errorf("read %s: %w: %v", path, ErrCorrupt, err)
	}
	if r.Format != recordFormat {
		hint := ""
		if r.Format == "" && mode == FilePlaintext {
			hint = " (a file of the Python server? use gwmcp credentials import)"
		}
		return Credential{}, fmt.Errorf("read %s: %w: format %q%s", path, ErrCorrupt, r.Format, hint)
	}
	if err := ValidateEmail(r.Email); err != nil {
		return Credential{}, fmt.Errorf("read %s: %w: %v", path, ErrCorrupt, err)
	}
	if SafeName(r.Email) != safeFromPath(path, mode) {
		return Credential{}, fmt.Errorf("read %s: %w: it holds %s", path, ErrWrongAccount, NormalizeEmail(r.Email))
	}
	return r.credential(), nil
}

// readFile reads and decodes the credential file at path.
func readFile(path string, mode Mode, kr *seal.Keyring) (Credential, fileStamp, error) {
	data, st, err := readRaw(path)
	if err != nil {
		return Credential{}, st, err
	}
	js, err := openPlain(path, data, mode, kr)
	if err != nil {
		return Credential{}, st, err
	}
	c, err := decodeRecord(path, js, mode)
	return c, st, err
}

// readFor reads the file of email in dir. A file holding another address with the same
// name gives ErrNameCollision; a missing file gives an error wrapping fs.ErrNotExist.
func readFor(dir, email string, mode Mode, kr *seal.Keyring) (Credential, fileStamp, error) {
	path := filePath(dir, email, mode)
	c, st, err := readFile(path, mode, kr)
	if err != nil {
		return Credential{}, st, err
	}
	if c.Email != NormalizeEmail(email) {
		return Credential{}, st, fmt.Errorf("read %s for %s: %w: it holds %s", path, NormalizeEmail(email), ErrNameCollision, c.Email)
	}
	return c, st, nil
}

func filePath(dir, email string, mode Mode) string {
	return filepath.Join(dir, SafeName(email)+mode.suffix())
}

func safeFromPath(path string, mode Mode) string {
	return strings.TrimSuffix(filepath.Base(path), mode.suffix())
}

// listFiles returns the paths of the mode's files in dir, sorted.
func listFiles(dir string, mode Mode) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var paths []string
	for _, e := range entries {
		n := e.Name()
		if strings.HasSuffix(n, mode.suffix()) && len(n) > len(mode.suffix()) && !seal.IsTempFile(n) {
			paths = append(paths, filepath.Join(dir, n))
		}
	}
	sort.Strings(paths)
	return paths, nil
}

// removeStaleTemps deletes temporary files a crashed write of the mode's files left.
// Only call it while holding the directory exclusively.
func removeStaleTemps(dir string, modes ...Mode) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		n := e.Name()
		if !seal.IsTempFile(n) {
			continue
		}
		for _, m := range modes {
			if m.suffix() != "" && strings.Contains(n, m.suffix()+".tmp-") {
				os.Remove(filepath.Join(dir, n))
			}
		}
	}
}

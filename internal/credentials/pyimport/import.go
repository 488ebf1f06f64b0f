// Package pyimport owns reading the credential files of the Python server this project
// replaces (google_workspace_fastmcp2), for `gwmcp credentials import --from DIR`:
//
//	{safe}_credentials.json  google-auth authorized-user JSON (FILE_PLAINTEXT)
//	{safe}_credentials.enc   FILE_ENCRYPTED
//	{safe}_backup.enc        MEMORY_WITH_BACKUP
//
// An .enc file is either base64url(Fernet token) of that JSON, keyed by DIR/.auth_encryption_key
// (which holds a Fernet key as text) or, when the Python server ran with MCP_API_KEY, by
// base64url(HKDF-SHA256(MCP_API_KEY, salt "mcp-google-workspace-v1", info
// "credential-encryption")); or a JSON per-user envelope {"v":2,"enc":"per_user",...}
// whose content key is wrapped for per-user API keys and for the account's Google sub
// (found in DIR/.oauth_linkage_prefs.json). This package opens all of these; envelopes
// whose recipients it cannot derive (for example ones protected by a passphrase) are
// reported, not guessed at. The envelope's own "hmac" field is not checked: every part
// that is used is authenticated by Fernet itself.
//
// Import only reads DIR. It returns credentials (client secrets dropped) for the caller
// to store, and the files it could not read with the reason.
package pyimport

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gwmcp/gwmcp/internal/credentials"
	"github.com/gwmcp/gwmcp/internal/secret"
)

// Errors of Import. Fernet errors (ErrFernetAuth, ...) and parser errors also come
// through wrapped.
var (
	ErrNoKey          = errors.New("the file is encrypted but no key opens it")
	ErrPerUserSealed  = errors.New("the file is a per-user envelope and no known recipient key opens it (sign in again with `gwmcp auth login`, or pass the account's per-user API key)")
	ErrGwmcpFile      = errors.New("this is a gwmcp file, not the Python server's (nothing to import)")
	ErrNotADirectory  = errors.New("not a directory")
	ErrNotRegularFile = errors.New("not a regular file")
)

const (
	keyFileName     = ".auth_encryption_key"
	linkageFileName = ".oauth_linkage_prefs.json"
	maxFile         = 1 << 20
)

// Options say where to import from and which extra secrets may open the files.
type Options struct {
	Dir string
	// MCPAPIKey is the Python server's MCP_API_KEY, if it ran with one: its .enc files
	// are then keyed by a value derived from it.
	MCPAPIKey secret.String
	// UserAPIKeys are per-user API keys (the bearer tokens the Python server handed out)
	// that may open per-user envelopes.
	UserAPIKeys []secret.String
}

// Imported is one credential read from DIR.
type Imported struct {
	Credential credentials.Credential
	Path       string
	// EmailFromFileName is true when the file does not name its account and the address
	// was rebuilt from the file name, where "_" may have been "." or "_": confirm it
	// with Google (userinfo) before storing.
	EmailFromFileName bool
}

// Result is what Import found.
type Result struct {
	Credentials []Imported            // one per account, sorted by address
	Problems    []credentials.Problem // files that could not be read, with the reason
	Superseded  []string              // files of an account that also had a newer file
}

// Import reads every Python server credential file in opts.Dir. It never writes there.
func Import(ctx context.Context, opts Options) (Result, error) {
	var res Result
	fi, err := os.Stat(opts.Dir)
	if err != nil {
		return res, fmt.Errorf("pyimport: %w", err)
	}
	if !fi.IsDir() {
		return res, fmt.Errorf("pyimport: %s: %w", opts.Dir, ErrNotADirectory)
	}
	im, err := newImporter(opts)
	if err != nil {
		return res, err
	}
	entries, err := os.ReadDir(opts.Dir)
	if err != nil {
		return res, fmt.Errorf("pyimport: %w", err)
	}
	best := map[string]int{} // address -> index in res.Credentials
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		safe, kind := classify(e.Name())
		if kind == "" {
			continue
		}
		path := filepath.Join(opts.Dir, e.Name())
		item, err := im.readOne(path, safe, kind)
		if err != nil {
			res.Problems = append(res.Problems, credentials.Problem{Path: path, Err: err})
			continue
		}
		if i, ok := best[item.Credential.Email]; ok {
			if newer(item, res.Credentials[i]) {
				res.Superseded = append(res.Superseded, res.Credentials[i].Path)
				res.Credentials[i] = item
			} else {
				res.Superseded = append(res.Superseded, item.Path)
			}
			continue
		}
		best[item.Credential.Email] = len(res.Credentials)
		res.Credentials = append(res.Credentials, item)
	}
	sort.Slice(res.Credentials, func(i, j int) bool { return res.Credentials[i].Credential.Email < res.Credentials[j].Credential.Email })
	sort.Strings(res.Superseded)
	return res, nil
}

// newer prefers the later expiry, then a main file over a backup.
func newer(a, b Imported) bool {
	if !a.Credential.Expiry.Equal(b.Credential.Expiry) {
		return a.Credential.Expiry.After(b.Credential.Expiry)
	}
	return strings.HasSuffix(a.Path, "_credentials.enc") && strings.HasSuffix(b.Path, "_backup.enc")
}

// classify returns the safe name and kind ("json" or "enc") of a credential file name.
func classify(name string) (safe, kind string) {
	for _, s := range []struct{ suffix, kind string }{
		{"_credentials.json", "json"}, {"_credentials.enc", "enc"}, {"_backup.enc", "enc"},
	} {
		if base, ok := strings.CutSuffix(name, s.suffix); ok && base != "" && !strings.HasPrefix(name, ".") {
			return base, s.kind
		}
	}
	return "", ""
}

type importer struct {
	serverSecret []byte      // raw content of .auth_encryption_key (nil if absent)
	fernetKeys   []fernetKey // keys for the server-wide format
	userKeys     []secret.String
	subs         map[string]linkage // safe name -> linkage entry
}

type linkage struct {
	email, sub string
}

func newImporter(opts Options) (*importer, error) {
	im := &importer{userKeys: opts.UserAPIKeys, subs: map[string]linkage{}}
	raw, err := readLimited(filepath.Join(opts.Dir, keyFileName))
	switch {
	case err == nil:
		im.serverSecret = raw
		if k, err := parseFernetKey(raw); err == nil {
			im.fernetKeys = append(im.fernetKeys, k)
		}
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("pyimport: %w", err)
	}
	if api := opts.MCPAPIKey.Reveal(); api != "" {
		derived, err := hkdf.Key(sha256.New, []byte(api), []byte("mcp-google-workspace-v1"), "credential-encryption", 32)
		if err != nil {
			return nil, fmt.Errorf("pyimport: derive key from MCP_API_KEY: %w", err)
		}
		k, _ := fernetKeyFromBytes(derived)
		im.fernetKeys = append([]fernetKey{k}, im.fernetKeys...)
	}
	im.loadLinkage(filepath.Join(opts.Dir, linkageFileName))
	return im, nil
}

// loadLinkage reads the Python server's per-account preferences, which hold each
// account's Google sub, encrypted with a key derived from the server secret (older
// versions wrote plain JSON). A missing or unreadable file only means fewer envelopes
// can be opened.
func (im *importer) loadLinkage(path string) {
	raw, err := readLimited(path)
	if err != nil {
		return
	}
	js := raw
	if im.serverSecret != nil && !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		derived, err := hkdf.Key(sha256.New, bytes.TrimSpace(im.serverSecret), []byte("oauth-linkage-prefs-salt-v1"), "oauth-linkage-prefs-encryption-v1", 32)
		if err != nil {
			return
		}
		k, _ := fernetKeyFromBytes(derived)
		if js, err = fernetDecrypt(k, raw); err != nil {
			return
		}
	}
	var prefs map[string]struct {
		GoogleSub string `json:"google_sub"`
	}
	if json.Unmarshal(js, &prefs) != nil {
		return
	}
	for email, p := range prefs {
		if p.GoogleSub != "" && credentials.ValidateEmail(email) == nil {
			im.subs[credentials.SafeName(email)] = linkage{email: credentials.NormalizeEmail(email), sub: p.GoogleSub}
		}
	}
}

func (im *importer) readOne(path, safe, kind string) (Imported, error) {
	raw, err := readLimited(path)
	if err != nil {
		return Imported{}, err
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return Imported{}, fmt.Errorf("read %s: the file is empty", path)
	}
	plain := raw
	if kind == "enc" {
		if plain, err = im.decrypt(raw, safe); err != nil {
			return Imported{}, fmt.Errorf("read %s: %w", path, err)
		}
	}
	c, err := ParseAuthorizedUser(plain)
	if err != nil {
		if kind == "json" && bytes.Contains(raw, []byte(`"gwmcp-credential-v1"`)) {
			err = ErrGwmcpFile
		}
		return Imported{}, fmt.Errorf("read %s: %w", path, err)
	}
	item := Imported{Credential: c, Path: path}
	link, linked := im.subs[safe]
	if c.Email == "" {
		if linked {
			c.Email = link.email
		} else {
			c.Email = emailFromSafeName(safe)
			item.EmailFromFileName = true
		}
	}
	if linked && link.email == c.Email {
		c.Subject = link.sub
	}
	if err := credentials.ValidateEmail(c.Email); err != nil {
		return Imported{}, fmt.Errorf("read %s: %w", path, err)
	}
	item.Credential = c
	return item, nil
}

// decrypt opens the content of a Python .enc file.
func (im *importer) decrypt(raw []byte, safe string) ([]byte, error) {
	t := bytes.TrimSpace(raw)
	if len(t) > 0 && t[0] == 1 && !isText(t) {
		return nil, ErrGwmcpFile // a seal envelope starts with version byte 1
	}
	if bytes.HasPrefix(t, []byte("{")) {
		return im.decryptEnvelope(t, safe)
	}
	// The Python server base64-encodes the Fernet token once more; accept a bare token too.
	token := t
	if !bytes.HasPrefix(t, []byte("gAAAAA")) {
		if inner, err := decodeBase64URL(t); err == nil && bytes.HasPrefix(inner, []byte("gAAAAA")) {
			token = inner
		}
	}
	if len(im.fernetKeys) == 0 {
		return nil, fmt.Errorf("%w: %s has no Fernet key and no MCP_API_KEY was given", ErrNoKey, keyFileName)
	}
	var last error
	for _, k := range im.fernetKeys {
		pt, err := fernetDecrypt(k, token)
		if err == nil {
			return pt, nil
		}
		last = err
	}
	if errors.Is(last, ErrFernetAuth) {
		return nil, fmt.Errorf("%w (tried %d key(s): %s, and MCP_API_KEY if given): %w", ErrNoKey, len(im.fernetKeys), keyFileName, last)
	}
	return nil, last
}

func isText(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// v2Envelope is the Python server's per-user format.
type v2Envelope struct {
	V          int               `json:"v"`
	Enc        string            `json:"enc"`
	Recipients map[string]string `json:"recipients"`
	Data       string            `json:"data"`
}

// decryptEnvelope opens a per-user envelope with any recipient key that can be
// derived: the given per-user API keys, and the account's OAuth recipient key (from its
// Google sub and the server secret, without a passphrase).
func (im *importer) decryptEnvelope(js []byte, safe string) ([]byte, error) {
	var env v2Envelope
	if err := json.Unmarshal(js, &env); err != nil || env.Enc != "per_user" || env.Data == "" {
		return nil, fmt.Errorf("%w: unrecognised JSON envelope", ErrNotCredential)
	}
	if im.serverSecret == nil {
		return nil, fmt.Errorf("%w: %s is missing", ErrPerUserSealed, keyFileName)
	}
	var recipients []string
	for _, k := range im.userKeys {
		recipients = append(recipients, k.Reveal())
	}
	if l, ok := im.subs[safe]; ok {
		sum := sha256.Sum256(append(append(bytes.Clone(im.serverSecret), ":oauth-identity-recipient-v2:"...), l.sub...))
		recipients = append(recipients, hex.EncodeToString(sum[:]))
	}
	for _, r := range recipients {
		derived, err := hkdf.Key(sha256.New, []byte(r), im.serverSecret, "per-user-credential-encryption-v1", 32)
		if err != nil {
			continue
		}
		wrapper, _ := fernetKeyFromBytes(derived)
		dataKey := wrapper
		if env.Recipients != nil {
			kid := sha256.Sum256([]byte(r))
			wrapped, ok := env.Recipients[hex.EncodeToString(kid[:])]
			if !ok {
				continue
			}
			token, err := decodeBase64URL([]byte(wrapped))
			if err != nil {
				continue
			}
			cek, err := fernetDecrypt(wrapper, token)
			if err != nil {
				continue
			}
			if dataKey, err = parseFernetKey(cek); err != nil {
				continue
			}
		}
		token, err := decodeBase64URL([]byte(env.Data))
		if err != nil {
			return nil, fmt.Errorf("%w: data is not base64", ErrNotCredential)
		}
		if pt, err := fernetDecrypt(dataKey, token); err == nil {
			return pt, nil
		}
	}
	return nil, ErrPerUserSealed
}

// emailFromSafeName rebuilds an address from a file name the way the Python server
// does when listing: the last "_at_" is the "@" and every other "_" is taken for ".".
func emailFromSafeName(safe string) string {
	i := strings.LastIndex(safe, "_at_")
	if i < 0 {
		return strings.ReplaceAll(safe, "_", ".")
	}
	return strings.ReplaceAll(safe[:i], "_", ".") + "@" + strings.ReplaceAll(safe[i+4:], "_", ".")
}

// readLimited reads a regular file of at most maxFile bytes, read-only.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("read %s: %w", path, ErrNotRegularFile)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > maxFile {
		return nil, fmt.Errorf("read %s: larger than %d bytes", path, maxFile)
	}
	return b, nil
}

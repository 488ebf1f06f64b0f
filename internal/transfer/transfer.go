// Package transfer owns how large content moves in and out of gwmcp's tools without base64 in
// tool arguments (DESIGN.md, issue 7). It implements the tools.Transfers interface:
//
//   - on stdio, tools read and write files under one local directory (Options.LocalDir),
//     opened through an os.Root so that no name (.., an absolute path elsewhere, a symlink
//     leading out) reaches anything outside it, and never overwriting an existing file;
//   - over HTTP, a tool mints a signed URL: a 256-bit random ticket id in the path, kept only
//     as a hash in the key-value store, single-use (store.Take), short-lived (Options.TTL) and
//     bound to the principal that minted it. The handler registered for the ticket's kind
//     streams the bytes between that URL and Google with constant memory; uploads are capped
//     at Options.MaxBytes.
//
// It also offers ProgressReader, the throttled byte counter tools use to report MCP progress
// while they stream.
package transfer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/store"
)

// Defaults of Options.
const (
	DefaultTTL          = 10 * time.Minute
	DefaultIOTimeout    = time.Hour
	DefaultMaxBytes     = 512 << 20
	DefaultUploadPath   = "/drive-upload/"
	DefaultDownloadPath = "/attachment-download/"
)

// keyPrefix starts every ticket key in the store.
const keyPrefix = "transfer/"

// idBytes is the entropy of a ticket id (256 bits).
const idBytes = 32

// Options configure a Service. Every field is optional, but URLs need BaseURL and KV, and
// local files need LocalDir.
type Options struct {
	// LocalDir is the directory tools read and write on stdio; "" means tools use URLs.
	// It is created (0700) if missing.
	LocalDir string
	// BaseURL is gwmcp's public URL (BASE_URL, e.g. http://localhost:8002); minted URLs
	// start with it.
	BaseURL string
	// KV keeps the tickets (under "transfer/", by the hash of their id).
	KV store.Store
	// TTL is how long a minted URL may be used (DefaultTTL when zero).
	TTL time.Duration
	// MaxBytes caps one upload (DefaultMaxBytes when zero).
	MaxBytes int64
	// IOTimeout replaces the server's read timeout (uploads) and write timeout (downloads)
	// on a transfer's connection, which are far too short for large files (DefaultIOTimeout
	// when zero).
	IOTimeout time.Duration
	// UploadPath and DownloadPath are the URL path prefixes of uploads and downloads,
	// ending in "/" (DefaultUploadPath and DefaultDownloadPath when empty).
	UploadPath, DownloadPath string
	// Now and Rand are injected for tests (time.Now and crypto/rand when nil).
	Now    func() time.Time
	Rand   io.Reader
	Logger *slog.Logger
}

// UploadFunc streams one upload's body to its destination as account and returns the result
// shown to the uploader as JSON. size is the Content-Length, or -1 when unknown.
type UploadFunc func(ctx context.Context, account string, params map[string]string, body io.Reader, size int64) (any, error)

// DownloadFunc streams one download's content to w, setting Content-Type and
// Content-Disposition before the first write.
type DownloadFunc func(ctx context.Context, account string, params map[string]string, w http.ResponseWriter) error

// Service mints and serves transfer URLs and opens local files. It is safe for concurrent use.
type Service struct {
	opts    Options
	dir     string   // absolute LocalDir, or ""
	root    *os.Root // LocalDir opened as a root, or nil
	base    string   // BaseURL without a trailing slash
	mu      sync.RWMutex
	uploads map[string]UploadFunc
	downs   map[string]DownloadFunc
}

// Errors of this package; compare with errors.Is.
var (
	// ErrNotLocal means local files were asked for but no LocalDir is configured.
	ErrNotLocal = errors.New("transfer: no local transfer directory is configured")
	// ErrOutside means a name leads outside the local directory.
	ErrOutside = errors.New("transfer: the path leads outside the transfer directory")
	// ErrBadName means a name is empty or unusable as a file name.
	ErrBadName = errors.New("transfer: the file name is empty or invalid")
	// ErrNotRegular means a name is a directory or a special file.
	ErrNotRegular = errors.New("transfer: the path is not a regular file")
	// ErrNoURLs means URLs were asked for but BaseURL or KV is missing.
	ErrNoURLs = errors.New("transfer: transfer URLs are not configured (no base URL or store)")
	// ErrUnknownKind means no handler is registered for a kind.
	ErrUnknownKind = errors.New("transfer: no handler is registered for this kind")
)

// New builds a Service, creating and opening LocalDir when one is given.
func New(opts Options) (*Service, error) {
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.IOTimeout <= 0 {
		opts.IOTimeout = DefaultIOTimeout
	}
	if opts.UploadPath == "" {
		opts.UploadPath = DefaultUploadPath
	}
	if opts.DownloadPath == "" {
		opts.DownloadPath = DefaultDownloadPath
	}
	for _, p := range []string{opts.UploadPath, opts.DownloadPath} {
		if !strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/") || strings.ContainsAny(p, "{}") {
			return nil, fmt.Errorf("transfer: path prefix %q must start and end with /", p)
		}
	}
	if opts.UploadPath == opts.DownloadPath {
		return nil, errors.New("transfer: upload and download paths must differ")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{opts: opts, uploads: map[string]UploadFunc{}, downs: map[string]DownloadFunc{}}
	if opts.BaseURL != "" {
		u, err := url.Parse(opts.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("transfer: base URL %q is not an absolute http(s) URL", opts.BaseURL)
		}
		s.base = strings.TrimRight(opts.BaseURL, "/")
	}
	if opts.LocalDir != "" {
		dir, err := filepath.Abs(opts.LocalDir)
		if err != nil {
			return nil, fmt.Errorf("transfer: local directory: %w", err)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("transfer: create local directory: %w", err)
		}
		root, err := os.OpenRoot(dir)
		if err != nil {
			return nil, fmt.Errorf("transfer: open local directory: %w", err)
		}
		s.dir, s.root = dir, root
	}
	return s, nil
}

// Close releases the local directory.
func (s *Service) Close() error {
	if s.root != nil {
		return s.root.Close()
	}
	return nil
}

// Local reports whether tools should use local files (stdio) rather than URLs.
func (s *Service) Local() bool { return s.dir != "" }

// Dir returns the absolute local directory ("" when not local).
func (s *Service) Dir() string { return s.dir }

// MaxBytes returns the upload cap.
func (s *Service) MaxBytes() int64 { return s.opts.MaxBytes }

// HandleUpload registers what runs when bytes arrive at an upload URL of that kind.
// Registering a kind twice replaces the handler.
func (s *Service) HandleUpload(kind string, h func(ctx context.Context, account string, params map[string]string, body io.Reader, size int64) (any, error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.uploads[kind] = h
}

// HandleDownload registers what serves a download URL of that kind.
func (s *Service) HandleDownload(kind string, h func(ctx context.Context, account string, params map[string]string, w http.ResponseWriter) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.downs[kind] = h
}

func (s *Service) uploadFunc(kind string) UploadFunc {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.uploads[kind]
}

func (s *Service) downloadFunc(kind string) DownloadFunc {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.downs[kind]
}

// direction of a ticket.
const (
	dirUpload   = "up"
	dirDownload = "down"
)

// ticket is what the store keeps for one URL.
type ticket struct {
	Dir     string            `json:"dir"`
	Kind    string            `json:"kind"`
	Subject string            `json:"sub"`
	Account string            `json:"acct"`
	Params  map[string]string `json:"params,omitempty"`
	Expires time.Time         `json:"exp"`
}

// UploadURL mints a URL at which the caller PUTs (or POSTs) the bytes of one upload.
func (s *Service) UploadURL(ctx context.Context, p identity.Principal, account, kind string, params map[string]string) (string, time.Time, error) {
	if s.uploadFunc(kind) == nil {
		return "", time.Time{}, fmt.Errorf("%w: upload %q", ErrUnknownKind, kind)
	}
	return s.mint(ctx, dirUpload, s.opts.UploadPath, p, account, kind, params)
}

// DownloadURL mints a URL from which the caller GETs content once.
func (s *Service) DownloadURL(ctx context.Context, p identity.Principal, account, kind string, params map[string]string) (string, time.Time, error) {
	if s.downloadFunc(kind) == nil {
		return "", time.Time{}, fmt.Errorf("%w: download %q", ErrUnknownKind, kind)
	}
	return s.mint(ctx, dirDownload, s.opts.DownloadPath, p, account, kind, params)
}

func (s *Service) mint(ctx context.Context, dir, prefix string, p identity.Principal, account, kind string, params map[string]string) (string, time.Time, error) {
	if s.base == "" || s.opts.KV == nil {
		return "", time.Time{}, ErrNoURLs
	}
	var raw [idBytes]byte
	if _, err := io.ReadFull(s.opts.Rand, raw[:]); err != nil {
		return "", time.Time{}, fmt.Errorf("transfer: random ticket id: %w", err)
	}
	id := base64.RawURLEncoding.EncodeToString(raw[:])
	exp := s.opts.Now().Add(s.opts.TTL)
	t := ticket{Dir: dir, Kind: kind, Subject: p.Subject, Account: account, Params: params, Expires: exp}
	b, err := json.Marshal(t)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("transfer: encode ticket: %w", err)
	}
	// The store keeps an expired ticket one more TTL so that a late request is told 410
	// Gone rather than 404; expiry itself is judged by Expires and the injected clock.
	if err := s.opts.KV.Set(ctx, ticketKey(id), b, 2*s.opts.TTL); err != nil {
		return "", time.Time{}, fmt.Errorf("transfer: store ticket: %w", err)
	}
	return s.base + prefix + id, exp, nil
}

// ticketKey is the store key of a ticket id: only its hash is kept, so the store never
// holds a usable URL.
func ticketKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return keyPrefix + hex.EncodeToString(sum[:])
}

// validID reports whether id has the shape of a minted id (43 base64url characters).
func validID(id string) bool {
	if len(id) != base64.RawURLEncoding.EncodedLen(idBytes) {
		return false
	}
	for _, c := range id {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

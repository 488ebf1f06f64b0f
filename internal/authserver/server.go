package authserver

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gwmcp/gwmcp/internal/authserver/cimd"
	"github.com/gwmcp/gwmcp/internal/scopes"
	"github.com/gwmcp/gwmcp/internal/store"
)

// Store key prefixes. Keys derived from a secret are hashed (hashKey).
const (
	keySigningKeys = "as/keys"
	keyEpoch       = "as/epoch"
	keyClientCount = "as/meta/clientcount"
	prefixClient   = "as/client/"   // + client id (mcp_...)
	prefixCIMD     = "as/cimd/"     // + hash(client id URL)
	prefixRate     = "as/rate/reg/" // + client address
	prefixPending  = "as/pending/"  // + hash(request id)
	prefixState    = "as/state/"    // + hash(upstream state)
	prefixCode     = "as/code/"     // + hash(code)
	prefixFamily   = "as/family/"   // + escaped subject + "/" + family id
	prefixRefresh  = "as/refresh/"  // + hash(refresh token)
	prefixConsent  = "as/consent/"  // + escaped subject + "/" + client key
	prefixBrowser  = "as/browser/"  // + hash(browser id)
	prefixPerson   = "as/person/"   // + escaped subject
)

// Limits on what clients may send.
const (
	maxFormBody  = 64 << 10
	maxJSONBody  = 64 << 10
	maxStateLen  = 1024
	maxTokenLen  = 4096
	clockSkew    = 30 * time.Second
	browserTTL   = 180 * 24 * time.Hour
	retryAfterUp = "30"
)

// Server is gwmcp's authorization server and resource guard. Build it with New; it is
// safe for concurrent use.
type Server struct {
	cfg    Config
	log    *slog.Logger
	st     store.Store
	scopes *scopes.Registry
	cimd   *cimd.Fetcher

	// discovery documents, built once from configuration
	prmJSON, asmJSON []byte
	resourceMetaURL  string
	prmPath          string
	defaultScopes    []string
	issuerOrigin     string

	keys     atomic.Pointer[keyRing]
	keysMu   sync.Mutex // serializes reloads
	keysLoad atomic.Int64

	cache       *tokenCache
	gen         atomic.Int64 // cache generation: moves on every revocation seen
	sharedEpoch atomic.Int64 // highest revocation epoch read from the store
	epochCheck  atomic.Int64 // unix nanos of the last poll
	epochMu     sync.Mutex
}

// New validates cfg, loads (or on first start creates) the signing keys from the store
// and returns a Server.
func New(ctx context.Context, cfg Config) (*Server, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:    cfg,
		log:    cfg.Logger,
		st:     cfg.Store,
		scopes: cfg.Scopes,
		cimd:   cimd.New(cimd.Options{Client: cfg.CIMDClient}),
		cache:  newTokenCache(cfg.TokenCacheSize),
	}
	if _, ok := cfg.Store.(*store.SealedStore); !ok {
		s.log.Warn("authserver: the store is not sealed; signing keys and upstream PKCE verifiers are stored in the clear")
	}
	if err := s.buildMetadata(); err != nil {
		return nil, err
	}
	if err := s.loadKeys(ctx); err != nil {
		return nil, err
	}
	if n, err := s.readEpoch(ctx); err == nil {
		s.sharedEpoch.Store(n)
		s.epochCheck.Store(s.cfg.Now().UnixNano())
	} else {
		return nil, fmt.Errorf("authserver: read revocation epoch: %w", err)
	}
	return s, nil
}

// Routes registers every endpoint of the authorization server on mux. /mcp itself is
// not registered: wrap its handler with RequireBearer.
func (s *Server) Routes(mux *http.ServeMux) {
	meta := func(b []byte) http.Handler { return s.cors(serveStatic(b)) }
	for _, p := range []string{"/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource" + s.prmPath} {
		mux.Handle("GET "+p, meta(s.prmJSON))
		mux.Handle("OPTIONS "+p, s.cors(nil))
	}
	for _, p := range []string{
		"/.well-known/oauth-authorization-server", "/.well-known/oauth-authorization-server" + s.prmPath,
		"/.well-known/openid-configuration", "/.well-known/openid-configuration" + s.prmPath,
	} {
		mux.Handle("GET "+p, meta(s.asmJSON))
		mux.Handle("OPTIONS "+p, s.cors(nil))
	}
	mux.Handle("GET /.well-known/jwks.json", s.cors(http.HandlerFunc(s.handleJWKS)))
	mux.Handle("OPTIONS /.well-known/jwks.json", s.cors(nil))

	for _, p := range []string{"/oauth/register", "/register"} {
		mux.Handle("POST "+p, s.cors(http.HandlerFunc(s.handleRegister)))
		mux.Handle("OPTIONS "+p, s.cors(nil))
	}
	mux.Handle("GET /oauth/register/{id}", s.cors(http.HandlerFunc(s.handleClientRead)))
	mux.Handle("PUT /oauth/register/{id}", s.cors(http.HandlerFunc(s.handleClientUpdate)))
	mux.Handle("DELETE /oauth/register/{id}", s.cors(http.HandlerFunc(s.handleClientDelete)))
	mux.Handle("OPTIONS /oauth/register/{id}", s.cors(nil))

	mux.HandleFunc("GET /oauth/authorize", s.handleAuthorize)
	mux.HandleFunc("POST /oauth/authorize", s.handleConsent)
	mux.HandleFunc("GET /oauth2callback", s.handleCallback)

	mux.Handle("POST /oauth/token", s.cors(http.HandlerFunc(s.handleToken)))
	mux.Handle("OPTIONS /oauth/token", s.cors(nil))
	mux.Handle("POST /oauth/revoke", s.cors(http.HandlerFunc(s.handleRevoke)))
	mux.Handle("OPTIONS /oauth/revoke", s.cors(nil))
}

// cors allows any origin without credentials, for browser-based MCP clients. A nil
// handler answers the preflight only.
func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", "WWW-Authenticate, Retry-After")
		if r.Method == http.MethodOptions || next == nil {
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, MCP-Protocol-Version")
			h.Set("Access-Control-Max-Age", "86400")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func serveStatic(b []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(b)
	})
}

// random returns n random bytes from cfg.Rand, base64url without padding.
func (s *Server) random(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.cfg.Rand, b); err != nil {
		return "", fmt.Errorf("authserver: read random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// hashKey is the store-key form of a secret: base64url(SHA-256(v)).
func hashKey(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// subjectKey escapes a subject for use inside a key.
func subjectKey(sub string) string { return url.PathEscape(sub) }

// clientKey is the key part for a client: our own ids as they are, URLs hashed.
func clientKey(id string) string {
	if strings.HasPrefix(id, clientIDPrefix) {
		return id
	}
	return "u" + hashKey(id)
}

func familyKey(sub, gid string) string { return prefixFamily + subjectKey(sub) + "/" + gid }

// getJSON reads and decodes key; it returns store.ErrNotFound when absent.
func (s *Server) getJSON(ctx context.Context, key string, v any) error {
	b, err := s.st.Get(ctx, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s record: %w", strings.SplitN(strings.TrimPrefix(key, "as/"), "/", 2)[0], store.ErrCorrupt)
	}
	return nil
}

func (s *Server) putJSON(ctx context.Context, key string, v any, ttl time.Duration) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("authserver: encode record: %w", err)
	}
	return s.st.Set(ctx, key, b, ttl)
}

// updateJSON is an atomic read-modify-write of a JSON record. fn gets a zero value
// and false when the record is absent.
func updateJSON[T any](ctx context.Context, st store.Store, key string, fn func(cur *T, exists bool) (ttl time.Duration, err error)) error {
	return st.Update(ctx, key, func(b []byte, exists bool) ([]byte, time.Duration, error) {
		var cur T
		if exists {
			if err := json.Unmarshal(b, &cur); err != nil {
				return nil, 0, store.ErrCorrupt
			}
		}
		ttl, err := fn(&cur, exists)
		if err != nil {
			return nil, 0, err
		}
		out, err := json.Marshal(&cur)
		if err != nil {
			return nil, 0, err
		}
		return out, ttl, nil
	})
}

// isNotFound reports a missing record.
func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// readEpoch returns the shared revocation epoch (0 when none was ever written).
func (s *Server) readEpoch(ctx context.Context) (int64, error) {
	b, err := s.st.Get(ctx, keyEpoch)
	if isNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var n int64
	if _, err := fmt.Sscan(string(b), &n); err != nil {
		return 0, store.ErrCorrupt
	}
	return n, nil
}

// bumpEpoch records a revocation: the local cache is invalidated at once and other
// replicas notice within RevocationPollInterval.
func (s *Server) bumpEpoch(ctx context.Context) {
	n, err := store.Incr(ctx, s.st, keyEpoch, 0)
	if err != nil {
		s.log.ErrorContext(ctx, "authserver: bump revocation epoch", "error", err)
	} else {
		s.observeEpoch(n)
	}
	s.gen.Add(1)
	s.cache.clear()
}

// observeEpoch records the highest shared epoch seen; it reports whether it moved.
func (s *Server) observeEpoch(n int64) bool {
	for {
		cur := s.sharedEpoch.Load()
		if n <= cur {
			return false
		}
		if s.sharedEpoch.CompareAndSwap(cur, n) {
			return true
		}
	}
}

// cacheGen returns the generation cache entries must carry to be valid, polling the
// shared epoch first when the last poll is older than RevocationPollInterval. Only one
// request polls at a time; the others go on with what they have.
func (s *Server) cacheGen(ctx context.Context) int64 {
	now := s.cfg.Now().UnixNano()
	if now-s.epochCheck.Load() < int64(s.cfg.RevocationPollInterval) || !s.epochMu.TryLock() {
		return s.gen.Load()
	}
	defer s.epochMu.Unlock()
	n, err := s.readEpoch(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "authserver: poll revocation epoch", "error", err)
		return s.gen.Load()
	}
	if s.observeEpoch(n) {
		s.gen.Add(1)
		s.cache.clear()
		if err := s.reloadKeys(ctx); err != nil {
			s.log.WarnContext(ctx, "authserver: reload signing keys", "error", err)
		}
	}
	s.epochCheck.Store(now)
	return s.gen.Load()
}
